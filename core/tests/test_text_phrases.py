"""The assistant's fixed phrases in six languages, their .po catalogs and the pure-Python compiler."""

from __future__ import annotations

import gettext
import io
import logging
import os
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from core.management.commands.compile_translations import compile_catalogs, stale_catalogs
from core.text.languages import language_or_fallback
from core.text.phrases import PHRASES, phrase, placeholders, source_forms, supported_languages

REPO = Path(settings.BASE_DIR)
LOCALE_DIR = REPO / "locale"
TRANSLATED = ("el", "ar", "es", "tr", "nb")
# (language, key) pairs whose translation may equal the English text, e.g. a loanword like "OK".
# Keep this small: an entry here hides a missing translation.
SAME_AS_ENGLISH: frozenset[tuple[str, str]] = frozenset()
# Counts that reach every plural form of the six languages (Arabic: 0, 1, 2, 3–10, 11–99, 100+).
PLURAL_COUNTS = (0, 1, 2, 7, 11, 100)

ARABIC_LETTER = re.compile(r"[\u0620-\u064a]")
GREEK_LETTER = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")


def sample_params(key: str, count: int = 7) -> dict[str, object]:
    """Distinctive values for every placeholder, so a dropped or swapped one shows in the output."""
    params: dict[str, object] = {name: f"«{name}-x9»" for name in placeholders(key)}
    if PHRASES[key].count:
        params[PHRASES[key].count] = count
    return params


def renderings(key: str, language: str) -> list[tuple[dict[str, object], str]]:
    counts = PLURAL_COUNTS if PHRASES[key].count else (7,)
    return [(params, phrase(key, language, **params)) for params in (sample_params(key, n) for n in counts)]


def brace_fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def load_po(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))


# --- the catalog and the phrase() API -----------------------------------------------------------


def test_the_product_languages_are_english_plus_the_translated_catalogs():
    assert supported_languages() == ("en", *TRANSLATED)
    assert sorted(path.name for path in LOCALE_DIR.iterdir() if path.is_dir()) == sorted(TRANSLATED)


def test_the_catalog_holds_the_phrases_the_assistant_relies_on():
    required = {
        "greeting", "manual_says", "likely_causes", "safety_first", "step_header", "step_minutes", "ask_outcome",
        "next_step_after_failure", "partially_worked", "resolved", "abstain", "offer_escalation",
        "steps_exhausted", "unsafe_stop", "source_page", "source_pages", "answer_from_manual_note",
        "error_generic", "llm_unavailable", "message_too_long", "message_empty", "rate_limited", "not_found",
        "invalid_request", "not_authenticated", "permission_denied", "session_closed", "machine_hours",
        "service_overdue", "escalation_created", "thanks_feedback",
    }  # fmt: skip
    assert required <= set(PHRASES)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", key) for key in PHRASES)
    assert placeholders("step_header") == {"number", "total"}
    assert placeholders("escalation_created") == {"ticket", "name"}
    assert phrase("source_pages", "en", document="V4.0 manual", start=12, end=14) == (
        "Source: V4.0 manual, pages 12–14"
    )


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
@pytest.mark.parametrize("key", sorted(PHRASES))
def test_every_phrase_renders_in_every_language_with_its_values(key, language):
    for params, text in renderings(key, language):
        assert text.strip(), f"{key} is empty in {language}"
        assert "{" not in text and "}" not in text, f"{key} in {language} left a placeholder: {text!r}"
        for name, value in params.items():
            assert str(value) in text, f"{key} in {language} lost {{{name}}}: {text!r}"
        if language != "en" and (language, key) not in SAME_AS_ENGLISH:
            assert text != phrase(key, "en", **params), f"{key} is not translated into {language}"


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_arabic_is_written_in_arabic_script_and_greek_in_greek(key):
    for _params, text in renderings(key, "ar"):
        assert ARABIC_LETTER.search(text), text
    for _params, text in renderings(key, "el"):
        assert GREEK_LETTER.search(text), text


def test_plural_phrases_follow_each_languages_grammar():
    assert phrase("rate_limited", "en", seconds=1).count("1 second ") == 1
    assert "5 seconds" in phrase("rate_limited", "en", seconds=5)
    assert "1 δευτερόλεπτο " in phrase("rate_limited", "el", seconds=1)
    assert "5 δευτερόλεπτα " in phrase("rate_limited", "el", seconds=5)
    # Arabic: a plural noun after 3–10, the singular after 11–99.
    assert "5 ثوانٍ" in phrase("rate_limited", "ar", seconds=5)
    assert "30 ثانية" in phrase("rate_limited", "ar", seconds=30)
    assert "1 segundo " in phrase("rate_limited", "es", seconds=1)
    assert "1 sekund " in phrase("rate_limited", "nb", seconds=1)
    assert "2 sekunder " in phrase("rate_limited", "nb", seconds=2)
    # A float with a whole value is accepted (machine hours come from the database as numbers).
    assert phrase("machine_hours", "en", hours=1250.0) == "This machine has 1250 operating hours."


def test_no_is_norwegian_bokmal():
    norwegian = phrase("greeting", "no")
    assert norwegian == phrase("greeting", "nb") == phrase("greeting", "nb-NO") == phrase("greeting", "NO")
    assert norwegian.startswith("Hei!")
    assert norwegian != phrase("greeting", "en")
    assert language_or_fallback("no") == language_or_fallback("nb_NO") == "nb"


@pytest.mark.parametrize("language", ["xx", "pt-BR", "de", "", "   "])
def test_an_unknown_language_falls_back_to_english(language):
    assert language_or_fallback(language) == "en"
    assert phrase("greeting", language).startswith("Hello! I'm the AutoBoss assistant.")
    assert phrase("step_header", language, number=1, total=3) == "Step 1 of 3"


def test_regional_codes_use_their_language_and_none_means_the_active_language():
    assert phrase("not_found", "el-GR") == phrase("not_found", "el") != phrase("not_found", "en")
    assert phrase("not_found", "es_ES") == phrase("not_found", "es")
    with translation.override("tr"):
        assert phrase("not_found") == phrase("not_found", "tr") == "Bulunamadı."
    # Rendering restores the caller's active language.
    with translation.override("el"):
        phrase("greeting", "ar")
        assert translation.get_language() == "el"


def test_unknown_keys_missing_values_and_fractional_counts_are_errors():
    with pytest.raises(KeyError):
        phrase("no_such_phrase", "el")
    with pytest.raises(TypeError, match="total"):
        phrase("step_header", "el", number=1)
    with pytest.raises(TypeError, match="whole number"):
        phrase("rate_limited", "ar", seconds=1.5)
    with pytest.raises(TypeError, match="whole number"):
        phrase("rate_limited", "ar", seconds="5")


def test_a_translation_with_a_broken_placeholder_falls_back_to_english(tmp_path, caplog):
    # The compiler refuses such a catalog; this covers a .mo that got past it (written by hand here).
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    (english,) = source_forms("step_header")
    catalog.append(polib.POEntry(msgid=english, msgstr="Βήμα {numero} από {total}"))
    catalog.append(polib.POEntry(msgid=source_forms("greeting")[0], msgstr="Γεια σας!"))
    (tmp_path / "el" / "LC_MESSAGES").mkdir(parents=True)
    catalog.save_as_mofile(str(tmp_path / "el" / "LC_MESSAGES" / "django.mo"))
    with override_settings(LOCALE_PATHS=[tmp_path]), caplog.at_level(logging.ERROR, logger="core.text.phrases"):
        assert phrase("greeting", "el") == "Γεια σας!"  # the catalog is in use
        assert phrase("step_header", "el", number=2, total=5) == "Step 2 of 5"
    assert "broken el translation of phrase 'step_header'" in caplog.text


# --- the .po catalogs ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_entry_is_translated_and_reviewed(language):
    catalog = load_po(language)
    assert catalog.metadata["Language"] == language
    assert "charset=UTF-8" in catalog.metadata["Content-Type"]
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=")
    assert not catalog.metadata_is_fuzzy
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert untranslated == [], f"untranslated in {language}: {untranslated}"
    assert fuzzy == [], f"fuzzy (needs review) in {language}: {fuzzy}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_phrase_has_an_entry_in_every_catalog(language):
    entries = {(entry.msgid, entry.msgid_plural) for entry in load_po(language) if not entry.obsolete}
    for key, entry in PHRASES.items():
        forms = source_forms(key)
        expected = (forms[0], forms[1] if entry.count else "")
        assert expected in entries, f"the {language} catalog lacks {key}: run makemessages and translate it"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_exactly_the_placeholders_of_the_english_source(language):
    catalog = load_po(language)
    nplurals = int(catalog.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    for entry in catalog.translated_entries():
        expected = brace_fields(entry.msgid) | brace_fields(entry.msgid_plural)
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == nplurals, entry.msgid
        for text in translations:
            assert brace_fields(text) == expected, f"{language}: {text!r} vs {entry.msgid!r}"


# --- compile_translations -----------------------------------------------------------------------


def copy_catalogs(target: Path) -> Path:
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        destination = target / po.relative_to(LOCALE_DIR)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(po, destination)
    return target


def test_the_checked_out_catalogs_are_compiled_and_current():
    stale = [str(path.relative_to(REPO)) for path in stale_catalogs(LOCALE_DIR)]
    assert stale == [], f"missing or outdated .mo for {stale}: run `make install` or `manage.py compile_translations`"


def test_compiled_catalogs_hold_every_translation(tmp_path):
    locale_dir = copy_catalogs(tmp_path / "locale")
    out = io.StringIO()
    call_command("compile_translations", locale_dir=[locale_dir], stdout=out)
    for language in TRANSLATED:
        assert f"compiled {locale_dir}/{language}/LC_MESSAGES/django.po" in out.getvalue()
        with open(locale_dir / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
            compiled = gettext.GNUTranslations(mo)
        catalog = load_po(language)
        assert catalog.translated_entries()
        for entry in catalog.translated_entries():
            if entry.msgid_plural:
                for n in PLURAL_COUNTS:
                    form = compiled.plural(n)
                    if entry.msgctxt:
                        got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                    else:
                        got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                    assert got == entry.msgstr_plural[form]
            elif entry.msgctxt:
                assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
            else:
                assert compiled.gettext(entry.msgid) == entry.msgstr
    assert "5 compiled, 0 up to date, 0 failed" in out.getvalue()


def test_only_catalogs_newer_than_their_mo_are_compiled(tmp_path):
    locale_dir = copy_catalogs(tmp_path / "locale")
    assert {result.status for result in compile_catalogs(locale_dir)} == {"compiled"}
    greek_mo = locale_dir / "el" / "LC_MESSAGES" / "django.mo"
    spanish_po = locale_dir / "es" / "LC_MESSAGES" / "django.po"
    before = greek_mo.stat().st_mtime_ns
    # The Spanish .po was edited after its .mo was built.
    earlier = spanish_po.stat().st_mtime_ns - 1_000_000_000
    os.utime(spanish_po.with_suffix(".mo"), ns=(earlier, earlier))

    results = {result.po.parent.parent.name: result.status for result in compile_catalogs(locale_dir)}

    assert results == {"ar": "up_to_date", "el": "up_to_date", "es": "compiled", "nb": "up_to_date", "tr": "up_to_date"}
    assert greek_mo.stat().st_mtime_ns == before
    assert stale_catalogs(locale_dir) == []
    assert {result.status for result in compile_catalogs(locale_dir, force=True)} == {"compiled"}


GOOD_ENTRY = 'msgid "Step {number} of {total}"\nmsgstr "Βήμα {number} από {total}"\n'
HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)
BROKEN_CATALOGS = {
    "syntax error": HEADER + 'msgid "Step {number} of {total}\nmsgstr "Βήμα"\n',
    "renamed placeholder": HEADER + '#, python-brace-format\nmsgid "Step {number} of {total}"\n'
    'msgstr "Βήμα {numero} από {total}"\n',
    "dropped placeholder": HEADER + '#, python-brace-format\nmsgid "Step {number} of {total}"\n'
    'msgstr "Βήμα {number}"\n',
    "invented plural placeholder": HEADER + '#, python-brace-format\nmsgid "Wait {seconds} second"\n'
    'msgid_plural "Wait {seconds} seconds"\nmsgstr[0] "Περιμένετε {seconds} δευτερόλεπτο"\n'
    'msgstr[1] "Περιμένετε {secs} δευτερόλεπτα"\n',
    "wrong number of plural forms": HEADER + 'msgid "Wait {seconds} second"\nmsgid_plural "Wait {seconds} seconds"\n'
    'msgstr[0] "Περιμένετε {seconds} δευτερόλεπτο"\n',
    "msgid without msgstr": HEADER + GOOD_ENTRY + '\nmsgid "Skip"\n',
    "bad escape": HEADER + 'msgid "Step {number} of {total}"\nmsgstr "Βήμα \\q {number} από {total}"\n',
    "bad plural header": HEADER.replace("plural=(n != 1)", "plural=(n !=! 1)") + GOOD_ENTRY,
}


@pytest.mark.parametrize("problem", sorted(BROKEN_CATALOGS))
def test_a_broken_catalog_fails_the_command_and_keeps_its_previous_mo(tmp_path, problem):
    messages = tmp_path / "el" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(HEADER + GOOD_ENTRY, encoding="utf-8")
    assert [result.status for result in compile_catalogs(tmp_path)] == ["compiled"]
    good_mo = (messages / "django.mo").read_bytes()
    (messages / "django.po").write_text(BROKEN_CATALOGS[problem], encoding="utf-8")
    later = (messages / "django.mo").stat().st_mtime_ns + 1_000_000_000
    os.utime(messages / "django.po", ns=(later, later))

    err = io.StringIO()
    with pytest.raises(CommandError, match="broken"):
        call_command("compile_translations", locale_dir=[tmp_path], stdout=io.StringIO(), stderr=err)

    assert "el/LC_MESSAGES/django.po: " in err.getvalue()
    assert (messages / "django.mo").read_bytes() == good_mo


def test_the_standalone_entry_point_exits_non_zero_on_a_broken_catalog(tmp_path):
    # The Makefile runs it this way: no Django settings, so no database is started to compile.
    messages = tmp_path / "tr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(BROKEN_CATALOGS["syntax error"], encoding="utf-8")
    command = [sys.executable, "-m", "core.management.commands.compile_translations", "--locale-dir", str(tmp_path)]
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}

    broken = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1, broken.stderr
    assert "tr/LC_MESSAGES/django.po" in broken.stderr
    assert not (messages / "django.mo").exists()

    (messages / "django.po").write_text(HEADER + GOOD_ENTRY, encoding="utf-8")
    fixed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert fixed.returncode == 0, fixed.stderr
    assert "1 compiled, 0 up to date, 0 failed" in fixed.stdout
    with open(messages / "django.mo", "rb") as mo:
        assert gettext.GNUTranslations(mo).gettext("Step {number} of {total}") == "Βήμα {number} από {total}"


def test_a_missing_locale_dir_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such locale directory"):
        call_command("compile_translations", locale_dir=[tmp_path / "nope"], stdout=io.StringIO())
