"""Helpers for tests that run the real ``uv`` binary against fixture projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FIXTURES  # noqa: F401 (the uv tests import it from here)

UV_ENV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}


def uv_binary() -> Path:
    """Return the uv executable; fail (never skip) when it cannot be found."""
    found = shutil.which("uv")
    if found:
        return Path(found)
    candidate = Path(sys.executable).parent / "uv"
    if candidate.is_file():
        return candidate
    pytest.fail(
        "uv binary not found: not on PATH and not next to "
        f"{sys.executable}; install the test extra (uv>=0.13)",
        pytrace=False,
    )


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """Copy ``tests/fixtures/<name>`` into ``tmp_path`` and return the copy's root."""
    src = FIXTURES / name
    if not src.is_dir():
        pytest.fail(f"fixture not found: {src}", pytrace=False)
    dest = tmp_path / "app"
    shutil.copytree(src, dest)
    return dest


def run_uv(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``uv <args>`` in ``cwd`` with the test environment; never raises on failure."""
    return subprocess.run(
        [str(uv_binary()), *args],
        cwd=cwd,
        env={**os.environ, **UV_ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    """Readable summary of a finished uv call, for assertion messages."""
    return (
        f"$ {' '.join(proc.args)}\nexit {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )
