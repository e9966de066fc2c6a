"""Small helpers shared by rules (messages and ranges), so each rule stays one short module."""

from __future__ import annotations

from ..engine.era import Era
from ..engine.positions import Position, Range
from ..engine.ts_syntax import StringLit


def sub_range(lit: StringLit | None, whole: Range, start: int, end: int) -> Range:
    """Range of characters ``start:end`` of a one-line string literal's value."""
    if lit is None or lit.range.start.line != lit.range.end.line or len(lit.value) != lit.range.end.character - lit.range.start.character:
        return whole
    line = lit.range.start.line
    base = lit.range.start.character
    return Range(Position(line, base + start), Position(line, base + end))


def function_range(lit: StringLit | None, whole: Range) -> Range:
    if lit is None:
        return whole
    dot = lit.value.rfind(".")
    return sub_range(lit, whole, dot + 1, len(lit.value))


def handler_not_found_text(era: Era | None, file_part: str, root_name: str) -> str:
    """SST's own build error for a missing handler file, in the words of the detected era."""
    name = file_part.rsplit("/", 1)[-1] + ".py"
    folder = file_part.rsplit("/", 1)[0] if "/" in file_part else "."
    if era == Era.A:
        return f'Could not find file for handler "{file_part}"'
    if era == Era.C:
        return f"Handler not found: {file_part}"
    if era == Era.B:
        return f"handler not found: could not find Python file '{name}' in directory '{folder}'"
    return f"handler not found: could not find Python file '{name}' in directory '{folder}' (SST 3.9.3–4.12; other versions word it differently)"


def quote(lit: StringLit | None) -> str:
    return lit.quote if lit is not None and lit.quote in ("'", '"') else '"'
