"""Python dependencies of the uv workspace: requirement strings, sources, members, ``uv.lock``.

Helpers for the rules that compare what a project declares (``[project].dependencies``,
``[tool.uv.sources]``, a stray ``requirements.txt``) with what uv records in ``uv.lock``.
Names are compared PEP 503-normalised (``packaging``), never with a hand-written regex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from .positions import LineIndex, Position, Range, utf16_len


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


def member_projects(project) -> dict[str, object]:
    """Normalised project name -> PyProject for every workspace member, the root included."""
    return project.derive("member_projects", lambda: _member_projects(project))


def _member_projects(project) -> dict[str, object]:
    out: dict[str, object] = {}
    dirs = list(project.workspace_members)
    if project.workspace_table is not None:
        dirs.insert(0, project.root)
    for d in dirs:
        pp = project.pyproject(Path(d) / "pyproject.toml")
        if pp is not None and pp.ok and pp.normalized:
            out.setdefault(pp.normalized, pp)
    return out


def uv_sources(project, pp) -> dict[str, dict]:
    """``[tool.uv.sources]`` that apply to ``pp``: the workspace root's, overridden by its own."""
    out: dict[str, dict] = {}
    layers = []
    root = project.root_pyproject
    if root is not None and root.ok and root is not pp and project.workspace_table is not None:
        layers.append(root)
    if pp is not None and pp.ok:
        layers.append(pp)
    for layer in layers:
        table = layer.doc.get("tool", "uv", "sources")
        if isinstance(table, dict):
            for name, value in table.items():
                if isinstance(value, (dict, list)):
                    out[canonicalize_name(str(name))] = value
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


# -- comparing requirement strings with uv.lock --------------------------------------------

_MARKER_ATOM = re.compile(r"""([A-Za-z_.]+)\s*(===|==|!=|<=|>=|~=|<|>|not\s+in|in)\s*(['"])(.*?)\3""")
_PYTHON_VARS = ("python_version", "python_full_version")


def _marker_key(marker: str | None, extra: str | None = None) -> tuple:
    """Marker atoms other than the Python version (uv rewrites those), plus whether one was there.

    uv writes ``python_version < "3.12"`` as ``python_full_version < '3.12'`` and may rewrite the
    comparison, so only the presence of a Python-version condition is compared.
    """
    atoms = set()
    has_python = False
    for var, op, _, value in _MARKER_ATOM.findall(marker or ""):
        if var in _PYTHON_VARS:
            has_python = True
            continue
        if var == "extra":
            value = canonicalize_name(value)
        atoms.add((var, " ".join(op.split()), value))
    if extra is not None:
        atoms.add(("extra", "==", canonicalize_name(extra)))
    return (has_python, tuple(sorted(atoms)))


def requirement_key(name: str, extras=(), specifier: str = "", marker: str | None = None, extra: str | None = None, has_source: bool = False) -> tuple:
    """A comparable form of one requirement. With a uv source the version is not recorded."""
    spec = ""
    if not has_source and specifier:
        try:
            spec = str(SpecifierSet(specifier))
        except InvalidSpecifier:
            spec = specifier.replace(" ", "")
    return (canonicalize_name(name), tuple(sorted(canonicalize_name(e) for e in extras)), spec, _marker_key(marker, extra))


def describe_key(key: tuple) -> str:
    name, extras, spec, _ = key
    return name + (f"[{','.join(extras)}]" if extras else "") + spec


def pyproject_requirement_keys(project, pp) -> set[tuple]:
    """What uv would record as ``requires-dist`` for ``pp``: dependencies plus optional ones."""
    sources = uv_sources(project, pp)
    items = []
    for d in declared_dependencies(pp) or []:
        r = d.req
        items.append((r.name, r.extras, str(r.specifier), str(r.marker) if r.marker else None, None, d.name in sources))
    for extra, reqs in optional_dependencies(pp).items():
        for r in reqs:
            items.append((r.name, r.extras, str(r.specifier), str(r.marker) if r.marker else None, extra, canonicalize_name(r.name) in sources))
    return _collapse(items)


_SOURCE_KEYS = ("editable", "path", "directory", "git", "url", "virtual", "workspace", "index")


def lock_requirement_keys(entry: dict) -> set[tuple]:
    """``[package.metadata] requires-dist`` of one ``uv.lock`` package entry, comparable."""
    meta = entry.get("metadata")
    rd = meta.get("requires-dist", []) if isinstance(meta, dict) else []
    items = []
    for item in rd if isinstance(rd, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        extras = item.get("extras") if isinstance(item.get("extras"), list) else []
        has_source = any(k in item for k in _SOURCE_KEYS)
        items.append((item["name"], extras, str(item.get("specifier") or ""), item.get("marker"), None, has_source))
    return _collapse(items)


def _collapse(items) -> set[tuple]:
    """Comparable keys of (name, extras, specifier, marker, extra, has_source) requirements.

    uv records one requirement once per fork of the resolution when its sources are split by
    markers (``torch`` from one index off macOS, from PyPI on it). Both sides are therefore
    read the same way: the requirements of one name and extras that ask for the same versions
    are one key, keeping only the marker atoms they share, sourced when any of them is.
    """
    groups: dict[tuple, list] = {}
    for name, extras, spec, marker, extra, has_source in items:
        groups.setdefault((canonicalize_name(name), tuple(sorted(canonicalize_name(e) for e in extras))), []).append((spec, marker, extra, has_source))
    keys = set()
    for (name, extras), group in groups.items():
        has_source = any(g[3] for g in group)
        per = [requirement_key(name, extras, spec, marker, extra, has_source=has_source) for spec, marker, extra, _ in group]
        if len({k[2] for k in per}) > 1:
            keys.update(per)  # different version ranges: really several requirements
            continue
        shared = set(per[0][3][1]).intersection(*(set(k[3][1]) for k in per[1:]))
        keys.add((name, per[0][1], per[0][2], (all(k[3][0] for k in per), tuple(sorted(shared)))))
    return keys


def lock_member_entry(lock_data: dict, name: str, rel_dir: str) -> dict | None:
    """The ``[[package]]`` of workspace member ``name`` (source editable/virtual at ``rel_dir``)."""
    packages = lock_data.get("package")
    if not isinstance(packages, list):
        return None
    fallback = None
    for i, entry in enumerate(packages):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or canonicalize_name(entry["name"]) != name:
            continue
        source = entry.get("source")
        if isinstance(source, dict):
            where = source.get("editable") or source.get("virtual") or source.get("directory")
            if isinstance(where, str) and where.rstrip("/") in (rel_dir, "./" + rel_dir):
                return {**entry, "_index": i}
        fallback = fallback or {**entry, "_index": i}
    return fallback


# -- requirements.txt ------------------------------------------------------------------------


@dataclass(frozen=True)
class TxtRequirement:
    line: int  # 0-based
    range: Range
    text: str
    req: Requirement

    @property
    def name(self) -> str:
        return canonicalize_name(self.req.name)


def read_requirements_txt(text: str) -> list[TxtRequirement]:
    """The plain requirements of a requirements file: options, ``-r``/``-e``, comments skipped."""
    index = LineIndex(text)
    out: list[TxtRequirement] = []
    logical = ""
    start_line = 0
    for lineno in range(len(index.line_starts)):
        raw = index.line_text(lineno).rstrip("\r")
        if not logical:
            start_line = lineno
        if raw.endswith("\\"):
            logical += raw[:-1] + " "
            continue
        logical += raw
        line, logical = logical, ""
        body = re.split(r"(^|\s)#", line, maxsplit=1)[0].strip()
        if not body or body.startswith("-"):
            continue
        req = parse_requirement(body)
        if req is None:
            continue
        first = index.line_text(start_line).rstrip("\r")
        lead = len(first) - len(first.lstrip())
        end_text = first.rstrip()
        rng = Range(Position(start_line, utf16_len(first[:lead])), Position(start_line, utf16_len(end_text)))
        out.append(TxtRequirement(start_line, rng, body, req))
    return out
