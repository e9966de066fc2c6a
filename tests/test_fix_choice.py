"""The one rule for fixes applied together (check --fix and the editor's fix-all share it)."""

from __future__ import annotations

from pathlib import Path

from sst_lsp.engine.fix_choice import choose, overlaps
from sst_lsp.engine.model import Fix, Safety, TextEdit, Violation
from sst_lsp.engine.positions import Position, Range

A = Path("/app/a.toml")
B = Path("/app/b.toml")


def r(l1, c1, l2, c2) -> Range:
    return Range(Position(l1, c1), Position(l2, c2))


def v(code, *edits, safety=Safety.SAFE) -> Violation:
    return Violation(code, A, r(0, 0, 0, 0), code, fix=Fix(code, safety, tuple(TextEdit(p, rng, t) for p, rng, t in edits)))


def test_overlap_rule():
    assert overlaps(r(1, 0, 1, 5), r(1, 4, 1, 8))
    assert not overlaps(r(1, 0, 1, 4), r(1, 4, 1, 8))  # touching is fine
    assert overlaps(r(2, 0, 2, 0), r(2, 0, 2, 0))  # two insertions at one point
    assert overlaps(r(2, 0, 2, 0), r(2, 0, 2, 3))  # an insertion where a replacement starts


def test_choose_takes_compatible_fixes_in_order():
    first = v("X1", (A, r(1, 0, 1, 5), "a"))
    clash = v("X2", (A, r(1, 3, 1, 9), "b"))
    other_file = v("X3", (B, r(1, 3, 1, 9), "c"))
    same_again = v("X4", (A, r(1, 0, 1, 5), "a"))  # the same edit: fixed by the first
    self_overlap = v("X5", (A, r(5, 0, 5, 4), "d"), (A, r(5, 2, 5, 6), "e"))
    unsafe = v("X6", (A, r(9, 0, 9, 1), "f"), safety=Safety.UNSAFE)
    choice = choose([first, clash, other_file, same_again, self_overlap, unsafe], lambda fix: fix.safety is Safety.SAFE)
    assert [x.code for x in choice.taken] == ["X1", "X3", "X4"]
    assert {p: [e.new_text for e in es] for p, es in choice.edits.items()} == {A: ["a"], B: ["c"]}
