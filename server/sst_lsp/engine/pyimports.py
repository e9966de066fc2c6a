"""What a Python file imports, and when those imports run — read with ``ast``, never executed.

``parse_python(text, minor)`` gives every ``import`` / ``from … import`` of a file with the
*context* it runs in:

- ``MODULE``: at import time of the module, unconditionally (module level, class bodies,
  ``with`` blocks, ``try`` bodies whose handlers do not catch ``ImportError``);
- ``CONDITIONAL``: at import time, but only on some paths (``if``, loops, ``match``, the
  ``else`` of a ``try``, a handler of an unrelated exception);
- ``FUNCTION``: only when a function runs (a ``def`` body);
- ``OPTIONAL``: guarded, so a missing module is expected (``try/except ImportError``,
  ``contextlib.suppress(ImportError)``, ``if TYPE_CHECKING:``, ``if __name__ == "__main__":``).

The parse (with ``feature_version`` set to the function's Python minor) also reports a syntax
error and the top-level functions' signatures. Results are cached by file content, so a
server re-analysing after each keystroke parses each Python file once.

``ImportGraph`` follows the imports that resolve to files of the project (absolute imports
through a list of source roots, relative imports through the importing file's package),
transitively: the handler's module, the ``__init__.py`` of every package on the way, and what
those import. Each file is reached with the strongest context any path gives it; a cycle ends
because a file is visited again only when it is reached with a stronger context.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

OPTIONAL, FUNCTION, CONDITIONAL, MODULE = 0, 1, 2, 3
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # lines as ast counts them
CONTEXT_WORDS = {MODULE: "at module level", CONDITIONAL: "conditionally at module level", FUNCTION: "inside a function", OPTIONAL: "as an optional import"}

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass(frozen=True)
class ImportSite:
    """One imported module name, as written."""

    module: str  # dotted name after the dots ('' for `from . import x`)
    level: int  # number of leading dots
    names: tuple[str, ...]  # `from m import a, b`: ("a", "b"); `import m`: ()
    line: int  # 0-based
    col: int  # UTF-8 bytes, as ast reports
    end_line: int
    end_col: int
    context: int

    @property
    def top(self) -> str:
        return self.module.split(".")[0]

    @property
    def text(self) -> str:
        return "." * self.level + self.module


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int  # 0-based
    column: int  # code points
    end_column: int | None


@dataclass(frozen=True)
class Signature:
    """A top-level ``def``: what Lambda's ``handler(event, context)`` call needs to know."""

    name: str
    is_async: bool
    positional: tuple[str, ...]  # positional-only and ordinary parameters
    defaults: int  # how many of them have defaults
    vararg: bool
    required_kwonly: tuple[str, ...]
    decorated: bool
    line: int  # 0-based line of the `def`
    col: int  # UTF-8 bytes: start of the name
    body_line: int  # 0-based line of the first statement of the body


@dataclass(frozen=True)
class ParsedPython:
    imports: tuple[ImportSite, ...] = ()
    syntax_error: SyntaxProblem | None = None
    changes_sys_path: bool = False
    functions: tuple[Signature, ...] = ()  # top-level defs still bound to a def at the end of the module


def interpreter_minor() -> int:
    return sys.version_info[1]


def feature_version(minor: int | None) -> tuple[int, int] | None:
    """The ``feature_version`` to parse with: the function's minor, never above this interpreter's."""
    if minor is None or minor >= interpreter_minor():
        return None
    return (3, max(minor, 7))


@lru_cache(maxsize=4096)
def parse_python(text: str, minor: int | None = None) -> ParsedPython:
    """Imports, syntax error and top-level signatures of a Python source text."""
    try:
        fv = feature_version(minor)
        tree = ast.parse(text, feature_version=fv) if fv else ast.parse(text)
    except SyntaxError as exc:
        return ParsedPython(syntax_error=_newer_syntax(text, exc) if fv else _problem(exc))
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return ParsedPython(syntax_error=SyntaxProblem(f"{type(exc).__name__}: {exc}", 0, 0, None))
    collector = _Collector()
    try:
        collector.body(tree.body, MODULE)
        signatures = _signatures(tree, text)
        changes = ("sys" in text and "path" in text or "addsitedir" in text) and _changes_sys_path(tree)
    except RecursionError:  # pragma: no cover - deeply nested code
        return ParsedPython(tuple(collector.out))
    return ParsedPython(tuple(collector.out), None, changes, signatures)


def _newer_syntax(text: str, exc: SyntaxError) -> SyntaxProblem:
    """A construct newer than the function's Python: point at the statement that starts it.

    The parser reports ``match`` at the end of the block; the ``match`` keyword is where to look.
    """
    problem = _problem(exc)
    if "attern matching" not in (exc.msg or ""):
        return problem
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return problem
    first = next((n for n in ast.walk(tree) if type(n).__name__ == "Match"), None)
    if first is None:
        return problem
    line = (_LINES.findall(text) or [""])[first.lineno - 1]
    col = len(line.encode("utf-8")[: first.col_offset].decode("utf-8", errors="ignore"))
    return SyntaxProblem(problem.message, first.lineno - 1, col, col + len("match"))


def _problem(exc: SyntaxError) -> SyntaxProblem:
    line = max((exc.lineno or 1) - 1, 0)
    col = max((exc.offset or 1) - 1, 0)
    end = None
    if exc.end_lineno == exc.lineno and exc.end_offset and exc.end_offset > (exc.offset or 0):
        end = exc.end_offset - 1
    return SyntaxProblem(exc.msg or "invalid syntax", line, col, end)


class _Collector:
    def __init__(self):
        self.out: list[ImportSite] = []

    def site(self, node, module: str, level: int, names: tuple, ctx: int) -> None:
        self.out.append(ImportSite(module, level, names, node.lineno - 1, node.col_offset, (node.end_lineno or node.lineno) - 1, node.end_col_offset or node.col_offset, ctx))

    def body(self, nodes, ctx: int) -> None:
        for node in nodes:
            self.stmt(node, ctx)

    def stmt(self, node, ctx: int) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.site(node, alias.name, 0, (), ctx)
        elif isinstance(node, ast.ImportFrom):
            self.site(node, node.module or "", node.level or 0, tuple(a.name for a in node.names), ctx)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.body(node.body, min(ctx, FUNCTION))
        elif isinstance(node, ast.ClassDef):
            self.body(node.body, ctx)  # a class body runs when the module is imported
        elif isinstance(node, ast.If):
            if _is_type_checking(node.test) or _is_main_guard(node.test):
                self.body(node.body, OPTIONAL)
                self.body(node.orelse, ctx)
            else:
                self.body(node.body, min(ctx, CONDITIONAL))
                self.body(node.orelse, min(ctx, CONDITIONAL))
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            guarded = any(_catches_import_error(h.type) for h in node.handlers)
            self.body(node.body, OPTIONAL if guarded else ctx)
            for h in node.handlers:
                self.body(h.body, OPTIONAL if guarded else min(ctx, CONDITIONAL))
            self.body(node.orelse, min(ctx, CONDITIONAL))
            self.body(node.finalbody, ctx)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            suppressed = any(_suppresses_import_error(item.context_expr) for item in node.items)
            self.body(node.body, OPTIONAL if suppressed else ctx)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self.body(node.body, min(ctx, CONDITIONAL))
            self.body(node.orelse, min(ctx, CONDITIONAL))
        elif type(node).__name__ == "Match":
            for case in node.cases:
                self.body(case.body, min(ctx, CONDITIONAL))


def _name_of(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_type_checking(test) -> bool:
    return _name_of(test) == "TYPE_CHECKING"


def _is_main_guard(test) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)


def _catches_import_error(type_node) -> bool:
    if type_node is None:
        return True  # a bare `except:`
    if isinstance(type_node, ast.Tuple):
        return any(_catches_import_error(e) for e in type_node.elts)
    return _name_of(type_node) in _IMPORT_ERRORS


def _suppresses_import_error(expr) -> bool:
    return isinstance(expr, ast.Call) and _name_of(expr.func) == "suppress" and any(_catches_import_error(a) for a in expr.args)


def _changes_sys_path(tree) -> bool:
    """Does the module change where imports are looked up (``sys.path``, ``site.addsitedir``)?"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name) and node.value.id == "sys":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "addsitedir":
            return True
    return False


def _signatures(tree, text: str) -> tuple[Signature, ...]:
    """Top-level functions whose name is still bound to that ``def`` when the module is loaded."""
    final: dict[str, object] = {}

    def visit(nodes):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                final[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            final[n.id] = n
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    final[a.asname or a.name.split(".")[0]] = node
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith)) or type(node).__name__ == "TryStar":
                visit(node.body)
                for h in getattr(node, "handlers", []):
                    visit(h.body)
                visit(getattr(node, "orelse", []))
                visit(getattr(node, "finalbody", []))

    visit(tree.body)
    lines = _LINES.findall(text)
    out = []
    for name, node in final.items():
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        a = node.args
        positional = tuple(p.arg for p in [*a.posonlyargs, *a.args])
        required_kw = tuple(k.arg for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is None)
        line = node.lineno - 1  # the `def` line, after any decorators
        out.append(
            Signature(
                name,
                isinstance(node, ast.AsyncFunctionDef),
                positional,
                len(a.defaults),
                a.vararg is not None,
                required_kw,
                bool(node.decorator_list),
                line,
                _name_column(lines, node),
                node.body[0].lineno - 1 if node.body else line,
            )
        )
    return tuple(out)


def _name_column(lines: list[str], node) -> int:
    """UTF-8 column of the function's name on its ``def`` line."""
    if node.lineno - 1 >= len(lines):
        return node.col_offset
    raw = lines[node.lineno - 1].encode("utf-8")
    m = re.compile(rb"def\s+" + re.escape(node.name.encode("utf-8"))).search(raw, node.col_offset)
    return m.end() - len(node.name.encode("utf-8")) if m else node.col_offset


def header_end(text: str, sig: Signature) -> tuple[int, int] | None:
    """(line, UTF-8 col) of the ``)`` that closes a def's parameter list, found with ``tokenize``."""
    import tokenize

    lines = _LINES.findall(text)
    start = sig.line
    header = iter(lines[start:sig.body_line + 1])
    depth = 0
    seen_open = False
    try:
        for tok in tokenize.generate_tokens(lambda: next(header, "")):
            if tok.type != tokenize.OP:
                continue
            if tok.string == "(":
                depth += 1
                seen_open = True
            elif tok.string == ")":
                depth -= 1
                if seen_open and depth == 0:
                    row, col = tok.start  # col in code points
                    text_line = lines[start + row - 1]
                    return start + row - 1, len(text_line[:col].encode("utf-8"))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return None


# -- the graph ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalImport:
    """An import whose top-level module is not a file of the project."""

    site: ImportSite
    file: Path
    context: int  # the weaker of the site's own and the file's reach


@dataclass
class ImportGraph:
    files: dict[Path, int] = field(default_factory=dict)  # file -> strongest context it is reached with
    externals: list[ExternalImport] = field(default_factory=list)
    syntax_errors: list[tuple[Path, SyntaxProblem, int]] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)
    changes_sys_path: list[Path] = field(default_factory=list)

    def strongest_external(self) -> dict[str, ExternalImport]:
        """For each external top-level name, its strongest import (module level first)."""
        out: dict[str, ExternalImport] = {}
        for e in self.externals:
            cur = out.get(e.site.top)
            if cur is None or e.context > cur.context:
                out[e.site.top] = e
        return out


class Resolver:
    """Where the project's modules are: source roots for absolute imports, the disk through ``fs``."""

    def __init__(self, fs, roots):
        self.fs = fs
        self._roots = roots  # a list, or a callable giving it when an import first needs it

    @property
    def roots(self) -> list[Path]:
        if callable(self._roots):
            self._roots = [Path(r) for r in dict.fromkeys(self._roots())]
        return self._roots

    def _module_file(self, base: Path, parts: list[str]) -> list[Path]:
        """Files that run when ``parts`` is imported under ``base``: packages' ``__init__.py`` and the module."""
        out: list[Path] = []
        cur = base
        for part in parts:
            if not part:
                return out
            pkg = cur / part
            if self.fs.is_file(pkg / "__init__.py"):
                out.append(pkg / "__init__.py")
                cur = pkg
                continue
            if self.fs.is_file(cur / f"{part}.py"):
                out.append(cur / f"{part}.py")
                return out  # a module: what follows are attributes, not files
            if self.fs.is_dir(pkg):
                cur = pkg  # a namespace package
                continue
            return out
        return out

    def local_top(self, top: str, importer: Path) -> Path | None:
        """The root (or the importing file's own folder) under which ``top`` is a file or folder."""
        for root in [*self.roots, importer.parent]:
            if self.fs.is_file(root / f"{top}.py") or self.fs.is_file(root / top / "__init__.py") or self._is_namespace(root / top):
                return root
        return None

    def _is_namespace(self, d: Path) -> bool:
        if not self.fs.is_dir(d):
            return False
        key = ("pyns", d)
        known = self.fs.derived.get(key)
        if known is None:
            known = self.fs.derived[key] = any(
                (e.is_file and e.name.endswith(".py")) or (e.is_dir and self.fs.is_file(e.path / "__init__.py")) for e in self.fs.listdir(d)
            )
        return known

    def files_for(self, site: ImportSite, importer: Path) -> tuple[bool, list[Path]]:
        """(is the import the project's own, the files it runs)."""
        if site.level:
            base = importer.parent
            for _ in range(site.level - 1):
                base = base.parent
            parts = site.module.split(".") if site.module else []
            files = self._module_file(base, parts) if parts else []
            sub_base = base.joinpath(*parts) if parts else base
            for name in site.names:
                if name != "*":
                    files += [f for f in self._module_file(sub_base, [name]) if f not in files]
            return True, files
        root = self.local_top(site.top, importer)
        if root is None:
            return False, []
        parts = site.module.split(".")
        files = self._module_file(root, parts)
        sub = root.joinpath(*parts)
        if self.fs.is_dir(sub):
            for name in site.names:
                if name != "*":
                    files += [f for f in self._module_file(sub, [name]) if f not in files]
        return True, files


EMPTY = ParsedPython()


def build_graph(fs, start: list[Path], resolver: Resolver, minor: int | None, parses_cleanly=None) -> ImportGraph:
    """Follow project imports from ``start`` (the handler's module and its packages' ``__init__.py``).

    ``parses_cleanly(path)``, when given, says whether a file is already known to parse with this
    interpreter's grammar: such a file without the word ``import`` needs no parse of its own.
    """
    graph = ImportGraph()
    externals: dict[tuple, ExternalImport] = {}
    queue: list[tuple[Path, int]] = [(p, MODULE) for p in start]
    while queue:
        path, ctx = queue.pop(0)
        if graph.files.get(path, -1) >= ctx:
            continue  # already reached at least this strongly: cycles end here
        first = path not in graph.files
        graph.files[path] = ctx
        text = fs.read_text(path)
        if text is None:
            if first:
                graph.unreadable.append(path)
            continue
        if "import" not in text and feature_version(minor) is None and parses_cleanly is not None and parses_cleanly(path):
            parsed = EMPTY
        else:
            parsed = parse_python(text, minor)
        if parsed.syntax_error is not None:
            graph.syntax_errors = [s for s in graph.syntax_errors if s[0] != path] + [(path, parsed.syntax_error, ctx)]
            continue
        if parsed.changes_sys_path and path not in graph.changes_sys_path:
            graph.changes_sys_path.append(path)
        for site in parsed.imports:
            eff = min(ctx, site.context)
            if site.level == 0 and site.top == "__future__":
                continue
            local, files = resolver.files_for(site, path)
            if not local:
                if eff > OPTIONAL:
                    externals[(path, site)] = ExternalImport(site, path, eff)
                continue
            for f in files:
                if graph.files.get(f, -1) < eff:
                    queue.append((f, eff))
    graph.externals = list(externals.values())
    return graph
