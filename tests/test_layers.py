"""The package's layers only look down, and nothing imports in a circle.

engine/ (the model) imports nothing above it; rules/ read the engine; analysis.py runs the rules;
features/ and server.py speak the protocol, and are the only modules that import lsprotocol or
pygls.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import REPO

PACKAGE = REPO / "server" / "sst_lsp"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (anywhere in the file), absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            for a in node.names:  # `from . import fixer` names a module
                out.add(f"{mod}.{a.name}")
    return out


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: {m for m in _imports(p) if m in MODULES and m != name} for name, p in MODULES.items()}


def test_no_import_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(GRAPH[n]):
            if m == "sst_lsp" or n == "sst_lsp":
                continue  # the package's own __init__ holds only the version
            if state.get(m) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(m):] + [m]))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(GRAPH):
        if n not in state:
            visit(n)


def test_engine_imports_nothing_above_it():
    above = ("sst_lsp.rules", "sst_lsp.features", "sst_lsp.server", "sst_lsp.session", "sst_lsp.analysis", "sst_lsp.cli", "sst_lsp.fixer")
    for name, deps in GRAPH.items():
        if name.startswith("sst_lsp.engine"):
            bad = sorted(d for d in deps if d.startswith(above))
            assert not bad, f"{name} imports {bad}"


def test_only_the_protocol_layer_imports_lsprotocol_and_pygls():
    for name, path in MODULES.items():
        external = {m.split(".")[0] for m in _imports(path)}
        if external & {"lsprotocol", "pygls"}:
            assert name.startswith("sst_lsp.features") or name == "sst_lsp.server", name


def test_the_checks_see_the_imports():
    """The graph really holds edges (a parser that found none would pass everything above)."""
    assert "sst_lsp.engine.project" in GRAPH["sst_lsp.analysis"]
    assert "sst_lsp.rules.registry" in GRAPH["sst_lsp.analysis"]
    assert "sst_lsp.engine.typescript" in GRAPH["sst_lsp.engine.project"]
