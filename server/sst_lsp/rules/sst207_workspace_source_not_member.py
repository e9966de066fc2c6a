"""## What it does
Finds a dependency taken from the workspace (`[tool.uv.sources] x = { workspace = true }`, in the
project itself or inherited from the workspace root) when the workspace has no member named `x`.

## Why is this bad?
uv cannot resolve it and every uv command fails:
**`` `x` references a workspace in `tool.uv.sources` (e.g., `x = { workspace = true }`), but is not a workspace member ``**
(after `Failed to parse entry: `x``). SST's `uv sync --all-packages` stops there and no
Python function is built. The usual cause: the shared project (`core/`) exists but was never
added to `[tool.uv.workspace] members`, or it was renamed.

uv only complains when `x` is actually required (in `dependencies`, an optional-dependency
extra, a dependency group or `tool.uv.dev-dependencies`): an unused `workspace = true` entry is
ignored (checked with uv 0.13), so this rule does not report it either.

## Example
```toml
# root pyproject.toml
[tool.uv.workspace]
members = ["functions"]

# functions/pyproject.toml
[project]
dependencies = ["core"]

[tool.uv.sources]
core = { workspace = true }
```

## Use instead
```toml
[tool.uv.workspace]
members = ["functions", "core"]
```

## Fix safety
No fix: adding the right directory to `members` is SST202's kind of fix, but which directory
holds `x` (or whether the source should point elsewhere) is not certain.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Related, Severity, Violation
from ..engine.uv_workspace import is_workspace_source, project_name, required_names, sources, workspaces
from .registry import rule


def _projects_by_name(project) -> dict:
    out = {}
    for path in project.toml_paths:
        if path.name == "pyproject.toml" and (pp := project.pyproject(path)) is not None and pp.ok and pp.normalized:
            out.setdefault(pp.normalized, pp)
    return out


def _workspace_sources(project, path, root_path) -> list[tuple]:
    """(name, file of the source, key, where required) for every name the project at ``path``
    requires from the workspace (its own ``[tool.uv.sources]`` first, then the root's), kept apart."""

    def compute():
        pp = project.pyproject(path)
        if pp is None or not pp.ok:
            return []
        root = project.pyproject(root_path)
        own, root_sources = sources(pp), (sources(root) if root is not None else {})
        out = []
        for name, where in required_names(pp).items():
            if name in own:
                key, value, owner = *own[name], pp.path
            elif name in root_sources:
                key, value, owner = *root_sources[name], root_path
            else:
                continue
            if is_workspace_source(value):
                out.append((name, owner, key, where))
        return out

    return project.derive(("SST207", path, root_path), compute, reexec=True)


@rule("SST207", "workspace-source-not-member", Severity.ERROR, eras=ALL_ERAS, fix=None, scope="disk")
def check(project):
    for ws in workspaces(project):
        if ws.fails:
            continue  # uv stops at the missing member first (SST204)
        members = ws.member_paths()
        names = {n for path in members if (n := project_name(project, path))}
        # one report per source entry: (file, key) -> list of projects that require it
        users: dict[tuple, list] = {}
        for path in members:
            for name, owner, key, where in _workspace_sources(project, path, ws.root_pp.path):
                if name not in names:
                    users.setdefault((owner, key, name), []).append((project.pyproject(path), where))
        if not users:
            continue
        elsewhere = _projects_by_name(project)
        for (path, key, name), using in users.items():
            owner = project.pyproject(path)
            other = elsewhere.get(name)
            if other is not None:
                hint = f'The project "{other.name}" is in {project.rel(other.dir)}/: add "{project.rel(other.dir)}" to [tool.uv.workspace] members in {project.rel(ws.root_pp.path)}.'
            else:
                hint = f'No project named "{name}" exists in this app: add its folder (with a pyproject.toml) to members, or give it another source.'
            pp, where = using[0]
            yield Violation(
                "SST207",
                path,
                owner.doc.key_range("tool", "uv", "sources", key) or owner.doc.best_range("tool", "uv", "sources"),
                f'"{key}" comes from the workspace ({key} = {{ workspace = true }}) and {project.rel(pp.path)} requires it '
                f"({where}), but the workspace in {project.rel(ws.root_pp.path)} has no member named \"{name}\". uv fails with "
                f'"`{name}` references a workspace in `tool.uv.sources` (e.g., `{name} = {{ workspace = true }}`), but is not a '
                f'workspace member", so SST\'s uv sync --all-packages stops and no Python function is built. ' + hint,
                related=[Related(u.path, u.doc.best_range("project", "dependencies"), f"requires {key}") for u, _ in using if u.path != path][:3],
            )
