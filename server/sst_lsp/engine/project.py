"""The project model: one SST app rooted at the directory of its ``sst.config.ts``.

It knows the SST era, the uv workspace, every ``pyproject.toml`` that matters, every function
definition in the TypeScript files SST evaluates, and how each handler resolves on disk.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from . import typescript
from .era import Era, EraInfo, detect_era
from .files import SKIP_DIRS, FileSystem
from .runtimes import SST_RUNTIME_TYPES
from .python_source import PythonModule, read_module
from .toml_doc import TomlDocument

log = logging.getLogger(__name__)

CONFIG_NAME = "sst.config.ts"
CONFIG_RE = re.compile(r"^sst(\.[A-Za-z0-9_-]+)?\.config\.ts$")
ERA_C_FALLBACK_DIRS = ("src", "app", "functions", "lambda", "handlers", "lib")
NODE_EXTENSIONS = (".ts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".mts", ".cts", ".go", ".rs", ".cs", ".java")
TS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts")


def dist_dir_name(name: str) -> str:
    """The folder an era-B sdist is unpacked into: PEP 503 normalised, ``-`` as ``_``."""
    return canonicalize_name(name).replace("-", "_")


@dataclass
class HandlerTarget:
    """Where a handler string points."""

    text: str
    file_part: str  # before the last "." (leading "./" removed)
    function: str
    outside: bool = False  # leaves the project root (SST107)
    py_path: Path | None = None  # the .py file SST will use, when it exists
    via_fallback: str | None = None  # era C fallback folder that found it
    other_language: Path | None = None  # a non-Python file of that name exists (a Node handler)
    dotted: bool = False  # written like a dotted module path

    @property
    def exists(self) -> bool:
        return self.py_path is not None


@dataclass(eq=False)  # one object per file within an analysis: identity is equality
class PyProject:
    path: Path
    doc: TomlDocument

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str | None:
        n = self.doc.get("project", "name")
        return n if isinstance(n, str) else None

    @property
    def normalized(self) -> str | None:
        return canonicalize_name(self.name) if self.name else None

    @property
    def has_build_system(self) -> bool:
        return self.doc.has_table("build-system")

    @property
    def ok(self) -> bool:
        return self.doc.data is not None


@dataclass
class PythonFunction:
    """A FunctionDef that SST will build with its Python builder (or should)."""

    fd: typescript.FunctionDef
    target: HandlerTarget
    runtime: str | None  # effective runtime after transforms
    runtime_origin: str | None
    project: PyProject | None = None  # the handler's project (nearest pyproject walking up)


@dataclass
class Project:
    root: Path
    config: Path
    fs: FileSystem
    era_override: str | None = None
    era_override_source: str = "the --sst-version option"
    ts_trees: dict = field(default_factory=dict)  # path -> tree-sitter tree kept by the server

    # -- files ----------------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        try:
            return Path(os.path.relpath(path, self.root)).as_posix()
        except ValueError:
            return str(path)

    # What depends only on the disk and the TOML/Python files, not on TypeScript text: a server
    # carries it into the next analysis when only TypeScript documents changed (see successor).
    CARRIED = (
        "_pyprojects", "_py", "root_pyproject", "settings", "era_info", "_indexed", "python_file_index",
        "workspace_table", "member_patterns", "exclude_patterns", "workspace_members", "_member_set",
        "_uv_workspaces",
    )
    CARRIED_MEMO = ("member_projects", "member_modules", "artifact_distributions", "handler_imports")

    def successor(self, fs: FileSystem, ts_trees: dict) -> "Project":
        """The same app after edits to TypeScript only: disk-derived results are reused."""
        new = Project(self.root, self.config, fs, self.era_override, self.era_override_source, ts_trees)
        for key in self.CARRIED:
            if key in self.__dict__:
                new.__dict__[key] = self.__dict__[key]
        memo = self.__dict__.get("_memo", {})
        new.__dict__["_memo"] = {k: memo[k] for k in self.CARRIED_MEMO if k in memo}
        return new

    def memo(self, key, compute):
        """A value derived from the project, computed once per analysis."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def pyproject(self, path: Path) -> PyProject | None:
        cache = self.__dict__.setdefault("_pyprojects", {})
        if path in cache:
            return cache[path]
        path = Path(os.path.abspath(path))
        if path not in cache:
            text = self.fs.read_text(path)
            cache[path] = PyProject(path, _parse_toml(text)) if text is not None else None
        return cache[path]

    @cached_property
    def root_pyproject(self) -> PyProject | None:
        return self.pyproject(self.root / "pyproject.toml")

    @cached_property
    def settings(self) -> dict:
        rp = self.root_pyproject
        if rp is None or not rp.ok:
            return {}
        s = rp.doc.get("tool", "sst-lsp")
        return s if isinstance(s, dict) else {}

    @cached_property
    def era_info(self) -> EraInfo:
        if self.era_override:
            return detect_era(self.fs, self.root, self.era_override, self.era_override_source)
        override = self.settings.get("sst-version")
        return detect_era(self.fs, self.root, override if isinstance(override, str) else None)

    @property
    def era(self) -> Era | None:
        return self.era_info.era

    # -- TypeScript ------------------------------------------------------------------------
    def _resolve_import(self, base: Path, spec: str) -> Path | None:
        target = Path(os.path.normpath(base.parent / spec))
        stem = str(target)
        if stem.endswith(".js"):
            stem = stem[:-3]
        candidates = [Path(stem + ext) for ext in TS_EXTENSIONS] + [Path(stem)] + [Path(stem) / ("index" + ext) for ext in TS_EXTENSIONS]
        for c in candidates:
            if c.suffix in TS_EXTENSIONS and self.fs.is_file(c) and self._inside(c):
                return c
        return None

    def _inside(self, path: Path) -> bool:
        try:
            Path(os.path.abspath(path)).relative_to(self.root)
            return True
        except ValueError:
            return False

    @cached_property
    def ts_paths(self) -> list[Path]:
        """sst.config.ts, the files it imports (followed), and infra/**/*.ts."""
        order: list[Path] = []
        seen: set[Path] = set()
        queue = [self.config]
        infra = self.root / "infra"
        if self.fs.is_dir(infra):
            for dirpath, dirnames, filenames in os.walk(infra):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
                queue.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(TS_EXTENSIONS) and not f.endswith(".d.ts"))
        while queue:
            p = Path(os.path.abspath(queue.pop(0)))
            if p in seen:
                continue
            seen.add(p)
            tf = self.ts_file(p)
            if tf is None:
                continue
            order.append(p)
            for spec in tf.imports:
                target = self._resolve_import(p, spec)
                if target is not None and target not in seen:
                    queue.append(target)
        return order

    def ts_file(self, path: Path) -> typescript.TsFile | None:
        cache = self.__dict__.setdefault("_ts", {})
        if path not in cache:
            text = self.fs.read_text(path)
            if text is None:
                cache[path] = None
            else:
                cache[path] = _analyse_ts(path, text, self.ts_trees.get(path))
        return cache[path]

    @cached_property
    def ts_files(self) -> list[typescript.TsFile]:
        return [tf for p in self.ts_paths if (tf := self.ts_file(p)) is not None]

    @cached_property
    def function_transforms(self) -> list[typescript.RuntimeTransform]:
        return [t for tf in self.ts_files for t in tf.function_transforms]

    # -- handlers --------------------------------------------------------------------------
    def resolve_handler(self, handler: str, base: Path | None = None) -> HandlerTarget:
        base = base or self.root
        text = handler.strip()
        body = text[2:] if text.startswith("./") else text
        file_part, _, function = body.rpartition(".")
        target = HandlerTarget(text, file_part, function)
        if not file_part:
            return target
        if os.path.isabs(file_part) or PurePosixPath(file_part).is_absolute():
            target.outside = True
            return target
        joined = os.path.normpath(os.path.join(base, file_part))
        if not self._inside(Path(joined)):
            target.outside = True
            return target
        folders = [""]
        if self.era == Era.C:
            folders += [d + "/" for d in ERA_C_FALLBACK_DIRS]
        for folder in folders:
            cand = Path(os.path.normpath(os.path.join(base, folder + file_part + ".py")))
            if self.fs.is_file(cand) and self._inside(cand):
                target.py_path = cand
                target.via_fallback = folder.rstrip("/") or None
                break
        if target.py_path is None:
            for ext in NODE_EXTENSIONS:
                cand = Path(joined + ext)
                if self.fs.is_file(cand):
                    target.other_language = cand
                    break
        target.dotted = "/" not in file_part and "." in file_part
        return target

    def link_out_on_path(self, rel: str) -> Path | None:
        """The first link on the way to ``rel`` (root-relative) that leads out of the workspace.

        Only the app's own entries are examined (``lstat`` and the link's target name); nothing
        behind the link is opened.
        """
        current = self.root
        for part in PurePosixPath(rel).parts:
            if part in ("", ".", ".."):
                return None
            current = current / part
            if os.path.islink(current) and not self.fs.within_workspace(current):
                return current
        return None

    def handler_project(self, py_path: Path) -> PyProject | None:
        """The nearest pyproject.toml walking up from the handler file, never above the root."""
        d = py_path.parent
        while True:
            pp = self.pyproject(d / "pyproject.toml")
            if pp is not None:
                return pp
            if d == self.root or d == d.parent or not self._inside(d):
                return None
            d = d.parent

    def runtime_transform(self, fd: typescript.FunctionDef) -> tuple[typescript.RuntimeTransform | None, str | None]:
        """The transform whose runtime wins for ``fd`` and its label; (None, None) when the argument decides.

        ``=`` overrides whatever came before; ``??=`` only fills a runtime nobody has set yet.
        """
        winner, label, decided = None, None, fd.runtime is not None
        for group, lbl in ((fd.transforms, "the component's transform"), (self.function_transforms, "$transform(sst.aws.Function)")):
            for t in group:
                if t.mode == "override" or not decided:
                    winner, label, decided = t, lbl, True
        return winner, label

    def effective_runtime(self, fd: typescript.FunctionDef) -> tuple[str | None, str | None]:
        t, label = self.runtime_transform(fd)
        if t is not None:
            return t.runtime, label
        return fd.runtime, (fd.runtime_source if fd.runtime else None)

    @cached_property
    def functions(self) -> list[typescript.FunctionDef]:
        return [fd for tf in self.ts_files for fd in tf.functions]

    @cached_property
    def python_functions(self) -> list[PythonFunction]:
        """Functions SST builds (or should build) with its Python builder."""
        out = []
        for fd in self.functions:
            if fd.handler is None:
                continue
            runtime, origin = self.effective_runtime(fd)
            target = self.resolve_handler(fd.handler)
            is_python = (runtime or "").startswith("python") or target.exists
            if not is_python and not (target.dotted and target.other_language is None and self._dotted_guess(target)):
                continue
            pf = PythonFunction(fd, target, runtime, origin)
            if target.py_path is not None:
                pf.project = self.handler_project(target.py_path)
            out.append(pf)
        return out

    def _dotted_guess(self, target: HandlerTarget) -> bool:
        return bool(self.dotted_candidates(target))

    def dotted_candidates(self, target: HandlerTarget) -> list[str]:
        """Handler file paths a dotted module handler probably meant (existing .py files)."""
        if not target.dotted:
            return []
        parts = target.file_part.split(".")
        found: list[str] = []
        direct = "/".join(parts)
        if self.fs.is_file(self.root / (direct + ".py")):
            found.append(direct)
        # the first part may be a project name (field notes' advice): map it to its directory
        for member in self.workspace_members:
            pp = self.pyproject(member / "pyproject.toml")
            if pp is None or pp.name is None:
                continue
            if parts[0] in (dist_dir_name(pp.name), pp.name, pp.normalized):
                rel = self.rel(member)
                for rest in (parts[1:], ["src", dist_dir_name(pp.name), *parts[1:]]):
                    cand = "/".join([rel, *rest])
                    if cand not in found and self.fs.is_file(self.root / (cand + ".py")):
                        found.append(cand)
        return found

    # -- file index -----------------------------------------------------------------------
    @cached_property
    def _indexed(self) -> list[Path]:
        key = ("index", self.root)
        if key not in self.fs.derived:
            self.fs.derived[key] = _walk_project(self.root, self.fs, lambda n: n in ("pyproject.toml", "uv.lock") or n.endswith(".py"))
        return self.fs.derived[key]

    @cached_property
    def toml_paths(self) -> list[Path]:
        """Every pyproject.toml and the root uv.lock, as the engine checks them."""
        out = dict.fromkeys(p for p in self._indexed if p.name == "pyproject.toml")
        lock = self.root / "uv.lock"
        if lock in self._indexed:
            out[lock] = None
        for p, pp in self.__dict__.get("_pyprojects", {}).items():
            if pp is not None and isinstance(p, Path) and p.is_absolute():
                out.setdefault(p, None)
        return list(out)

    @cached_property
    def python_file_index(self) -> list[str]:
        """Every .py file of the app, as a root-relative posix path."""
        return [self.rel(p) for p in self._indexed if p.suffix == ".py"]

    # -- the uv workspace ------------------------------------------------------------------
    @cached_property
    def workspace_table(self) -> dict | None:
        rp = self.root_pyproject
        if rp is None or not rp.ok:
            return None
        ws = rp.doc.get("tool", "uv", "workspace")
        return ws if isinstance(ws, dict) else None

    @cached_property
    def member_patterns(self) -> list[str]:
        ws = self.workspace_table or {}
        m = ws.get("members")
        return [x for x in m if isinstance(x, str)] if isinstance(m, list) else []

    @cached_property
    def exclude_patterns(self) -> list[str]:
        ws = self.workspace_table or {}
        m = ws.get("exclude")
        return [x for x in m if isinstance(x, str)] if isinstance(m, list) else []

    def glob_dirs(self, pattern: str) -> list[Path]:
        """Directories a uv ``members`` / ``exclude`` glob matches (relative to the root)."""
        pattern = pattern.rstrip("/") or "."
        if pattern.startswith("/") or ".." in PurePosixPath(pattern).parts:
            return []
        key = ("glob", self.root, pattern)
        if key not in self.fs.derived:
            self.fs.derived[key] = self._glob_dirs(pattern)
        return self.fs.derived[key]

    def _glob_dirs(self, pattern: str) -> list[Path]:
        from .uv_workspace import uv_glob  # the one implementation of uv's glob

        return [p for p in uv_glob(self.root, pattern) if self.fs.is_dir(p)]

    @cached_property
    def workspace_members(self) -> list[Path]:
        """Member directories: matched by ``members``, not by ``exclude``, holding a pyproject.toml.

        The root itself is always a member when it is a workspace root.
        """
        excluded = {p for pat in self.exclude_patterns for p in self.glob_dirs(pat)}
        out: dict[Path, None] = {}
        for pat in self.member_patterns:
            for d in self.glob_dirs(pat):
                # uv skips hidden directories a glob matches
                if d not in excluded and not d.name.startswith(".") and self.fs.is_file(d / "pyproject.toml"):
                    out.setdefault(d, None)
        return list(out)

    @cached_property
    def _member_set(self) -> frozenset:
        return frozenset(self.workspace_members)

    def is_member(self, directory: Path) -> bool:
        directory = Path(os.path.abspath(directory))
        if directory == self.root and self.workspace_table is not None:
            return True
        return directory in self._member_set

    def era_c_workspace_root(self, project_dir: Path) -> Path | None:
        """Era C: the nearest ancestor (≤ 5 levels above) whose pyproject has workspace members."""
        d = project_dir.parent
        for _ in range(5):
            pp = self.pyproject(d / "pyproject.toml") if self.fs.within_workspace(d) else None
            if pp is not None and pp.ok and isinstance(pp.doc.get("tool", "uv", "workspace", "members"), list):
                return d
            if d == d.parent:
                break
            d = d.parent
        return None

    # -- Python source and versions --------------------------------------------------------
    def python_module(self, path: Path) -> PythonModule | None:
        cache = self.__dict__.setdefault("_py", {})
        if path not in cache:
            text = self.fs.read_text(path)
            cache[path] = _read_module(text) if text is not None else None
        return cache[path]

    def admitted_python_minors(self, project: PyProject | None) -> list[str] | None:
        """Python minors the first ``requires-python`` found (the function's project, else the root) admits."""
        for pp in (project, self.root_pyproject):
            rp = pp.doc.get("project", "requires-python") if pp is not None and pp.ok else None
            if isinstance(rp, str):
                return admitted_minors(rp)
        return None

    def python_minor(self, project: PyProject | None) -> tuple[str | None, str]:
        """The Python minor version a function project pins: (``"3.11"`` or None, where from)."""
        dirs = [project.dir] if project is not None else []
        if self.root not in dirs:
            dirs.append(self.root)
        for d in dirs:
            text = self.fs.read_text(d / ".python-version")
            if text:
                m = re.match(r"\s*(?:cpython-)?(3)\.(\d+)", text)
                if m:
                    return f"{m.group(1)}.{m.group(2)}", self.rel(d / ".python-version")
        for pp in [project, self.root_pyproject]:
            if pp is None or not pp.ok:
                continue
            rp = pp.doc.get("project", "requires-python")
            if isinstance(rp, str):
                minors = admitted_minors(rp)
                if len(minors) == 1:
                    return minors[0], f"requires-python in {self.rel(pp.path)}"
        return None, ""


# Parsed files are pure functions of their text: kept across analyses (a server re-analyses on
# every keystroke, but only the edited file's text changes).
_parse_toml = lru_cache(maxsize=4096)(TomlDocument.parse)
_read_module = lru_cache(maxsize=4096)(read_module)
_TS_CACHE: dict = {}


def _analyse_ts(path: Path, text: str, tree=None):
    key = (path, text)
    hit = _TS_CACHE.get(key)
    if hit is None:
        if len(_TS_CACHE) > 512:
            _TS_CACHE.clear()
        hit = _TS_CACHE[key] = typescript.analyse(path, text, tree)
    return hit


PYTHON_RUNTIMES = list(SST_RUNTIME_TYPES[-1][1])  # every Python minor any SST version accepts


def admitted_minors(requires_python: str, candidates=PYTHON_RUNTIMES) -> list[str]:
    return list(_admitted_minors(requires_python, tuple(candidates)))


@lru_cache(maxsize=512)
def _admitted_minors(requires_python: str, candidates: tuple) -> tuple:
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return []
    out = []
    for minor in candidates:
        # a minor is admitted when some patch release of it is
        if any(Version(f"{minor}.{patch}") in spec for patch in (0, 1, 5, 10, 20, 50)):
            out.append(minor)
    return tuple(out)


def find_project_roots(path: Path) -> list[Path]:
    """Every directory under ``path`` (or ``path``'s own directory) holding an sst.config.ts."""
    path = Path(os.path.abspath(path))
    if path.is_file():
        path = path.parent
    roots = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        if CONFIG_NAME in filenames:
            roots.append(Path(dirpath))
    return roots


def find_root_for(path: Path, workspace: Path | None = None) -> Path | None:
    """The nearest ancestor of ``path`` holding an sst.config.ts (not above ``workspace``)."""
    d = Path(os.path.abspath(path))
    if not d.is_dir():
        d = d.parent
    while True:
        if (d / CONFIG_NAME).is_file():
            return d
        if workspace is not None and d == Path(os.path.abspath(workspace)):
            return None
        if d == d.parent:
            return None
        d = d.parent


def _walk_project(root: Path, fs: FileSystem, want) -> list[Path]:
    """Files under ``root`` for which ``want(name)`` holds; nested SST apps and tool folders skipped."""
    out: list[Path] = []
    seen: set[str] = {os.path.realpath(root)}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        if Path(dirpath) != root and CONFIG_NAME in filenames:
            dirnames[:] = []
            continue
        keep = []
        for d in sorted(dirnames):
            if d in SKIP_DIRS or d.startswith("."):
                continue
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                # a link is followed only when it stays inside the workspace, and only once (no loops)
                real = os.path.realpath(full)
                if real in seen or not fs.within_workspace(Path(full)):
                    continue
                seen.add(real)
            keep.append(d)
        dirnames[:] = keep
        out.extend(Path(dirpath) / f for f in sorted(filenames) if want(f))
    return out
