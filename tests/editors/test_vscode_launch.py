"""vscode-client/src/launch.ts, run by Node 24 as it is (type stripping): which bundle fits a
machine, the interpreter checks, and the sentences for the ways `uv tool run` fails — fed with
what the real uv prints in each of them (offline with an empty cache, an index without the
dependencies, no Python)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from editors_support import REPO, editor_tools

LAUNCH = REPO / "vscode-client" / "src" / "launch.ts"
DRIVER = """
import * as launch from %s;
const calls = JSON.parse(process.env.CALLS);
const out = calls.map(([name, ...args]) => launch[name](...args));
process.stdout.write(JSON.stringify(out));
"""


def _call(tmp_path: Path, *calls: list) -> list:
    node = editor_tools("NODE24")["NODE24"]
    script = tmp_path / "call.mjs"
    script.write_text(DRIVER % json.dumps(LAUNCH.as_uri()), encoding="utf-8")
    proc = subprocess.run([node, str(script)], env={**os.environ, "CALLS": json.dumps(calls)}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_targets_and_interpreter_checks(tmp_path):
    got = _call(
        tmp_path,
        ["currentTarget", "linux", "x64", False],
        ["currentTarget", "linux", "x64", True],
        ["currentTarget", "darwin", "arm64", False],
        ["currentTarget", "win32", "arm64", False],
        ["versionRequest", ["3.10", "3.11", "3.12", "3.13", "3.14"]],
        ["describeVersions", ["3.10", "3.11", "3.12", "3.13", "3.14"]],
        ["versionAccepted", "3.14.0", ["3.10", "3.14"]],
        ["versionAccepted", "3.9.18", ["3.10", "3.14"]],
        ["versionAccepted", "3.15.0a1", ["3.10", "3.14"]],
        ["parseProbe", 'a warning from sitecustomize\n{"python": "3.12.1", "sst_lsp": "0.1.0"}\n'],
    )
    assert got == [
        "linux-x64",
        "alpine-x64",
        "darwin-arm64",
        "win32-arm64",
        ">=3.10,<3.15",
        "3.10–3.14",
        True,
        False,
        False,
        {"python": "3.12.1", "sst_lsp": "0.1.0"},
    ]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    vsix = Path(editor_tools("SST_LSP_VSIX_DIR")["SST_LSP_VSIX_DIR"]) / "sst-lsp-universal.vsix"
    where = tmp_path_factory.mktemp("wheel")
    with zipfile.ZipFile(vsix) as z:
        name = next(n for n in z.namelist() if n.endswith(".whl"))
        z.extract(name, where)
    return where / name


def _uv_tool_run(tmp_path: Path, wheel: Path, *options: str, env: dict | None = None) -> str:
    uv = shutil.which("uv")
    assert uv, "uv is not on PATH (pip install -e '.[test]' installs it)"
    cache = tmp_path / "empty-cache"
    proc = subprocess.run(
        [uv, "tool", "run", "--no-config", "--cache-dir", str(cache), *options, "--python", ">=3.10,<3.15", "--from", str(wheel), "sst-lsp", "--version"],
        env=env or {k: v for k, v in os.environ.items() if not k.startswith("UV_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


def test_uv_failures_become_sentences(tmp_path, wheel):
    offline = _uv_tool_run(tmp_path, wheel, "--offline")
    empty_index = tmp_path / "empty-index"
    empty_index.mkdir()
    private = _uv_tool_run(tmp_path, wheel, "--default-index", empty_index.as_uri())
    uv_only = tmp_path / "uv-only"
    uv_only.mkdir()
    (uv_only / "uv").symlink_to(shutil.which("uv"))
    no_python = _uv_tool_run(
        tmp_path,
        wheel,
        env={"PATH": str(uv_only), "HOME": str(tmp_path), "UV_PYTHON_INSTALL_DIR": str(tmp_path / "none"), "UV_PYTHON_DOWNLOADS": "never"},
    )
    got = _call(
        tmp_path,
        ["explainUvFailure", offline],
        ["explainUvFailure", private],
        ["explainUvFailure", no_python],
        ["explainUvFailure", "error: Failed to fetch: `https://example.invalid/simple/pygls/`\n  Caused by: dns error"],
    )
    kinds = [g["kind"] for g in got]
    assert kinds == ["offline", "index", "python", "offline"], list(zip(kinds, [offline, private, no_python]))
    assert "no network" in got[0]["message"]
    assert "package index" in got[1]["message"] and "pygls" in got[1]["message"]
    assert "Python 3.10–3.14" in got[2]["message"]
