"""What an operator types in chat, in en/el/ar/es/tr/nb, and the small matcher it is written for.

Used by troubleshooting.outcomes (is this an answer to "did this work?") and troubleshooting.faults
(does this message report a fault?). Both run on every chat turn, so everything is plain compiled
regular expressions over `normalize()`-d text: a few microseconds, no model, no database.

Word lists are blocks of lines `<lang>  phrase | phrase | ...`, written naturally (accents, Greek
final sigma, Arabic hamza) because each phrase goes through the same `normalize()` as the message.
Phrase syntax, kept tiny on purpose:

* words match whole words; between words any whitespace (punctuation breaks a phrase, so
  "no, change" is not "no change");
* `word*` is a stem ("overheat*" matches "overheating"); `a/b/c` is one word out of several;
* `..` stands for up to two arbitrary words ("not .. work*" matches "did not really work");
* a phrase starting with `re:` is a raw regular expression over normalized text (Turkish suffixes).

Arabic phrases also match with the conjunctions و/ف glued on ("ولم ينجح").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text.lexicon import fold

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
# Emoji carry an answer on phones; they become words the lists know.
_EMOJI = {"👍": " _yes_ ", "✅": " _yes_ ", "👌": " _yes_ ", "✔": " _yes_ ", "👎": " _no_ ", "❌": " _no_ "}
_EMOJI |= {"✖": " _no_ ", "🔥": " _fire_ ", "💨": " _smoke_ ", "⚡": " _spark_ "}
# Arabic: tatweel, hamza and letter variants are written inconsistently in chat.
_ARABIC = str.maketrans({"\u0640": None, "ء": None, "ى": "ي", "ی": "ي", "ة": "ه", "ک": "ك", "،": ",", "؛": ";"})
# English contractions, with and without the apostrophe ("didnt", "did'nt"), become "… not".
_CANT_RE = re.compile(r"\bca'?n'?t\b|\bcannot\b")
_WONT_RE = re.compile(r"\bwo'?n'?t\b")
_NT_RE = re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need)'?n'?t\b")
_GLUED_NOT_RE = re.compile(r"\b(did|does|do|is)not\b")
_AR_THERE_IS_NO_RE = re.compile(r"(?<!\w)ما في(?!\w)")


def normalize(text: str) -> str:
    """Folded (lower case, no accents), Arabic-normalised text with English negations spelled out."""
    text = text.translate(_APOSTROPHES)
    for symbol, word in _EMOJI.items():
        if symbol in text:
            text = text.replace(symbol, word)
    text = fold(text).translate(_ARABIC)
    if "ما في" in text:
        text = _AR_THERE_IS_NO_RE.sub("مافي", text)  # "there is no …", written both ways
    if "n" in text:
        text = _CANT_RE.sub("can not", text)
        text = _WONT_RE.sub("will not", text)
        text = _NT_RE.sub(r"\1 not", text)
        text = _GLUED_NOT_RE.sub(r"\1 not", text)
    return " ".join(text.split())


def word_set(text: str) -> frozenset[str]:
    """The normalized words of a space-separated list."""
    return frozenset(normalize(text).split())


# Turkish negates inside the word: "dönmüyor" (does not turn), "başlamadı" (did not start), "açılamıyor"
# (cannot open). Only verbs of a machine doing its job, so "bilmiyorum" (I don't know) is no symptom.
TR_NOT_FUNCTIONING = (
    "tr  re:(?:calis|don|basla|acil|kalk|yuksel|gel|em|bas|goster|yan|tut|dur|ilerle|cik|art|hareket et)"
    r"(?:y?[ae])?m(?:[iu]yor|[ae]d[iu])\w*"
)


def parse_block(block: str) -> dict[str, list[str]]:
    """{language: [phrase, ...]} of a word-list block."""
    table: dict[str, list[str]] = {}
    for line in block.strip().splitlines():
        lang, _, rest = line.strip().partition(" ")
        table.setdefault(lang, []).extend(p.strip() for p in rest.split(" | ") if p.strip())
    return table


_GAP = r"(?:[\w']+\s+){0,2}"
_ARABIC_START = re.compile("[\u0600-\u06ff]")


def _phrase_pattern(phrase: str) -> str:
    if phrase.startswith("re:"):
        return phrase[3:]
    tokens = normalize(phrase).split()
    out = []
    for i, token in enumerate(tokens):
        if token == "..":
            out.append(_GAP)
            continue
        alts = [re.escape(a.rstrip("*")) + (r"\w*" if a.endswith("*") else "") for a in token.split("/")]
        piece = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if i == 0 and _ARABIC_START.match(token):
            piece = "[وف]?" + piece
        out.append(piece + (r"\s+" if i < len(tokens) - 1 else ""))
    return "".join(out)


def compile_phrases(*blocks: str) -> re.Pattern[str]:
    """One pattern matching any phrase of the blocks, all languages merged, longest phrases first."""
    phrases = [p for block in blocks for table in [parse_block(block)] for ps in table.values() for p in ps]
    patterns = sorted({_phrase_pattern(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


# Words that cancel the cue right after them ("no smoke", "not leaking", "sin humo"), and Turkish
# words that cancel the cue right before them ("duman yok").
NEGATORS = word_set(
    "no not never without none sin ni nunca ningún ninguna tampoco δεν δε χωρίς ούτε κανένα κανένας "
    "καμία καθόλου μη μην hiç ikke ingen uten aldri intet لا لم لن بدون ليس مش مو مافي مفيش دون"
)
_NEGATORS_AFTER = frozenset(("yok", "yoktu", "yoktur", "degil", "degildi"))
_WORD = re.compile(r"[\w']+")
_CLAUSE_BREAK = re.compile(r"[,.;:!?؟¿¡\n]")


def negated(text: str, match: re.Match[str], window: int = 3) -> bool:
    """Whether `match` is negated by one of the `window` words before it in the same clause."""
    before = text[max(0, match.start() - 60) : match.start()]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    if any(w in NEGATORS for w in _WORD.findall(before)[-window:]):
        return True
    after = _WORD.match(text[match.end() :].lstrip())
    return after is not None and after[0] in _NEGATORS_AFTER


def words(text: str) -> list[str]:
    return _WORD.findall(text)


# Question words that open a question even without a question mark, and those that only do so in a
# sentence ending with one ("when I start it, it stops" is no question; "γιατί" is also "because").
_WH_ALWAYS = word_set(
    "what whats what's where wheres where's how hows which why who whose donde dónde adonde cuál "
    "cual cuales cuánto cuánta cuántos cuántas quién quien τι ποιο ποια ποιος ποιοι ποιες ποιον πότε πόσο "
    "πόση πόσα πόσοι πόσες μήπως neden niye niçin nasıl nerede nereye nereden hangi hangisi kaç hva hvor "
    "hvordan hvilken hvilke hvilket hvorfor hvem ماذا أين وين كيف لماذا ليش ليه متى هل كم شو ايش شلون"
)
_WH_MARKED = word_set(
    "when que qué como cómo cuando cuándo πως πού που γιατί ne når ما can could should shall do "
    "does did is are was were will would may might must have has am puedo puede debo debe debería es está "
    "hay tengo se μπορώ μπορεί πρέπει είναι έχει υπάρχει να kan skal må bør er har vil går finnes ممكن يمكن"
)
_WH_PAIRS = frozenset(("ما هو", "ما هي", "ne zaman", "por que"))
_TR_PARTICLES = word_set("mi mu misin musun miyim muyum midir mudur miydi muydu misiniz musunuz")
_SENTENCE = re.compile(r"(?:[^.!?؟;…\n]|\.(?=\S))+[.!?؟;…\n]*")
_CLAUSE_SPLIT = re.compile(r"([,:¿¡]|\s[-\u2013\u2014]\s)")
_GREEK = re.compile("[\u0370-\u03ff]")


@dataclass(frozen=True)
class Sentence:
    lead: str  # what the sentence states before any question ("did not work" in "did not work, why?")
    question: str  # the question part, "" for a statement


def _opens_question(tokens: list[str], marked: bool) -> bool:
    if not tokens:
        return False
    if tokens[0] in _WH_ALWAYS or " ".join(tokens[:2]) in _WH_PAIRS:
        return True
    if tokens[-1] in _TR_PARTICLES:
        return True
    negated_aux = len(tokens) > 1 and tokens[1] in ("not", "no")
    return marked and tokens[0] in _WH_MARKED and not negated_aux


def sentences(norm: str) -> list[Sentence]:
    """Split normalized text into sentences, each into the statement it makes and the question it asks."""
    out = []
    for m in _SENTENCE.finditer(norm):
        raw = m[0].strip()
        body = raw.rstrip(".!?؟;…\n ")
        end = raw[len(body) :]
        marked = "?" in end or "؟" in end or "¿" in body or (";" in end and bool(_GREEK.search(body)))
        parts = _CLAUSE_SPLIT.split(body)
        offset, question_at, delimiter = 0, None, ""
        for i, part in enumerate(parts):
            if i % 2 == 0 and (delimiter == "¿" or _opens_question(words(part), marked)):
                question_at = offset
                break
            delimiter = part if i % 2 else delimiter
            offset += len(part)
        if question_at is None and marked:
            question_at = offset - len(parts[-1])
        if question_at is None:
            out.append(Sentence(body, ""))
        else:
            out.append(Sentence(body[:question_at].strip(" ,:¡-"), body[question_at:].strip(" ,:¿¡-")))
    return out
