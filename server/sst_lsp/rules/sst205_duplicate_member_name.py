"""## What it does
Finds two projects of one uv workspace (the root project included) whose `[project] name`s
are the same after normalisation (PEP 503: case, and runs of `-`, `_`, `.` do not count, so
`my_pkg`, `My-Pkg` and `my.pkg` are one name).

## Why is this bad?
uv refuses the whole workspace:
**`error: Two workspace members are both named `functions`: `…/functions` and `…/other``**
(the name shown normalised, e.g. `my-pkg`). SST's first uv command (`uv sync --all-packages`)
fails and no Python function is built. It typically happens after copying a function folder
to start a new one, or when the root project is named like a member.

## Example
```toml
# functions/pyproject.toml
[project]
name = "functions"

# billing/pyproject.toml (copied from functions/)
[project]
name = "functions"
```

## Use instead
```toml
# billing/pyproject.toml
[project]
name = "billing"
```

## Fix safety
No fix: which of the two projects to rename, and to what, is the user's choice; in SST 3.9.3 –
4.12 the name must also equal the member's directory name (see SST106).
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Related, Severity, Violation
from ..engine.uv_workspace import project_name, workspaces
from .registry import rule


@rule("SST205", "duplicate-member-name", Severity.ERROR, eras=ALL_ERAS, fix=None, scope="disk")
def check(project):
    for ws in workspaces(project):
        first_of: dict[str, object] = {}
        for path in ws.member_paths():
            name = project_name(project, path)
            if name is None:
                continue
            first = first_of.setdefault(name, path)
            if first == path:
                continue
            pp, first = project.pyproject(path), project.pyproject(first)
            yield Violation(
                "SST205",
                pp.path,
                pp.doc.value_range("project", "name") or pp.doc.best_range("project", "name"),
                f'Project "{pp.name}" ({project.rel(pp.dir)}/) has the same normalised name as "{first.name}" '
                f"({project.rel(first.dir)}/), both members of the workspace in {project.rel(ws.root_pp.path)}. uv refuses "
                f'the workspace: "Two workspace members are both named `{pp.normalized}`: `{first.dir}` and `{pp.dir}`", so '
                f"SST's uv sync --all-packages fails and no Python function is built. Rename one of them.",
                related=[Related(first.path, first.doc.value_range("project", "name") or first.doc.best_range("project", "name"), "the other project with that name")],
            )
