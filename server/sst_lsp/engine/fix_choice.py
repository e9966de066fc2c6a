"""Which fixes can be applied together: the one rule ``check --fix`` and ``source.fixAll`` share.

Fixes are taken in order. A fix is taken when none of its edits overlaps an edit already taken
in the same file, nor another edit of its own; a fix whose edits were all taken already (two
diagnostics with one fix) counts as applied too. Two edits overlap when their ranges intersect
or when they start at the same place (two insertions at one point would interleave in an
order nobody chose). What is left waits for the next run, recomputed on the new text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .model import Fix, TextEdit, Violation
from .positions import Range


def overlaps(a: Range, b: Range) -> bool:
    if a.start == b.start:
        return True
    return a.start < b.end and b.start < a.end


@dataclass
class Choice:
    taken: list[Violation] = field(default_factory=list)  # their fixes are in ``edits``
    edits: dict[Path, list[TextEdit]] = field(default_factory=dict)  # per file, in the order taken

    def count(self) -> int:
        return len(self.taken)


def choose(violations, allowed) -> Choice:
    """The fixes of ``violations`` (those ``allowed(fix)`` accepts) that can be applied at once."""
    choice = Choice()
    keys: dict[Path, set[tuple]] = {}
    for v in violations:
        fix: Fix | None = v.fix
        if fix is None or not fix.edits or not allowed(fix):
            continue
        own = [(e.path, e) for e in fix.edits]
        if all((e.range, e.new_text) in keys.get(p, ()) for p, e in own):
            choice.taken.append(v)  # the very same edits are in already: this one is fixed too
            continue
        clash = any(overlaps(e.range, other.range) for p, e in own for other in choice.edits.get(p, ()))
        clash = clash or any(p == q and overlaps(e.range, f.range) for i, (p, e) in enumerate(own) for q, f in own[i + 1 :])
        if clash:
            continue
        for p, e in own:
            choice.edits.setdefault(p, []).append(e)
            keys.setdefault(p, set()).add((e.range, e.new_text))
        choice.taken.append(v)
    return choice
