"""The analysis never runs anything, never opens a connection, never imports project code, and
never reads outside the app.

Every app under tests/fixtures and examples/ is analysed with process creation and sockets
replaced by traps, and with an import hook that refuses any module that would be loaded from the
app (or is named like one of its Python packages). Handlers that leave the app and links out of
it are reported, and the files they name are never opened.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import pathlib
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import EXAMPLES, FIXTURES
from sst_lsp.analysis import analyse_path
from sst_lsp.rules.registry import load_all

RULES = load_all()
SERVER_DIR = Path(__file__).resolve().parent.parent / "server"


def _apps() -> list[Path]:
    roots = {p.parent for base in (FIXTURES, EXAMPLES) for p in base.rglob("sst.config.ts") if "node_modules" not in p.parts}
    return sorted(roots)


APPS = _apps()


def _package_names(app: Path) -> set[str]:
    """Top-level Python package and module names the app defines (src/ layouts and flat ones)."""
    names = set()
    for init in app.rglob("__init__.py"):
        if "node_modules" in init.parts or ".venv" in init.parts:
            continue
        pkg = init.parent
        while (pkg.parent / "__init__.py").exists():
            pkg = pkg.parent
        names.add(pkg.name)
    for py in app.rglob("*.py"):
        if ".venv" not in py.parts and "node_modules" not in py.parts and not (py.parent / "__init__.py").exists():
            names.add(py.stem)
    return names


class ProjectImportTrap(importlib.abc.MetaPathFinder):
    """Refuses (and records) any import that would come from ``app`` or is named like its packages."""

    def __init__(self, app: Path, names: set[str]):
        self.app = os.path.realpath(app)
        self.names = names
        self.hits: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top in self.names:
            self.hits.append(fullname)
            raise ImportError(f"sst-lsp tried to import {fullname!r}, a module of the analysed project")
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        origin = getattr(spec, "origin", None) if spec else None
        if origin and os.path.realpath(origin).startswith(self.app + os.sep):
            self.hits.append(fullname)
            raise ImportError(f"sst-lsp tried to import {fullname!r} from the analysed project ({origin})")
        return None


@pytest.fixture
def traps(monkeypatch):
    """Process creation and network access fail the test (and are recorded, since rules are isolated)."""
    calls: list[str] = []

    def trap(name):
        def refuse(*args, **kwargs):
            calls.append(f"{name}{args[:2]!r}")
            raise AssertionError(f"the analysis called {name}")

        return refuse

    for name in ("Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput"):
        monkeypatch.setattr(subprocess, name, trap(f"subprocess.{name}"))
    for name in dir(os):
        if name in ("system", "popen", "fork", "forkpty") or name.startswith(("exec", "spawn", "posix_spawn")):
            if callable(getattr(os, name)):
                monkeypatch.setattr(os, name, trap(f"os.{name}"))
    for name in ("socket", "create_connection", "create_server", "socketpair", "getaddrinfo"):
        monkeypatch.setattr(socket, name, trap(f"socket.{name}"))
    return calls


@pytest.mark.parametrize("app", APPS, ids=[str(a.relative_to(a.parents[2] if FIXTURES in a.parents else EXAMPLES.parent)) for a in APPS])
def test_analysis_runs_nothing_and_imports_nothing(app, traps):
    names = _package_names(app) - set(sys.stdlib_module_names)
    # names that resolve to something installed here cannot be told apart from the project's: skip them
    names = {n for n in names if n not in sys.modules and importlib.util.find_spec(n) is None}
    finder = ProjectImportTrap(app, names)
    before = set(sys.modules)
    sys.meta_path.insert(0, finder)
    try:
        results = analyse_path(app)
    finally:
        sys.meta_path.remove(finder)
    assert not traps, f"{app}: {traps}"
    assert not finder.hits, f"{app}: imported {finder.hits}"
    assert not [f for r in results for f in r.failures], "a rule raised (a trap may have been hit inside it)"
    real = os.path.realpath(app) + os.sep
    loaded = [m for m in set(sys.modules) - before if (getattr(sys.modules[m], "__file__", None) or "").startswith((str(app) + os.sep, real))]
    loaded += [m for m, mod in sys.modules.items() if os.path.realpath(getattr(mod, "__file__", None) or "/").startswith(real)]
    assert not loaded, f"modules loaded from the project: {loaded}"


def test_every_fixture_was_analysed():
    assert len(APPS) >= 30 and any(EXAMPLES in a.parents for a in APPS)


# -- handlers and members that leave the app -------------------------------------------------------------
BASE = FIXTURES / "SST202" / "not-member"


class Reads(list):
    """Paths opened (open, io.open, os.open, Path.read_bytes/read_text) while ``on``."""

    on = False

    def analyse(self, app: Path):
        self.on = True
        try:
            return analyse_path(app)
        finally:
            self.on = False


@pytest.fixture
def reads(monkeypatch):
    opened = Reads()
    real_open, real_os_open = builtins.open, os.open
    real_read_bytes, real_read_text = pathlib.Path.read_bytes, pathlib.Path.read_text

    def rec(p):
        if opened.on and isinstance(p, (str, bytes, os.PathLike)):
            opened.append(os.path.realpath(os.fsdecode(p)))

    def fake_open(file, *a, **k):
        rec(file)
        return real_open(file, *a, **k)

    def fake_os_open(path, *a, **k):
        rec(path)
        return real_os_open(path, *a, **k)

    def fake_read_bytes(self):
        rec(self)
        return real_read_bytes(self)

    def fake_read_text(self, *a, **k):
        rec(self)
        return real_read_text(self, *a, **k)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(pathlib.Path, "read_bytes", fake_read_bytes)
    monkeypatch.setattr(pathlib.Path, "read_text", fake_read_text)
    return opened


def _outside(opened: list[str], app: Path) -> list[str]:
    inside = (os.path.realpath(app) + os.sep, os.path.realpath(SERVER_DIR) + os.sep, os.path.realpath(sys.prefix) + os.sep, os.path.realpath(sys.base_prefix) + os.sep)
    return sorted({p for p in opened if not p.startswith(inside)})


def _app(tmp_path: Path, handler: str | None = None, members: list[str] | None = None) -> tuple[Path, Path]:
    app = tmp_path / "ws" / "app"
    shutil.copytree(BASE, app)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("def handler(event, context):\n    return 'secret'\n", encoding="utf-8")
    if handler is not None:
        config = app / "sst.config.ts"
        config.write_text(config.read_text(encoding="utf-8").replace("functions/src/functions/api.handler", handler), encoding="utf-8")
    if members is not None:
        pp = app / "pyproject.toml"
        pp.write_text(pp.read_text(encoding="utf-8").replace('members = ["core"]', "members = " + str(members).replace("'", '"')), encoding="utf-8")
    return app, outside


def _codes(results) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in results:
        assert not r.failures, r.failures
        for v in r.violations:
            out.setdefault(v.code, []).append(v.message)
    return out


def test_parent_dir_handler_is_reported_and_not_read(tmp_path, reads, traps):
    app, outside = _app(tmp_path, handler="../../etc/passwd.handler")
    target = Path(os.path.normpath(app / "../../etc/passwd.py"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("def handler(event, context):\n    return 1\n", encoding="utf-8")  # it exists: reading it would be possible
    codes = _codes(reads.analyse(app))
    if "SST107" in RULES:
        assert "SST107" in codes
    assert "SST102" not in codes and "SST103" not in codes, "a handler outside the app is not looked up"
    assert not _outside(reads, app), _outside(reads, app)
    assert not traps


def test_absolute_handler_is_reported_and_not_read(tmp_path, reads, traps):
    app, outside = _app(tmp_path, handler=f"{tmp_path}/outside/secret.handler")  # outside/secret.py exists
    codes = _codes(reads.analyse(app))
    if "SST107" in RULES:
        assert "SST107" in codes
    assert not _outside(reads, app), _outside(reads, app)
    assert not traps


def test_etc_passwd_absolute_handler(tmp_path, reads, traps):
    app, _ = _app(tmp_path, handler="/etc/passwd.handler")
    codes = _codes(reads.analyse(app))
    if "SST107" in RULES:
        assert "SST107" in codes
    assert not [p for p in _outside(reads, app) if p.startswith("/etc")]


def test_handler_file_linked_out_is_reported_and_not_read(tmp_path, reads, traps):
    app, outside = _app(tmp_path)
    api = app / "functions" / "src" / "functions" / "api.py"
    api.unlink()
    os.symlink(outside / "secret.py", api)
    codes = _codes(reads.analyse(app))
    if "SST002" in RULES:
        assert any("outside the workspace" in m for m in codes.get("SST002", [])), codes
    assert not _outside(reads, app), _outside(reads, app)


def _link_member_out(tmp_path):
    app, outside = _app(tmp_path, members=["core", "functions"])
    shutil.copytree(app / "functions", outside / "functions")
    shutil.rmtree(app / "functions")
    os.symlink(outside / "functions", app / "functions")
    return app, outside


def test_member_dir_linked_out_is_not_read(tmp_path, reads, traps):
    app, outside = _link_member_out(tmp_path)
    results = reads.analyse(app)
    _codes(results)
    assert not _outside(reads, app), _outside(reads, app)
    assert not traps


def test_member_dir_linked_out_is_reported(tmp_path):
    app, outside = _link_member_out(tmp_path)
    codes = _codes(analyse_path(app))
    assert "SST002" in RULES
    assert any("functions" in m and "outside the workspace" in m for m in codes.get("SST002", [])), codes
    assert "SST102" not in codes, "the file is not known to be missing: it sits behind a link we do not follow"
