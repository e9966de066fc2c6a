"""Prove, with the real uv binary, what SST208, SST209 and SST210 predict.

Everything runs offline except where a test says otherwise: the fixtures' dependencies are
workspace members, and SST's git repository is stood in for by a local git repository whose
``sdk/python`` builds ``sst-sdk``, as SST's ``dev`` branch does since v4.14.1.
"""

from __future__ import annotations

import re

import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import run_check, summary
from uvtools import copy_fixture, describe, run_uv

NEEDS_UPDATE = "The lockfile at `uv.lock` needs to be updated, but `--check` was provided"


def _codes(root: Path, code: str):
    return [s for s in summary(run_check(root), root) if s[0] == code]


# -- SST208 ------------------------------------------------------------------------------------


def _stand_in_sst_repo(tmp_path: Path) -> str:
    """A git repository laid out like SST's: ``sdk/python`` is the package ``sst-sdk``."""
    git = shutil.which("git")
    if git is None:
        pytest.fail("git not found: needed to stand in for SST's repository", pytrace=False)
    repo = tmp_path / "sst-repo"
    pkg = repo / "sdk" / "python"
    (pkg / "src" / "sst").mkdir(parents=True)
    (pkg / "src" / "sst" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "pyproject.toml").write_text(
        '[project]\nname = "sst-sdk"\nversion = "4.17.2"\nrequires-python = ">=3.9"\n\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["src/sst"]\n',
        encoding="utf-8",
    )
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q", "-b", "dev"], ["add", "-A"], ["commit", "-q", "-m", "sdk"]):
        subprocess.run([git, *args], cwd=repo, check=True, env=env, capture_output=True)
    return repo.as_uri()


@pytest.mark.uv
@pytest.mark.parametrize("case,pyproject", [("SST208/git-source", "functions/pyproject.toml"), ("SST208/git-source-in-root", "pyproject.toml")])
def test_sst208_git_sdk_source_fails_name_check(tmp_path: Path, case: str, pyproject: str) -> None:
    root = copy_fixture(case, tmp_path)
    path = root / pyproject
    text = path.read_text(encoding="utf-8")
    assert "https://github.com/sst/sst.git" in text
    path.write_text(text.replace("https://github.com/sst/sst.git", _stand_in_sst_repo(tmp_path)), encoding="utf-8")
    proc = run_uv(root, "lock")
    assert proc.returncode != 0, describe(proc)
    assert "Package metadata name `sst-sdk` does not match given name `sst`" in proc.stderr, describe(proc)


@pytest.mark.uv
def test_sst208_fixed_git_source_locks_sst_sdk(tmp_path: Path) -> None:
    """After the fix (depend on sst-sdk, no source) the name check passes; resolved here from the stand-in."""
    root = copy_fixture("SST208/git-source", tmp_path)
    (v,) = [v for v in run_check(root) if v.code == "SST208"]
    from helpers import apply_edits

    apply_edits(v.fix.edits, root, root)
    text = (root / "functions/pyproject.toml").read_text(encoding="utf-8")
    assert '"sst-sdk"' in text and "[tool.uv.sources]" not in text
    # point sst-sdk at the stand-in so the test stays offline
    (root / "functions/pyproject.toml").write_text(
        text + f'\n[tool.uv.sources]\nsst-sdk = {{ git = "{_stand_in_sst_repo(tmp_path)}", subdirectory = "sdk/python" }}\n', encoding="utf-8"
    )
    proc = run_uv(root, "lock")
    assert proc.returncode == 0, describe(proc)
    assert 'name = "sst-sdk"' in (root / "uv.lock").read_text(encoding="utf-8")


@pytest.mark.uv
def test_sst208_no_source_lock_holds_the_2013_pypi_package(tmp_path: Path) -> None:
    """The fixture's uv.lock was written by `uv lock`: without a source, "sst" is PyPI's sst 0.2.4."""
    root = copy_fixture("SST208/no-source", tmp_path)
    proc = run_uv(root, "lock", "--check", "--offline")
    assert proc.returncode == 0, describe(proc)
    lock = (root / "uv.lock").read_text(encoding="utf-8")
    assert re.search(r'name = "sst"\nversion = "0\.2\.4"\nsource = \{ registry = "[^"]+" \}', lock), lock[:2000]


# -- SST209 ------------------------------------------------------------------------------------


@pytest.mark.uv
def test_sst209_uv_export_ignores_requirements_txt(tmp_path: Path) -> None:
    """The export SST installs from lists only pyproject dependencies: requests is not in it."""
    root = copy_fixture("SST209/missing", tmp_path)
    assert "requests" in (root / "functions/requirements.txt").read_text(encoding="utf-8")
    lock = run_uv(root, "lock", "--offline")
    assert lock.returncode == 0, describe(lock)
    out = tmp_path / "requirements.txt"
    proc = run_uv(root, "export", "--package=functions", "--no-emit-workspace", "--no-dev", f"--output-file={out}", "--offline")
    assert proc.returncode == 0, describe(proc)
    assert "requests" not in out.read_text(encoding="utf-8")


# -- SST210 ------------------------------------------------------------------------------------


@pytest.mark.uv
def test_sst210_stale_fixture_fails_uv_lock_check(tmp_path: Path) -> None:
    root = copy_fixture("SST210/stale", tmp_path)
    proc = run_uv(root, "lock", "--check", "--offline")
    assert proc.returncode != 0, describe(proc)
    assert NEEDS_UPDATE in proc.stderr, describe(proc)
    assert _codes(root, "SST210") == [("SST210", "functions/pyproject.toml", 5)]


@pytest.mark.uv
def test_sst210_fresh_fixture_passes_uv_lock_check(tmp_path: Path) -> None:
    root = copy_fixture("SST210/fresh", tmp_path)
    proc = run_uv(root, "lock", "--check", "--offline")
    assert proc.returncode == 0, describe(proc)
    assert _codes(root, "SST210") == []


@pytest.mark.uv
def test_sst210_agrees_with_uv_on_a_lock_made_now(tmp_path: Path) -> None:
    """Lock with this uv: fresh for uv and for SST210; then edit the pyproject: stale for both."""
    root = copy_fixture("SST210/fresh", tmp_path)
    (root / "uv.lock").unlink()
    lock = run_uv(root, "lock", "--offline")
    assert lock.returncode == 0, describe(lock)
    check = run_uv(root, "lock", "--check", "--offline")
    assert check.returncode == 0, describe(check)
    assert _codes(root, "SST210") == []

    fn = root / "functions" / "pyproject.toml"
    text = fn.read_text(encoding="utf-8")
    # drop one dependency, add an optional one: both change what uv records
    text = text.replace('dependencies = ["core", "utils"]', 'dependencies = ["core"]')
    text = text.replace("[tool.uv.sources]", '[project.optional-dependencies]\nfast = ["utils"]\n\n[tool.uv.sources]')
    fn.write_text(text, encoding="utf-8")
    check = run_uv(root, "lock", "--check", "--offline")
    assert check.returncode != 0, describe(check)
    assert NEEDS_UPDATE in check.stderr, describe(check)
    assert _codes(root, "SST210") == [("SST210", "functions/pyproject.toml", 5)]

    relock = run_uv(root, "lock", "--offline")
    assert relock.returncode == 0, describe(relock)
    assert _codes(root, "SST210") == []


@pytest.mark.uv
def test_sst210_no_lock_fails_uv_lock_check(tmp_path: Path) -> None:
    root = copy_fixture("SST210/no-lock", tmp_path)
    proc = run_uv(root, "lock", "--check", "--offline")
    assert proc.returncode != 0, describe(proc)
    assert "Unable to find lockfile at `uv.lock`" in proc.stderr, describe(proc)
    assert _codes(root, "SST210") == [("SST210", "pyproject.toml", 7)]
