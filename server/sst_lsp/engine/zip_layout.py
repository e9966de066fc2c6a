"""What a Python function's zip holds: era B's layout of project code and ``copyFiles``.

SST 3.9.3–4.12 (era B) unpacks each workspace member's sdist into ``<normalized name>/``
(hoisting ``src/<name>/``) and hands Lambda the handler path with ``X/src/X/`` collapsed to
``X/``. ``copyFiles`` (every era) puts a file or folder of the app at ``to`` (default: ``from``)
inside the zip. Rules and hover ask this module, never re-derive the layout.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import PurePosixPath

from packaging.utils import canonicalize_name

from .typescript import FunctionDef, Unknown


def dist_dir_name(name: str) -> str:
    """The folder an era-B sdist is unpacked into: PEP 503 normalised, ``-`` as ``_``."""
    return canonicalize_name(name).replace("-", "_")


def deployed_file(file_part: str) -> str:
    """The handler file SST 3.9.3–4.12 hands to Lambda: ``X/src/X/`` collapsed to ``X/``."""
    parts = PurePosixPath(file_part).parts
    out: list[str] = []
    i = 0
    while i < len(parts):
        if i + 3 < len(parts) and parts[i + 1] == "src" and parts[i] == parts[i + 2]:
            out.append(parts[i])
            i += 3
            continue
        out.append(parts[i])
        i += 1
    return "/".join(out) + ".py"


def zip_path(file_rel_to_project: str, name: str) -> str:
    """Where a project file lands in the era-B zip: ``<normalized name>/`` + its path in the sdist."""
    norm = dist_dir_name(name)
    prefix = f"src/{norm}/"
    inner = file_rel_to_project[len(prefix):] if file_rel_to_project.startswith(prefix) else file_rel_to_project
    return f"{norm}/{inner}"


@dataclass(frozen=True)
class CopyFile:
    source: str  # relative to the app root
    dest: str  # inside the zip


@dataclass(frozen=True)
class CopyFiles:
    """The ``copyFiles`` of a function: the entries the analysis evaluated, and what it could not."""

    entries: tuple[CopyFile, ...]
    unknown: str | None  # the parts that could not be evaluated, as written

    def supplies(self, project, zip_rel: str) -> bool:
        """Does an entry put an existing app file at ``zip_rel`` inside the zip?"""
        for e in self.entries:
            dest = e.dest.strip("/")
            if zip_rel == dest:
                source = e.source
            elif zip_rel.startswith(dest + "/") or dest in ("", "."):
                inner = zip_rel if dest in ("", ".") else zip_rel[len(dest) + 1:]
                source = posixpath.join(e.source, inner)
            else:
                continue
            path = project.root / source
            if project._inside(path) and project.fs.is_file(path):
                return True
        return False


def _norm(path: str) -> str | None:
    """A ``copyFiles`` path relative to the app root, or None when it leaves the app."""
    p = posixpath.normpath(path.replace("\\", "/"))
    return None if p == ".." or p.startswith("../") or posixpath.isabs(p) else p


def copy_files(project, fd: FunctionDef) -> CopyFiles | None:
    """``fd``'s ``copyFiles`` (None when it has none), followed through consts, spreads and imports."""
    pair = fd.pairs.get("copyFiles")
    unknown_spreads = [u.text for u in fd.unknowns if u.kind == "spread" and (u.keys is None or "copyFiles" in u.keys)]
    if pair is None:
        return CopyFiles((), f"the spread {unknown_spreads[0]}") if unknown_spreads else None
    value = project.argument_value(fd, "copyFiles")
    entries: list[CopyFile] = []
    unknown: list[str] = []
    if not isinstance(value, list):
        return CopyFiles((), pair.value_text)
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("from"), str):
            source = _norm(item["from"])
            to = item.get("to", item["from"])
            dest = _norm(to) if isinstance(to, str) else None
            if source is not None and dest is not None:
                entries.append(CopyFile(source, dest))
                continue
        unknown.append(str(item) if not isinstance(item, Unknown) else item.text)
    if unknown_spreads:
        unknown.append(f"the spread {unknown_spreads[0]}")
    return CopyFiles(tuple(entries), ", ".join(unknown) or None)


TASK_ROOT = "/var/task"  # where Lambda unpacks the zip


def pythonpath_dirs(project, fd: FunctionDef) -> list[str] | None:
    """Folders of the zip that the function's ``environment.PYTHONPATH`` puts on ``sys.path``.

    Zip-relative (``"backend"`` for ``/var/task/backend``); [] when none is set; None when the
    environment cannot be evaluated, so a PYTHONPATH may be set where the analysis cannot see.
    """
    if "environment" not in fd.pairs:
        return None if any(u.kind == "spread" and (u.keys is None or "environment" in u.keys) for u in fd.unknowns) else []
    env = project.argument_value(fd, "environment")
    if not isinstance(env, dict):
        return None
    value = env.get("PYTHONPATH")
    if value is None:
        return None if "..." in env else []
    if not isinstance(value, str):
        return None
    out = []
    for entry in value.split(":"):
        entry = entry.strip()
        if entry == TASK_ROOT or entry.startswith(TASK_ROOT + "/"):
            out.append(entry[len(TASK_ROOT):].strip("/") or ".")
    return out
