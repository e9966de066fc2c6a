"""Top-level bindings of a Python file, read with ``ast`` — never imported, never run."""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    name: str
    line: int  # 0-based
    column: int  # UTF-8 bytes, as ast reports it
    kind: str  # "function", "class", "assignment", "import"
    signature: str = ""
    docstring: str | None = None


@dataclass(frozen=True)
class PythonModule:
    bindings: dict[str, Binding]
    syntax_error: str | None = None


def _signature(node) -> str:
    try:
        args = ast.unparse(node.args)
    except Exception:  # pragma: no cover
        args = "..."
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    ret = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{prefix} {node.name}({args}){ret}"


def _targets(target) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for t in target.elts for n in _targets(t)]
    return []


def _collect(body, out: dict[str, Binding]) -> None:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = Binding(node.name, node.lineno - 1, node.col_offset, "function", _signature(node), ast.get_docstring(node))
        elif isinstance(node, ast.ClassDef):
            out[node.name] = Binding(node.name, node.lineno - 1, node.col_offset, "class", f"class {node.name}", ast.get_docstring(node))
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                for n in _targets(t):
                    out[n.id] = Binding(n.id, n.lineno - 1, n.col_offset, "assignment")
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            out[node.target.id] = Binding(node.target.id, node.lineno - 1, node.col_offset, "assignment")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    continue
                name = alias.asname or alias.name.split(".")[0]
                out[name] = Binding(name, node.lineno - 1, node.col_offset, "import")
        elif isinstance(node, (ast.If, ast.Try)) or type(node).__name__ == "TryStar":
            # bindings made under `if` / `try` at module level still exist at import time
            _collect(node.body, out)
            for h in getattr(node, "handlers", []):
                _collect(h.body, out)
            _collect(getattr(node, "orelse", []), out)
            _collect(getattr(node, "finalbody", []), out)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            _collect(node.body, out)


def read_module(text: str) -> PythonModule:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return PythonModule({}, f"{type(exc).__name__}: {exc}")
    out: dict[str, Binding] = {}
    _collect(tree.body, out)
    return PythonModule(out)
