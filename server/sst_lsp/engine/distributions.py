"""Which distributions a function's artifact holds, and which top-level modules each provides.

The artifact holds what ``uv export --package=<project> --no-dev`` lists: the project's
``[project].dependencies`` and those of the workspace members it depends on, closed over the
dependency lists ``uv.lock`` records for each package. (SST 3.0.126–3.9.2 runs ``uv sync`` in the
project instead, which also installs the ``dev`` group.)

A distribution's module names come, in this order, from

1. ``venv``: the workspace's ``.venv`` — ``*.dist-info/top_level.txt``, else the top-level entries
   of ``RECORD`` (files are read, nothing is imported);
2. ``table``: the table of well-known names shipped in ``data/distribution_modules.toml``;
3. ``guess``: the PEP 503 normalised name with ``-`` as ``_`` (plus a namespace such as
   ``google`` for ``google-*``). Only a guess: the distribution may provide other names.

Standard-library names come from the ``stdlib-list`` package for the function's Python minor.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from packaging.utils import canonicalize_name

from .era import Era
from .uv_workspace import declared_dependencies, member_projects, parse_requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "distribution_modules.toml"
KNOWN_MINORS = tuple(range(8, 15))


# -- the shipped table -----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    modules: dict[str, tuple[str, ...]]  # distribution -> top-level modules
    namespaces: dict[str, str]  # distribution-name prefix -> namespace module
    runtime_distributions: frozenset[str]
    runtime_modules: frozenset[str]

    def providers_of(self, module: str) -> list[str]:
        """Distributions the table says provide ``module`` (for a fix's distribution name)."""
        return [d for d, mods in self.modules.items() if module in mods]


@lru_cache(maxsize=1)
def table() -> Table:
    data = tomllib.loads(TABLE_PATH.read_text(encoding="utf-8"))
    dists = {canonicalize_name(k): tuple(v) for k, v in data.get("distributions", {}).items()}
    runtime = data.get("lambda-runtime", {})
    return Table(
        dists,
        dict(data.get("namespaces", {})),
        frozenset(canonicalize_name(d) for d in runtime.get("distributions", [])),
        frozenset(runtime.get("modules", [])),
    )


# -- the standard library --------------------------------------------------------------------


@lru_cache(maxsize=16)
def stdlib_modules(minor: int | None) -> frozenset[str]:
    """Top-level standard-library names of Python 3.``minor`` (every listed version's when unknown)."""
    from stdlib_list import stdlib_list

    minors = [minor] if minor in KNOWN_MINORS else list(KNOWN_MINORS)
    out: set[str] = set()
    for m in minors:
        out.update(name.split(".")[0] for name in stdlib_list(f"3.{m}"))
    return frozenset(out)


def stdlib_minors_with(module: str) -> list[int]:
    """The Python minors whose standard library has ``module`` (for a module removed later)."""
    return [m for m in KNOWN_MINORS if module in stdlib_modules(m)]


# -- .venv dist-info ---------------------------------------------------------------------------


def _site_packages(fs, venv: Path) -> list[Path]:
    out = []
    lib = venv / "lib"
    if fs.is_dir(lib):
        out += [e.path / "site-packages" for e in fs.listdir(lib) if e.name.startswith("python") and fs.is_dir(e.path / "site-packages")]
    if fs.is_dir(venv / "Lib" / "site-packages"):
        out.append(venv / "Lib" / "site-packages")
    return out


def venv_index(fs, venv: Path) -> dict[str, Path]:
    """Normalised distribution name -> its ``*.dist-info`` folder in a ``.venv`` (cached per disk state)."""
    key = ("venv-index", venv)
    known = fs.derived.get(key)
    if known is not None:
        return known
    out: dict[str, Path] = {}
    if fs.is_dir(venv):
        for sp in _site_packages(fs, venv):
            for e in fs.listdir(sp):
                if e.name.endswith(".dist-info"):
                    out.setdefault(canonicalize_name(e.name[: -len(".dist-info")].split("-")[0]), e.path)
    fs.derived[key] = out
    return out


_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@lru_cache(maxsize=2048)
def modules_from_top_level(text: str) -> frozenset[str]:
    names = (line.strip().split("/")[0] for line in text.splitlines())
    return frozenset(n for n in names if _MODULE_NAME.match(n))


@lru_cache(maxsize=2048)
def modules_from_record(text: str) -> frozenset[str]:
    out: set[str] = set()
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error:
        return frozenset()
    for row in rows:
        if not row or not row[0]:
            continue
        parts = row[0].replace("\\", "/").split("/")
        head = parts[0]
        if head in ("..", "") or head.endswith((".dist-info", ".data")) or head == "__pycache__":
            continue
        if len(parts) == 1:
            if head.endswith(".py"):
                head = head[:-3]
            elif head.endswith((".so", ".pyd")):
                head = head.split(".")[0]
            else:
                continue  # a .pth file, a licence
        if _MODULE_NAME.match(head):
            out.add(head)
    return frozenset(out)


def venv_modules(fs, dist_info: Path) -> frozenset[str] | None:
    """Modules a dist-info says its distribution installs; None when it says nothing usable."""
    for name, reader in (("top_level.txt", modules_from_top_level), ("RECORD", modules_from_record)):
        text = fs.read_text(dist_info / name)
        if text:
            mods = reader(text)
            if mods:
                return mods
    return None


# -- providers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    dist: str  # normalised name
    modules: frozenset[str]
    source: str  # "venv" | "table" | "guess"
    where: str = ""  # the dist-info file read, for "venv"

    @property
    def known(self) -> bool:
        return self.source != "guess"

    def describe(self) -> str:
        if self.source == "venv":
            return f"module names read from {self.where}"
        if self.source == "table":
            return "module names from sst-lsp's table of well-known distributions"
        return "module names guessed from the distribution's name (no .venv, not in sst-lsp's table)"


def guessed_modules(dist: str) -> frozenset[str]:
    out = {dist.replace("-", "_").replace(".", "_")}
    for prefix, ns in table().namespaces.items():
        if dist.startswith(prefix):
            out.add(ns)
    return frozenset(out)


def _alnum(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def resembles(module: str, dist: str) -> bool:
    """Is ``module`` plausibly a guessed distribution's import name (``strands`` / ``strands-agents``)?"""
    m = _alnum(module)
    return len(m) >= 3 and m in _alnum(dist)


def provider(fs, dist: str, venvs: list[Path]) -> Provider:
    for venv in venvs:
        info = venv_index(fs, venv).get(dist)
        if info is not None:
            mods = venv_modules(fs, info)
            if mods is not None:
                where = info / ("top_level.txt" if fs.read_text(info / "top_level.txt") else "RECORD")
                return Provider(dist, mods, "venv", _short(where))
    t = table()
    if dist in t.modules:
        return Provider(dist, frozenset(t.modules[dist]) | (guessed_modules(dist) - {dist.replace("-", "_")}), "table")
    for prefix in t.namespaces:
        if dist.startswith(prefix):
            return Provider(dist, guessed_modules(dist), "table")
    return Provider(dist, guessed_modules(dist), "guess")


def _short(path: Path) -> str:
    parts = path.parts
    if ".venv" in parts:
        return "/".join(parts[parts.index(".venv"):])
    return path.as_posix()


# -- what the artifact holds ---------------------------------------------------------------------


@dataclass
class ArtifactDistributions:
    """The distributions ``uv`` installs for one function project, and their modules."""

    declared: dict[str, Path] = field(default_factory=dict)  # directly declared external name -> pyproject declaring it
    closure: dict[str, str | None] = field(default_factory=dict)  # every installed name -> the one that pulls it in
    closure_known: bool = True
    unknown_reason: str | None = None
    providers: dict[str, Provider] = field(default_factory=dict)
    lock: Path | None = None
    venvs: list[Path] = field(default_factory=list)
    dynamic: bool = False  # [project].dependencies is dynamic: nothing can be said
    member_dirs: list[Path] = field(default_factory=list)  # workspace members the project depends on

    def providers_of(self, module: str) -> list[Provider]:
        return [p for p in self.providers.values() if module in p.modules]

    def guessed(self) -> list[str]:
        return sorted(d for d, p in self.providers.items() if not p.known)

    def resembling(self, module: str) -> list[str]:
        return sorted(d for d in self.guessed() if resembles(module, d))


def lock_path_for(project, pp) -> Path | None:
    """The uv.lock the deploy of ``pp`` resolves with: era C's workspace root (or the project's own),
    before 3.9.3 the project's own (SST syncs each project by itself), else the app root's."""
    candidates = []
    if project.era == Era.C:
        ws = project.era_c_workspace_root(pp.dir)
        candidates += [ws] if ws else []
        candidates.append(pp.dir)
    elif project.era in (Era.A, None):
        candidates.append(pp.dir)
    candidates.append(project.root)
    found = project.derive("uv_lock_paths", dict)
    key = tuple(candidates)
    if key not in found:
        found[key] = next((d / "uv.lock" for d in candidates if project.fs.is_file(d / "uv.lock")), None)
    return found[key]


def _dev_requirements(pp) -> list:
    out = []
    groups = pp.doc.get("dependency-groups")
    if isinstance(groups, dict) and isinstance(groups.get("dev"), list):
        out += groups["dev"]
    legacy = pp.doc.get("tool", "uv", "dev-dependencies")
    if isinstance(legacy, list):
        out += legacy
    return [r for r in (parse_requirement(t) for t in out) if r is not None]


def artifact_distributions(project, pp) -> ArtifactDistributions:
    """What ``uv`` puts into the artifact of a function whose project is ``pp`` (memoised while its inputs stand)."""
    return artifact_distributions_at(project, pp.path)


def artifact_distributions_at(project, path: Path) -> ArtifactDistributions | None:
    """``artifact_distributions`` of the project at ``path`` (None when it cannot be read)."""
    return project.derive(("artifact_distributions", path), lambda: _artifact_for(project, path), reexec=True)


def _artifact_for(project, path: Path) -> ArtifactDistributions | None:
    pp = project.pyproject(path)  # the current one (the memo may rerun this after an edit)
    return _artifact_distributions(project, pp) if pp is not None and pp.ok else None


def _artifact_distributions(project, pp) -> ArtifactDistributions:
    out = ArtifactDistributions()
    members = member_projects(project)
    extras: dict[str, set[str]] = {}
    seen_members: set = set()
    queue = [pp]
    while queue:
        cur = queue.pop()
        deps = declared_dependencies(cur)
        if deps is None:
            out.dynamic = out.dynamic or cur is pp
            continue
        reqs = [d.req for d in deps]
        if project.era == Era.A and cur is pp:
            reqs += _dev_requirements(cur)
        for req in reqs:
            name = canonicalize_name(req.name)
            if name in members and members[name] is not cur:
                if name not in seen_members:
                    seen_members.add(name)
                    queue.append(members[name])
                    out.member_dirs.append(members[name].dir)
                continue
            out.declared.setdefault(name, cur.path)
            extras.setdefault(name, set()).update(canonicalize_name(e) for e in req.extras)
    out.closure = {n: None for n in out.declared}
    lock = lock_path_for(project, pp)
    out.lock = lock
    rt = table().runtime_distributions
    if lock is None:
        if all(n in rt for n in out.declared):
            out.closure.update({n: "the Lambda runtime's boto3" for n in rt if n not in out.closure} if out.declared else {})
        else:
            out.closure_known = False
            out.unknown_reason = "there is no uv.lock, so the packages your dependencies pull in are not known"
    else:
        _close_over_lock(project, lock, out, extras, set(members))
    venvs = [d / ".venv" for d in dict.fromkeys([project.root, pp.dir]) if project.fs.is_dir(d / ".venv")]
    out.venvs = venvs
    for name in out.closure:
        out.providers[name] = provider(project.fs, name, venvs)
    return out


def _close_over_lock(project, lock: Path, out: ArtifactDistributions, extras: dict[str, set[str]], members: set[str]) -> None:
    doc = project.pyproject(lock)
    data = doc.doc.data if doc is not None and doc.ok else None
    packages = data.get("package") if isinstance(data, dict) else None
    if not isinstance(packages, list):
        out.closure_known = False
        out.unknown_reason = f"{project.rel(lock)} could not be read"
        return
    entries: dict[str, list[dict]] = {}
    for entry in packages:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            entries.setdefault(canonicalize_name(entry["name"]), []).append(entry)
    missing = sorted(n for n in out.declared if n not in entries)
    if missing:
        out.closure_known = False
        out.unknown_reason = f"{project.rel(lock)} has no entry for {', '.join(missing)} (it is out of date), so what they pull in is not known"
    queue = [(n, e) for n in out.declared for e in [None, *sorted(extras.get(n, ()))]]
    done: set = set()
    while queue:
        name, extra = queue.pop()
        if (name, extra) in done:
            continue
        done.add((name, extra))
        for entry in entries.get(name, []):
            if extra is None:
                deps = entry.get("dependencies")
            else:
                opt = entry.get("optional-dependencies")
                deps = opt.get(extra) if isinstance(opt, dict) else None
            for dep in deps if isinstance(deps, list) else []:
                if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
                    continue
                dn = canonicalize_name(dep["name"])
                if dn in members:
                    continue
                out.closure.setdefault(dn, name)
                queue.append((dn, None))
                for x in dep.get("extra") or []:
                    if isinstance(x, str):
                        queue.append((dn, canonicalize_name(x)))


