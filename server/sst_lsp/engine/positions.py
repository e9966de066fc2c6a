"""The one place where offsets are converted.

Tree-sitter reports (row, UTF-8 byte column); the LSP speaks (line, UTF-16 code unit);
Python strings index code points. Every conversion between them lives here.
Lines end at ``\\n``, ``\\r\\n`` and a lone ``\\r``, as in the LSP; a ``\\r`` before ``\\n`` is part
of the line content for byte counting but never inside a reported range. Tree-sitter only breaks
rows at ``\\n``, so parsers are given ``parse_text(text)``, where each lone ``\\r`` is a ``\\n``: the
same offsets in code points, UTF-16 units and UTF-8 bytes, and rows that are the LSP's lines.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, count
from operator import add
from typing import NamedTuple

_LONE_CR = re.compile(r"\r(?!\n)")


def parse_text(text: str) -> str:
    """``text`` with each lone ``\\r`` (a line break for the LSP) turned into ``\\n``; offsets unchanged."""
    if "\r" not in text:
        return text
    return _LONE_CR.sub("\n", text)


class Position(NamedTuple):
    """A position as LSP counts it. A tuple: made, hashed and compared in C, in order."""

    line: int
    character: int  # UTF-16 code units


class Range(NamedTuple):
    start: Position
    end: Position

    @staticmethod
    def of(sl: int, sc: int, el: int, ec: int) -> "Range":
        return Range(Position(sl, sc), Position(el, ec))

    def to_json(self) -> dict:
        return {
            "start": {"line": self.start.line, "character": self.start.character},
            "end": {"line": self.end.line, "character": self.end.character},
        }


ZERO_RANGE = Range.of(0, 0, 0, 0)


def utf16_len(s: str) -> int:
    """Number of UTF-16 code units of ``s``."""
    n = len(s)
    for ch in s:
        if ord(ch) > 0xFFFF:
            n += 1
    return n


class LineIndex:
    """Maps between code-point offsets, UTF-8 byte points and LSP positions for one text."""

    def __init__(self, text: str, line_starts: list[int] | None = None):
        self.text = text
        self.ascii = text.isascii()  # then byte columns, code points and UTF-16 units agree
        if line_starts is None:
            # where each line starts: after each \n (a lone \r ends a line too), all of it done in C
            lengths = accumulate(map(len, parse_text(text).split("\n")[:-1]))
            line_starts = [0, *map(add, lengths, count(1))]
        self.line_starts = line_starts

    @classmethod
    def of(cls, text: str) -> "LineIndex":
        """The index of ``text``: the one made last for this very string when there is one (an
        open document's text is indexed when it is edited, and again by each analysis of it)."""
        found = _RECENT.get(id(text))
        if found is not None and found.text is text:
            return found
        return _remember(cls(text))

    def spliced(self, start: int, end: int, new_text: str) -> "LineIndex":
        """The index of this text with ``[start, end)`` (code points) replaced by ``new_text``:
        the lines before the change kept, those after it moved, only the changed ones found again."""
        text = self.text[:start] + new_text + self.text[end:]
        if "\r" in new_text or "\r" in self.text:  # a \r can join or leave a \r\n pair: index afresh
            return _remember(LineIndex(text))
        starts = self.line_starts
        before = bisect_right(starts, start)  # lines starting at or before the change stay
        after = bisect_right(starts, end)  # lines starting after the change move
        inserted = []
        i = new_text.find("\n")
        while i != -1:
            inserted.append(start + i + 1)
            i = new_text.find("\n", i + 1)
        delta = len(new_text) - (end - start)
        moved = starts[after:] if delta == 0 else list(map(delta.__add__, starts[after:]))
        return _remember(LineIndex(text, starts[:before] + inserted + moved))

    def line_text(self, line: int) -> str:
        if line < 0 or line >= len(self.line_starts):
            return ""
        start = self.line_starts[line]
        end = self.line_starts[line + 1] - 1 if line + 1 < len(self.line_starts) else len(self.text)
        return self.text[start:end]

    # -- code-point offsets ------------------------------------------------------------
    def position_of_offset(self, offset: int) -> Position:
        """LSP position of a code-point offset into the text."""
        offset = max(0, min(offset, len(self.text)))
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        start = self.line_starts[lo]
        return Position(lo, utf16_len(self.text[start:offset]))

    def offset_of_position(self, pos: Position) -> int:
        """Code-point offset of an LSP position (clamped to the line, never inside a pair)."""
        if pos.line >= len(self.line_starts):
            return len(self.text)
        if pos.line < 0:
            return 0
        line = self.line_text(pos.line)
        if line.endswith("\r") and pos.line + 1 < len(self.line_starts):
            line = line[:-1]  # clamp before a CRLF's \r, never between \r and \n
        start = self.line_starts[pos.line]
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return start + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return start + len(line)

    def range_of_offsets(self, start: int, end: int) -> Range:
        return Range(self.position_of_offset(start), self.position_of_offset(end))

    # -- tree-sitter byte points --------------------------------------------------------
    def position_of_point(self, point: tuple[int, int]) -> Position:
        """LSP position of a tree-sitter point (row, UTF-8 byte column)."""
        row, col = point
        if self.ascii:
            return Position(row, col)
        line = self.line_text(row)
        if line.isascii():
            return Position(row, col)
        prefix = line.encode("utf-8")[:col].decode("utf-8", errors="ignore")
        return Position(row, utf16_len(prefix))

    def range_of_node(self, node) -> Range:
        return Range(self.position_of_point(node.start_point), self.position_of_point(node.end_point))

    def byte_offset_of_position(self, pos: Position) -> int:
        """UTF-8 byte offset of an LSP position (for tree-sitter edits)."""
        off = self.offset_of_position(pos)
        return len(self.text[:off].encode("utf-8"))

    def point_of_position(self, pos: Position) -> tuple[int, int]:
        off = self.offset_of_position(pos)
        line = min(max(pos.line, 0), len(self.line_starts) - 1)
        start = self.line_starts[line]
        return (line, len(self.text[start:off].encode("utf-8")))

    def point_of_offset(self, offset: int) -> tuple[int, int]:
        """Tree-sitter point (row, UTF-8 byte column) of a code-point offset (of ``parse_text``)."""
        offset = max(0, min(offset, len(self.text)))
        row = bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[row]
        return (row, len(self.text[start:offset].encode("utf-8")))

    def end_position(self) -> Position:
        return self.position_of_offset(len(self.text))


_RECENT: dict[int, LineIndex] = {}  # id of a text -> its index, for the few texts indexed last


def _remember(index: LineIndex) -> LineIndex:
    if len(_RECENT) >= 8:
        del _RECENT[next(iter(_RECENT))]  # the oldest
    _RECENT[id(index.text)] = index
    return index


def apply_text_edits(text: str, edits: list[tuple[Range, str]]) -> str:
    """Apply non-overlapping LSP-style edits to ``text`` (used by ``check --fix`` and tests)."""
    index = LineIndex(text)
    spans = sorted(
        ((index.offset_of_position(r.start), index.offset_of_position(r.end), new) for r, new in edits),
        key=lambda s: (s[0], s[1]),
    )
    out, last = [], 0
    for start, end, new in spans:
        if start < last:
            raise ValueError("overlapping edits")
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def common_ends(old, new) -> tuple[int, int, int]:
    """``(p, end_old, end_new)``: ``old[:p] == new[:p]`` and ``old[end_old:] == new[end_new:]``,
    the longest such start, then the longest such end that does not overlap it. For ``str`` and
    ``bytes`` alike; found by halving, each comparison of slices done in C, and only of the part
    not known yet (the slices compared add up to about twice the text, not log(n) times it)."""
    limit = min(len(old), len(new))
    lo, hi = 0, limit  # old[:lo] == new[:lo]; they differ before hi + 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    n_old, n_new = len(old), len(new)
    lo, hi = 0, limit - prefix  # the last lo characters are equal
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[n_old - mid : n_old - lo] == new[n_new - mid : n_new - lo]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, n_old - lo, n_new - lo
