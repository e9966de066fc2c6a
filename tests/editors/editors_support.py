"""Shared by the editor end-to-end tests: the example app, the server command, its environment."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

EDITORS_DIR = Path(__file__).resolve().parent
REPO = EDITORS_DIR.parent.parent
SERVER_DIR = REPO / "server"
EXAMPLE_APP = REPO / "examples" / "broken-app"

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
