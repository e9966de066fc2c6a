"""Comparing what the projects declare with what ``uv.lock`` records (SST210, SST208).

Requirements are compared PEP 503-normalised (``packaging``), never with a hand-written regex.
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from .uv_workspace import applicable_sources, declared_dependencies, optional_dependencies


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
    sources = applicable_sources(project, pp)
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
