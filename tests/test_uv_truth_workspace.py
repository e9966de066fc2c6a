"""Prove, with the real uv binary, what rules SST201, SST204, SST205, SST206, SST207 and SST212 say.

Each test copies a fixture app, checks that our rule reports it, runs the uv commands SST runs
(era B: ``uv sync --all-packages``, ``uv lock``, ``uv build --all --sdist``; a wheel build where
the rule is about wheels) and asserts uv's failure and its words; then applies our fix (or uses
the hand-fixed clean fixture) and asserts that uv succeeds. Python downloads are off: uv uses
the machine's interpreter (the fixtures pin ``==3.11.*``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from helpers import apply_edits
from sst_lsp.analysis import analyse_path
from sst_lsp.engine.model import Severity
from uvtools import copy_fixture, describe, run_uv

pytestmark = pytest.mark.uv


def violations(root: Path, code: str):
    """Our diagnostics of one rule on the app at ``root`` (only that rule runs)."""
    return [v for r in analyse_path(root, select={code}) for v in r.violations if v.code == code]


def apply_fix(root: Path, v) -> None:
    assert v.fix is not None, v.message
    apply_edits(v.fix.edits, root, root)


def ok(proc):
    assert proc.returncode == 0, describe(proc)
    return proc


def fails(proc, *texts: str):
    assert proc.returncode != 0, describe(proc)
    for t in texts:
        assert t in proc.stderr, f"expected {t!r} in uv's stderr\n{describe(proc)}"
    return proc


def wheel_names(dist: Path) -> list[str]:
    (whl,) = dist.glob("*.whl")
    return zipfile.ZipFile(whl).namelist()


# -- SST201 missing-root-pyproject ------------------------------------------------------------


def test_sst201_no_root_pyproject_fails_and_created_workspace_builds(tmp_path: Path) -> None:
    root = copy_fixture("SST201/no-root-pyproject", tmp_path)
    (v,) = violations(root, "SST201")
    fails(run_uv(root, "sync", "--all-packages"), "No `pyproject.toml` found in current directory or any parent directory")
    fails(run_uv(root, "lock"), "No `pyproject.toml` found in current directory or any parent directory")
    fails(
        run_uv(root, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "dist")),
        "`--all-packages` was provided, but no workspace was found",
        "No `pyproject.toml` found in current directory or any parent directory",
    )

    (edit,) = v.fix.edits
    assert edit.creates and edit.path == root / "pyproject.toml"
    apply_fix(root, v)
    assert violations(root, "SST201") == []
    ok(run_uv(root, "sync", "--all-packages"))
    ok(run_uv(root, "export", "--package=functions", "--no-emit-workspace", "--no-dev", f"--output-file={tmp_path / 'requirements.txt'}"))
    ok(run_uv(root, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "dist")))
    assert sorted(p.name for p in (tmp_path / "dist").glob("*.tar.gz")) == ["core-0.1.0.tar.gz", "functions-0.1.0.tar.gz"]


# -- SST204 workspace-member-missing ----------------------------------------------------------


def test_sst204_member_without_pyproject_fails_and_removing_it_works(tmp_path: Path) -> None:
    root = copy_fixture("SST204/missing-pyproject", tmp_path)
    (v,) = violations(root, "SST204")
    assert v.severity is Severity.ERROR
    expected = f"Workspace member `{root / 'scripts'}` is missing a `pyproject.toml` (matches: `scripts`)"
    assert expected in v.message
    fails(run_uv(root, "sync", "--all-packages"), expected)
    fails(run_uv(root, "lock"), expected)
    fails(run_uv(root, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "dist")), expected)

    apply_fix(root, v)
    assert violations(root, "SST204") == []
    ok(run_uv(root, "sync", "--all-packages"))
    ok(run_uv(root, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "dist")))


def test_sst204_glob_with_stray_folder_fails_until_excluded(tmp_path: Path) -> None:
    root = copy_fixture("SST204/glob-with-stray-folder", tmp_path)
    (v,) = violations(root, "SST204")
    assert v.severity is Severity.ERROR and v.fix is None  # the glob also brings in packages/api
    fails(run_uv(root, "lock"), f"Workspace member `{root / 'packages' / 'notes'}` is missing a `pyproject.toml` (matches: `packages/*`)")

    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'exclude = ["packages/notes"]\n')  # the hand fix
    assert violations(root, "SST204") == []
    ok(run_uv(root, "sync", "--all-packages"))


def test_sst204_entry_matching_nothing_is_ignored_by_uv(tmp_path: Path) -> None:
    """uv says nothing about members = ["packages/*"] without a packages/ folder: only a warning."""
    root = copy_fixture("SST204/matches-nothing", tmp_path)
    (v,) = violations(root, "SST204")
    assert v.severity is Severity.WARNING
    ok(run_uv(root, "lock"))
    assert "packages" not in (root / "uv.lock").read_text()
    ok(run_uv(root, "sync", "--all-packages"))
    apply_fix(root, v)
    assert violations(root, "SST204") == []
    ok(run_uv(root, "sync", "--all-packages"))


@pytest.mark.parametrize(
    "layout,uv_fails",
    [
        ({}, False),  # an empty folder: skipped
        ({".hidden/notes.txt": "x"}, False),  # only a hidden folder with files: skipped
        ({"docs/notes.txt": "x"}, True),  # a folder with files: fails
        ({"old/__pycache__/api.cpython-311.pyc": ""}, True),  # only __pycache__, no git: fails
        ({"lonely.txt": "x"}, False),  # a file, not a folder: skipped
    ],
)
def test_sst204_agrees_with_uv_on_what_a_glob_may_match(tmp_path: Path, layout: dict, uv_fails: bool) -> None:
    root = copy_fixture("SST204/clean", tmp_path)
    (root / "packages").mkdir()
    (root / "packages" / "empty").mkdir()
    for rel, text in layout.items():
        p = root / "packages" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('members = ["functions"]', 'members = ["functions", "packages/*"]'))
    proc = run_uv(root, "lock")
    ours = violations(root, "SST204")
    if uv_fails:
        fails(proc, "is missing a `pyproject.toml` (matches: `packages/*`)")
        assert [v.severity for v in ours] == [Severity.ERROR]
    else:
        ok(proc)
        assert [v.severity for v in ours] == [Severity.WARNING]  # matches nothing uv keeps


# -- SST205 duplicate-member-name -------------------------------------------------------------


def test_sst205_duplicate_names_fail_and_renamed_workspace_works(tmp_path: Path) -> None:
    root = copy_fixture("SST205/duplicate-name", tmp_path)
    (v,) = violations(root, "SST205")
    expected = f"Two workspace members are both named `functions`: `{root / 'functions'}` and `{root / 'billing'}`"
    assert expected in v.message
    fails(run_uv(root, "sync", "--all-packages"), expected)
    fails(run_uv(root, "lock"), expected)

    fixed = copy_fixture("SST205/clean", tmp_path / "fixed")
    assert violations(fixed, "SST205") == []
    ok(run_uv(fixed, "sync", "--all-packages"))
    ok(run_uv(fixed, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "dist")))


def test_sst205_names_differing_only_in_separators_and_case_collide(tmp_path: Path) -> None:
    root = copy_fixture("SST205/clean", tmp_path)
    billing = root / "billing" / "pyproject.toml"
    functions = root / "functions" / "pyproject.toml"
    functions.write_text(functions.read_text().replace('name = "functions"', 'name = "my.pkg"'))
    billing.write_text(billing.read_text().replace('name = "billing"', 'name = "My_Pkg"'))
    (v,) = violations(root, "SST205")
    fails(run_uv(root, "lock"), "Two workspace members are both named `my-pkg`")
    assert "`my-pkg`" in v.message


# -- SST206 hatch-packages-invalid ------------------------------------------------------------


def test_sst206_nested_entry_breaks_the_wheel_and_fix_repairs_it(tmp_path: Path) -> None:
    root = copy_fixture("SST206/nested-and-missing", tmp_path)
    found = violations(root, "SST206")
    assert len(found) == 2
    # surprise: the editable install and the sdist do not notice
    ok(run_uv(root, "sync", "--all-packages"))
    ok(run_uv(root, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "sdist")))
    fails(run_uv(root, "build", "--package", "functions", "--wheel", "--out-dir", str(tmp_path / "bad")), "Failed to build")
    proc = run_uv(root, "build", "--package", "functions", "--wheel", "--out-dir", str(tmp_path / "bad"))
    assert "A second file is being added to the wheel archive at the same path" in proc.stdout + proc.stderr, describe(proc)

    apply_fix(root, found[0])  # one fix drops every bad entry
    assert violations(root, "SST206") == []
    ok(run_uv(root, "build", "--package", "functions", "--wheel", "--out-dir", str(tmp_path / "good")))
    names = wheel_names(tmp_path / "good")
    assert "functions/api.py" in names and "functions/handlers/orders.py" in names


def test_sst206_missing_entries_give_an_empty_wheel_silently(tmp_path: Path) -> None:
    root = copy_fixture("SST206/clean", tmp_path)
    pyproject = root / "functions" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('packages = ["src/functions"]', 'packages = ["src/shared"]'))
    (v,) = violations(root, "SST206")
    assert v.fix is None  # dropping the only entry would change what the wheel ships
    ok(run_uv(root, "sync", "--all-packages"))
    ok(run_uv(root, "build", "--package", "functions", "--wheel", "--out-dir", str(tmp_path / "dist")))
    assert not [n for n in wheel_names(tmp_path / "dist") if n.endswith(".py")]


# -- SST207 workspace-source-not-member -------------------------------------------------------


def test_sst207_workspace_source_without_member_fails(tmp_path: Path) -> None:
    root = copy_fixture("SST207/not-a-member", tmp_path)
    (v,) = violations(root, "SST207")
    expected = "`core` references a workspace in `tool.uv.sources` (e.g., `core = { workspace = true }`), but is not a workspace member"
    assert expected in v.message
    fails(run_uv(root, "sync", "--all-packages"), expected)
    fails(run_uv(root, "lock"), expected)

    fixed = copy_fixture("SST207/clean", tmp_path / "fixed")
    assert violations(fixed, "SST207") == []
    ok(run_uv(fixed, "sync", "--all-packages"))
    ok(run_uv(fixed, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "dist")))


def test_sst207_unused_workspace_source_is_ignored_by_uv(tmp_path: Path) -> None:
    root = copy_fixture("SST207/not-a-member", tmp_path)
    pyproject = root / "functions" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = ["core"]', "dependencies = []"))
    (root / "functions" / "src" / "functions" / "api.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "uv.lock").unlink()
    ok(run_uv(root, "lock"))
    assert violations(root, "SST207") == []


# -- SST212 build-backend-finds-no-package ----------------------------------------------------

HATCH_ERROR = "Unable to determine which files to ship inside the wheel"


@pytest.mark.parametrize("case", ["SST212/namespace-package", "SST212/other-folder"])
def test_sst212_hatchling_finds_nothing_and_fix_repairs_it(tmp_path: Path, case: str) -> None:
    root = copy_fixture(case, tmp_path)
    (v,) = violations(root, "SST212")
    proc = fails(run_uv(root, "sync", "--all-packages"), "Failed to build")
    assert HATCH_ERROR in proc.stderr, describe(proc)
    # surprise: the sdist SST builds in era B does not notice
    ok(run_uv(root, "build", "--all", "--sdist", "--out-dir", str(tmp_path / "sdist")))

    apply_fix(root, v)
    assert violations(root, "SST212") == []
    ok(run_uv(root, "sync", "--all-packages"))
    ok(run_uv(root, "build", "--package", "functions", "--wheel", "--out-dir", str(tmp_path / "wheel")))
    assert any(n.endswith("/api.py") for n in wheel_names(tmp_path / "wheel"))


def test_sst212_clean_project_builds(tmp_path: Path) -> None:
    root = copy_fixture("SST212/clean", tmp_path)
    assert violations(root, "SST212") == []
    ok(run_uv(root, "sync", "--all-packages"))
