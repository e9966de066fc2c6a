"""Shared by the editor end-to-end tests: the example app, the server command, its environment."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

EDITORS_DIR = Path(__file__).resolve().parent
REPO = EDITORS_DIR.parent.parent
SERVER_DIR = REPO / "server"
EXAMPLE_APP = REPO / "examples" / "broken-app"
CACHE = Path(os.environ.get("SST_LSP_EDITORS_CACHE", Path.home() / ".cache" / "sst-lsp-editors"))

# `subnets:` as an object key at the start of a line (the SST401 case), not `privateSubnets:`.
SUBNETS_KEY = re.compile(r"^\s*subnets\s*:", re.MULTILINE)


def server_command() -> list[str]:
    """This checkout's server, run by the interpreter running the tests."""
    return [sys.executable, "-m", "sst_lsp", "serve"]


def server_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SERVER_DIR), env.get("PYTHONPATH", "")) if p)
    if extra:
        env.update(extra)
    return env


def copy_example_app(dest: Path) -> Path:
    """Copy examples/broken-app to ``dest`` (without node_modules / .sst) and return the copy."""
    if not (EXAMPLE_APP / "sst.config.ts").is_file():
        raise AssertionError(f"{EXAMPLE_APP} is missing (or has no sst.config.ts)")
    shutil.copytree(EXAMPLE_APP, dest, ignore=shutil.ignore_patterns("node_modules", ".sst", "__pycache__"))
    return dest


def subnets_file(app: Path) -> Path:
    """The TypeScript file of ``app`` holding `vpc: { subnets: ... }` (sst.config.ts or infra/**/*.ts)."""
    candidates = [app / "sst.config.ts", *sorted((app / "infra").rglob("*.ts"))]
    for path in candidates:
        if path.is_file() and SUBNETS_KEY.search(path.read_text(encoding="utf-8")):
            return path
    raise AssertionError(f"no sst.config.ts or infra/**/*.ts under {app} has a `subnets:` key")


def editor_tools(*needed: str) -> dict:
    """The paths .ci/editors.sh recorded in its env.sh (an environment variable of the same name
    wins); fails, saying to run that script, when one is missing."""
    tools = {}
    env_sh = CACHE / "env.sh"
    if env_sh.is_file():
        for line in env_sh.read_text(encoding="utf-8").splitlines():
            m = re.match(r"export (\w+)=(.*)$", line.strip())
            if m:
                tools[m.group(1)] = shlex.split(m.group(2))[0] if m.group(2) else ""
    tools.update({k: os.environ[k] for k in needed if os.environ.get(k)})
    missing = [k for k in needed if not tools.get(k) or not Path(tools[k]).exists()]
    if missing:
        pytest.fail(f"editor tools missing ({', '.join(missing)}): run .ci/editors.sh first (it writes {env_sh})")
    return tools
