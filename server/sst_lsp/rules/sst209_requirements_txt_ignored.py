"""## What it does
Finds a `requirements.txt` next to the `pyproject.toml` of a project that holds a Python
handler, and lists the requirements in it that the project's `[project].dependencies` (directly
or through the workspace members it depends on) lack.

## Why is this bad?
SST never reads a `requirements.txt` you write, in any version. It generates its own with
`uv export --package=<name>` from `pyproject.toml` (and `uv.lock`), installs that into the
function's zip, and ignores yours. A package listed only in `requirements.txt` is missing at
runtime: `Runtime.ImportModuleError: No module named …`.

## Example
```text
# functions/requirements.txt
requests>=2.31
```
```toml
# functions/pyproject.toml
[project]
dependencies = []
```

## Use instead
```toml
[project]
dependencies = ["requests>=2.31"]
```
and delete `requirements.txt` (or keep it only for other tools).

Severity:
- **error** when a handler of the project imports, at module level, a module that only this file
  provides (traced through the handler's imports, as `SST213` does): every cold start fails;
- **warning** when something listed is missing from `pyproject.toml` but no handler is known to
  import it at module level;
- **info** when the file only repeats what the artifact already holds (the project's
  dependencies, what `uv.lock` pulls in, or `boto3` and its dependencies, which the Lambda
  runtimes and base images ship).

For a container function the message speaks of the image rather than the zip. A file that
another requirements file includes (`-r requirements.txt`) is never called deletable.

## Fix safety
Unsafe: the missing requirements are appended to `[project].dependencies` as written in
`requirements.txt`; check the versions, then run `uv lock`. Options (`-r`, `-e`, `--index-url`…)
and comments are ignored. When nothing is missing there is no fix: the file still misleads
readers into thinking SST installs from it.
"""

from __future__ import annotations

import os
import re

from ..engine.components import container_option
from ..engine.distributions import artifact_distributions, provider, resembles, table
from ..engine.era import ALL_ERAS
from ..engine.handler_imports import handler_imports, site_range
from ..engine.model import Related, Safety, Severity, Violation
from ..engine.positions import ZERO_RANGE
from ..engine.pyimports import MODULE
from ..engine.requirements_file import read_requirements_txt
from ..engine.uv_workspace import runtime_names
from ._deps_fix import add_dependencies_fix
from .registry import per_groups, rule

_INCLUDE = re.compile(r"^\s*(?:-r|--requirement)(?:\s+|=)(\S+)")


def including_files(project, req_path) -> list:
    """Other requirement files (next to it or at the app root) that include ``req_path`` with ``-r``."""
    out = []
    for folder in dict.fromkeys([req_path.parent, project.root]):
        for entry in project.fs.listdir(folder):
            name, other = entry.name, entry.path
            if other == req_path or not name.endswith((".txt", ".in")) or "requirement" not in name.lower():
                continue
            text = project.fs.read_text(other) or ""
            for line in text.splitlines():
                m = _INCLUDE.match(line)
                if m and os.path.normpath(folder / m.group(1)) == os.path.normpath(req_path):
                    out.append(other)
                    break
    return out


def _imported(project, functions, req, venvs) -> tuple | None:
    """(function, need) when a handler imports, at module level and unprovided, a module ``req`` provides."""
    mods = provider(project.fs, req.name, venvs).modules
    for pf in functions:
        hi = handler_imports(project, pf)
        if hi is None or hi.not_visible:
            continue
        for need in hi.missing:
            if need.strongest.context == MODULE and (need.top in mods or resembles(need.top, req.name)):
                return pf, need
    return None


@rule("SST209", "requirements-txt-ignored", Severity.WARNING, eras=ALL_ERAS, fix=Safety.UNSAFE, severity_label="error / warning / info", scope="functions")
def check(project):
    # only a project with a requirements.txt beside it can have a finding: those of the app's are
    # kept with the disk model, so that an edit of a handler's path looks at no other project
    beside = _with_requirements(project)
    outside = project.unindexed_handler_projects
    if outside:
        beside = beside | {path for path in outside if _has_requirements(project, path)}
    if not beside:
        return
    by_project: dict = {}
    for pf in project.python_functions:
        if pf.project_path in beside and not pf.fd.has_bundle:
            by_project.setdefault(pf.project_path, []).append(pf)
    yield from per_groups(project, "SST209", by_project, lambda path, group: list(_project_findings(project, path, group)))


def _with_requirements(project) -> frozenset:
    """The app's pyproject.toml files with a requirements.txt beside them."""
    return project.derive(("SST209", "beside"), lambda: frozenset(p for p in project.pyproject_paths if _has_requirements(project, p)), reexec=True)


def _has_requirements(project, path) -> bool:
    return project.fs.read_text(path.parent / "requirements.txt") is not None


def _project_findings(project, path, functions):
    """The findings on the requirements.txt beside one project (``functions``: its handlers)."""
    pp = project.pyproject(path)
    if pp is None or not pp.ok:
        return
    req_path = pp.dir / "requirements.txt"
    text = project.fs.read_text(req_path)
    if text is None:
        return
    deps = artifact_distributions(project, pp)
    declared = runtime_names(project, pp)
    present = declared | set(deps.closure)
    runtime = table().runtime_distributions
    own = project.rel(pp.path)
    rel = project.rel(req_path)
    container = any((o := container_option(pf.fd.pairs)) is not None and o.enabled for pf in functions)
    artifact = "image" if container else "zip"
    missing, runtime_only = [], []
    for r in read_requirements_txt(text):
        if r.name in present or r.name in {m.name for m in missing + runtime_only}:
            continue
        (runtime_only if r.name in runtime else missing).append(r)
    related = [Related(pp.path, pp.doc.best_range("project", "dependencies"), "the dependencies SST installs")]
    if not missing:
        includers = including_files(project, req_path)
        extra = ""
        if runtime_only:
            extra = f" ({', '.join(r.req.name for r in runtime_only)}: the Lambda runtime ships it, and pinning it in {own} is still wise)"
        if includers:
            keep = f"{', '.join(project.rel(i) for i in includers)} include{'s' if len(includers) == 1 else ''} it with -r, so keep it for whoever installs from there."
        else:
            keep = "It changes nothing in the deploy; keep it only if another tool reads it."
        yield Violation(
            "SST209",
            req_path,
            runtime_only[0].range if runtime_only else ZERO_RANGE,
            f"SST never reads {rel}: it generates its own requirements with uv export from {own}. "
            f"Everything listed here is already in the function's {artifact}{extra}. {keep}",
            severity=Severity.INFO,
            related=related,
        )
        return
    fix = add_dependencies_fix(project, pp, [str(m.req) for m in missing + runtime_only])
    hit = next(((m, found) for m in missing if (found := _imported(project, functions, m, deps.venvs)) is not None), None)
    names = ", ".join(f'"{m.text}"' for m in missing)
    one = len(missing) == 1
    if hit is not None:
        req, (pf, need) = hit
        site = need.strongest
        where = f"{project.rel(site.file)}:{site.site.line + 1}"
        yield Violation(
            "SST209",
            req_path,
            req.range,
            f"SST never reads {rel}: it installs only what uv export finds in {own} (and uv.lock). \"{req.text}\" is listed only here, "
            f'and the handler {pf.target.text} imports "{need.top}" at module level ({where}), so the {artifact} lacks it and every '
            f"cold start fails with Runtime.ImportModuleError: No module named '{need.top}'. "
            f"Add {names} to [project].dependencies and run uv lock.",
            severity=Severity.ERROR,
            fix=fix,
            related=[*related, Related(site.file, site_range(project, site.file, site.site), "the import")],
        )
        return
    yield Violation(
        "SST209",
        req_path,
        missing[0].range,
        f"SST never reads {rel}: it installs only what uv export finds in {own} (and uv.lock). "
        f"{names} {'is' if one else 'are'} not in its [project].dependencies, so {'it is' if one else 'they are'} missing from the {artifact} "
        f"and importing {'it' if one else 'them'} fails with Runtime.ImportModuleError. Add {'it' if one else 'them'} to [project].dependencies and run uv lock.",
        fix=fix,
        related=related,
    )

