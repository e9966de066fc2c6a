"""## What it does
For SST 3.9.3 – 4.12 (era B), finds an app with Python functions but no `pyproject.toml` in the
directory of `sst.config.ts`.

## Why is this bad?
SST's Python build starts with `uv sync --all-packages` in the directory of `sst.config.ts`.
Without a `pyproject.toml` there (or in a parent directory) uv stops at once with
**``error: No `pyproject.toml` found in current directory or any parent directory``**
(`uv build --all`: "`--all-packages` was provided, but no workspace was found"),
exit status 2, and no Python function is built. (uv walks up to the nearest parent
`pyproject.toml`; when the folder being checked holds one above `sst.config.ts`, this rule stays
silent, because uv would use that one.) A `pyproject.toml` next to each function is not
enough: era B needs a uv **workspace** at the root whose `members` are the function projects.

## Example
```text
sst.config.ts
functions/pyproject.toml        # name = "functions"
functions/src/functions/api.py
```

## Use instead
```toml
# pyproject.toml, next to sst.config.ts
[project]
name = "my-app"
version = "0.1.0"
requires-python = "==3.11.*"
dependencies = []

[tool.uv.workspace]
members = ["functions"]
```

## Fix safety
Safe: the fix **creates** `pyproject.toml` (it never overwrites one), with `[project]` named
after the app (`app().name` in `sst.config.ts`), `requires-python` pinned to the functions'
runtime (`==3.X.*`, as SST's examples do) or else the function projects' common
`requires-python`, and `[tool.uv.workspace] members` listing every function project directory
plus the projects they take from the workspace (`x = { workspace = true }`). Nothing else changes.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.utils import canonicalize_name

from ..engine.era import Era
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import Range, ZERO_RANGE
from ..engine.uv_workspace import is_workspace_source, sources
from .registry import rule

_APP_NAME = re.compile(r"""\bapp\s*\([^)]*\)\s*\{.*?\bname\s*:\s*(["'`])([^"'`$]+)\1""", re.S)
_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.I)


def app_name(project) -> str:
    """The app's name from ``app()`` in sst.config.ts, else the folder's name (a valid project name)."""
    text = project.fs.read_text(project.config) or ""
    m = _APP_NAME.search(text)
    for cand in ([m.group(2)] if m else []) + [project.root.name, "sst-app"]:
        cand = re.sub(r"[^A-Za-z0-9._-]+", "-", cand).strip("-._")
        if cand and _VALID_NAME.match(cand):
            return cand
    return "sst-app"


def _config_range(project) -> Range:
    """Where to show a diagnostic about the whole app on sst.config.ts: the ``$config(`` line."""
    tf = project.ts_file(project.config)
    if tf is None:
        return ZERO_RANGE
    idx = tf.text.find("$config(")
    if idx < 0:
        return ZERO_RANGE
    start = tf.index.position_of_offset(idx)
    return Range(start, tf.index.position_of_offset(idx + len("$config")))


def _workspace_dependencies(project, pps) -> list:
    """Projects of the app that ``pps`` take from the workspace (``x = { workspace = true }``), transitively."""
    by_name = {}
    for path in project.toml_paths:
        if path.name != "pyproject.toml" or path.parent == project.root:
            continue
        pp = project.pyproject(path)
        if pp is not None and pp.ok and pp.normalized:
            by_name.setdefault(pp.normalized, pp)
    out = list(pps)
    queue = list(pps)
    while queue:
        pp = queue.pop(0)
        for norm, (_, value) in sources(pp).items():
            dep = by_name.get(norm)
            if is_workspace_source(value) and dep is not None and dep not in out:
                out.append(dep)
                queue.append(dep)
    return out


def _requires_python(project, pfs, pps) -> str | None:
    minors = {pf.runtime[len("python"):] for pf in pfs if pf.runtime and re.fullmatch(r"python3\.\d+", pf.runtime)}
    if len(minors) == 1:
        return f"=={minors.pop()}.*"
    values = {pp.doc.get("project", "requires-python") for pp in pps}
    if len(values) == 1 and isinstance(rp := values.pop(), str):
        return rp
    return None


def root_pyproject_text(name: str, requires_python: str | None, members: list[str]) -> str:
    import tomlkit

    lines = ["[project]", f"name = {tomlkit.string(name).as_string()}", 'version = "0.1.0"']
    if requires_python:
        lines.append(f"requires-python = {tomlkit.string(requires_python).as_string()}")
    lines += ["dependencies = []", "", "[tool.uv.workspace]"]
    lines.append("members = [" + ", ".join(tomlkit.string(m).as_string() for m in members) + "]")
    return "\n".join(lines) + "\n"


def _ancestor_pyproject(project) -> Path | None:
    """A pyproject.toml above the root, inside the workspace being checked (uv would use it)."""
    ws = project.fs.workspace
    if ws is None:
        return None
    d = project.root.parent
    while project.fs.within_workspace(d) and d != d.parent:
        if project.fs.is_file(d / "pyproject.toml"):
            return d / "pyproject.toml"
        d = d.parent
    return None


@rule("SST201", "missing-root-pyproject", Severity.ERROR, eras={Era.B}, fix=Safety.SAFE)
def check(project):
    path = project.root / "pyproject.toml"
    if project.fs.exists(path) or project.root_pyproject is not None or _ancestor_pyproject(project):
        return  # uv walks up to the nearest pyproject.toml: a parent's workspace is another story
    pfs = [pf for pf in project.python_functions if not pf.fd.has_bundle]
    if not pfs:
        return
    handler_pps = []
    for pf in pfs:
        if pf.project is not None and pf.project.ok and pf.project.dir != project.root and pf.project not in handler_pps:
            handler_pps.append(pf.project)
    pps = _workspace_dependencies(project, handler_pps)
    members = sorted({project.rel(pp.dir) for pp in pps})
    name = app_name(project)
    if canonicalize_name(name) in {pp.normalized for pp in pps}:
        name = f"{name}-workspace"  # uv: two members may not share a name
    fix = None
    if members:
        text = root_pyproject_text(name, _requires_python(project, pfs, pps), members)
        fix = Fix(
            f"Create pyproject.toml with a uv workspace of {', '.join(members)}",
            Safety.SAFE,
            (TextEdit(path, ZERO_RANGE, text, creates=True),),
        )
    in_config = [pf for pf in pfs if pf.fd.file == project.config]
    rng = in_config[0].fd.handler_range if in_config else _config_range(project)
    related = [Related(pf.fd.file, pf.fd.handler_range, f"Python handler {pf.fd.handler}") for pf in pfs[:5] if pf not in in_config[:1]]
    related += [Related(pp.path, pp.doc.best_range("project", "name"), "a function project") for pp in handler_pps[:5]]
    advice = (
        f'Create {project.rel(path)} with [tool.uv.workspace] members = [{", ".join(chr(34) + m + chr(34) for m in members)}].'
        if members
        else "Create a pyproject.toml here with [tool.uv.workspace] members listing each function's project directory (each with its own pyproject.toml)."
    )
    yield Violation(
        "SST201",
        project.config,
        rng,
        f"This app has Python functions ({pfs[0].fd.handler}{' and more' if len(pfs) > 1 else ''}) but no pyproject.toml next to "
        f"sst.config.ts. SST runs uv sync --all-packages there and uv fails with \"No `pyproject.toml` found in current directory "
        f"or any parent directory\", so no Python function is built. " + advice,
        fix=fix,
        related=related,
    )
