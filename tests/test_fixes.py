"""Every fix of every fixture (and of examples/broken-app), applied to a copy of the app.

After the edit: the file still parses, the diagnostic is gone from that place, and nothing outside
the edited ranges changed.
"""

from __future__ import annotations

import os

import pytest

from helpers import (
    BROKEN_APP,
    FIXTURES,
    apply_edits,
    copy_app,
    parse_error,
    place,
    run_check,
    snapshot,
    splice,
)
from sst_lsp.engine.model import Safety


def _apps():
    apps = [BROKEN_APP]
    apps += sorted(p.parent for p in FIXTURES.glob("*/*/sst.config.ts"))
    return apps


def _fix_cases():
    cases = []
    for app in _apps():
        for i, v in enumerate(run_check(app)):
            if v.fix is None:
                continue
            label = app.relative_to(FIXTURES).as_posix() if FIXTURES in app.parents else app.name
            cases.append(pytest.param(app, i, id=f"{label}:{v.code}:{v.range.start.line + 1}"))
    return cases


FIX_CASES = _fix_cases()


def test_there_are_fixes_to_test():
    codes = {c.id.split(":")[1] for c in FIX_CASES}
    assert {"SST101", "SST102", "SST103", "SST104", "SST105", "SST106", "SST202", "SST203", "SST401", "SST402"} <= codes


@pytest.mark.parametrize("app,index", FIX_CASES)
def test_fix(app, index, tmp_path):
    original = run_check(app)[index]
    assert original.fix is not None and original.fix.edits
    copy = copy_app(app, tmp_path)
    before_all = snapshot(copy)
    changed = apply_edits(original.fix.edits, app, copy)
    after_all = snapshot(copy)

    # files the fix does not touch are byte-identical
    touched = {p.relative_to(copy).as_posix() for p in changed}
    for rel, data in before_all.items():
        if rel not in touched:
            assert after_all.get(rel) == data, f"{rel} changed although the fix does not edit it"

    for path, (before, after, spans) in changed.items():
        # every character outside the edited ranges is unchanged
        assert after == splice(before, spans)
        # and the ranges are the change itself: an edit does not replace lines with themselves
        # (a fix that re-rendered the file as one edit would pass the check above); a rewrite
        # may keep the closing line of what it rewrites
        for start, end, new in spans:
            old = before[start:end]
            same_start = os.path.commonprefix([old, new])
            same_end = os.path.commonprefix([old[::-1], new[::-1]])
            assert same_start.count("\n") + same_end.count("\n") <= 1, f"{original.fix.title!r} rewrites unchanged lines: {old!r} -> {new!r}"
        assert after != before, "the fix changes nothing"
        # the edited file still parses
        assert parse_error(path, after) is None, f"{path.name} no longer parses after {original.fix.title!r}"

    # the diagnostic is gone from that place
    where = place(original, app)
    again = run_check(copy)
    assert where not in {place(v, copy) for v in again}, f"{original.code} still reported after {original.fix.title!r}"


def test_all_safe_fixes_of_broken_app(tmp_path):
    copy = copy_app(BROKEN_APP, tmp_path)
    for _ in range(5):  # re-check between rounds: a fix may only become possible after another
        safe = [v for v in run_check(copy) if v.fix is not None and v.fix.safety is Safety.SAFE]
        if not safe:
            break
        edits = [e for v in safe for e in v.fix.edits]
        changed = apply_edits(edits, copy, copy)
        for path, (_, after, _) in changed.items():
            assert parse_error(path, after) is None, path
    remaining = run_check(copy)
    assert remaining, "the unsafe and unfixable mistakes must remain"
    for v in remaining:
        assert v.fix is None or v.fix.safety is Safety.UNSAFE, (v.code, v.message)
    codes = {v.code for v in remaining}
    # fixed safely: dotted handler, missing runtime, workspace member, build-system, vpc key
    assert not codes & {"SST104", "SST105", "SST202", "SST203", "SST401"}
    assert {"SST001", "SST101", "SST102", "SST103", "SST106"} <= codes
