"""## What it does
For a Python function whose project needs packages from outside the workspace, checks that the
Python version uv uses for the workspace is pinned to the runtime's minor version: by a
`.python-version` in the `sst.config.ts` directory, or by `requires-python` (uv uses the
intersection of every member's `requires-python`). SST 3.9.3 – 4.12 only.

## Why is this bad?
These SST versions install a function's dependencies with
`uv pip install -r requirements.txt --target … --python-platform …-unknown-linux-gnu` and **no
`--python-version`**: the wheels follow the local interpreter uv picks, i.e. any version
`requires-python` admits. Deploying a `python3.11` function from a machine where uv picks
Python 3.12 installs `cp312` wheels of compiled packages (pydantic-core, numpy…), which fail to
import on Lambda (`Runtime.ImportModuleError`). SST's own example pins
`requires-python = "==3.11.*"` for this reason. Pure-Python dependencies are not affected, so a
project with no outside dependencies is not reported, and neither are container functions
(`python: { container }`), whose image installs the wheels with its own Python.

## Example
```toml
[project]
requires-python = ">=3.10"
dependencies = ["pydantic>=2"]
```
with `runtime: "python3.11"`.

## Use instead
```toml
[project]
requires-python = "==3.11.*"
```

## Fix safety
Unsafe: `requires-python` of the handler's project becomes `==3.X.*` for the runtime's 3.X, which
also stops the project from being used with other Python versions locally.
"""

from __future__ import annotations

import tomlkit

from ..engine.era import Era
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import ZERO_RANGE
from ..engine.project import admitted_minors
from ..engine.uv_workspace import external_dependencies, member_projects, project_fact
from ._runtime_util import describe_minors, is_container, python_version_token, runtime_minor, runtime_problem, runtime_site, valid_spec
from .registry import per_function, rule


def _workspace_requires_python(project) -> list[str]:
    """requires-python of every workspace member and the root, as written."""
    out = []
    paths = list(member_projects(project).paths.values())
    if project.root_pyproject is not None and project.root_pyproject.path not in paths:
        paths.append(project.root_pyproject.path)
    for path in paths:
        rp = project_fact(project, path, _requires_python)
        if valid_spec(rp) is not None:
            out.append(rp)
    return out


def _requires_python(pp):
    return pp.doc.get("project", "requires-python")


@rule("SST303", "requires-python-not-pinned", Severity.INFO, eras={Era.B}, fix=Safety.UNSAFE, scope="functions")
def check(project):
    root_pv = project.fs.read_text(project.root / ".python-version")
    if root_pv is not None and python_version_token(root_pv) is not None:
        return  # uv runs in the sst.config.ts directory: its .python-version picks the interpreter (SST301 checks it)
    reported = set()
    for _, found in per_function(project, "SST303", _found):
        if found is not None and found[0] not in reported:
            reported.add(found[0])
            yield found[1]


def _admitted(project) -> list[str]:
    """The minors the workspace's requires-python admit together (a fact kept apart: it rarely changes)."""

    def compute():
        specs = _workspace_requires_python(project)
        return admitted_minors(",".join(specs)) if specs else admitted_minors("")

    return project.derive(("SST303", "admitted"), compute, reexec=True)


def _found(project, pf):
    """(the project's path, the violation) when the function's project should pin requires-python."""
    admitted = _admitted(project)
    pp = pf.project
    if pp is None or not pp.ok or pf.fd.has_bundle or is_container(pf):
        return None
    site = runtime_site(project, pf)
    parsed = runtime_minor(site.value if site else None)
    if parsed is None or parsed[0] != 3 or parsed[1] is None or runtime_problem(site.value, project.era_info.version) is not None:
        return None
    minor = f"3.{parsed[1]}"
    if minor not in admitted or admitted == [minor]:
        return None  # excluded: SST301; pinned: fine
    external = external_dependencies(project, pp)
    if not external:
        return None
    target = f"=={minor}.*"
    own = pp.doc.get("project", "requires-python")

    def change(doc, target=target):
        proj = doc["project"]
        if "requires-python" in proj:
            proj["requires-python"] = target
        else:
            proj.add("requires-python", tomlkit.string(target))

    fix = None
    if pp.doc.has_table("project"):
        edit = pp.doc.edit(change)
        if edit:
            fix = Fix(f'Set requires-python = "{target}"', Safety.UNSAFE, (TextEdit(pp.path, *edit),))
    rng = pp.doc.value_range("project", "requires-python") or pp.doc.table_header_range("project") or ZERO_RANGE
    written = f'requires-python "{own}"' if isinstance(own, str) else "No requires-python"
    shown = ", ".join(external[:3]) + (", …" if len(external) > 3 else "")
    return pp.path, Violation(
        "SST303",
        pp.path,
        rng,
        f"{written} here (with the rest of the workspace) admits {describe_minors(admitted)}, but {pf.fd.handler} runs on "
        f'"{site.value}". SST 3.9.3–4.12 installs its dependencies ({shown}) with uv pip install --target and no '
        f"--python-version, so their wheels follow whichever of those Pythons uv picks on the deploying machine; compiled "
        f'packages built for another version fail to import on Lambda (Runtime.ImportModuleError). Pin requires-python = "{target}".',
        fix=fix,
        related=[Related(site.file, site.range, "the runtime")],
    )
