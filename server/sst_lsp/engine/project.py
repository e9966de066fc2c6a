"""The project model: one SST app rooted at the directory of its ``sst.config.ts``.

It knows the SST era, the uv workspace, every ``pyproject.toml`` that matters, every function
definition in the TypeScript files SST evaluates, and how each handler resolves on disk.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from . import typescript
from .era import Era, EraInfo, detect_era, stated_version
from .files import TS_EXTENSIONS, FileSystem
from .memo import KeptTuple, Memo, serial_of
from .positions import Range
from .python_source import PythonModule, read_module
from .runtimes import SST_RUNTIME_TYPES
from .toml_doc import TomlDocument
from .ts_syntax import string_lit
from .uv_workspace import Workspace, discover, uv_glob
from .zip_layout import copy_files, dist_dir_name

log = logging.getLogger(__name__)

CONFIG_NAME = "sst.config.ts"
CONFIG_RE = re.compile(r"^sst(\.[A-Za-z0-9_-]+)?\.config\.ts$")
ERA_C_FALLBACK_DIRS = ("src", "app", "functions", "lambda", "handlers", "lib")
NODE_EXTENSIONS = (".ts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".mts", ".cts", ".go", ".rs", ".cs", ".java")


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
    """A pyproject.toml as parsed (its document is never changed in place: what follows from it is
    computed once)."""

    path: Path
    doc: TomlDocument

    @cached_property
    def dir(self) -> Path:
        return self.path.parent

    @cached_property
    def name(self) -> str | None:
        n = self.doc.get("project", "name")
        return n if isinstance(n, str) else None

    @cached_property
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
    project_path: Path | None = None  # the handler's pyproject.toml (nearest walking up)
    disk: "DiskModel | None" = field(default=None, repr=False, compare=False)

    @property
    def project(self) -> PyProject | None:
        """The handler's project. Read when asked, so that only who reads it depends on its text."""
        return self.disk.pyproject(self.project_path) if self.project_path is not None else None


def memo_property(method):
    """A ``DiskModel`` property kept in its ``Memo``: recomputed only when what it read changed."""
    key = ("prop", method.__name__)

    def get(self):
        return self.memo.fetch(key, lambda: method(self), reexec=True)

    return property(get, doc=method.__doc__)


@dataclass(eq=False)
class DiskModel:
    """What the app's files say, apart from TypeScript: pyproject.toml files, uv.lock, Python
    sources, the SST version, the uv workspace.

    It depends only on the disk and the open non-TypeScript documents. A server keeps one per
    disk generation (and set of open documents): ``advance`` gives it the documents' new texts,
    and its ``memo`` recomputes only what read a changed one.
    """

    root: Path
    config: Path
    fs: FileSystem
    era_override: str | None = None  # --sst-version
    editor_version: str | None = None  # the editor's sstVersion setting
    keeps_results: bool = False  # an editor session analyses again: results are kept (see ``memo``)
    memo: Memo | None = field(default=None, repr=False)
    current: object = field(default=None, repr=False)  # the latest Project over it (what memoised work reruns with)

    def __post_init__(self):
        if self.memo is None:
            self.memo = Memo(tracking=self.keeps_results)
        if self.keeps_results:
            self.fs.memo = self.memo

    def rel(self, path: Path) -> str:
        try:
            return Path(os.path.relpath(path, self.root)).as_posix()
        except ValueError:
            return str(path)

    def derive(self, key, compute, reexec: bool = False, transient: bool = False):
        """A fact derived from the disk model (``member_projects``, the uv workspaces …), computed once
        and kept while what it read is unchanged. ``reexec``: ``compute`` reads the disk model only
        (no analysis's TypeScript), so the memo may rerun it to learn whether its value changed.
        ``transient``: keyed by what an edit can change (a handler string): dropped once unused."""
        return self.memo.fetch(("derive", key), compute, reexec=reexec, transient=transient)

    def kept(self, key, compute):
        """A result kept across analyses while its ``key`` (the facts it was computed from) recurs and
        the documents it read are unchanged; dropped when two analyses did not ask for it."""
        return self.memo.fetch(key, compute, transient=True)

    def advance(self, fs: FileSystem, overlays: dict, analysis: bool = True) -> set:
        """The next analysis over this disk model (``analysis=False``: a hover's look at it): the
        editor's documents now say ``overlays``. Returns the paths of the non-TypeScript documents
        whose text changed."""
        fs.memo = self.memo
        self.fs = fs
        return self.memo.advance({p: t for p, t in overlays.items() if not p.name.endswith(TS_EXTENSIONS)}, analysis)

    def pyproject(self, path: Path) -> PyProject | None:
        absolute = self.fs.absolute(path)
        return self.memo.fetch(("pyproject", absolute), lambda: self._pyproject(absolute), reexec=True)

    def _pyproject(self, path: Path) -> PyProject | None:
        text = self.fs.read_text(path)
        return PyProject(path, _parse_toml(text)) if text is not None else None

    @memo_property
    def root_pyproject(self) -> PyProject | None:
        return self.pyproject(self.root / "pyproject.toml")

    @memo_property
    def settings(self) -> dict:
        rp = self.root_pyproject
        if rp is None or not rp.ok:
            return {}
        s = rp.doc.get("tool", "sst-lsp")
        return s if isinstance(s, dict) else {}

    @memo_property
    def era_info(self) -> EraInfo:
        version, source = stated_version(self.era_override, self.settings.get("sst-version"), self.editor_version)
        return detect_era(self.fs, self.root, version, source)

    @property
    def era(self) -> Era | None:
        return self.era_info.era

    def _inside(self, path: Path) -> bool:
        """Is ``path`` (made absolute, not following links) the root or under it? Told on strings:
        a Path made for each question was a tenth of a cold check's path work."""
        p = os.path.normcase(os.path.abspath(path))
        return p == self._root_text or p.startswith(self._root_prefix)

    @cached_property
    def _root_text(self) -> str:
        return os.path.normcase(str(self.root))

    @cached_property
    def _root_prefix(self) -> str:
        r = self._root_text
        return r if r.endswith(os.sep) else r + os.sep

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

    def resolve_handler(self, handler: str, base: Path | None = None) -> HandlerTarget:
        """Where a handler string points (computed once per disk state; do not modify the result)."""
        return self.memo.fetch(("handler", handler, base), lambda: self._resolve_handler(handler, base or self.root), reexec=True, transient=True)

    def _resolve_handler(self, handler: str, base: Path) -> HandlerTarget:
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
        if not self._inside(joined):
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

    def handler_project(self, py_path: Path) -> PyProject | None:
        """The nearest pyproject.toml walking up from the handler file, never above the root."""
        path = self.handler_project_path(py_path)
        return self.pyproject(path) if path is not None else None

    def handler_project_path(self, py_path: Path) -> Path | None:
        """Where ``handler_project`` is: unchanged by edits inside it, so what asks only where stays kept."""
        return self.memo.fetch(("handler-project", py_path), lambda: self._handler_project_path(py_path), reexec=True)

    def _handler_project_path(self, py_path: Path) -> Path | None:
        d = py_path.parent
        while True:
            pp = self.pyproject(d / "pyproject.toml")
            if pp is not None:
                return pp.path
            if d == self.root or d == d.parent or not self._inside(d):
                return None
            d = d.parent

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

    @memo_property
    def _indexed(self) -> list[Path]:
        key = ("index", self.root)
        if key not in self.fs.derived:
            self.fs.derived[key] = _walk_project(self.root, self.fs, lambda n: n in ("pyproject.toml", "uv.lock") or n.endswith(".py"))
        return self.fs.derived[key]

    @memo_property
    def toml_paths(self) -> list[Path]:
        """The app's pyproject.toml files (its own and its members'), and the root uv.lock.

        Only files of the app: a pyproject.toml read while looking above the root (era C's
        ancestor workspace) is not one of them, whatever was read before.
        """
        out = dict.fromkeys(p for p in self._indexed if p.name == "pyproject.toml")
        for member in self.workspace_members:
            out.setdefault(member / "pyproject.toml", None)
        lock = self.root / "uv.lock"
        if lock in self._indexed:
            out[lock] = None
        return list(out)

    @memo_property
    def pyproject_paths(self) -> list[Path]:
        """``toml_paths`` without the uv.lock, the same list while the disk model stands (a rule
        that keeps a part per project asks with it: ``Memo.fetch_all`` answers at once)."""
        return [p for p in self.toml_paths if p.name == "pyproject.toml"]

    @memo_property
    def pyproject_set(self) -> frozenset:
        """``pyproject_paths`` as a set: is a handler's project one of the app's files?"""
        return frozenset(self.pyproject_paths)

    @memo_property
    def python_file_index(self) -> list[str]:
        """Every .py file of the app, as a root-relative posix path."""
        return [self.rel(p) for p in self._indexed if p.suffix == ".py"]

    @memo_property
    def workspace_table(self) -> dict | None:
        rp = self.root_pyproject
        if rp is None or not rp.ok:
            return None
        ws = rp.doc.get("tool", "uv", "workspace")
        return ws if isinstance(ws, dict) else None

    @memo_property
    def member_patterns(self) -> list[str]:
        ws = self.workspace_table or {}
        m = ws.get("members")
        return [x for x in m if isinstance(x, str)] if isinstance(m, list) else []

    @memo_property
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
        return [p for p in uv_glob(self.fs, self.root, pattern) if self.fs.is_dir(p)]

    @memo_property
    def root_workspace(self) -> Workspace | None:
        """uv's view of the workspace the root pyproject.toml declares (None when it declares none)."""
        return discover(self, self.root_pyproject)

    @memo_property
    def workspace_members(self) -> list[Path]:
        """Member directories, as uv finds them: matched by ``members``, not by ``exclude``, not
        hidden, holding a pyproject.toml (readable or not)."""
        ws = self.root_workspace
        if ws is None:
            return []
        return [m.path for e in ws.entries for m in e.matches if m.kind in ("member", "unmanaged", "unreadable")]

    @memo_property
    def _member_set(self) -> frozenset:
        """Member directories, as written and as the folders they really are.

        A folder reached through a symbolic link inside the app (``functions -> packages/functions``)
        is the same project for uv as its target: ``uv export --package`` finds it by name.
        """
        real = {Path(os.path.realpath(d)) for d in self.workspace_members if self.fs.within_workspace(d)}
        return frozenset(self.workspace_members) | real

    def is_member(self, directory: Path) -> bool:
        directory = Path(os.path.abspath(directory))
        if directory == self.root and self.workspace_table is not None:
            return True
        if directory in self._member_set:
            return True
        return self.fs.within_workspace(directory) and Path(os.path.realpath(directory)) in self._member_set

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

    def python_module(self, path: Path) -> PythonModule | None:
        return self.memo.fetch(("python", path), lambda: self._python_module(path), reexec=True)

    def _python_module(self, path: Path) -> PythonModule | None:
        text = self.fs.read_text(path)
        return _read_module(text) if text is not None else None

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


class Latest:
    """The newest analysis over a disk model, standing in for it in what the memo keeps.

    A kept computation may be rerun at a later analysis (to learn whether its value changed): it
    then runs with the analysis of the day, and keeps no earlier one (and its syntax trees) alive.
    """

    __slots__ = ("disk",)

    def __init__(self, disk: "DiskModel"):
        self.disk = disk

    def __getattr__(self, name):
        return getattr(self.disk.current, name)


def _disk(name: str) -> property:
    return property(lambda self: getattr(self.disk, name), doc=f"The disk model's ``{name}``.")


@dataclass(eq=False)
class Project:
    """One app: the disk model plus what the TypeScript files SST evaluates define.

    ``fs`` carries the editor's open documents; ``disk`` may be shared with the analysis before
    (see ``DiskModel.advance``), everything TypeScript-derived is this analysis's own.
    """

    root: Path
    config: Path
    fs: FileSystem
    era_override: str | None = None  # --sst-version
    editor_version: str | None = None  # the editor's sstVersion setting
    ts_trees: dict = field(default_factory=dict)  # path -> tree-sitter tree kept by the server
    disk: DiskModel | None = None

    def __post_init__(self):
        if self.disk is None:
            self.disk = DiskModel(self.root, self.config, self.fs, self.era_override, self.editor_version)
        self.disk.current = self
        self._ts: dict = {}
        self._once: dict = {}

    def once(self, key, compute):
        """A value computed once in this analysis (never shared with the next one, unlike ``derive``).

        Whoever asks for it depends on what computing it read (see ``Memo.replay``)."""
        hit = self._once.get(key)
        if hit is None:
            hit = self._once[key] = self.disk.memo.capture(compute)
        self.disk.memo.replay(hit[1], hit[2])
        return hit[0]

    rel = _disk("rel")
    derive = _disk("derive")
    pyproject = _disk("pyproject")
    root_pyproject = _disk("root_pyproject")
    settings = _disk("settings")
    era_info = _disk("era_info")
    era = _disk("era")
    link_out_on_path = _disk("link_out_on_path")
    handler_project = _disk("handler_project")
    handler_project_path = _disk("handler_project_path")
    resolve_handler = _disk("resolve_handler")
    dotted_candidates = _disk("dotted_candidates")
    toml_paths = _disk("toml_paths")
    pyproject_paths = _disk("pyproject_paths")
    pyproject_set = _disk("pyproject_set")
    python_file_index = _disk("python_file_index")
    workspace_table = _disk("workspace_table")
    root_workspace = _disk("root_workspace")
    member_patterns = _disk("member_patterns")
    exclude_patterns = _disk("exclude_patterns")
    glob_dirs = _disk("glob_dirs")
    workspace_members = _disk("workspace_members")
    is_member = _disk("is_member")
    era_c_workspace_root = _disk("era_c_workspace_root")
    python_module = _disk("python_module")
    admitted_python_minors = _disk("admitted_python_minors")
    python_minor = _disk("python_minor")
    _inside = _disk("_inside")

    def _resolve_import(self, base: Path, spec: str) -> Path | None:
        """The TypeScript file a relative import of ``base`` loads (kept with the disk model while
        the same TypeScript documents are open: an open document counts as a file)."""
        fs, disk = self.fs, self.disk
        opened = frozenset(p for p in fs.overlays if p.name.endswith(TS_EXTENSIONS))
        return self.derive(("import", base, spec, opened), lambda: _find_import(fs, disk, base, spec), reexec=True, transient=True)

    def infra_files(self) -> list[Path]:
        """sst.config.ts and infra/**/*.ts: where the TypeScript SST evaluates starts."""
        return list(self.derive("infra-files", self._infra_files))

    def _infra_files(self) -> list[Path]:
        out = [Path(os.path.abspath(self.config))]
        for folder, _, files in self.fs.walk(self.root / "infra"):
            out.extend(folder / f for f in files if f.endswith(TS_EXTENSIONS) and not f.endswith(".d.ts"))
        return out

    @cached_property
    def ts_paths(self) -> list[Path]:
        """sst.config.ts, the files it imports (followed), and infra/**/*.ts."""
        order: list[Path] = []
        seen: set[Path] = set()
        queue = self.infra_files()
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
        cache = self._ts
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

    @cached_property
    def app_transforms(self) -> tuple:
        """``function_transforms`` as one kept object, the same in every analysis while they are
        equal: what is computed per function under them is kept by identity."""
        value = KeptTuple(self.function_transforms)
        return self.disk.kept(("transforms", value), lambda: value)

    def runtime_transform(self, fd: typescript.FunctionDef) -> tuple[typescript.RuntimeTransform | None, str | None]:
        """The transform whose runtime wins for ``fd`` and its label; (None, None) when the argument decides.

        ``=`` overrides whatever came before; ``??=`` only fills a runtime nobody has set yet.
        """
        winner, label, decided = None, None, fd.runtime is not None or fd.runtime_unresolved is not None
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
        """Every function handed to an SST component, values imported from other files resolved.

        The same objects in every analysis of the same TypeScript (their identity keys what
        follows from them: ``python_functions``, the rules' facts)."""
        return self.disk.kept(("functions", self.ts_key), self._functions)

    def _functions(self) -> list[typescript.FunctionDef]:
        out: list[typescript.FunctionDef] = []
        seen: set = set()
        for tf in self.ts_files:
            for fd in tf.functions:
                linked = self._link(fd) if fd.pending else fd
                if linked is None:
                    continue
                key = (linked.file, linked.object_range or linked.handler_range, linked.use_file, linked.use_range)
                if key not in seen:
                    seen.add(key)
                    out.append(linked)
        return out

    def unseen(self) -> list[tuple[Path, Range, str]]:
        """What the analysis could not resolve, per function: (file, range, what) for ``check -v``."""
        out: list[tuple[Path, Range, str]] = []
        for fd in self.functions:
            where = (fd.use_file or fd.file, fd.use_range or fd.handler_range)
            if fd.handler is None and fd.unresolved:
                out.append((*where, f"handler {fd.unresolved} (could not be evaluated)"))
            for u in fd.unknowns:
                if u.keys is None or u.keys & typescript.ANALYSED_ARGUMENTS:
                    out.append((*where, u.describe()))
            if fd.runtime_unresolved:
                out.append((*where, f"runtime {fd.runtime_unresolved}"))
            if "copyFiles" in fd.pairs:
                copied = copy_files(self, fd)
                if copied is not None and copied.unknown:
                    out.append((*where, f"copyFiles {copied.unknown}"))
            if fd.has_layers:
                out.append((*where, "layers (their contents are not visible)"))
        return out

    def ts_deref(self, file: Path, ref: typescript.Ref, depth: int = 0):
        """(extractor, node) of the value ``ref`` names, as seen from ``file``; None when not found."""
        if depth > 8:
            return None
        target = self._resolve_import(file, ref.spec)
        tf = self.ts_file(target) if target is not None else None
        ex = tf.extractor if tf is not None else None
        if ex is None:
            return None
        value = ex.export_value(ref.name) if ref.name != "*" else None
        if value is None and ref.name != "*":
            for spec in ex.star_exports:
                found = self.ts_deref(target, typescript.Ref(spec, ref.name, ref.path), depth + 1)
                if found is not None:
                    return found
            return None
        for key in ref.path:
            value = ex._member(value, key, 0)
            if value is None:
                return None
        if isinstance(value, typescript.Ref):
            return self.ts_deref(target, value, depth + 1)
        if value is None or isinstance(value, typescript.NameRef):
            return None
        return ex, value

    def static_value(self, file: Path, value, depth: int = 0):
        """``value`` from ``Extractor.evaluate`` with every ``Ref`` replaced by what it names."""
        if isinstance(value, typescript.Ref):
            found = self.ts_deref(file, value) if depth < 8 else None
            if found is None:
                return typescript.Unknown("value", f"{value.name} from {value.spec}")
            ex, node = found
            return self.static_value(ex.path, ex.evaluate(node), depth + 1)
        if isinstance(value, list):
            return [self.static_value(file, v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {k: self.static_value(file, v, depth + 1) for k, v in value.items()}
        return value

    def argument_value(self, fd: typescript.FunctionDef, key: str):
        """The static value of argument ``key`` of ``fd`` (None when absent; ``Unknown`` parts inside)."""
        pair = fd.pairs.get(key)
        if pair is None or pair.node_type is None:
            return None
        file = pair.file or fd.file
        if pair.evaluated is not typescript.NOT_EVALUATED:
            return self.static_value(file, pair.evaluated)
        tf = self.ts_file(file)
        node = tf.extractor.node_at(pair.value_range, pair.node_type) if tf is not None and tf.extractor is not None else None
        if node is None:
            return typescript.Unknown(key, pair.value_text)
        return self.static_value(file, tf.extractor.evaluate(node))

    def _link(self, fd: typescript.FunctionDef) -> typescript.FunctionDef | None:
        """``fd`` with the values it takes from other modules resolved; None when it is no function.

        The cached FunctionDef of the file is left as it is: this works on a copy.
        """
        pending = fd.pending
        fd = replace(fd, pairs=dict(fd.pairs), unknowns=list(fd.unknowns), pending=[])
        for item in pending:
            what, ref = item[0], item[1]
            found = self.ts_deref(fd.file, ref)
            if what == "spread":
                if found is None or found[1].type != "object":
                    fd.unknowns.append(typescript.Unknown("spread", f"{ref.name} from {ref.spec}"))
                    continue
                ex, node = found
                sink: list = []
                for key, p in ex._pairs(node, sink=sink).items():
                    if key not in fd.pairs or key in item[2]:
                        fd.pairs[key] = replace(p, file=None if ex.path == fd.file else ex.path)
                fd.unknowns.extend(typescript.Unknown("spread", s[1].name) if s[0] == "ref" else typescript.Unknown("spread", s[1], s[2]) for s in sink if s[0] == "ref" or s[2] != frozenset())
                continue
            if what == "pair":
                lit = string_lit(found[1], found[0].src, found[0].index) if found is not None else None
                if lit is not None and item[2] in fd.pairs:
                    fd.pairs[item[2]] = replace(fd.pairs[item[2]], string=lit)
                continue
            if found is None:
                fd.unknowns.append(typescript.Unknown("handler", fd.unresolved or f"{ref.name} from {ref.spec}"))
                continue
            ex, node = found
            lit = string_lit(node, ex.src, ex.index)
            if lit is not None:
                if what == "value" and not typescript.HANDLER_SHAPE.match(lit.value):
                    return None  # a name or a route, not a handler
                fd.handler, fd.handler_lit, fd.lit_file, fd.unresolved = lit.value, lit, (None if ex.path == fd.file else ex.path), None
                continue
            if what == "value" and node.type == "object" and ex.handler_pair(node) is not None:
                inner = ex.function_from_object(node, fd.kind, fd.transforms)
                inner.use_file, inner.use_range = fd.file, fd.handler_range
                return self._link(inner) if inner.pending else inner
            if what == "value":
                return None  # not a handler string nor an arguments object
            fd.unknowns.append(typescript.Unknown("handler", fd.unresolved or ""))
        if fd.handler is None and "handler" in fd.pairs and fd.pairs["handler"].string is not None:
            p = fd.pairs["handler"]
            fd.handler, fd.handler_lit, fd.lit_file = p.string.value, p.string, p.file
        typescript.apply_runtime(fd)
        return fd

    @property
    def python_functions(self) -> list[PythonFunction]:
        """Functions SST builds (or should build) with its Python builder."""
        return self._python_table()[0]

    @property
    def handler_projects(self) -> frozenset:
        """The pyproject.toml of every Python function's project, once per analysis."""
        return self.once("handler-projects", lambda: frozenset(pf.project_path for pf in self.python_functions if pf.project_path is not None))

    @property
    def unindexed_handler_projects(self) -> frozenset:
        """The handlers' projects that are not among the app's pyproject.toml files (the file index
        missed them: rare); a rule that keeps its parts per indexed file judges these apart."""
        return self.handler_projects - self.pyproject_set

    def python_by_function(self, record: bool = True) -> dict:
        """id of a ``FunctionDef`` -> its Python functions (``record=False``: without depending on
        every function's, for a caller that depends on one function's decision by ``python_deps``)."""
        return self._python_table(record)[2]

    def python_deps(self, fd: typescript.FunctionDef) -> tuple:
        """What deciding ``fd``'s Python functions read: (memo keys, document paths), for
        ``Memo.replay``. Asking does not make the caller depend on every function's."""
        return self._python_table(record=False)[1].get(id(fd), ((), ()))

    def _python_table(self, record: bool = True) -> tuple:
        # not rerun on its own: only this key's analysis can compute it (another one's functions
        # are other objects); what depends on it asks again
        return self.disk.memo.fetch(("python-functions", self.ts_key), self._python_functions, transient=True, record=record)

    def _python_functions(self) -> tuple:
        out: list[PythonFunction] = []
        memo = self.disk.memo
        deps: dict = {}
        by_function: dict = {}
        with_handler = [fd for fd in self.functions if fd.handler is not None]
        if memo.tracking:
            # decided once per FunctionDef object (the extraction reuses the unchanged ones) and
            # app-wide transforms, again when what it read changed; the rules that ask about one
            # function depend on this decision alone. Asked for as a group: an edit costs the
            # functions it changed. (Not rerun on its own: the computation holds this analysis)
            app = serial_of(self.app_transforms)
            keys = [("python-function", serial_of(fd), app) for fd in with_handler]
            decided = memo.fetch_all(("python-function-group",), keys, lambda i: lambda fd=with_handler[i]: self._python_function(fd), reexec=False)
            for fd, key in zip(with_handler, keys):
                deps[id(fd)] = ((key,), ())
        else:
            decided = [self._python_function(fd) for fd in with_handler]
        for fd, pf in zip(with_handler, decided):
            if pf is not None:
                out.append(pf)
                by_function.setdefault(id(fd), []).append(pf)
        return out, deps, by_function

    def _python_function(self, fd: typescript.FunctionDef) -> PythonFunction | None:
        runtime, origin = self.effective_runtime(fd)
        target = self.resolve_handler(fd.handler)
        is_python = (runtime or "").startswith("python") or target.exists
        if not is_python and not (target.dotted and target.other_language is None and self._dotted_guess(target)):
            return None
        return PythonFunction(fd, target, runtime, origin, self.disk.handler_project_path(target.py_path) if target.py_path else None, self.disk)

    @cached_property
    def ts_key(self) -> tuple:
        """The TypeScript this analysis read, as a memo key: what every file's analysis extracted,
        by identity (an analysis is kept per text, and texts that differ only inside a comment
        share theirs), held alive by the memo while the key is in use."""
        contents = tuple(tf.content for tf in self.ts_files)
        key = ("ts", tuple(map(id, contents)))
        self.disk.kept(key, lambda: contents)
        return key

    def _dotted_guess(self, target: HandlerTarget) -> bool:
        return bool(self.dotted_candidates(target))


# Parsed files are pure functions of their text: kept across analyses (a server re-analyses on
# every keystroke, but only the edited file's text changes).
_parse_toml = lru_cache(maxsize=4096)(TomlDocument.parse)
_read_module = lru_cache(maxsize=4096)(read_module)
_TS_CACHE: dict = {}  # path -> [(text, TsFile)], the most recent first
_TS_VERSIONS = 3  # a few versions per file: typing a character and taking it away hits the cache


def _analyse_ts(path: Path, text: str, tree=None):
    """The file's analysis, kept for its last few texts only: an editor sends a new text on every
    keystroke, and every analysis kept holds a syntax tree (more memory, and longer collections)."""
    versions = _TS_CACHE.setdefault(path, [])
    for i, (known, hit) in enumerate(versions):
        if known == text:
            if i:
                versions.insert(0, versions.pop(i))
            return hit
    if len(_TS_CACHE) > 4096:
        _TS_CACHE.clear()
        versions = _TS_CACHE.setdefault(path, [])
    hit = typescript.analyse(path, text, tree, previous=versions[0][1] if versions else None)
    versions.insert(0, (text, hit))
    del versions[_TS_VERSIONS:]
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


def _find_import(fs: FileSystem, disk: "DiskModel", base: Path, spec: str) -> Path | None:
    target = Path(os.path.normpath(base.parent / spec))
    stem = str(target)
    if stem.endswith(".js"):
        stem = stem[:-3]
    candidates = [Path(stem + ext) for ext in TS_EXTENSIONS] + [Path(stem)] + [Path(stem) / ("index" + ext) for ext in TS_EXTENSIONS]
    for c in candidates:
        if c.suffix in TS_EXTENSIONS and fs.is_file(c) and disk._inside(c):
            return c
    return None


def find_project_roots(path: Path, fs: FileSystem) -> list[Path]:
    """Every directory under ``path`` (or ``path``'s own directory) holding an sst.config.ts.

    Through ``fs``'s listings (which the analyses then reuse): never through a link out of the
    workspace, a folder's real path resolved only where a link leads, a link loop walked once."""
    path = Path(os.path.abspath(path))
    if path.is_file():
        path = path.parent
    return sorted(folder for folder, _, files in fs.walk(path, hidden=False) if CONFIG_NAME in files)


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
    for folder, dirnames, filenames in fs.walk(root, hidden=False):
        if folder != root and CONFIG_NAME in filenames:
            dirnames[:] = []
            continue
        out.extend(fs.canonical(folder / f) for f in filenames if want(f))  # (one object for each path: see ``absolute``)
    return out
