"""## What it does
For SST 3.9.3 – 4.12 (era B), checks that every workspace member holding a handler has a
`[build-system]` table.

## Why is this bad?
SST runs `uv build --all --sdist` and packages only what it builds. A member without
`[build-system]` is silently skipped: its code never reaches the Lambda zip and the function
fails with `Runtime.ImportModuleError`. When no member is buildable, uv fails with
**`Workspace does not contain any buildable packages`** (exit status 2).

## Example
```toml
# functions/pyproject.toml
[project]
name = "functions"
version = "0.1.0"
```

## Use instead
```toml
[project]
name = "functions"
version = "0.1.0"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
```

## Fix safety
Safe: a hatchling `[build-system]` (the backend SST's own examples use) is appended; nothing
else in the file changes.
"""

from __future__ import annotations

import tomlkit

from ..engine.era import Era
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import ZERO_RANGE
from ..engine.zip_layout import copy_files, deployed_file
from ..engine.uv_workspace import member_projects, project_fact
from .registry import per_function, rule


def add_build_system(doc) -> None:
    table = tomlkit.table()
    table.add("requires", ["hatchling"])
    table.add("build-backend", "hatchling.build")
    doc.add("build-system", table)


def _buildable_member(project) -> bool:
    """Does some workspace member have a [build-system] (so `uv build --all --sdist` succeeds)?"""
    return any(project_fact(project, path, _has_build_system) for path in member_projects(project).paths.values())


def _has_build_system(pp) -> bool:
    return pp.has_build_system


@rule("SST203", "missing-build-system", Severity.ERROR, eras={Era.B}, fix=Safety.SAFE, relies_on=('bundle', 'copyFiles'), scope="functions")
def check(project):
    reported: set = set()
    for _, found in per_function(project, "SST203", _found):
        if found is not None and found[0] not in reported:
            reported.add(found[0])
            yield found[1]


def _found(project, pf):
    """(the project's path, the violation) when the function's project has no [build-system]."""
    pp, fd = pf.project, pf.fd
    if pp is None or not pp.ok or fd.has_bundle or pp.has_build_system:
        return None
    copied = copy_files(project, fd)
    severity = None
    note = ""
    if copied is not None and _buildable_member(project):
        # uv build still succeeds; the only question is whether the handler's code reaches the zip
        if pf.target.exists and copied.supplies(project, deployed_file(pf.target.file_part)):
            return None  # copyFiles puts the handler's module where Lambda imports it
        if copied.unknown:
            severity = Severity.WARNING
            note = (
                f" (Reported as a warning: this function's copyFiles could not be fully evaluated ({copied.unknown}); "
                "if it copies the handler's folder into the zip, the import works.)"
            )
    edit = pp.doc.edit(add_build_system)
    fix = Fix("Add a hatchling [build-system]", Safety.SAFE, (TextEdit(pp.path, *edit),)) if edit else None
    name = pp.name or project.rel(pp.dir)
    return pp.path, Violation(
        "SST203",
        pp.path,
        pp.doc.table_header_range("project") or ZERO_RANGE,
        f'Project "{name}" holds the handler {fd.handler} but has no [build-system]: SST\'s uv build --all --sdist skips it, '
        f"so its code never reaches the Lambda zip (Runtime.ImportModuleError at runtime); when no member is buildable uv fails "
        f'with "Workspace does not contain any buildable packages".' + note,
        severity=severity,
        fix=fix,
        related=[Related(fd.file, fd.handler_range, "the handler")],
        about=fd,
    )
