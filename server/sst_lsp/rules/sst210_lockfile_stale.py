"""## What it does
Compares `uv.lock` at the workspace root (the `sst.config.ts` directory) with the projects it
locks: for every workspace member, the requirements uv recorded for it
(`[package.metadata] requires-dist` of its `[[package]]` entry) must be the member's
`[project].dependencies` (and optional dependencies). It also reports a workspace that needs
packages from outside itself but has no `uv.lock` at all.

## Why is this bad?
SST's uv commands (`uv sync --all-packages`, `uv export`) re-resolve a lock that no longer
matches the projects, during the deploy: what gets deployed is then not what `uv.lock` pinned and
was tested, and the committed lock does not describe the deployment. `uv lock --check` and
`uv sync --locked` (typical in CI) fail with
`The lockfile at `uv.lock` needs to be updated, but `--check` was provided`.
Without any `uv.lock`, every deploy resolves the newest versions that match, so two deploys of
the same commit can ship different packages. That is reproducibility advice (**info**): the
deploy itself works, because SST's uv commands create a lock as they run.

uv records a requirement once per fork of the resolution when its sources are split by markers
(`torch` from a CPU index off macOS, from PyPI on it): those entries are read as the one
requirement of the pyproject they come from, not as a difference.

## Example
```toml
# functions/pyproject.toml — "utils" was added after the last `uv lock`
[project]
dependencies = ["core", "utils"]
```

## Use instead
Run `uv lock` in the `sst.config.ts` directory and commit `uv.lock`.

## Fix safety
No fix: the lock is rewritten by `uv lock`, which resolves against the package index.
Differences in Python-version markers are not compared (uv rewrites them, e.g.
`python_version` as `python_full_version`); a workspace whose dependencies are all its own
members is not asked to have a lock.
"""

from __future__ import annotations

from dataclasses import replace

from ..engine.era import ALL_ERAS
from ..engine.model import Related, Severity, Violation
from ..engine.positions import ZERO_RANGE
from ..engine.uv_lock import describe_key, lock_member_entry, lock_requirement_keys, pyproject_requirement_keys
from ..engine.uv_workspace import MemberProjects, declared_dependencies, external_dependencies, member_projects
from .registry import part, rule


def _locked_projects(project) -> MemberProjects:
    members = member_projects(project)
    rp = project.root_pyproject
    if not members and rp is not None and rp.ok and rp.normalized:
        members = MemberProjects(project, {rp.normalized: rp.path})
    return members


def _where(pp):
    return (
        pp.doc.key_range("project", "dependencies")
        or pp.doc.table_header_range("project")
        or ZERO_RANGE
    )


@rule("SST210", "lockfile-stale", Severity.WARNING, eras=ALL_ERAS, severity_label="warning / info", scope="functions")
def check(project):
    rp = project.root_pyproject
    if rp is None or not rp.ok:
        return
    members = _locked_projects(project)
    if not members:
        return
    lock_path = project.root / "uv.lock"
    if not project.fs.exists(lock_path):
        if not project.python_functions:
            return
        # (kept with the disk model: a keystroke in a handler's path does not gather them again)
        external = project.derive(("SST210", "external"), lambda: _all_external(project), reexec=True)
        if not external:
            return
        shown = ", ".join(external[:4]) + (", …" if len(external) > 4 else "")
        yield Violation(
            "SST210",
            rp.path,
            rp.doc.table_header_range("tool", "uv", "workspace") or rp.doc.table_header_range("project") or ZERO_RANGE,
            f"There is no uv.lock next to {project.rel(rp.path)}. The deploy still works (SST's uv commands create one as they run), "
            f"but every deploy from a fresh checkout (CI, a colleague's machine) resolves {shown} afresh, so two deploys of the same "
            f"code can ship different versions. For reproducible deploys run `uv lock` in "
            f"{project.rel(project.root) if project.rel(project.root) != '.' else 'the sst.config.ts directory'} and commit uv.lock.",
            severity=Severity.INFO,
        )
        return
    # comparing the lock with the projects reads only the disk: kept while what it read stands
    stale = project.derive(("SST210", "stale"), lambda: list(_stale(project, _locked_projects(project), lock_path)), reexec=True)
    yield from (replace(v) for v in stale)


def _all_external(project) -> list[str]:
    members = _locked_projects(project)
    return sorted({n for name in members for n in _external(project, members, name)})


def _external(project, members, name) -> list[str]:
    """What the member named ``name`` needs from outside the workspace (kept apart for each)."""
    path = members.paths[name]
    return part(project, "SST210", ("external", path), lambda: external_dependencies(project, project.pyproject(path)))


def _stale(project, members, lock_path):
    for name in members:
        path = members.paths[name]
        yield from part(project, "SST210", (name, path, lock_path), lambda name=name, path=path: list(_stale_member(project, name, path, lock_path)))


def _stale_member(project, name, path, lock_path):
    lock_pp = project.pyproject(lock_path)
    if lock_pp is None or not lock_pp.ok or not isinstance(lock_pp.doc.data, dict):
        return  # unreadable (SST002) or does not parse (SST001)
    pp = project.pyproject(path)
    if declared_dependencies(pp) is None:
        return  # dynamic dependencies: only a build can tell
    rel_dir = project.rel(pp.dir)
    entry = lock_member_entry(lock_pp.doc.data, name, rel_dir)
    if entry is None:
        yield Violation(
            "SST210",
            pp.path,
            _where(pp),
            f'uv.lock has no entry for the workspace member "{pp.name}" ({rel_dir}/): it was locked before this member existed. '
            f"SST's uv commands re-resolve during the deploy and `uv lock --check` fails with \"The lockfile at `uv.lock` needs to "
            f'be updated, but `--check` was provided". Run `uv lock`.',
            related=[Related(lock_path, ZERO_RANGE, "uv.lock")],
        )
        return
    locked = lock_requirement_keys(entry)
    declared = pyproject_requirement_keys(project, pp)
    if locked == declared:
        return
    added = sorted(describe_key(k) for k in declared - locked)
    removed = sorted(describe_key(k) for k in locked - declared)
    parts = []
    if added:
        parts.append(f"declares {', '.join(added)} that uv.lock does not record")
    if removed:
        parts.append(f"no longer declares {', '.join(removed)} that uv.lock records")
    i = entry.get("_index")
    lock_range = lock_pp.doc.key_range("package", i, "name") if isinstance(i, int) else None
    yield Violation(
        "SST210",
        pp.path,
        _where(pp),
        f"uv.lock is out of date for \"{pp.name}\": {project.rel(pp.path)} {' and '.join(parts)}. "
        f"SST's uv commands re-resolve during the deploy, so what is deployed is not what uv.lock pinned, and "
        f"`uv lock --check` fails with \"The lockfile at `uv.lock` needs to be updated, but `--check` was provided\". Run `uv lock`.",
        related=[Related(lock_path, lock_range or ZERO_RANGE, f'the uv.lock entry of "{pp.name}"')],
    )
