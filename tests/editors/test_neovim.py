"""Neovim's built-in LSP client against the real server: diagnostics, quick fix, re-publish.

Drives ``nvim --headless -u NONE`` with ``nvim_e2e.lua`` on a copy of examples/broken-app.
Needs ``nvim`` (0.7+) on PATH (``apt-get install -y neovim``); without it the test fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from editors_support import EDITORS_DIR, copy_example_app, server_command, server_env, subnets_file

SCRIPT = EDITORS_DIR / "nvim_e2e.lua"


def _nvim() -> str:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.fail("nvim is not on PATH: install Neovim 0.7+ (apt-get install -y neovim) to run the editor tests")
    return nvim


def test_neovim_diagnostic_quick_fix_and_republish(tmp_path):
    nvim = _nvim()
    app = copy_example_app(tmp_path / "broken-app")
    target = subnets_file(app)
    original = target.read_text(encoding="utf-8")
    result_path = tmp_path / "nvim-result.json"
    env = server_env(
        {
            "SST_E2E_FILE": str(target),
            "SST_E2E_ROOT": str(app),
            "SST_E2E_SERVER_CMD": json.dumps(server_command()),
            "SST_E2E_RESULT": str(result_path),
            "SST_E2E_TIMEOUT_MS": "30000",
            "HOME": str(tmp_path),  # no user config, shada or state from the machine
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        }
    )
    proc = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {SCRIPT}"],
        cwd=app,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    log = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert result_path.is_file(), f"the Lua script wrote no result\n{log}"
    result = json.loads(result_path.read_text(encoding="utf-8"))
    assert result.get("ok") is True, f"{result.get('error')}\n{json.dumps(result, indent=2)}\n{log}"
    assert proc.returncode == 0, log

    assert result["file"] == str(target)
    assert result["server_info"]["name"] == "sst-lsp"
    assert result["offset_encoding"] == "utf-16"
    assert "SST401" in result["codes_before"]
    assert result["sst401"]["source"] == "sst-lsp"
    assert "privateSubnets" in result["sst401"]["message"]

    titles = [a["title"] for a in result["actions"]]
    assert any("SST401" in t for t in titles), titles
    chosen = next(a for a in result["actions"] if a["title"] == result["chosen"])
    assert chosen["kind"] == "quickfix" and chosen["isPreferred"] is True

    assert "subnets" in result["line_before"] and "privateSubnets" not in result["line_before"]
    assert result["line_after"] == result["line_before"].replace("subnets", "privateSubnets", 1)
    assert result["modified"] is True
    assert "SST401" not in result["codes_after"]

    # Other files of the app got their diagnostics too (published for unopened files).
    assert any(uri.endswith("/sst.config.ts") for uri in result["raw_uris"]), result["raw_uris"]
    # The fix edits the buffer only; nothing was written to disk, and the server exited cleanly.
    assert result["disk_unchanged"] is True
    assert target.read_text(encoding="utf-8") == original
    assert result["client_stopped"] is True
    assert result["server_exit"] == {"code": 0, "signal": 0}
