"""A ``requirements.txt`` beside a function project, read for SST209 (SST itself never reads it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .positions import LineIndex, Position, Range, utf16_len
from .uv_workspace import parse_requirement


@dataclass(frozen=True)
class TxtRequirement:
    line: int  # 0-based
    range: Range
    text: str
    req: Requirement

    @property
    def name(self) -> str:
        return canonicalize_name(self.req.name)


def read_requirements_txt(text: str) -> list[TxtRequirement]:
    """The plain requirements of a requirements file: options, ``-r``/``-e``, comments skipped."""
    index = LineIndex.of(text)
    out: list[TxtRequirement] = []
    logical = ""
    start_line = 0
    for lineno in range(len(index.line_starts)):
        raw = index.line_text(lineno).rstrip("\r")
        if not logical:
            start_line = lineno
        if raw.endswith("\\"):
            logical += raw[:-1] + " "
            continue
        logical += raw
        line, logical = logical, ""
        body = re.split(r"(^|\s)#", line, maxsplit=1)[0].strip()
        if not body or body.startswith("-"):
            continue
        req = parse_requirement(body)
        if req is None:
            continue
        first = index.line_text(start_line).rstrip("\r")
        lead = len(first) - len(first.lstrip())
        end_text = first.rstrip()
        rng = Range(Position(start_line, utf16_len(first[:lead])), Position(start_line, utf16_len(end_text)))
        out.append(TxtRequirement(start_line, rng, body, req))
    return out
