"""Page text → structural blocks: headings, safety warnings, paragraphs, list items and tables.

The parser is fed one page at a time and keeps only the block being built, so a paragraph or a
numbered step that runs over a page break becomes one block spanning both pages.

Heading detection is deliberately conservative, because a step wrongly taken for a heading splits
a procedure in two. A numbered line is a heading only when it reads like a title (short, no final
full stop, capitalised) and its number continues the section numbering rather than the list
numbering around it: "4. Lower the boost pump ..." after step 3 is step 4, not section 4.

A long heading may wrap onto a second line ("5. TN-50-02 (V5.0) – New distance sensor cover for
thin" / "and knotless nets"). The two lines are one heading when the first is long enough to have
wrapped, the second is no longer than the first, is not itself a step, warning or table row, is not
a hanging indent (the text column of a wrapped step), and is followed by a blank line, and when the
joined title still reads like a title (a wrapped step is a sentence: it ends with a full stop or
runs past the title length).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from core.text.lexicon import DIGITS, ascii_digits, fold, warning_label

from .base import PageText
from .tables import LayoutTable, is_gapped, is_pipe_row, pipe_cells, render_row


class BlockKind(StrEnum):
    HEADING = "heading"
    WARNING = "warning"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str
    page_start: int
    page_end: int
    level: int = 0  # headings: 1 = chapter; list items: nesting depth
    number: str = ""  # numbering as printed, ASCII digits: "6", "6.1" (headings), "3" (steps)

    @property
    def words(self) -> int:
        return count_words(self.text)


_WORD_RE = re.compile(r"\w+(?:[-'\u2019.]\w+)*")


def count_words(text: str) -> int:
    return len(_WORD_RE.findall(text))


_MD_HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_NUMBERED_HEADING_RE = re.compile(
    rf"^(?P<num>[{DIGITS}]{{1,3}}(?:\.[{DIGITS}]{{1,2}}){{0,3}})(?P<dot>\.?)\s+(?P<title>\S.*)$"
)
_LIST_RE = re.compile(rf"^(?P<num>[{DIGITS}]{{1,3}}|[a-z])[.)]\s+(?P<rest>\S.*)$")
_BULLET_RE = re.compile(r"^[•●▪■◦‣∙○►▶*\-\u2013]\s+(?P<rest>\S.*)$")
_TERMINAL = (".", "!", "?", ":", ";", "؟", "。", "…")
# Dot leaders of a table of contents: "Safety rules ........ 2".
_TOC_TAIL_RE = re.compile(r"(?:\.{3,}|…)\s*\d*$")
_MAX_HEADING_WORDS = 12
_MAX_HEADING_CHARS = 100
# A heading long enough to wrap may run a little past the one-line limits, not past these.
_MAX_WRAPPED_HEADING_WORDS = 16
_MAX_WRAPPED_HEADING_CHARS = 150
# A heading line shorter than this share of the page's longest line did not wrap: the line under
# it is a subtitle or the first line of text. (Headings are set larger, so a wrapped heading line
# holds fewer characters than a body line: about 0.6 of it in the dev-eval bulletins.)
_WRAP_MIN_SHARE = 0.4
# A continuation indented this much deeper than the numbered line is a hanging indent: the text
# column of a wrapped step, not the second line of a heading.
_HANGING_INDENT = 3


@dataclass
class _Open:
    kind: BlockKind
    page_start: int
    page_end: int
    lines: list[str] = field(default_factory=list)
    number: str = ""
    level: int = 0
    label: str = ""
    table: LayoutTable | None = None
    md_rows: list[list[str]] = field(default_factory=list)

    def last_line(self) -> str:
        return self.lines[-1] if self.lines else ""

    def unterminated(self) -> bool:
        last = self.last_line().rstrip()
        return bool(last) and not last.endswith(_TERMINAL)


@dataclass
class _Line:
    raw: str
    text: str
    indent: int
    after_blank: bool
    before_blank: bool
    next_text: str
    page_first: bool
    layout: bool
    # The line after this one when no blank line separates them (a possible heading wrap), with
    # its indentation and whether a blank line follows it; the line after that one, if any.
    wrap_raw: str = ""
    wrap_before_blank: bool = False
    after_wrap_text: str = ""


class BlockParser:
    """Feed pages in order with `feed`, then call `finish`; both return completed blocks.

    `markdown`: only `#` headings (DOCX and Markdown sources, where "1." is always a list item).
    `title_page`: page 1 is a title page, where upper-case lines are not headings.
    """

    def __init__(self, *, markdown: bool = False, title_page: bool = False) -> None:
        self.markdown = markdown
        self.title_page = title_page
        self._open: _Open | None = None
        self._out: list[Block] = []
        self._page = 0
        self._top: int | None = None  # last chapter number accepted as a heading
        self._top_title = ""
        self._last_item: int | None = None  # number of the latest numbered step in this section
        self._width = 0  # longest line of the current page, for plain-text paragraph ends
        self._skip = 0  # lines already consumed as the second line of a wrapped heading

    # -- public -------------------------------------------------------------------------------
    def feed(self, page: PageText) -> list[Block]:
        self._page = page.number
        self._skip = 0
        lines = page.text.split("\n")
        nonblank = [i for i, raw in enumerate(lines) if raw.strip()]
        self._width = max((len(lines[i].strip()) for i in nonblank), default=0)
        after_blank = True
        texts = {i: self._text(lines[i], page.layout) for i in nonblank}
        for pos, i in enumerate(nonblank):
            raw = lines[i]
            nxt = nonblank[pos + 1] if pos + 1 < len(nonblank) else None
            after_nxt = nonblank[pos + 2] if pos + 2 < len(nonblank) else None
            wrapped = nxt is not None and nxt == i + 1
            line = _Line(
                raw=raw,
                text=texts[i],
                indent=len(raw) - len(raw.lstrip()),
                after_blank=after_blank or (i > 0 and not lines[i - 1].strip()),
                before_blank=nxt is None or nxt != i + 1,
                next_text=texts[nxt] if nxt is not None else "",
                page_first=pos == 0,
                layout=page.layout,
                wrap_raw=lines[nxt] if wrapped else "",
                wrap_before_blank=wrapped and (after_nxt is None or after_nxt != nxt + 1),
                after_wrap_text=texts[after_nxt] if after_nxt is not None else "",
            )
            after_blank = False
            if self._skip:
                self._skip -= 1
                continue
            self._line(line)
        out, self._out = self._out, []
        return out

    @staticmethod
    def _text(raw: str, layout: bool) -> str:
        text = " ".join(raw.split())
        if not layout and _RTL_RE.search(text):
            text = _rotate_rtl_marker(text)
        return text

    def close_open(self) -> list[Block]:
        """Close the block being built (used where a page break must end a block)."""
        self._close()
        out, self._out = self._out, []
        return out

    def finish(self) -> list[Block]:
        return self.close_open()

    # -- line classification ------------------------------------------------------------------
    def _line(self, line: _Line) -> None:
        if self._open is not None and self._open.kind is BlockKind.TABLE and self._continue_table(line):
            return
        if self._open is not None and line.page_first and self._continues_across_page(line):
            self._append(line)
            return
        heading = self._heading(line)
        if heading == "repeat":
            return
        if isinstance(heading, Block):
            self._close()
            self._out.append(heading)
            self._last_item = None
            return
        warning = warning_label(line.text)
        if warning is not None:
            self._close()
            label, rest = warning
            self._open = _Open(BlockKind.WARNING, self._page, self._page, lines=[rest] if rest else [], label=label)
            return
        item = self._list_item(line)
        if item is not None:
            self._close()
            number, level, text = item
            self._open = _Open(BlockKind.LIST_ITEM, self._page, self._page, lines=[text], number=number, level=level)
            if number.isdigit():
                self._last_item = int(number)
            return
        if self.markdown or not line.layout:
            if is_pipe_row(line.text):
                self._start_or_add_pipe_row(line)
                return
        elif is_gapped(line.raw) and not self._continues_block(line):
            self._close()
            table = LayoutTable()
            table.add(line.raw, after_blank=False)
            self._open = _Open(BlockKind.TABLE, self._page, self._page, table=table)
            return
        if self._continues_block(line):
            self._append(line)
            return
        self._close()
        self._open = _Open(BlockKind.PARAGRAPH, self._page, self._page, lines=[line.text])

    def _continues_block(self, line: _Line) -> bool:
        block = self._open
        if block is None or block.kind not in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.WARNING):
            return False
        if block.kind is BlockKind.WARNING and not block.lines:
            return True  # the line after a label-only "⚠ WARNING" line is the warning's text
        if line.after_blank:
            return False
        if line.layout or self.markdown:
            if block.kind is BlockKind.LIST_ITEM and not line.layout:
                return True
            # A wrapped step is indented to its text column; an unindented line after a finished
            # step is a new paragraph.
            return block.kind is not BlockKind.LIST_ITEM or line.indent >= 2 or block.unterminated()
        # Plain text has no blank lines between paragraphs: a line ends a paragraph when it ends a
        # sentence and stops short of the right margin.
        last = block.last_line()
        return not (last.endswith(_TERMINAL) and len(last) < 0.85 * self._width)

    def _continues_across_page(self, line: _Line) -> bool:
        block = self._open
        if block is None or block.kind is BlockKind.TABLE or not block.unterminated():
            return False
        if warning_label(line.text) or _LIST_RE.match(line.text) or _MD_HEADING_RE.match(line.text):
            return False
        numbered = _NUMBERED_HEADING_RE.match(line.text)
        return not (numbered and _title_like(numbered["title"])) and not self._caps_heading(line)

    def _continue_table(self, line: _Line) -> bool:
        block = self._open
        assert block is not None
        if block.table is None:  # Markdown / plain pipe table
            if is_pipe_row(line.text):
                self._start_or_add_pipe_row(line)
                return True
            return False
        if _LIST_RE.match(line.text) and not is_gapped(_after_marker(line.raw)):
            return False
        table = block.table
        if is_gapped(line.raw):
            if line.page_first and table.lines and " ".join(table.lines[0].split()) == line.text:
                table.continue_on_new_page(line.raw)  # a header row repeated on the next page
                block.page_end = self._page
                return True
            table.add(line.raw, after_blank=line.after_blank)
            block.page_end = self._page
            return True
        # Wrapped cell text without other cells: indented, or short enough for the first column.
        if not line.after_blank and (line.indent >= 3 or len(line.text) <= table.first_column_width):
            table.add(line.raw, after_blank=False)
            return True
        return False

    def _start_or_add_pipe_row(self, line: _Line) -> None:
        cells = pipe_cells(line.text)
        if self._open is None or self._open.kind is not BlockKind.TABLE or self._open.table is not None:
            self._close()
            self._open = _Open(BlockKind.TABLE, self._page, self._page)
        if cells is not None:
            self._open.md_rows.append(cells)
        self._open.page_end = self._page

    def _append(self, line: _Line) -> None:
        block = self._open
        assert block is not None
        block.lines.append(line.text)
        block.page_end = self._page

    # -- headings -----------------------------------------------------------------------------
    def _heading(self, line: _Line) -> Block | str | None:
        text = line.text
        md = _MD_HEADING_RE.match(text)
        if md:
            return self._make_heading(len(md["hashes"]), "", md["title"].strip())
        if self.markdown:
            return None
        numbered = _NUMBERED_HEADING_RE.match(text)
        if numbered:
            return self._numbered_heading(line, numbered)
        if self._caps_heading(line):
            return self._make_heading(1, "", text)
        return None

    def _numbered_heading(self, line: _Line, match: re.Match[str]) -> Block | str | None:
        number = ascii_digits(match["num"])
        parts = [int(p) for p in number.split(".")]
        title = match["title"].strip()
        if (len(parts) == 1 and not match["dot"]) or not _title_like(title):
            return None
        if line.layout and is_gapped(line.raw):
            return None  # a contents line ("2. Layout      3") or a table row
        wrap = _heading_wrap(line, title, page_width=self._width)
        if wrap is not None:
            title = f"{title} {wrap}"
            # The heading ends after its second line: what follows it is the line after that.
            next_text, before_blank = line.after_wrap_text, True
        else:
            next_text, before_blank = line.next_text, line.before_blank
        heading = self._accept_numbered(line, number, parts, title, next_text, before_blank)
        if heading is not None and wrap is not None:
            self._skip = 1
        return heading

    def _accept_numbered(
        self, line: _Line, number: str, parts: list[int], title: str, next_text: str, before_blank: bool
    ) -> Block | str | None:
        n = parts[-1]
        # "1. Remove the cover" followed by "2. ..." is a list, whatever the numbers say.
        following = _LIST_RE.match(next_text)
        if following and ascii_digits(following["num"]) == str(n + 1):
            return None
        if len(parts) > 1:
            if self._top is None or parts[0] in (self._top, self._top + 1):
                return self._make_heading(len(parts), number, f"{number} {title}")
            return None
        if self._top is not None and n == self._top and fold(title) == self._top_title:
            return "repeat"  # the chapter heading repeated at the top of a continuation page
        in_sequence = self._top is None or n == self._top + 1
        continues_list = self._last_item is not None and n == self._last_item + 1
        # Blank lines around the line: a heading stands apart, steps usually follow one another.
        standalone = line.after_blank and before_blank
        if continues_list and not (in_sequence and standalone):
            return None
        gap_ok = self._top is not None and self._top < n <= self._top + 3 and standalone
        # A restart at 1 after a table of contents: only for a standalone line opening a page.
        restart = n == 1 and standalone and line.page_first and line.layout
        if in_sequence or gap_ok or restart:
            self._top, self._top_title = n, fold(title)
            return self._make_heading(1, number, f"{number}. {title}")
        return None

    def _caps_heading(self, line: _Line) -> bool:
        if (self.title_page and self._page == 1) or warning_label(line.text) is not None:
            return False
        text = line.text
        words = text.split()
        letters = [ch for ch in text if ch.isalpha()]
        if not 1 <= len(words) <= 8 or len(letters) < 4 or text.endswith((".", ",", ";", ":")):
            return False
        cased = [ch for ch in letters if ch.upper() != ch.lower()]
        # Mostly uncased letters (Arabic with a Latin code in it) is not an upper-case heading.
        if any(ch.islower() for ch in cased) or len(cased) < 0.8 * len(letters):
            return False
        if sum(ch.isalpha() or ch.isspace() for ch in text) < 0.7 * len(text) or is_gapped(line.raw):
            return False
        if line.layout:
            return line.after_blank
        return self._open is None or not self._open.unterminated()

    def _make_heading(self, level: int, number: str, text: str) -> Block:
        return Block(BlockKind.HEADING, text, self._page, self._page, level=level, number=number)

    # -- lists --------------------------------------------------------------------------------
    def _list_item(self, line: _Line) -> tuple[str, int, str] | None:
        depth = line.indent // 3 if self.markdown else 0
        match = _LIST_RE.match(line.text)
        if match and not (line.layout and is_gapped(_after_marker(line.raw))):
            number = ascii_digits(match["num"])
            marker = f"{number}." if number.isdigit() else f"{number})"
            return number, depth, f"{marker} {match['rest']}"
        bullet = _BULLET_RE.match(line.text)
        if bullet:
            return "", depth, f"- {bullet['rest']}"
        return None

    # -- closing ------------------------------------------------------------------------------
    def _close(self) -> None:
        block, self._open = self._open, None
        if block is None:
            return
        if block.kind is BlockKind.TABLE:
            self._close_table(block)
            return
        text = _join_lines(block.lines)
        if block.kind is BlockKind.WARNING:
            text = f"⚠ {block.label.upper()}: {text}".rstrip(": ").rstrip()
        if text:
            self._out.append(Block(block.kind, text, block.page_start, block.page_end, block.level, block.number))

    def _close_table(self, block: _Open) -> None:
        if block.table is None:
            rows = [render_row(cells) for cells in block.md_rows if any(cells)]
        elif block.table.is_table():
            rows = [render_row(cells) for cells in block.table.rows() if any(cells)]
        else:
            # Gaps that do not line up are spacing inside prose (justified text), not columns.
            prose = _join_lines(block.table.as_prose())
            self._out.append(Block(BlockKind.PARAGRAPH, prose, block.page_start, block.page_end))
            return
        if rows:
            self._out.append(Block(BlockKind.TABLE, "\n".join(rows), block.page_start, block.page_end))


_RTL_RE = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_DISPLACED_MARKER_RE = re.compile(
    r"^(?P<tail>.*[A-Za-z0-9].*?)\s+(?P<head>[\u0660-\u0669\u06f0-\u06f9]{1,3}\.\s+\S.*)$"
)


def _rotate_rtl_marker(text: str) -> str:
    """Undo a bidi artefact of plain extraction on Arabic lines that mix in Latin codes.

    pypdf may emit "tail AB5-2120 ٣. head" for the logical "٣. head AB5-2120 tail": the line is
    rotated around the left-to-right run. Putting the Arabic-Indic step number back in front keeps
    the step recognisable; the word order inside the moved tail stays approximate.
    """
    match = _DISPLACED_MARKER_RE.match(text)
    if match is None:
        return text
    return f"{match['head']} {match['tail']}"


def _after_marker(raw: str) -> str:
    """The raw text after a list marker, with its spacing, to tell "1.   Pump   200 bar" rows apart."""
    return re.sub(r"^\s*\S+\s+", "", raw, count=1)


def _title_like(title: str, *, max_words: int = _MAX_HEADING_WORDS, max_chars: int = _MAX_HEADING_CHARS) -> bool:
    words = title.split()
    if not 1 <= len(words) <= max_words or len(title) > max_chars:
        return False
    if title.endswith((".", ",", ";", ":", "·")) or _TOC_TAIL_RE.search(title) or "   " in title:
        return False
    first = next((ch for ch in title if ch.isalnum()), "")
    if not first.isalpha():
        return False
    # In cased scripts a title starts with a capital; Arabic has no case.
    return first.upper() == first.lower() or first.isupper()


def _heading_wrap(line: _Line, title: str, *, page_width: int) -> str | None:
    """The second line of a numbered heading that wraps, or None when the heading is one line."""
    if not line.wrap_raw or not line.wrap_before_blank:
        return None
    wrap = " ".join(line.wrap_raw.split())
    first = " ".join(line.raw.split())
    if len(first) < _WRAP_MIN_SHARE * page_width or len(wrap) > len(first) or warning_label(wrap) is not None:
        return None
    if _LIST_RE.match(wrap) or _BULLET_RE.match(wrap) or _NUMBERED_HEADING_RE.match(wrap):
        return None
    if line.layout and (is_gapped(line.wrap_raw) or _hanging(line)):
        return None
    joined = f"{title} {wrap}"
    if not _title_like(joined, max_words=_MAX_WRAPPED_HEADING_WORDS, max_chars=_MAX_WRAPPED_HEADING_CHARS):
        return None
    return wrap


def _hanging(line: _Line) -> bool:
    """The second line starts in a text column right of the number: a wrapped step's indent.

    Right-to-left and centred lines are exempt: their indentation follows their length.
    """
    if _RTL_RE.search(line.raw):
        return False
    indent = len(line.wrap_raw) - len(line.wrap_raw.lstrip())
    if indent < line.indent + _HANGING_INDENT:
        return False
    centre = line.indent + len(line.raw.strip()) / 2
    wrap_centre = indent + len(line.wrap_raw.strip()) / 2
    return abs(centre - wrap_centre) > _HANGING_INDENT


def _join_lines(lines: list[str]) -> str:
    out = ""
    for line in lines:
        piece = " ".join(line.split())
        if not piece:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and piece[:1].islower():
            out += piece  # "self-" + "cleaning": keep the hyphen, drop the line break
        elif out:
            out += " " + piece
        else:
            out = piece
    return out
