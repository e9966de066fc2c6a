"""uv's own view of a workspace: which directories a ``members`` glob brings in, which it skips,
and which make uv fail. Checked against uv 0.13 (``crates/uv-workspace/src/workspace.rs``) and
hatchling 1.x (its wheel builder's default file selection).

``uv_glob`` is the one implementation of uv's member globs (``Project.glob_dirs`` and
``Project.workspace_members`` use it); ``discover`` mirrors uv's member discovery in full (hidden
directories, empty directories, files, duplicate names, ``workspace = true`` sources) for the
SST20x rules that quote uv's errors.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


_MAGIC = re.compile(r"[*?\[]")
MAX_WALK_ENTRIES = 5000


# -- glob matching, as uv does it (Rust ``glob`` crate, default options) ------------------------


def _segments(pattern: str) -> list[str] | None:
    """The path segments of a members/exclude pattern, ``./`` and trailing ``/`` removed."""
    parts = [p for p in pattern.replace("\\", "/").split("/") if p not in ("", ".")]
    ups = len(parts) - len(list(itertools.dropwhile(lambda p: p == "..", parts)))
    if pattern.startswith("/") or ".." in parts[ups:]:
        return None  # absolute, or `..` inside the pattern: not followed
    return parts  # leading `..` (a member beside the workspace root) is a plain path for uv


def uv_glob(fs, root: Path, pattern: str) -> list[Path]:
    """Paths (directories and files) a pattern matches under ``root``, sorted like uv's glob.

    Unlike Python's ``glob``, ``*`` also matches names starting with ``.`` (uv then skips hidden
    directories itself). ``**`` matches any run of directories (tool folders such as
    ``node_modules`` are not descended into).
    """
    parts = _segments(pattern)
    if parts is None:
        return []
    current = [root]
    for i, seg in enumerate(parts):
        nxt: list[Path] = []
        last = i == len(parts) - 1
        if seg == "..":
            nxt = [base.parent for base in current]
        elif seg == "**":
            for base in current:
                nxt.extend(_all_dirs(fs, base))
        elif not _MAGIC.search(seg):
            for base in current:
                p = base / seg
                if fs.is_dir(p) or (last and fs.exists(p)):
                    nxt.append(p)
        else:
            for base in current:
                for e in fs.listdir(base):
                    if fnmatch.fnmatchcase(e.name, seg) and (last or e.is_dir):
                        nxt.append(e.path)
        seen: set[Path] = set()
        current = [p for p in nxt if not (p in seen or seen.add(p))]
    return sorted(current) if parts else [root]


def _all_dirs(fs, base: Path) -> list[Path]:
    out = [base]
    for dirpath, dirnames, _ in fs.walk(base):
        out.extend(dirpath / d for d in dirnames)
        if len(out) > MAX_WALK_ENTRIES:
            break
    return out


# -- member discovery -----------------------------------------------------------------------

PYCACHE_PARTS = ("__pycache__",)


def _content(fs, d: Path) -> str:
    """"empty" (no file at any depth), "cache" (only __pycache__ / .pyc files) or "files"."""
    found = "empty"
    for n, (dirpath, dirnames, filenames) in enumerate(fs.walk(d, skip=())):
        for f in filenames:
            if not _is_cache_file(dirpath / f):
                return "files"
            found = "cache"
        if n > MAX_WALK_ENTRIES:
            return "files"  # too big to be a leftover: assume real content
    return found


def _is_cache_file(path: Path) -> bool:
    return any(p in PYCACHE_PARTS for p in path.parts) or path.suffix in (".pyc", ".pyo")


def git_ignores_pycache(root: Path) -> bool:
    """Whether the app sits in a git work tree whose ``.gitignore`` ignores ``__pycache__``.

    uv skips a member directory whose files are all git-ignored; the usual leftover is a
    ``__pycache__`` folder. Only root-level and ancestor ``.gitignore`` files are read.
    """
    d = root
    in_git = False
    ignores = False
    while True:
        gi = d / ".gitignore"
        try:
            if gi.is_file():
                for line in gi.read_text(encoding="utf-8", errors="replace").splitlines():
                    s = line.strip().strip("/")
                    if s in ("__pycache__", "__pycache__/", "**/__pycache__", "*.pyc", "*.py[cod]", "*.py[co]"):
                        ignores = True
        except OSError:
            pass
        if (d / ".git").exists():
            in_git = True
            break
        if d == d.parent:
            break
        d = d.parent
    return in_git and ignores


@dataclass
class Match:
    """One directory (or file) a ``members`` entry matches, and what uv does with it."""

    path: Path
    kind: str  # "member", "unmanaged", "unreadable", "excluded", "hidden", "empty", "ignored-cache", "file", "missing-pyproject"
    owner: object = field(default=None, repr=False, compare=False)  # the project (or disk model) that found it

    @property
    def pyproject(self):
        """The member's PyProject (read when asked: the workspace does not change with its text)."""
        return self.owner.pyproject(self.path / "pyproject.toml") if self.kind in ("member", "unmanaged") else None

    @property
    def fails(self) -> bool:
        return self.kind == "missing-pyproject"


@dataclass
class MemberEntry:
    index: int
    pattern: str
    matches: list[Match] = field(default_factory=list)

    @property
    def members(self) -> list[Match]:
        return [m for m in self.matches if m.kind == "member"]

    @property
    def failing(self) -> list[Match]:
        return [m for m in self.matches if m.fails]


@dataclass
class Workspace:
    root_pp: object  # PyProject of the workspace root
    entries: list[MemberEntry]
    exclude: list[str]
    pyproject_paths: list[Path] = field(default_factory=list)  # see ``member_paths``

    @property
    def dir(self) -> Path:
        return self.root_pp.dir

    @property
    def fails(self) -> bool:
        return any(e.failing for e in self.entries)

    def member_paths(self) -> list[Path]:
        """The pyproject.toml paths of ``member_projects``, in the same order, without reading the members."""
        return list(self.pyproject_paths)

    def member_projects(self) -> list:
        """Root project (when it has ``[project]``) then members in uv's discovery order, deduplicated."""
        out = []
        seen: set[Path] = set()
        if isinstance(self.root_pp.doc.get("project"), dict):
            out.append(self.root_pp)
            seen.add(self.root_pp.dir)
        for e in self.entries:
            for m in e.members:
                if m.path not in seen:
                    seen.add(m.path)
                    out.append(m.pyproject)
        return out


def discover(project, root_pp) -> Workspace | None:
    """uv's member discovery for the workspace declared in ``root_pp`` (None when it declares none)."""
    if root_pp is None or not root_pp.ok:
        return None
    ws = root_pp.doc.get("tool", "uv", "workspace")
    if not isinstance(ws, dict):
        return None
    members = ws.get("members")
    members = members if isinstance(members, list) else []
    exclude = [x for x in ws.get("exclude", []) if isinstance(x, str)] if isinstance(ws.get("exclude"), list) else []
    base = root_pp.dir
    excluded = {p for pat in exclude for p in uv_glob(project.fs, base, pat)}
    cache_ignored = None
    seen: set[Path] = {base}
    entries: list[MemberEntry] = []
    for i, pattern in enumerate(members):
        entry = MemberEntry(i, pattern if isinstance(pattern, str) else "")
        entries.append(entry)
        if not isinstance(pattern, str):
            continue
        for path in uv_glob(project.fs, base, pattern):
            if path in seen or not project.fs.within_workspace(path):
                continue
            seen.add(path)
            if path in excluded:
                entry.matches.append(Match(path, "excluded"))
                continue
            # one memoised fact per directory: a member's edit changes the workspace only when it changes this
            kind = project.derive(("member-kind", path), lambda path=path: _member_kind(project, path), reexec=True)
            if kind == "cache":
                if cache_ignored is None:
                    cache_ignored = git_ignores_pycache(project.root)
                kind = "ignored-cache" if cache_ignored else "missing-pyproject"
            entry.matches.append(Match(path, kind, project))
    return Workspace(root_pp, entries, exclude, _pyproject_paths(project.fs, root_pp, entries))


def _pyproject_paths(fs, root_pp, entries: list[MemberEntry]) -> list[Path]:
    """The root's pyproject.toml when it has ``[project]``, then each member's, once: each the one
    object of its path (``FileSystem.absolute``), as the file index holds it."""
    out = []
    seen: set[Path] = set()
    if isinstance(root_pp.doc.get("project"), dict):
        out.append(fs.absolute(root_pp.path))
        seen.add(root_pp.dir)
    for e in entries:
        for m in e.members:
            if m.path not in seen:
                seen.add(m.path)
                out.append(fs.absolute(m.path / "pyproject.toml"))
    return out


def _member_kind(project, path: Path) -> str:
    is_dir = project.fs.is_dir(path)
    if is_dir and path.name.startswith("."):
        return "hidden"  # uv skips hidden folders (a .venv)
    pp = project.pyproject(path / "pyproject.toml") if is_dir else None
    if pp is None and project.fs.has_entry(path / "pyproject.toml"):
        return "unreadable"  # SST002 reports it
    if pp is not None:
        managed = pp.doc.get("tool", "uv", "managed") if pp.ok else None
        return "unmanaged" if managed is False else "member"
    if not is_dir:
        return "file"
    content = _content(project.fs, path)
    return content if content in ("empty", "cache") else "missing-pyproject"


def workspaces(project) -> list[Workspace]:
    """The root's workspace, then every other ``pyproject.toml`` of the app that declares one."""
    return project.derive("uv_workspaces", lambda: _workspaces(project), reexec=True)


def _workspaces(project) -> list[Workspace]:
    out: list[Workspace] = [project.root_workspace] if project.root_workspace is not None else []
    seen: set[Path] = {Path(os.path.abspath(project.root / "pyproject.toml"))}
    for path in project.pyproject_paths:
        path = Path(os.path.abspath(path))
        if path in seen:
            continue
        seen.add(path)
        # apart for each file: most declare no workspace, and editing them leaves that None
        ws = project.derive(("workspace-of", path), lambda path=path: discover(project, project.pyproject(path)), reexec=True)
        if ws is not None:
            out.append(ws)
    return out


# -- requirements and sources ---------------------------------------------------------------


def requirement_name(text: str) -> str | None:
    req = parse_requirement(text)
    if req is not None:
        return canonicalize_name(req.name)
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    return canonicalize_name(m.group(1)) if m else None


def required_names(pp) -> dict[str, str]:
    """Normalised names a project requires → where (``dependencies``, ``optional-dependencies.x``…)."""
    out: dict[str, str] = {}
    doc = pp.doc

    def add(items, where):
        if isinstance(items, list):
            for it in items:
                if isinstance(it, str) and (n := requirement_name(it)):
                    out.setdefault(n, where)

    add(doc.get("project", "dependencies"), "[project] dependencies")
    opt = doc.get("project", "optional-dependencies")
    if isinstance(opt, dict):
        for k, v in opt.items():
            add(v, f"[project.optional-dependencies] {k}")
    groups = doc.get("dependency-groups")
    if isinstance(groups, dict):
        for k, v in groups.items():
            add(v, f"[dependency-groups] {k}")
    add(doc.get("tool", "uv", "dev-dependencies"), "[tool.uv] dev-dependencies")
    return out


def is_workspace_source(value) -> bool:
    if isinstance(value, dict):
        return value.get("workspace") is True
    if isinstance(value, list):
        return any(isinstance(v, dict) and v.get("workspace") is True for v in value)
    return False


def sources(pp) -> dict[str, tuple[str, object]]:
    """``[tool.uv.sources]`` of a project: normalised name → (key as written, value)."""
    s = pp.doc.get("tool", "uv", "sources") if pp.ok else None
    if not isinstance(s, dict):
        return {}
    return {canonicalize_name(k): (k, v) for k, v in s.items()}


# -- what the projects depend on -----------------------------------------------------------


def parse_requirement(text) -> Requirement | None:
    if not isinstance(text, str):
        return None
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


@dataclass(frozen=True)
class Declared:
    """One entry of ``[project].dependencies``: its index, text and parsed form."""

    index: int
    text: str
    req: Requirement

    @property
    def name(self) -> str:
        return canonicalize_name(self.req.name)


def declared_dependencies(pp) -> list[Declared] | None:
    """``[project].dependencies`` of a pyproject (None when dynamic or not a list)."""
    if pp is None or not pp.ok:
        return None
    dynamic = pp.doc.get("project", "dynamic")
    if isinstance(dynamic, list) and "dependencies" in dynamic:
        return None
    deps = pp.doc.get("project", "dependencies", default=[])
    if not isinstance(deps, list):
        return None
    out = []
    for i, text in enumerate(deps):
        req = parse_requirement(text)
        if req is not None:
            out.append(Declared(i, text, req))
    return out


def optional_dependencies(pp) -> dict[str, list[Requirement]]:
    if pp is None or not pp.ok:
        return {}
    table = pp.doc.get("project", "optional-dependencies")
    if not isinstance(table, dict):
        return {}
    out: dict[str, list[Requirement]] = {}
    for extra, reqs in table.items():
        if isinstance(reqs, list):
            out[str(extra)] = [r for r in (parse_requirement(t) for t in reqs) if r is not None]
    return out


class MemberProjects(Mapping):
    """Normalised project name -> PyProject of every workspace member, the root included.

    It holds names and paths, and reads a project when asked for it: what asks whether a name is
    a member does not depend on every member's text, and an edit that changes no name leaves it
    equal (see ``Memo``)."""

    def __init__(self, owner, paths: dict):
        self._owner = owner
        self.paths = paths  # name -> pyproject.toml path

    def __getitem__(self, name):
        return self._owner.pyproject(self.paths[name])

    def __contains__(self, name) -> bool:
        return name in self.paths

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __eq__(self, other) -> bool:
        return isinstance(other, MemberProjects) and self.paths == other.paths

    __hash__ = None


def member_projects(project) -> MemberProjects:
    """Normalised project name -> PyProject for every workspace member, the root included."""
    return project.derive("member_projects", lambda: _member_projects(project), reexec=True)


def _member_projects(project) -> MemberProjects:
    ws = project.root_workspace
    out: dict[str, Path] = {}
    if ws is not None:
        if isinstance(ws.root_pp.doc.get("project"), dict) and ws.root_pp.normalized:
            out[ws.root_pp.normalized] = ws.root_pp.path
        seen = {ws.root_pp.dir}
        for e in ws.entries:
            for m in e.members:
                if m.path in seen:
                    continue
                seen.add(m.path)
                path = Path(os.path.normpath(m.path / "pyproject.toml"))
                name = project_name(project, path)
                if name:
                    out.setdefault(name, path)
    return MemberProjects(project, out)


def project_fact(project, path: Path, fact):
    """``fact(PyProject)`` for the readable pyproject.toml at ``path`` (None otherwise), kept apart:
    an edit of that file changes what depends on it only when it changes this fact."""

    def compute():
        pp = project.pyproject(path)
        return fact(pp) if pp is not None and pp.ok else None

    return project.derive(("fact", fact, path), compute, reexec=True)


def _normalized(pp) -> str | None:
    return pp.normalized


def project_name(project, path: Path) -> str | None:
    """The normalised ``[project] name`` of the pyproject.toml at ``path`` (None: unreadable or unnamed)."""
    return project_fact(project, path, _normalized)


def applicable_sources(project, pp) -> dict[str, object]:
    """``[tool.uv.sources]`` that apply to ``pp``: the workspace root's, overridden by its own."""
    out: dict[str, object] = {}
    layers = []
    root = project.root_pyproject
    if root is not None and root.ok and root is not pp and project.workspace_table is not None:
        layers.append(root)
    if pp is not None and pp.ok:
        layers.append(pp)
    for layer in layers:
        for name, (_, value) in sources(layer).items():
            if isinstance(value, (dict, list)):
                out[name] = value
    return out


def runtime_names(project, pp) -> set[str]:
    """Normalised names ``pp`` depends on at runtime, through workspace members transitively."""
    members = member_projects(project)
    seen: set[str] = set()
    names: set[str] = set()
    queue = [pp]
    while queue:
        cur = queue.pop()
        for d in declared_dependencies(cur) or []:
            names.add(d.name)
            if d.name in members and d.name not in seen:
                seen.add(d.name)
                queue.append(members[d.name])
    return names


def external_dependencies(project, pp) -> list[str]:
    """Names ``pp`` needs from outside the workspace (what ``uv pip install`` puts in the zip)."""
    members = member_projects(project)
    return sorted(n for n in runtime_names(project, pp) if n not in members)


# -- hatchling ------------------------------------------------------------------------------


def uses_hatchling(pp) -> bool:
    backend = pp.doc.get("build-system", "build-backend")
    return isinstance(backend, str) and backend.strip() == "hatchling.build"


def hatch_file_name_component(name: str) -> str:
    """hatchling's ``normalize_file_name_component`` (PEP 427 escaping)."""
    return re.sub(r"[^\w\d.]+", "_", name, flags=re.UNICODE)


def hatch_default_candidates(name: str) -> list[str]:
    """The names hatchling's default wheel selection looks for: the raw and the normalised name."""
    out = []
    for n in (hatch_file_name_component(name), hatch_file_name_component(canonicalize_name(name))):
        if n not in out:
            out.append(n)
    return out


def hatch_default_selection(fs, project_dir: Path, name: str) -> str | None:
    """What hatchling's default wheel file selection finds (a root-relative path), or None.

    hatchling (``WheelBuilderConfig.default_file_selection_options``), for each candidate name:
    ``<name>/__init__.py``, ``src/<name>/__init__.py``, ``<name>.py``, then exactly one
    ``*/<name>/__init__.py``. A folder without ``__init__.py`` is not found.
    """
    for cand in hatch_default_candidates(name):
        if fs.is_file(project_dir / cand / "__init__.py"):
            return cand
        if fs.is_file(project_dir / "src" / cand / "__init__.py"):
            return f"src/{cand}"
        if fs.is_file(project_dir / f"{cand}.py"):
            return f"{cand}.py"
        found = [e.name for e in fs.listdir(project_dir) if e.is_dir and fs.is_file(e.path / cand / "__init__.py")]
        if len(found) == 1:
            return found[0]
    return None


def hatch_finds_files(project, pp, name: str) -> bool:
    """Would hatchling find files for the wheel of ``pp`` were its project named ``name``?

    Explicit ``packages`` / ``only-include`` / ``include`` settings decide themselves; otherwise
    the default selection must find a package or module of that name.
    """
    if not uses_hatchling(pp) or hatch_wheel_options(pp):
        return True
    return project.derive(("hatch-selection", pp.dir, name), lambda: hatch_default_selection(project.fs, pp.dir, name), reexec=True) is not None


def hatch_wheel_options(pp) -> dict[str, object]:
    """The wheel target's file-selection settings that switch the default heuristics off."""
    doc = pp.doc
    target = doc.get("tool", "hatch", "build", "targets", "wheel")
    build = doc.get("tool", "hatch", "build")
    target = target if isinstance(target, dict) else {}
    build = build if isinstance(build, dict) else {}
    out: dict[str, object] = {}
    for key in ("include", "packages", "only-include"):
        value = target.get(key, build.get(key))
        if value:
            out[key] = value
    for key in ("bypass-selection", "force-include", "hooks"):
        value = target.get(key) or build.get(key)
        if value:
            out[key] = value
    return out
