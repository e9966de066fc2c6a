"""The VS Code extension in a real VS Code (code-server + headless Chromium, via playwright-core).

Needs the tools that ``.ci/editors.sh`` installs and the .vsix files it builds; it records them
in ``~/.cache/sst-lsp-editors/env.sh`` (or ``$SST_LSP_EDITORS_CACHE/env.sh``). Without them the
test fails and says to run that script. Screenshots, code-server's and VS Code's logs and the
driver's result.json go to ``$SST_LSP_E2E_ARTIFACTS`` (default: the test's tmp dir).

code-server runs with a PATH of our making: a fresh virtual environment's ``bin`` (nothing
installed in it), optionally a directory holding only ``uv``, then ``/usr/bin:/bin``; no
PYTHONPATH, and a HOME of its own. Each test asserts that no Python on that PATH can import ``sst_lsp`` — except the
venv a test installs it into on purpose.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from editors_support import EDITORS_DIR, REPO, copy_example_app, editor_tools, server_env, subnets_file

DRIVER = EDITORS_DIR / "vscode_e2e.mjs"
NEEDED = ("NODE24", "CODE_SERVER", "PLAYWRIGHT_NODE_PATH", "CHROMIUM", "SST_LSP_VSIX", "SST_LSP_VSIX_DIR")
SYSTEM_PATH = ["/usr/bin", "/bin"]


def _tools() -> dict:
    return editor_tools(*NEEDED)


def _checker(app: Path) -> list[dict]:
    """The diagnostics `sst-lsp check` reports for ``app``."""
    proc = subprocess.run(
        [sys.executable, "-m", "sst_lsp", "check", "--format", "json", str(app)],
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(proc.stdout)["diagnostics"]


def _sst401(app: Path, target: Path) -> tuple[int, int]:
    """1-based line and column of the SST401 diagnostic in ``target``, from the checker."""
    rel = target.relative_to(app).as_posix()
    for d in _checker(app):
        if d["code"] == "SST401" and d["path"] == rel:
            start = d["range"]["start"]
            return start["line"] + 1, start["character"] + 1
    raise AssertionError(f"the checker reports no SST401 in {rel}")


def _venv(where: Path) -> Path:
    """A fresh virtual environment without pip; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    return where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _editor_env(tmp_path: Path, venv_bin: Path, with_uv: bool) -> dict:
    """code-server's environment: ``venv_bin`` first on PATH, uv only when asked, no PYTHONPATH."""
    path = [str(venv_bin)]
    if with_uv:
        uv = shutil.which("uv")
        assert uv, "uv is not on PATH (pip install -e '.[test]' installs it)"
        uv_dir = tmp_path / "uv-only"
        uv_dir.mkdir()
        (uv_dir / "uv").symlink_to(uv)
        path.append(str(uv_dir))
    uv_cache = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "UV_", "CONDA"))}
    env["PATH"] = os.pathsep.join(path + SYSTEM_PATH)
    # A home of its own: no ~/.local/bin/uv or user site-packages from the machine.
    env["HOME"] = str(tmp_path / "home")
    env["UV_CACHE_DIR"] = uv_cache
    # uv may find only the Pythons on that PATH: none of its own, no downloads.
    env["UV_PYTHON_INSTALL_DIR"] = str(tmp_path / "no-uv-pythons")
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def _pythons_on(env: dict) -> list[str]:
    found = []
    for d in env["PATH"].split(os.pathsep):
        for exe in sorted(Path(d).glob("python*")) if Path(d).is_dir() else []:
            if re.fullmatch(r"python(3(\.\d+)?)?", exe.name) and os.access(exe, os.X_OK):
                found.append(str(exe))
    return found


def _assert_no_sst_lsp(env: dict, except_: str | None = None) -> None:
    pythons = _pythons_on(env)
    assert pythons, env["PATH"]
    for python in pythons:
        if except_ and Path(python).parent == Path(except_).parent:
            continue
        probe = subprocess.run([python, "-c", "import sst_lsp"], env=env, capture_output=True, cwd="/")
        assert probe.returncode != 0, f"{python} imports sst_lsp"


def _session(tmp_path: Path, with_uv: bool, venv: str = "clean-venv"):
    """The tools, a copy of the example app, its SST401 file, and an editor environment whose
    only Python is a fresh venv (returned too) without sst_lsp."""
    tools = _tools()
    app = copy_example_app(tmp_path / "broken-app")
    python = _venv(tmp_path / venv)
    env = _editor_env(tmp_path, python.parent, with_uv=with_uv)
    _assert_no_sst_lsp(env)
    return tools, app, subnets_file(app), python, env


def _run_driver(tools: dict, app: Path, target: Path, artifacts: Path, extra: dict, env: dict, vsix: str | None = None) -> dict:
    artifacts.mkdir(parents=True, exist_ok=True)
    env = {
        **env,
        "CODE_SERVER": tools["CODE_SERVER"],
        "CHROMIUM": tools["CHROMIUM"],
        "PLAYWRIGHT_NODE_PATH": tools["PLAYWRIGHT_NODE_PATH"],
        "SST_LSP_VSIX": vsix or tools["SST_LSP_VSIX"],
        "E2E_WORKSPACE": str(app),
        "E2E_TARGET": target.relative_to(app).as_posix(),
        "E2E_ARTIFACTS": str(artifacts),
        **extra,
    }
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
    assert result.get("ok") is True, f"{result.get('error')}\n{log}\n{_output_log(artifacts, must=False)[-3000:]}"
    assert proc.returncode == 0, log
    return result


def _output_log(artifacts: Path, must: bool = True) -> str:
    """The SST LSP output channel, as VS Code logged it."""
    logs = list((artifacts / "vscode-logs").rglob("*SST LSP*.log"))
    assert logs or not must, f"no SST LSP output channel log under {artifacts / 'vscode-logs'}"
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)


def _artifacts(tmp_path: Path, name: str) -> Path:
    base = os.environ.get("SST_LSP_E2E_ARTIFACTS")
    if not base:
        return tmp_path / "artifacts"
    shutil.rmtree(Path(base) / name, ignore_errors=True)  # the logs of an earlier run would mix in
    return Path(base) / name


def _server_line(log: str) -> str:
    lines = [line for line in log.splitlines() if "Server command (" in line]
    assert lines, log[:3000]
    return lines[-1]


SETTINGS_TRACE = {"sstLsp.trace.server": "verbose"}


def test_vscode_bundled_server_problems_hover_and_quick_fix(tmp_path):
    """The platform .vsix on a machine whose only Python has no sst_lsp: the bundled server runs."""
    tools, app, target, python, env = _session(tmp_path, with_uv=True)
    line, column = _sst401(app, target)
    expected_codes = sorted({d["code"] for d in _checker(app)})
    handler = re.search(r'handler:\s*"([^"]+\.\w+)"', target.read_text(encoding="utf-8")).group(1)
    handler_file = handler.rpartition(".")[0].rsplit("/", 1)[-1] + ".py"
    artifacts = _artifacts(tmp_path, "bundled")
    result = _run_driver(
        tools,
        app,
        target,
        artifacts,
        {
            "E2E_LINE": str(line),
            "E2E_COLUMN": str(column),
            "E2E_SETTINGS": json.dumps(SETTINGS_TRACE),
            "E2E_HOVER_TEXT": handler,
            "E2E_HOVER_EXPECT": handler_file,
            "E2E_EXPECT_CODES": json.dumps(expected_codes),
        },
        env,
    )

    # Diagnostics of every file of the app, open or not (sst.config.ts is never opened): the
    # codes the checker reports, no more, no fewer.
    assert result["problems_codes_before"] == expected_codes, result["problems_codes_before"]
    assert handler_file in (result.get("hover_text") or ""), f"hover on {handler}: {result.get('hover_text')!r}"
    assert "privateSubnets" in result["quick_fix_title"] and "SST401" in result["quick_fix_title"]
    assert "SST401" not in result["problems_codes_after"]
    lines = target.read_text(encoding="utf-8").splitlines()
    assert re.match(r"\s*privateSubnets\s*:", lines[line - 1]), lines[line - 1]
    # The interpreter came from `uv python find` (the clean venv); the server from the bundle.
    server = _server_line(_output_log(artifacts))
    assert "bundled server, uv python find" in server, server
    assert f"{python.parent}/python3 -I " in server and server.rstrip().endswith("/bundled/tool/serve.py"), server


def test_vscode_from_environment_runs_the_installed_sst_lsp(tmp_path):
    """importStrategy fromEnvironment with a venv that has sst-lsp: `<venv python> -m sst_lsp serve`."""
    tools, app, target, _, env = _session(tmp_path, with_uv=False)
    python = _venv(tmp_path / "sst-lsp-venv")  # not on PATH: named by sstLsp.interpreter
    with zipfile.ZipFile(Path(tools["SST_LSP_VSIX_DIR"]) / "sst-lsp-universal.vsix") as z:
        wheel = next(n for n in z.namelist() if n.endswith(".whl"))
        z.extract(wheel, tmp_path)
    subprocess.run(["uv", "pip", "install", "--quiet", "--python", str(python), str(tmp_path / wheel)], check=True, timeout=300)
    assert subprocess.run([str(python), "-c", "import sst_lsp"], env=env, cwd="/").returncode == 0
    artifacts = _artifacts(tmp_path, "from-environment")
    result = _run_driver(
        tools,
        app,
        target,
        artifacts,
        {
            "E2E_SCENARIO": "problems",
            "E2E_SETTINGS": json.dumps({**SETTINGS_TRACE, "sstLsp.importStrategy": "fromEnvironment", "sstLsp.interpreter": str(python)}),
        },
        env,
    )
    assert {"SST401", "SST105", "SST101", "SST102"} <= set(result["problems_codes_before"]), result["problems_codes_before"]
    log = _output_log(artifacts)
    server = _server_line(log)
    assert "(fromEnvironment, sstLsp.interpreter)" in server and server.rstrip().endswith(f"{python} -m sst_lsp serve"), server
    assert "its own sst-lsp" in log


def test_vscode_from_environment_without_sst_lsp_says_so_once(tmp_path):
    """importStrategy fromEnvironment and an interpreter without sst-lsp: one notification."""
    tools, app, target, python, env = _session(tmp_path, with_uv=False)
    result = _run_driver(
        tools,
        app,
        target,
        _artifacts(tmp_path, "missing-server"),
        {
            "E2E_SCENARIO": "notification",
            "E2E_NOTIFICATION_TEXT": "importStrategy",
            "E2E_SETTINGS": json.dumps({"sstLsp.importStrategy": "fromEnvironment", "sstLsp.interpreter": str(python)}),
        },
        env,
    )
    notes = result["notifications"]
    assert len(notes) == 1, notes
    assert f"sst-lsp is not installed for {python}" in notes[0] and "useBundled" in notes[0], notes[0]


def test_vscode_interpreter_outside_3_10_to_3_14_says_so_and_opens_the_setting(tmp_path):
    """sstLsp.interpreter names a Python 3.9: one notification; its button opens that setting."""
    tools, app, target, _, env = _session(tmp_path, with_uv=True)
    # A stand-in for an old interpreter: it answers the probe as Python 3.9 would.
    old = tmp_path / "old-python" / "python3.9"
    old.parent.mkdir()
    old.write_text('#!/bin/sh\necho \'{"python": "3.9.18", "executable": "/opt/python3.9/bin/python3.9"}\'\n', encoding="utf-8")
    old.chmod(0o755)
    result = _run_driver(
        tools,
        app,
        target,
        _artifacts(tmp_path, "old-python"),
        {
            "E2E_SCENARIO": "notification",
            "E2E_NOTIFICATION_TEXT": "3.9.18",
            "E2E_CLICK": "Open settings",
            "E2E_SETTINGS": json.dumps({"sstLsp.interpreter": str(old)}),
        },
        env,
    )
    notes = result["notifications"]
    assert len(notes) == 1, notes
    assert f'"sstLsp.interpreter" ({old}) is Python 3.9.18, not 3.10–3.14' in notes[0], notes[0]
    assert any("Interpreter" in t for t in result["settings_titles"]), result["settings_titles"]
    # code-server is a remote window: the machine setting lives in the Remote scope
    assert result["settings_scope"].startswith("Remote"), result["settings_scope"]


def test_vscode_universal_vsix_runs_the_carried_wheel_with_uv(tmp_path):
    """No bundle for the platform: `uv tool run --from <the wheel in the .vsix> sst-lsp serve`."""
    tools, app, target, python, env = _session(tmp_path, with_uv=True)
    artifacts = _artifacts(tmp_path, "universal")
    result = _run_driver(
        tools,
        app,
        target,
        artifacts,
        {"E2E_SCENARIO": "problems", "E2E_SETTINGS": json.dumps(SETTINGS_TRACE)},
        env,
        vsix=str(Path(tools["SST_LSP_VSIX_DIR"]) / "sst-lsp-universal.vsix"),
    )
    assert {"SST401", "SST105", "SST101", "SST102"} <= set(result["problems_codes_before"]), result["problems_codes_before"]
    log = _output_log(artifacts)
    assert "has no bundled server for linux-x64" in log, log[:3000]
    server = _server_line(log)
    assert "(uv tool run with the wheel in the extension)" in server and "/bundled/wheel/sst_lsp-" in server, server


def test_vscode_universal_vsix_without_uv_says_so_once(tmp_path):
    tools, app, target, python, env = _session(tmp_path, with_uv=False)
    result = _run_driver(
        tools,
        app,
        target,
        _artifacts(tmp_path, "universal-no-uv"),
        {"E2E_SCENARIO": "notification", "E2E_NOTIFICATION_TEXT": "uv"},
        env,
        vsix=str(Path(tools["SST_LSP_VSIX_DIR"]) / "sst-lsp-universal.vsix"),
    )
    notes = result["notifications"]
    assert len(notes) == 1, notes
    assert "no bundled server for linux-x64" in notes[0] and "uv" in notes[0] and "was not found" in notes[0], notes[0]


def test_vscode_restricted_mode_runs_only_the_bundled_server(tmp_path):
    """Restricted Mode: a workspace's .vscode/settings.json cannot choose the program that runs."""
    tools, app, target, python, env = _session(tmp_path, with_uv=False)
    marker = tmp_path / "workspace-command-ran"
    (app / ".vscode").mkdir(exist_ok=True)
    (app / ".vscode" / "settings.json").write_text(
        json.dumps(
            {
                "sstLsp.server.command": ["/bin/sh", "-c", f"touch {marker}; exit 1"],
                "sstLsp.interpreter": ["/bin/sh", "-c", f"touch {marker}; exit 1"],
                "sstLsp.importStrategy": "fromEnvironment",
            }
        ),
        encoding="utf-8",
    )
    artifacts = _artifacts(tmp_path, "restricted")
    result = _run_driver(tools, app, target, artifacts, {"E2E_SCENARIO": "restricted", "E2E_SETTINGS": json.dumps(SETTINGS_TRACE)}, env)
    assert "SST401" in result["problems_codes_before"], result["problems_codes_before"]
    assert not marker.exists(), "a workspace setting chose the program run in Restricted Mode"
    log = _output_log(artifacts)
    assert "Restricted Mode" in log, log[:3000]
    # Neither the workspace's command, its interpreter nor its fromEnvironment: the bundle.
    server = _server_line(log)
    assert "(bundled server, python3 on PATH)" in server, server
