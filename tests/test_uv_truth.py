"""Prove, with the real uv binary, what rules SST202 and SST203 predict.

Each test replays the uv commands SST (era B) runs in the ``sst.config.ts``
directory, on a copy of a fixture app (see docs: sst-python-facts §3).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from uvtools import copy_fixture, describe, run_uv


def _lock_and_export(root: Path, out: Path):
    lock = run_uv(root, "lock")
    assert lock.returncode == 0, describe(lock)
    return run_uv(
        root,
        "export",
        "--package=functions",
        "--no-emit-workspace",
        "--no-dev",
        f"--output-file={out / 'requirements.txt'}",
    )


def _build_all_sdists(root: Path, out: Path):
    return run_uv(root, "build", "--all", "--sdist", "--out-dir", str(out / "dist"))


@pytest.mark.uv
def test_sst202_function_not_workspace_member_breaks_export(tmp_path: Path) -> None:
    root = copy_fixture("SST202/not-member", tmp_path)
    proc = _lock_and_export(root, tmp_path)
    assert proc.returncode == 2, describe(proc)
    assert "The workspace does not have a member functions" in proc.stderr, describe(proc)
    assert not (tmp_path / "requirements.txt").exists()


@pytest.mark.uv
def test_sst202_fixed_member_exports(tmp_path: Path) -> None:
    root = copy_fixture("SST202/not-member-fixed", tmp_path)
    proc = _lock_and_export(root, tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert (tmp_path / "requirements.txt").is_file()


@pytest.mark.uv
def test_sst203_no_build_system_breaks_build(tmp_path: Path) -> None:
    root = copy_fixture("SST203/no-build-system", tmp_path)
    proc = _build_all_sdists(root, tmp_path)
    assert proc.returncode == 2, describe(proc)
    assert "Workspace does not contain any buildable packages" in proc.stderr, describe(proc)
    dist = tmp_path / "dist"
    assert not dist.exists() or not any(dist.iterdir())


@pytest.mark.uv
def test_sst203_fixed_builds_function_sdist(tmp_path: Path) -> None:
    root = copy_fixture("SST203/no-build-system-fixed", tmp_path)
    proc = _build_all_sdists(root, tmp_path)
    assert proc.returncode == 0, describe(proc)
    assert (tmp_path / "dist" / "functions-0.1.0.tar.gz").is_file(), describe(proc)
