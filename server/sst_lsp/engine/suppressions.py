"""Suppression comments.

TypeScript: ``// sst-lsp-ignore SST105`` silences the next line; ``// sst-lsp-ignore-file SST105``
the whole file. TOML (and requirements.txt): ``# sst-lsp: ignore[SST209]`` silences its own line
and the line below; ``# sst-lsp: ignore-file[SST209]`` the whole file. Several codes may be
given (comma or space separated) and an optional reason after ``--``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .model import Fix, Safety, Severity, TextEdit, Violation
from .positions import LineIndex, Position, Range

UNUSED_CODE = "SST902"

_TS = re.compile(r"//\s*sst-lsp-ignore(?P<file>-file)?\s+(?P<codes>[A-Za-z0-9_,\s]+?)\s*(?:--.*)?$")
_HASH = re.compile(r"#\s*sst-lsp:\s*ignore(?P<file>-file)?\[(?P<codes>[^\]]*)\](?:\s*--.*)?")


@dataclass
class Suppression:
    path: Path
    line: int
    codes: list[str]
    file_level: bool
    comment: Range  # the comment text
    lead: Range  # the comment with the blank space before it on its line
    whole_line: bool  # the comment is alone on its line
    ts: bool
    used: set[str] = field(default_factory=set)

    def covers(self, v: Violation) -> bool:
        if v.code not in self.codes or v.path != self.path:
            return False
        if self.file_level:
            return True
        line = v.range.start.line
        return line == self.line + 1 if self.ts else line in (self.line, self.line + 1)


def scan(path: Path, text: str) -> list[Suppression]:
    ts = path.suffix in (".ts", ".tsx", ".mts", ".cts")
    pattern = _TS if ts else _HASH
    marker = "sst-lsp"
    if marker not in text:
        return []
    index = LineIndex.of(text)
    out: list[Suppression] = []
    for lineno in range(len(index.line_starts)):
        line = index.line_text(lineno).rstrip("\r")
        if marker not in line:
            continue
        m = pattern.search(line)
        if not m:
            continue
        codes = [c.upper() for c in re.split(r"[,\s]+", m.group("codes").strip()) if c]
        start = m.start()
        before = line[:start]
        if ts and before.strip():
            continue  # `//` inside code on the same line is not a next-line suppression
        base = index.line_starts[lineno]
        rng = Range(index.position_of_offset(base + start), index.position_of_offset(base + len(line)))
        lead = Range(index.position_of_offset(base + len(before.rstrip(" \t"))), rng.end)
        out.append(Suppression(path, lineno, codes, bool(m.group("file")), rng, lead, not before.strip(), ts))
    return out


def apply(violations: list[Violation], suppressions: list[Suppression], ran: set[str]) -> list[Violation]:
    """Drop suppressed violations; add a hint for each suppression code that silenced nothing."""
    kept = []
    for v in violations:
        hit = next((s for s in suppressions if s.covers(v)), None)
        if hit is None:
            kept.append(v)
        else:
            hit.used.add(v.code)
    for s in suppressions:
        unused = [c for c in s.codes if c not in s.used and c in ran]
        if not unused:
            continue
        kept.append(
            Violation(
                UNUSED_CODE,
                s.path,
                s.comment,
                f"Unused suppression: {', '.join(unused)} reported nothing here" + (" in this file." if s.file_level else " (this line or the next)."),
                severity=Severity.HINT,
                fix=_removal(s, unused),
            )
        )
    return kept


def _removal(s: Suppression, unused: list[str]) -> Fix:
    rest = [c for c in s.codes if c not in unused]
    if rest:
        # keep the comment with the codes that still silence something
        new = (f"// sst-lsp-ignore{'-file' if s.file_level else ''} " + ", ".join(rest)) if s.ts else f"# sst-lsp: ignore{'-file' if s.file_level else ''}[{', '.join(rest)}]"
        return Fix(f"Remove {', '.join(unused)} from the suppression", Safety.SAFE, (TextEdit(s.path, s.comment, new),))
    if s.whole_line:
        rng = Range(Position(s.line, 0), Position(s.line + 1, 0))
    else:
        rng = s.lead
    return Fix("Remove the unused suppression", Safety.SAFE, (TextEdit(s.path, rng, ""),))


def suppression_fix(v: Violation, text: str) -> Fix | None:
    """A fix that inserts a comment silencing ``v`` on its line."""
    index = LineIndex.of(text)
    line = v.range.start.line
    content = index.line_text(line).rstrip("\r")
    indent = content[: len(content) - len(content.lstrip(" \t"))]
    eol = "\r\n" if index.line_text(line).endswith("\r") else "\n"
    if v.path.suffix in (".ts", ".tsx", ".mts", ".cts"):
        pos = Position(line, 0)
        return Fix(f"Suppress {v.code} on this line", Safety.UNSAFE, (TextEdit(v.path, Range(pos, pos), f"{indent}// sst-lsp-ignore {v.code}{eol}"),))
    if v.path.name.endswith((".toml", ".txt", ".lock")) or v.path.name in ("pyproject.toml",):
        if "#" not in content:
            end = index.position_of_offset(index.line_starts[line] + len(content)) if line < len(index.line_starts) else index.end_position()
            return Fix(f"Suppress {v.code} on this line", Safety.UNSAFE, (TextEdit(v.path, Range(end, end), f"  # sst-lsp: ignore[{v.code}]"),))
        pos = Position(line, 0)
        return Fix(f"Suppress {v.code} on this line", Safety.UNSAFE, (TextEdit(v.path, Range(pos, pos), f"{indent}# sst-lsp: ignore[{v.code}]{eol}"),))
    return None
