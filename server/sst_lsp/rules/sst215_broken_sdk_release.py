"""## What it does
Finds a `uv.lock` that pins `sst-sdk` (SST's Python SDK) at version 4.14.1, and the
requirement in `[project].dependencies` that lets it.

## Why is this bad?
The `sst-sdk` 4.14.1 wheel is empty: it installs no `sst` package, so `from sst import Resource`
fails with `No module named 'sst'` (at every cold start when the handler imports it at module
level). Later releases ship the module.

## Example
```toml
[project]
dependencies = ["sst-sdk==4.14.1"]
```
with `uv.lock` holding `name = "sst-sdk"`, `version = "4.14.1"`.

## Use instead
```toml
[project]
dependencies = ["sst-sdk>=4.14.2"]
```
then run `uv lock`.

## Fix safety
Unsafe: the requirement's lower bound becomes `>=4.14.2` (a pin to 4.14.1 is dropped; upper
bounds, extras and markers are kept); `uv lock` must then pick a release that exists.

Severity: error when a handler of the project imports `sst` at module level, warning otherwise
(nothing fails until the SDK is imported).
"""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..engine.distributions import lock_path_for
from ..engine.era import ALL_ERAS
from ..engine.handler_imports import handler_imports
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.uv_workspace import declared_dependencies, member_projects, runtime_names
from ..engine.pyimports import MODULE
from .registry import part, rule

BROKEN = Version("4.14.1")
FIXED = Version("4.14.2")


def bumped(req: Requirement) -> str:
    keep = [s for s in req.specifier if s.operator in ("<", "<=", "!=") and FIXED in SpecifierSet(str(s))]
    spec = ",".join(sorted([f">={FIXED}", *(str(s) for s in keep)], key=lambda s: (not s.startswith(">="), s)))
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    marker = f"; {req.marker}" if req.marker else ""
    return f"{req.name}{extras}{spec}{marker}"


def _broken_lock_entry(project, lock):
    doc = project.pyproject(lock)
    packages = doc.doc.get("package") if doc is not None and doc.ok else None
    for i, entry in enumerate(packages if isinstance(packages, list) else []):
        if isinstance(entry, dict) and canonicalize_name(str(entry.get("name", ""))) == "sst-sdk" and str(entry.get("version")) == str(BROKEN):
            return doc, i
    return None


def _imports_sst(project, pp) -> bool:
    """Does a handler of ``pp`` (or of a project depending on it) import ``sst`` at module level?"""
    for pf in project.python_functions:
        own = pf.project
        if own is None or not own.ok or (own.path != pp.path and pp.normalized not in runtime_names(project, own)):
            continue
        hi = handler_imports(project, pf)
        need = hi.needs.get("sst") if hi is not None else None
        if need is not None and need.strongest.context == MODULE:
            return True
    return False


def _some_lock_is_broken(project) -> bool:
    """Does any uv.lock a deploy of this app could use pin sst-sdk 4.14.1? (Each lock is read apart,
    so that editing a pyproject.toml does not reread them all.)

    The locks the workspace holds are looked at once per disk model; a handler's project outside
    them (rare) is looked at apart. An edit in a handler string then costs a set difference."""
    broken, covered = project.derive(("SST215 locks",), lambda: _workspace_locks(project))
    if broken:
        return True
    outside = project.handler_projects - covered
    return any(_lock_is_broken(project, path.parent / "uv.lock") for path in outside)


def _workspace_locks(project) -> tuple[bool, frozenset]:
    """(whether a lock of the workspace is broken, the pyproject.toml paths whose folder was looked in)."""
    dirs = {p.parent for p in project.disk._indexed if p.name == "uv.lock"}
    dirs.update(path.parent for path in member_projects(project).paths.values())
    d = project.root
    for _ in range(6):  # the app, and the ancestors era C looks in for a workspace
        dirs.add(d)
        d = d.parent
    covered = frozenset(p for p in project.disk._indexed if p.name == "pyproject.toml" and p.parent in dirs)
    return any(_lock_is_broken(project, d / "uv.lock") for d in dirs), covered


def _lock_is_broken(project, lock: Path) -> bool:
    return project.fs.is_file(lock) and part(project, "SST215", lock, lambda: _broken_lock_entry(project, lock) is not None)


@rule("SST215", "broken-sdk-release", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, severity_label="error / warning", scope="functions")
def check(project):
    if not _some_lock_is_broken(project):
        return
    projects = dict(member_projects(project))
    if project.root_pyproject is not None and project.root_pyproject.ok and project.root_pyproject.normalized:
        projects.setdefault(project.root_pyproject.normalized, project.root_pyproject)
    for pf in project.python_functions:
        if pf.project is not None and pf.project.ok and pf.project.normalized:
            projects.setdefault(pf.project.normalized, pf.project)
    seen: set = set()
    for pp in projects.values():
        lock = lock_path_for(project, pp)
        found = _broken_lock_entry(project, lock) if lock is not None else None
        if found is None:
            continue
        lock_doc, index = found
        for dep in declared_dependencies(pp) or []:
            if dep.name != "sst-sdk" or (pp.path, dep.index) in seen or not dep.req.specifier.contains(BROKEN, prereleases=True):
                continue
            seen.add((pp.path, dep.index))
            new = bumped(dep.req)

            def change(doc, i=dep.index, new=new):
                doc["project"]["dependencies"][i] = new

            edit = pp.doc.edit(change)
            fix = Fix(f'Require "{new}"', Safety.UNSAFE, (TextEdit(pp.path, *edit),)) if edit else None
            imported = _imports_sst(project, pp)
            yield Violation(
                "SST215",
                pp.path,
                pp.doc.value_range("project", "dependencies", dep.index) or pp.doc.best_range("project", "dependencies"),
                f'{project.rel(lock)} pins sst-sdk 4.14.1, whose wheel is empty: it installs no "sst" module, so `from sst import Resource` '
                f"fails with No module named 'sst'"
                + (" at every cold start of the handlers that import it." if imported else " wherever the SDK is imported.")
                + f' Require "{new}" and run uv lock.',
                severity=Severity.ERROR if imported else Severity.WARNING,
                fix=fix,
                related=[Related(lock, lock_doc.doc.key_range("package", index, "version") or lock_doc.doc.best_range("package"), "the locked sst-sdk 4.14.1")],
            )
