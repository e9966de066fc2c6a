"""## What it does
Finds a hatchling project (a workspace member, the root project, or a function's project) that
sets none of `packages`, `only-include`, `include` (nor `force-include`, `bypass-selection` or
build hooks) and in which hatchling's default wheel file selection finds nothing.

hatchling's default rules (`WheelBuilderConfig.default_file_selection_options`), tried for the
project name as written and normalised (`-` and other separators become `_`, e.g.
`my-functions` → `my_functions`): `<name>/__init__.py`, `src/<name>/__init__.py`, `<name>.py`,
then exactly one `*/<name>/__init__.py`. A folder **without `__init__.py` does not count** —
one of the few places where `__init__.py` matters — and neither does any folder with another name.

## Why is this bad?
Building the wheel (also the editable one that `uv sync` installs) fails:
**`ValueError: Unable to determine which files to ship inside the wheel using the following heuristics`**
(`… there is no directory that matches the name of your project (functions)`). SST's first uv
command, `uv sync --all-packages`, fails with `Failed to build` and no function is deployed.
`uv build --sdist` alone still succeeds, which makes the cause easy to miss.

## Example
```toml
# functions/pyproject.toml — code in functions/src/handlers/api.py
[project]
name = "functions"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
```

## Use instead
```toml
[tool.hatch.build.targets.wheel]
packages = ["src/handlers"]
```

## Fix safety
Unsafe: when exactly one folder with Python code exists under `src/` (or, without `src/`, at the
project's top level; a folder holding one of the project's handlers wins), the fix adds
`[tool.hatch.build.targets.wheel] packages = ["src/<dir>"]`. That changes what the wheel
ships and how it is imported (`import <dir>`), so review it; adding an `__init__.py` to
`src/<name>/` or renaming the folder are the alternatives.
"""

from __future__ import annotations

from itertools import compress
from pathlib import Path

import tomlkit

from ..engine.era import ALL_ERAS
from ..engine.files import SKIP_DIRS
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.uv_workspace import hatch_default_candidates, hatch_finds_files, workspaces
from .registry import parts, per_groups, rule

NOT_PACKAGES = SKIP_DIRS | {"tests", "test", "docs", "scripts"}


def _has_python(fs, d: Path) -> bool:
    return any(f.endswith(".py") for _, _, files in fs.walk(d, hidden=False) for f in files)


def _code_dirs(fs, base: Path) -> list[str]:
    names = [e.name for e in fs.listdir(base) if e.is_dir]
    return [n for n in names if n not in NOT_PACKAGES and not n.startswith(".") and not n.endswith(".egg-info") and _has_python(fs, base / n)]


def package_folder(fs, pp, handler_files: list[Path]) -> str | None:
    """The one folder to list in ``packages`` (project-relative), or None when it is not clear."""
    tops = set()
    for f in handler_files:
        rel = f.relative_to(pp.dir).parts
        if len(rel) >= 3 and rel[0] == "src":
            tops.add(f"src/{rel[1]}")
        elif len(rel) >= 2 and rel[0] != "src":
            tops.add(rel[0])
        else:
            tops.add(None)
    if len(tops) == 1 and None not in tops:
        return tops.pop()
    if tops:
        return None
    src = pp.dir / "src"
    if fs.is_dir(src):
        dirs = _code_dirs(fs, src)
        return f"src/{dirs[0]}" if len(dirs) == 1 else None
    dirs = _code_dirs(fs, pp.dir)
    return dirs[0] if len(dirs) == 1 else None


def add_packages(folder: str):
    def change(doc):
        node = doc
        for key in ("tool", "hatch", "build", "targets"):
            if key not in node:
                node.add(key, tomlkit.table(is_super_table=True))
            node = node[key]
        if "wheel" not in node:
            node.add("wheel", tomlkit.table())
        node["wheel"]["packages"] = [folder]

    return change


def _projects(project) -> list[Path]:
    """pyproject.toml paths of every workspace's members, then of the handlers' projects (not read here)."""
    out: dict = {}
    for ws in workspaces(project):
        out.update((path, None) for path in ws.member_paths())
    for pf in project.python_functions:
        if pf.project_path is not None and not pf.fd.has_bundle:
            out.setdefault(pf.project_path, None)
    return list(out)


@rule("SST212", "build-backend-finds-no-package", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, scope="functions")
def check(project):
    # only a project whose wheel hatchling cannot fill has a finding: the app's are judged each
    # apart and kept with the disk model, so that an edit of a handler's path judges none again
    failing = _failing(project)
    # (a project the app's file index misses: a member in a skipped or hidden folder, or outside the
    # root, or a handler's; rare, and judged with the handlers)
    outside = _members_outside(project) | project.unindexed_handler_projects
    if not failing and not outside:
        return
    projects = _projects(project)
    handlers: dict = {}
    for pf in project.python_functions:
        if pf.project_path is not None and pf.target.py_path is not None:
            handlers.setdefault(pf.project_path, []).append(pf)
    groups = {path: handlers.get(path, []) for path in projects if path in failing or path in outside}
    yield from per_groups(project, "SST212", groups, lambda path, now: list(_findings(project, path, now)))


def _members_outside(project) -> frozenset:
    """The workspaces' members that are not among the app's pyproject.toml files (kept with the disk model)."""
    return project.derive(("SST212", "members outside"), lambda: _outside(project), reexec=True)


def _outside(project) -> frozenset:
    inside = project.pyproject_set
    return frozenset(p for ws in workspaces(project) for p in ws.member_paths() if p not in inside)


def _failing(project) -> frozenset:
    paths = project.pyproject_paths
    judged = parts(project, "SST212 fails", paths, lambda i: lambda path=paths[i]: _fails(project, path))
    return frozenset(compress(paths, judged))


def _fails(project, path) -> bool:
    pp = project.pyproject(path)
    return not (pp is None or not pp.ok or pp.name is None or hatch_finds_files(project, pp, pp.name))


def _findings(project, path, handlers):
    if not _fails(project, path):
        return
    pp = project.pyproject(path)
    folder = package_folder(project.fs, pp, [pf.target.py_path for pf in handlers])
    fix = None
    if folder is not None:
        edit = pp.doc.edit(add_packages(folder))
        if edit is not None:
            fix = Fix(f'Add [tool.hatch.build.targets.wheel] packages = ["{folder}"]', Safety.UNSAFE, (TextEdit(pp.path, *edit),))
    names = " or ".join(sorted(hatch_default_candidates(pp.name)))
    looked = ", ".join(f"{n}/__init__.py, src/{n}/__init__.py, {n}.py, */{n}/__init__.py" for n in hatch_default_candidates(pp.name))
    src_pkg = next((f"src/{n}" for n in hatch_default_candidates(pp.name) if project.fs.is_dir(pp.dir / "src" / n)), None)
    note = f" ({src_pkg}/ exists but has no __init__.py, so hatchling does not count it)" if src_pkg else ""
    advice = f'Add [tool.hatch.build.targets.wheel] packages = ["{folder}"].' if folder else (
        "Add [tool.hatch.build.targets.wheel] packages = [...] naming the folder that holds the code."
    )
    yield Violation(
        "SST212",
        pp.path,
        pp.doc.value_range("project", "name") or pp.doc.best_range("project", "name"),
        f'hatchling finds no files to put in the wheel of "{pp.name}": none of {looked} exists in {project.rel(pp.dir)}/{note}. '
        f'Building it fails with "Unable to determine which files to ship inside the wheel" (no directory matches the name '
        f"{names}), so uv sync --all-packages, which SST runs first, fails with \"Failed to build\". " + advice,
        fix=fix,
        related=[Related(pf.fd.file, pf.fd.handler_range, "a handler in this project") for pf in handlers[:3]],
    )
