"""The VS Code extension in a real VS Code (code-server + headless Chromium, via playwright-core).

Needs the tools that ``.ci/editors.sh`` installs and the .vsix it builds; it records them in
``~/.cache/sst-lsp-editors/env.sh`` (or ``$SST_LSP_EDITORS_CACHE/env.sh``). Without them the
test fails and says to run that script. Screenshots, code-server's and VS Code's logs and the
driver's result.json go to ``$SST_LSP_E2E_ARTIFACTS`` (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from editors_support import EDITORS_DIR, REPO, copy_example_app, editor_tools, server_command, server_env, subnets_file

DRIVER = EDITORS_DIR / "vscode_e2e.mjs"
NEEDED = ("NODE24", "CODE_SERVER", "PLAYWRIGHT_NODE_PATH", "CHROMIUM", "SST_LSP_VSIX")


def _tools() -> dict:
    return editor_tools(*NEEDED)


def _sst401(app: Path, target: Path) -> tuple[int, int]:
    """1-based line and column of the SST401 diagnostic in ``target``, from the checker."""
    proc = subprocess.run(
        [sys.executable, "-m", "sst_lsp", "check", "--format", "json", str(app)],
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    rel = target.relative_to(app).as_posix()
    for d in json.loads(proc.stdout)["diagnostics"]:
        if d["code"] == "SST401" and d["path"] == rel:
            start = d["range"]["start"]
            return start["line"] + 1, start["character"] + 1
    raise AssertionError(f"the checker reports no SST401 in {rel}:\n{proc.stdout}\n{proc.stderr}")


def _run_driver(tools: dict, app: Path, target: Path, artifacts: Path, extra: dict) -> dict:
    artifacts.mkdir(parents=True, exist_ok=True)
    env = server_env(
        {
            "CODE_SERVER": tools["CODE_SERVER"],
            "CHROMIUM": tools["CHROMIUM"],
            "PLAYWRIGHT_NODE_PATH": tools["PLAYWRIGHT_NODE_PATH"],
            "SST_LSP_VSIX": tools["SST_LSP_VSIX"],
            "E2E_WORKSPACE": str(app),
            "E2E_TARGET": target.relative_to(app).as_posix(),
            "E2E_ARTIFACTS": str(artifacts),
            **extra,
        }
    )
    proc = subprocess.run(
        [tools["NODE24"], str(DRIVER)],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = f"exit {proc.returncode}; artifacts in {artifacts}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result_file = artifacts / "result.json"
    assert result_file.is_file(), f"the driver wrote no result\n{log}"
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result.get("ok") is True, f"{result.get('error')}\n{log}"
    assert proc.returncode == 0, log
    return result


def _artifacts(tmp_path: Path, name: str) -> Path:
    base = os.environ.get("SST_LSP_E2E_ARTIFACTS")
    return Path(base) / name if base else tmp_path / "artifacts"


def test_vscode_extension_problems_hover_and_quick_fix(tmp_path):
    tools = _tools()
    app = copy_example_app(tmp_path / "broken-app")
    target = subnets_file(app)
    line, column = _sst401(app, target)
    handler = re.search(r'handler:\s*"([^"]+\.\w+)"', target.read_text(encoding="utf-8")).group(1)
    handler_file = handler.rpartition(".")[0].rsplit("/", 1)[-1] + ".py"
    result = _run_driver(
        tools,
        app,
        target,
        _artifacts(tmp_path, "quick-fix"),
        {
            "E2E_LINE": str(line),
            "E2E_COLUMN": str(column),
            "E2E_SERVER_CMD": json.dumps(server_command()),
            "E2E_HOVER_TEXT": handler,
            "E2E_HOVER_EXPECT": handler_file,
        },
    )

    # Diagnostics of every file of the app, open or not (sst.config.ts is never opened).
    assert {"SST401", "SST105", "SST101", "SST102"} <= set(result["problems_codes_before"]), result["problems_codes_before"]
    assert handler_file in (result.get("hover_text") or ""), f"hover on {handler}: {result.get('hover_text')!r}"
    assert "privateSubnets" in result["quick_fix_title"] and "SST401" in result["quick_fix_title"]
    assert "SST401" not in result["problems_codes_after"]
    lines = target.read_text(encoding="utf-8").splitlines()
    assert re.match(r"\s*privateSubnets\s*:", lines[line - 1]), lines[line - 1]


def test_vscode_extension_reports_missing_server_once(tmp_path):
    """An interpreter without sst-lsp: one notification, with the command that installs it."""
    tools = _tools()
    app = copy_example_app(tmp_path / "broken-app")
    target = subnets_file(app)
    # A fresh virtual environment: nothing installed. -I also ignores the PYTHONPATH that
    # code-server passes on (it points at this checkout's server/ for the other test).
    venv = tmp_path / "empty-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    interpreter = [python, "-I"]
    probe = subprocess.run([*interpreter, "-c", "import sst_lsp"], capture_output=True, cwd=tmp_path)
    assert probe.returncode != 0, "a fresh venv imports sst_lsp?"
    result = _run_driver(
        tools,
        app,
        target,
        _artifacts(tmp_path, "missing-server"),
        {"E2E_SCENARIO": "missing-server", "E2E_INTERPRETER": json.dumps(interpreter)},
    )
    notes = result["notifications"]
    assert len(notes) == 1, notes
    assert f"{python} -I -m pip install sst-lsp" in notes[0], notes[0]


def test_vscode_restricted_mode_ignores_the_workspace_server_command(tmp_path):
    """Restricted Mode: a workspace's .vscode/settings.json cannot choose the program that runs."""
    tools = _tools()
    app = copy_example_app(tmp_path / "broken-app")
    target = subnets_file(app)
    marker = tmp_path / "workspace-command-ran"
    (app / ".vscode").mkdir(exist_ok=True)
    (app / ".vscode" / "settings.json").write_text(
        json.dumps(
            {
                "sstLsp.server.command": ["/bin/sh", "-c", f"touch {marker}; exit 1"],
                "sstLsp.interpreter": ["/bin/sh", "-c", f"touch {marker}; exit 1"],
            }
        ),
        encoding="utf-8",
    )
    artifacts = _artifacts(tmp_path, "restricted")
    result = _run_driver(
        tools,
        app,
        target,
        artifacts,
        {"E2E_SCENARIO": "restricted", "E2E_SERVER_CMD": json.dumps(server_command())},
    )
    assert "SST401" in result["problems_codes_before"], result["problems_codes_before"]
    assert not marker.exists(), "the workspace's sstLsp.server.command was run in Restricted Mode"
    logs = [p for p in (artifacts / "vscode-logs").rglob("*SST LSP*.log")]
    assert logs, f"no SST LSP output channel log under {artifacts / 'vscode-logs'}"
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    assert "Restricted Mode" in text, text[:2000]
    assert "Server command (sstLsp.server.command)" in text, text[:2000]
