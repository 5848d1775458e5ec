"""`manage.py compile_translations`: compile `locale/*/LC_MESSAGES/*.po` to `.mo` in pure Python.

Django's `compilemessages` shells out to GNU gettext's `msgfmt`, which neither the slim Docker image nor
a fresh machine has; polib writes the same `.mo` format. Only catalogs whose `.po` is newer than their
`.mo` (or have none) are compiled, so `make install` can run this every time. The `.mo` files are build
output and are not committed.

A catalog that does not parse, has a broken header or a translation whose placeholders do not match
its msgid fails the command (exit 1) and keeps its previous `.mo`: a bad `{name}` in a translation
would otherwise surface as an error in an operator's conversation.

Also runnable without Django settings, so that no database is started just to compile:
`python -m core.management.commands.compile_translations [--locale-dir DIR] [--force]`.
"""

from __future__ import annotations

import argparse
import gettext
import os
import re
import string
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polib
from django.core.management.base import BaseCommand, CommandError

REPO_LOCALE_DIR = Path(__file__).resolve().parents[3] / "locale"

# printf-style conversions as Python's %-operator reads them (Django's own catalogs use these).
PERCENT_FORMAT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


@dataclass(frozen=True)
class CatalogResult:
    po: Path
    status: Literal["compiled", "up_to_date", "failed"]
    messages: int = 0  # translated messages written to the .mo
    untranslated: int = 0  # empty or fuzzy entries (left out of the .mo; gettext falls back to English)
    problems: tuple[str, ...] = ()


def catalog_paths(locale_dir: Path) -> list[Path]:
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def catalog_is_stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or po.stat().st_mtime_ns > mo.stat().st_mtime_ns


def stale_catalogs(locale_dir: Path) -> list[Path]:
    """The `.po` files whose `.mo` is missing or older (for a system check or a test)."""
    return [po for po in catalog_paths(locale_dir) if catalog_is_stale(po)]


def compile_catalogs(locale_dir: Path, *, force: bool = False) -> list[CatalogResult]:
    """Compile every catalog under `locale_dir` that changed since its `.mo` (all of them with `force`)."""
    results = []
    for po_path in catalog_paths(locale_dir):
        if not force and not catalog_is_stale(po_path):
            results.append(CatalogResult(po_path, "up_to_date"))
        else:
            results.append(compile_catalog(po_path))
    return results


def compile_catalog(po_path: Path) -> CatalogResult:
    try:
        problems = syntax_problems(po_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        problems = [f"not UTF-8: {exc}"]
    if problems:
        return CatalogResult(po_path, "failed", problems=tuple(problems))
    try:
        catalog = polib.pofile(str(po_path))
    except (OSError, ValueError) as exc:
        # polib reports syntax errors as OSError("Syntax error in po file ... (line N)").
        return CatalogResult(po_path, "failed", problems=(str(exc),))
    problems = catalog_problems(catalog)
    if problems:
        return CatalogResult(po_path, "failed", problems=tuple(problems))
    translated = catalog.translated_entries()
    mo_path = po_path.with_suffix(".mo")
    # Write next to the target and rename: a running server never reads half a catalog.
    fd, tmp_name = tempfile.mkstemp(dir=po_path.parent, prefix=".", suffix=".mo.tmp")
    os.close(fd)
    try:
        catalog.save_as_mofile(tmp_name)
        os.chmod(tmp_name, 0o644)
        # Never older than its .po (a .po from a skewed clock would otherwise recompile on every run).
        newest = max(po_path.stat().st_mtime_ns, Path(tmp_name).stat().st_mtime_ns)
        os.utime(tmp_name, ns=(newest, newest))
        os.replace(tmp_name, mo_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return CatalogResult(
        po_path, "compiled", messages=len(translated), untranslated=len(catalog) - len(translated) - _obsolete(catalog)
    )


# polib accepts some malformed files (an unterminated string, an msgid without msgstr) and guesses;
# msgfmt rejects them, and so do we, line by line.
PO_STRING = r'"(?:[^"\\]|\\(?:[\\"abfnrtv]|[0-7]{1,3}|x[0-9A-Fa-f]+))*"'
PO_LINE = re.compile(rf"(?:(?P<keyword>msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+)?{PO_STRING}")
PO_NEXT = {
    None: {"msgctxt", "msgid"},
    "msgctxt": {"msgid"},
    "msgid": {"msgid_plural", "msgstr"},
    "msgid_plural": {"msgstr"},
    "msgstr": {"msgctxt", "msgid", "msgstr"},
}


def syntax_problems(text: str) -> list[str]:
    problems = []
    state = None  # the keyword of the entry part being read
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):  # comments, including obsolete (#~) entries
            continue
        match = PO_LINE.fullmatch(line)
        if not match:
            problems.append(f"line {number}: not PO syntax (unterminated string or bad escape?): {line[:60]!r}")
            continue
        keyword = match["keyword"]
        if keyword is None:
            if state is None:
                problems.append(f"line {number}: string outside an entry")
            continue
        kind = "msgstr" if keyword.startswith("msgstr") else keyword
        if kind not in PO_NEXT[state]:
            problems.append(f"line {number}: {keyword} cannot follow {state or 'the start of the file'}")
        state = kind
    if state not in (None, "msgstr"):
        problems.append("the file ends inside an entry (an msgid without msgstr?)")
    return problems


def catalog_problems(catalog: polib.POFile) -> list[str]:
    """What `msgfmt --check` would reject, for the formats this project uses."""
    problems = []
    content_type = catalog.metadata.get("Content-Type", "")
    if "charset=utf-8" not in content_type.replace(" ", "").lower():
        problems.append(f"header: Content-Type must declare charset=UTF-8, not {content_type!r}")
    nplurals = _plural_count(catalog, problems)
    keys = Counter((entry.msgctxt, entry.msgid) for entry in catalog if not entry.obsolete)
    problems += [f"duplicate message {msgid!r}" for (_ctx, msgid), n in keys.items() if n > 1]
    for entry in catalog.translated_entries():
        where = f"line {entry.linenum}: "
        if entry.msgid_plural:
            if nplurals is not None and sorted(entry.msgstr_plural) != list(range(nplurals)):
                problems.append(f"{where}{len(entry.msgstr_plural)} plural forms, the header says {nplurals}")
            for form, text in sorted(entry.msgstr_plural.items()):
                # A form may drop the number ("one second") but never invent a placeholder.
                problems += _format_problems(entry, (entry.msgid, entry.msgid_plural), text, f"{where}msgstr[{form}] ")
        else:
            problems += _format_problems(entry, (entry.msgid,), entry.msgstr, where, exact=True)
    return problems


def _plural_count(catalog: polib.POFile, problems: list[str]) -> int | None:
    header = catalog.metadata.get("Plural-Forms")
    if not header:
        if any(entry.msgid_plural for entry in catalog):
            problems.append("header: plural messages but no Plural-Forms")
        return None
    match = re.fullmatch(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?)\s*;?\s*", header)
    if not match:
        problems.append(f"header: unreadable Plural-Forms {header!r}")
        return None
    try:
        gettext.c2py(match.group(2))
    except (ValueError, SyntaxError, RecursionError):
        problems.append(f"header: invalid plural expression {match.group(2)!r}")
        return None
    return int(match.group(1))


def _format_problems(
    entry: polib.POEntry, sources: tuple[str, ...], text: str, where: str, *, exact: bool = False
) -> list[str]:
    problems = []
    if "python-brace-format" in entry.flags:
        try:
            expected = set().union(*(_brace_fields(source) for source in sources))
            found = _brace_fields(text)
        except ValueError as exc:
            return [f"{where}unreadable {{}} placeholder: {exc}"]
        if found - expected or (exact and found != expected):
            problems.append(f"{where}placeholders {sorted(found)} do not match {sorted(expected)}")
    if "python-format" in entry.flags:
        expected_specs = Counter(spec for source in sources for spec in PERCENT_FORMAT.findall(source))
        found_specs = Counter(PERCENT_FORMAT.findall(text))
        if found_specs - expected_specs or (exact and found_specs != expected_specs):
            problems.append(f"{where}%-placeholders {sorted(found_specs)} do not match {sorted(expected_specs)}")
    return problems


def _brace_fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def _obsolete(catalog: polib.POFile) -> int:
    return sum(1 for entry in catalog if entry.obsolete)


def run(locale_dirs: list[Path], *, force: bool, out, err, verbose: bool = False) -> bool:
    """Compile, report to the `out`/`err` writers, and tell whether every catalog compiled."""
    ok = True
    counts = Counter()
    for locale_dir in locale_dirs:
        for result in compile_catalogs(locale_dir, force=force):
            counts[result.status] += 1
            shown = _shown(result.po)
            if result.status == "compiled":
                gaps = f", {result.untranslated} untranslated or fuzzy" if result.untranslated else ""
                out(f"compiled {shown} ({result.messages} messages{gaps})")
            elif result.status == "failed":
                ok = False
                for problem in result.problems:
                    err(f"{shown}: {problem}")
            elif verbose:
                out(f"up to date {shown}")
    out(f"translations: {counts['compiled']} compiled, {counts['up_to_date']} up to date, {counts['failed']} failed")
    return ok


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _existing_dirs(paths: list[Path]) -> list[Path]:
    missing = [str(path) for path in paths if not path.is_dir()]
    if missing:
        raise CommandError(f"no such locale directory: {', '.join(missing)}")
    return paths


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo (pure Python); only catalogs newer than their .mo."
    # Runs during `make install` and image builds: no system checks, no database.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--locale-dir",
            action="append",
            type=Path,
            help="a directory holding <lang>/LC_MESSAGES/*.po (repeatable; default: settings.LOCALE_PATHS)",
        )
        parser.add_argument("--force", action="store_true", help="compile even catalogs whose .mo is up to date")

    def handle(self, *args, **options):
        from django.conf import settings

        if options["locale_dir"]:
            dirs = _existing_dirs(options["locale_dir"])
        else:
            dirs = [Path(path) for path in settings.LOCALE_PATHS if Path(path).is_dir()]
        ok = run(
            dirs,
            force=options["force"],
            out=self.stdout.write,
            err=self.stderr.write,
            verbose=options["verbosity"] > 1,
        )
        if not ok:
            raise CommandError("some translation catalogs are broken; their .mo files were left as they were")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="compile_translations", description=Command.help)
    parser.add_argument("--locale-dir", action="append", type=Path)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    options = parser.parse_args(argv)
    try:
        if options.locale_dir:
            dirs = _existing_dirs(options.locale_dir)
        else:
            dirs = [REPO_LOCALE_DIR] if REPO_LOCALE_DIR.is_dir() else []
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ok = run(
        dirs,
        force=options.force,
        out=lambda line: print(line),
        err=lambda line: print(line, file=sys.stderr),
        verbose=options.verbose,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
