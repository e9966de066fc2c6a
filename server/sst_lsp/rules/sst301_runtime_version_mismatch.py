"""## What it does
Compares a Python function's `runtime: "python3.X"` with the Python version its project is
made for: the `.python-version` uv reads (the project's own, else the one in the `sst.config.ts`
directory) and the `requires-python` of the handler's project and of the workspace root.

## Why is this bad?
The Lambda runs the code on Python 3.X, but uv resolves the dependencies (and, before SST 4.13,
installs their wheels with `uv pip install --target` and no `--python-version`) for the Python
the project selects. Compiled packages built for another minor version fail to import on Lambda
(`Runtime.ImportModuleError`), and code tested locally on one version runs on another.

## Example
```ts
new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.12" });
```
```toml
[project]
requires-python = "==3.11.*"
```

## Use instead
Use the same minor version in both places, e.g. `runtime: "python3.11"` (or move the project to
`==3.12.*`).

## Fix safety
Unsafe: the fix moves `.python-version` or `requires-python` to the runtime's version (keeping
the file's style, e.g. `==3.11.*` → `==3.12.*`), which changes the Python the whole project uses
locally. It is not offered when functions with different runtimes share that file. Container
functions (`python: { container }`, see `SST403`) and functions with a `bundle` are not checked:
their dependencies are not installed by uv for the project's Python. A runtime that
`SST302` reports (blocked, deprecated or unknown to the SST version) is left to that rule: the
runtime, not the project, should change.
"""

from __future__ import annotations

from collections import defaultdict
from operator import itemgetter

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.project import admitted_minors
from ._runtime_util import (
    describe_minors,
    is_container,
    python_version_file,
    python_version_token,
    runtime_minor,
    runtime_problem,
    runtime_site,
    spec_for_minor,
    valid_spec,
)
from .registry import per_function, rule


def _found(project, pf):
    """(minor, runtime site, .python-version file, whether it differs, [(pyproject path, whether
    its requires-python excludes the minor)], whether anything differs) for a function whose
    runtime is a Python 3 minor."""
    site = runtime_site(project, pf)
    if site is None or pf.target.py_path is None or pf.fd.has_bundle or is_container(pf):
        return None  # a bundle is built elsewhere; an image brings its own Python (SST403)
    parsed = runtime_minor(site.value)
    if parsed is None or parsed[0] != 3 or parsed[1] is None:
        return None
    if runtime_problem(site.value, project.era_info.version) is not None:
        return None  # SST302: the runtime itself must change
    minor = f"3.{parsed[1]}"
    pv = python_version_file(project, pf)
    pv_differs = False
    if pv is not None:
        tok = python_version_token(project.fs.read_text(pv) or "")
        pv_differs = tok is not None and tok[0] != minor
    projects = []
    pps = [p for p in (pf.project, project.root_pyproject) if p is not None and p.ok]
    for pp in [p for i, p in enumerate(pps) if all(q is not p for q in pps[:i])]:
        rp = pp.doc.get("project", "requires-python")
        if valid_spec(rp) is None:
            continue
        projects.append((pp.path, minor not in admitted_minors(rp)))
    return minor, site, pv, pv_differs, projects, pv_differs or any(d for _, d in projects)


@rule("SST301", "runtime-version-mismatch", Severity.WARNING, eras=ALL_ERAS, fix=Safety.UNSAFE, scope="functions")
def check(project):
    # file -> [(minor, site, pf)] for every function whose runtime disagrees with that file
    pyver: dict = defaultdict(list)
    reqpy: dict = defaultdict(list)
    users: dict = defaultdict(set)  # file -> minors of every function that depends on it
    each = per_function(project, "SST301", _found)
    if not any(map(itemgetter(5), map(itemgetter(1), each))):
        return  # (told in C: a keystroke elsewhere need not gather every function's files)
    for pf, found in each:
        minor, site, pv, pv_differs, projects, _ = found
        if pv is not None:
            users[pv].add(minor)
            if pv_differs:
                pyver[pv].append((minor, site, pf))
        for path, differs in projects:
            users[path].add(minor)
            if differs:
                reqpy[path].append((minor, site, pf, project.pyproject(path)))

    for path, hits in pyver.items():
        text = project.fs.read_text(path) or ""
        written, rng = python_version_token(text)
        minor, site, pf = hits[0]
        shared = len(users[path]) > 1
        fix = None
        if not shared:
            fix = Fix(f"Set {project.rel(path)} to {minor}", Safety.UNSAFE, (TextEdit(path, rng, minor),))
        yield Violation(
            "SST301",
            path,
            rng,
            f'{project.rel(path)} selects Python {written}, but the function {pf.fd.handler} runs on "{site.value}" '
            f"({project.rel(site.file)}:{site.range.start.line + 1}). uv resolves and installs its dependencies for {written}: compiled "
            f"packages can fail to import on Lambda (Runtime.ImportModuleError). "
            + (
                f"Functions with different runtimes ({', '.join(sorted(users[path]))}) share this file: give each one runtime."
                if shared
                else f'Use the same version in both places: runtime "python{written}", or {minor} here.'
            ),
            fix=fix,
            related=[Related(site.file, site.range, "the runtime")],
        )

    for path, hits in reqpy.items():
        minor, site, pf, pp = hits[0]
        rp = pp.doc.get("project", "requires-python")
        admitted = admitted_minors(rp)
        shared = len(users[path]) > 1
        fix = None
        if not shared:
            new = spec_for_minor(rp, minor)

            def change(doc, new=new):
                doc["project"]["requires-python"] = new

            edit = pp.doc.edit(change)
            if edit:
                fix = Fix(f'Set requires-python = "{new}"', Safety.UNSAFE, (TextEdit(pp.path, *edit),))
        yield Violation(
            "SST301",
            pp.path,
            pp.doc.value_range("project", "requires-python") or pp.doc.best_range("project", "requires-python"),
            f'requires-python "{rp}" admits {describe_minors(admitted)}, but the function {pf.fd.handler} runs on "{site.value}" '
            f"({project.rel(site.file)}:{site.range.start.line + 1}). uv resolves and installs its dependencies for a Python this "
            f"project admits, not for {minor}: compiled packages can fail to import on Lambda (Runtime.ImportModuleError). "
            + (
                f"Functions with different runtimes ({', '.join(sorted(users[path]))}) share this project: give each one runtime."
                if shared
                else "Make the runtime and requires-python agree."
            ),
            fix=fix,
            related=[Related(site.file, site.range, "the runtime")],
        )
