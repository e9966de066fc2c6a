"""``sst-lsp check --fix / --unsafe-fixes / --diff``: what is written, what is not, and how."""

from __future__ import annotations

import codecs
import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import BROKEN_APP, FIXTURES, copy_app, snapshot
from sst_lsp import cli, fixer
from sst_lsp.analysis import analyse_path
from sst_lsp.engine.model import Fix, Safety, Severity, TextEdit, Violation
from sst_lsp.engine.positions import LineIndex

NOT_MEMBER = FIXTURES / "SST202" / "not-member"
NO_BUILD = FIXTURES / "SST203" / "no-build-system"
CASES = [(NOT_MEMBER, "SST202", "pyproject.toml"), (NO_BUILD, "SST203", "functions/pyproject.toml")]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def codes(capsys, app: Path) -> list[str]:
    code, out, _ = run(capsys, str(app), "--format", "json")
    return [d["code"] for d in json.loads(out)["diagnostics"]]


def expected_after(app: Path, code: str) -> tuple[Path, bytes]:
    """The file the fix edits and its bytes with exactly that edit spliced in (computed independently)."""
    (v,) = [v for r in analyse_path(app) for v in r.violations if v.code == code]
    (edit,) = v.fix.edits
    text = Path(edit.path).read_text(encoding="utf-8")
    index = LineIndex(text)
    start, end = index.offset_of_position(edit.range.start), index.offset_of_position(edit.range.end)
    return Path(edit.path), (text[:start] + edit.new_text + text[end:]).encode("utf-8")


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("src,code,rel", CASES, ids=["SST202", "SST203"])
def test_diff_prints_a_diff_and_writes_nothing(tmp_path, capsys, src, code, rel):
    app = copy_app(src, tmp_path)
    before = snapshot(app)
    status, out, err = run(capsys, str(app), "--diff")
    assert status == 1
    assert out.startswith(f"--- a/{rel}\n+++ b/{rel}\n@@ ")
    assert any(line.startswith("+") and not line.startswith("+++") for line in out.splitlines())
    assert "Would fix 1 problem." in err
    assert snapshot(app) == before
    assert not list(app.rglob("*.sst-lsp.tmp"))
    assert run(capsys, str(app), "--diff", "--exit-zero")[0] == 0


@pytest.mark.parametrize("src,code,rel", CASES, ids=["SST202", "SST203"])
def test_fix_applies_exactly_the_edit_and_keeps_the_mode(tmp_path, capsys, src, code, rel):
    app = copy_app(src, tmp_path)
    target = app / rel
    os.chmod(target, 0o640)
    path, expected = expected_after(app, code)
    assert path == target
    before = snapshot(app)
    status, out, err = run(capsys, str(app), "--fix")
    assert status == 0, out + err
    assert "Fixed 1 problem." in out
    assert out.splitlines()[-1].startswith("All checks passed")
    assert target.read_bytes() == expected  # byte-identical outside the edit
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    after = snapshot(app)
    assert {k for k in after if after[k] != before.get(k)} == {rel}  # nothing else touched
    assert set(after) == set(before)  # no temporary file left behind
    assert code not in codes(capsys, app)
    # the fixed tree matches the fixture's "-fixed" twin
    fixed_twin = src.parent / (src.name + "-fixed")
    if fixed_twin.is_dir():
        assert target.read_bytes() == (fixed_twin / rel).read_bytes()
    # a second run changes nothing
    status, out, err = run(capsys, str(app), "--fix")
    assert status == 0
    assert "Nothing to fix." in out
    assert snapshot(app) == after
    status, out, _ = run(capsys, str(app), "--diff")
    assert (status, out) == (0, "")


def test_fix_with_machine_readable_output_reports_on_stderr(tmp_path, capsys):
    app = copy_app(NOT_MEMBER, tmp_path)
    status, out, err = run(capsys, str(app), "--fix", "--format", "json")
    assert status == 0
    assert json.loads(out) == {"diagnostics": []}
    assert "Fixed 1 problem." in err


def test_fix_several_paths_and_quiet(tmp_path, capsys):
    a, b = copy_app(NOT_MEMBER, tmp_path), copy_app(NO_BUILD, tmp_path)
    status, out, err = run(capsys, "-q", "--diff", a.name, b.name)
    assert status == 1
    assert "--- a/not-member/pyproject.toml" in out and "--- a/no-build-system/functions/pyproject.toml" in out
    assert err == ""
    status, out, err = run(capsys, "-q", "--fix", a.name, b.name)
    assert (status, out) == (0, "")
    assert codes(capsys, a) == [] and codes(capsys, b) == []


def test_fix_keeps_a_byte_order_mark(tmp_path, capsys):
    app = copy_app(NOT_MEMBER, tmp_path)
    target = app / "pyproject.toml"
    _, expected = expected_after(app, "SST202")
    target.write_bytes(codecs.BOM_UTF8 + target.read_bytes())
    assert run(capsys, str(app), "--fix")[0] == 0
    assert target.read_bytes() == codecs.BOM_UTF8 + expected


def test_file_changed_between_read_and_write_is_not_overwritten(tmp_path, capsys, monkeypatch):
    app = copy_app(NOT_MEMBER, tmp_path)
    target = app / "pyproject.toml"
    edited = target.read_bytes() + b"# edited by someone else meanwhile\n"
    real = fixer._read_for_write

    def editor_saves_first(path):
        Path(path).write_bytes(edited)
        return real(path)

    monkeypatch.setattr(fixer, "_read_for_write", editor_saves_first)
    status, out, err = run(capsys, str(app), "--fix")
    assert target.read_bytes() == edited
    assert "pyproject.toml changed on disk since it was checked; not fixed" in err
    assert "No fixes applied." in out
    assert status == 1  # the error is still there
    assert not list(app.rglob("*.sst-lsp.tmp"))


def test_broken_app_fix_then_nothing_left_to_fix(tmp_path, capsys):
    app = copy_app(BROKEN_APP, tmp_path)
    status, diff, _ = run(capsys, str(app), "--diff")
    assert status == 1 and diff.startswith("--- a/")
    status, out, err = run(capsys, str(app), "--format", "json")
    initial = json.loads(out)["diagnostics"]
    safe = [d for d in initial if d["fix"] and d["fix"]["safety"] == "safe"]
    assert safe
    run(capsys, str(app), "--fix")
    remaining = json.loads(run(capsys, str(app), "--format", "json")[1])["diagnostics"]
    assert not [d for d in remaining if d["fix"] and d["fix"]["safety"] == "safe"]
    after = snapshot(app)
    status, out, _ = run(capsys, str(app), "--fix")
    assert "Nothing to fix" in out
    assert snapshot(app) == after
    # unsafe fixes only with --unsafe-fixes
    unsafe = [d for d in remaining if d["fix"] and d["fix"]["safety"] == "unsafe"]
    if unsafe:
        assert "more fixable with --unsafe-fixes" in out
        status, out, _ = run(capsys, str(app), "--fix", "--unsafe-fixes")
        assert "Fixed" in out
        left = json.loads(run(capsys, str(app), "--format", "json")[1])["diagnostics"]
        assert len(left) < len(remaining)


# -- the fix loop, with the analysis replaced ----------------------------------------------


def _fake_analysis(path: Path, make):
    """An ``analyse`` stand-in: ``make(text)`` gives (range-offsets, new text) fixes for the current text."""
    calls = []

    def analyse(targets, *, overlays=None, session=None, **_):
        text = (overlays or {}).get(path)
        if text is None:
            data = path.read_bytes()
            text = data.decode("utf-8")
            session.record(path, data)
        calls.append(text)
        index = LineIndex(text)
        violations = []
        for (start, end), new in make(text):
            rng = index.range_of_offsets(start, end)
            fix = Fix("fix", Safety.SAFE, (TextEdit(path, rng, new),))
            violations.append(Violation("SST999", path, rng, "m", Severity.ERROR, fix))
        fs = SimpleNamespace(read_text=lambda p: text)
        return [SimpleNamespace(violations=violations, failures=[], project=SimpleNamespace(fs=fs))]

    return analyse, calls


def test_overlapping_fixes_wait_for_the_next_pass(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    path.write_text("hello world\n")

    def make(text):
        out = []
        if text.startswith("hello"):
            out.append(((0, 5), "HELLO"))
        if not text.startswith("!"):
            out.append(((0, 0), "!"))  # same start as the first: overlaps, so next pass
        if "world" in text:
            out.append(((text.index("world"), text.index("world") + 5), "WORLD"))
        return out

    analyse, calls = _fake_analysis(path, make)
    monkeypatch.setattr(fixer, "analyse", analyse)
    plan = fixer.plan_fixes([tmp_path])
    assert plan.after[path] == "!HELLO WORLD\n"
    assert plan.before[path] == "hello world\n"
    assert calls == ["hello world\n", "HELLO WORLD\n", "!HELLO WORLD\n"]
    assert plan.fixed_count() == 3
    assert path.read_text() == "hello world\n"  # planning writes nothing
    assert fixer.write_fixes(plan) == {path}
    assert path.read_text() == "!HELLO WORLD\n"


def test_fix_loop_stops_after_max_passes(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    path.write_text("x")
    analyse, calls = _fake_analysis(path, lambda text: [((0, 0), "x")])  # never converges
    monkeypatch.setattr(fixer, "analyse", analyse)
    plan = fixer.plan_fixes([tmp_path])
    assert plan.passes == fixer.MAX_PASSES == len(calls)
    assert plan.after[path] == "x" * (1 + fixer.MAX_PASSES)


def test_unsafe_fixes_need_the_option(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    path.write_text("abc")

    def analyse(targets, *, overlays=None, session=None, **_):
        text = (overlays or {}).get(path)
        if text is None:
            data = path.read_bytes()
            text = data.decode()
            session.record(path, data)
        rng = LineIndex(text).range_of_offsets(0, 1)
        vs = [] if text.startswith("Z") else [Violation("SST999", path, rng, "m", Severity.ERROR, Fix("f", Safety.UNSAFE, (TextEdit(path, rng, "Z"),)))]
        return [SimpleNamespace(violations=vs, failures=[], project=SimpleNamespace(fs=SimpleNamespace(read_text=lambda p: text)))]

    monkeypatch.setattr(fixer, "analyse", analyse)
    assert fixer.plan_fixes([tmp_path]).changed == []
    assert fixer.plan_fixes([tmp_path], unsafe=True).after[path] == "Zbc"


def test_write_atomic_follows_a_link_and_keeps_mode(tmp_path):
    real = tmp_path / "real.toml"
    real.write_text("a")
    os.chmod(real, 0o600)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    fixer.write_atomic(link, b"b")
    assert link.is_symlink() and real.read_text() == "b"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.toml", "real.toml"]


def test_unified_diff_marks_a_missing_final_newline():
    diff = fixer.unified_diff("a\nb", "a\nc", "x/y.toml")
    assert diff.splitlines()[:2] == ["--- a/x/y.toml", "+++ b/x/y.toml"]
    assert "-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n" in diff
