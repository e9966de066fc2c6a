"""## What it does
Follows the imports of each Python handler — its module, the packages on the way, and every
module of the project or of a workspace member it imports, transitively (read with `ast`, never
run) — and checks that each module it imports from outside is in the function's artifact: the
standard library of the function's Python version, the project and its workspace members, a
dependency of the handler's project (its `[project].dependencies` and those of the workspace
members it depends on, with what they pull in according to `uv.lock`), the Lambda runtime
(`boto3`, `botocore` and their dependencies), or `copyFiles`.

Import names are matched to distributions through the workspace `.venv`
(`*.dist-info/top_level.txt`, `RECORD`) when one exists, else through a table of well-known
names shipped with sst-lsp (`yaml` → PyYAML, `PIL` → Pillow, `jwt` → PyJWT …), else by the
distribution's normalised name. `sst-lsp check -v` and the hover on a handler show where each
import comes from and the source of each mapping.

Severity:
- **error**: imported at module level (so at every cold start) and certainly missing — the
  module names of every installed distribution are known and nothing the analysis cannot see
  could provide it;
- **warning**: imported inside a function or under a condition (it fails when that code runs),
  or when something is out of sight: a `copyFiles` that cannot be read, an `environment` that
  cannot be evaluated (a `PYTHONPATH` there may add folders), a container image, `sys.path`
  changes, no `uv.lock`, or distributions whose module names are only guessed (the message
  names them). Folders that a `PYTHONPATH` of `/var/task/...` in `environment` adds are searched
  too;
- **info** when the function has `layers` (they are how heavy packages — pandas, numpy, a
  database driver — usually reach a Lambda, and their content is not visible), or when what the
  declared dependencies pull in is not known (no `uv.lock`: `pydantic` comes with `fastapi`);
- nothing for optional imports: `try: … except ImportError`, `contextlib.suppress(ImportError)`,
  `if TYPE_CHECKING:` and `if __name__ == "__main__":`; nothing either when the handler's
  `pyproject.toml` does not parse (`SST001`) or declares its dependencies `dynamic`.

## Why is this bad?
SST installs only what `uv export` lists for the handler's project. Anything else is missing
from the Lambda artifact, and Python fails at import: every cold start ends with
`Runtime.ImportModuleError: Unable to import module '…': No module named 'yaml'`, although the
deploy succeeded and the code ran locally (where the package happened to be installed).

## Example
```python
# functions/src/functions/api.py
import yaml
```
```toml
# functions/pyproject.toml
[project]
dependencies = ["requests"]
```

## Use instead
```toml
[project]
dependencies = ["requests", "PyYAML"]
```
then run `uv lock`.

## Fix safety
Unsafe: the distribution is appended to `[project].dependencies` of the handler's project
without a version; its name comes from the `.venv` or the table when they know it, else it is
the import name (check it is the distribution you mean). Run `uv lock` afterwards. A module
that the function's Python version no longer ships (`distutils` on 3.12) gets no fix.
"""

from __future__ import annotations

from ..engine.components import container_option
from ..engine.distributions import stdlib_minors_with, table, venv_index, venv_modules
from ..engine.era import ALL_ERAS
from ..engine.handler_imports import handler_imports, severity_is_certain, site_range
from ..engine.model import Related, Safety, Severity, Violation
from ..engine.positions import Range
from ..engine.pyimports import CONDITIONAL, FUNCTION, MODULE
from ._deps_fix import add_dependencies_fix
from .registry import per_function, rule


def suggest_distribution(project, deps, top: str) -> tuple[str, str] | None:
    """(distribution, where the name comes from) for an import, or None when it should not be guessed."""
    for venv in deps.venvs if deps is not None else []:
        for dist, info in sorted(venv_index(project.fs, venv).items()):
            mods = venv_modules(project.fs, info)
            if mods and top in mods:
                return info.name[: -len(".dist-info")].split("-")[0], f"installed in {project.rel(venv)}"
    found = table().providers_of(top)
    if len(found) == 1:
        return found[0], "sst-lsp's table of well-known distributions"
    if found:
        return None  # a namespace (google, azure …): the import path decides, not the first name
    return top.replace("_", "-"), "the import name; check that this is the distribution you mean"


def _where_words(context: int) -> str:
    return {
        MODULE: "at module level",
        CONDITIONAL: "under a condition at module level",
        FUNCTION: "inside a function",
    }.get(context, "")


RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@rule("SST213", "undeclared-import", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, severity_label="error / warning / info", scope="functions")
def check(project):
    reported: dict[tuple, Violation] = {}
    for _, found in per_function(project, "SST213", _found):
        for key, severity, violation in found:
            prior = reported.get(key)
            if prior is not None:
                if RANK[prior.severity] < RANK[severity]:
                    del reported[key]
                else:
                    continue
            reported[key] = violation
    yield from reported.values()


def _found(project, pf) -> list[tuple]:
    """(import site key, severity, violation) for every missing import of one function."""
    out: list[tuple] = []
    hi = handler_imports(project, pf)
    if hi is None or pf.project is None or not hi.missing or hi.deps is None or hi.deps.dynamic:
        return out  # a pyproject.toml that does not parse (SST001) or dynamic dependencies: nothing to compare with
    pp = pf.project
    deps = hi.deps
    container = container_option(pf.fd.pairs)
    artifact = "image" if container is not None and container.enabled else "zip"
    for need in hi.missing:
        certain_need = severity_is_certain(hi, need)
        for ext in need.sites:
            site = ext.site
            key = (ext.file, site.line, site.col, need.top)
            severity = Severity.ERROR if certain_need and ext.context == MODULE else Severity.WARNING
            if pf.fd.has_layers or not deps.closure_known:
                # layers are how heavy packages (pandas, numpy) usually reach Lambda; without a
                # uv.lock, any package a declared one pulls in (pydantic with fastapi) is possible
                severity = Severity.INFO
            out.append((key, severity, _violation(project, pf, hi, need, ext, severity, artifact, deps, pp)))
    return out


def _violation(project, pf, hi, need, ext, severity, artifact, deps, pp) -> Violation:
    top = need.top
    rel_file = project.rel(ext.file)
    own = project.rel(pp.path)
    minor = f"Python 3.{hi.minor}" if hi.minor else "Python"
    handler = pf.target.text
    reach = "" if ext.file == pf.target.py_path else f" (the handler {handler} imports it)"
    other_std = stdlib_minors_with(top) if hi.minor else []
    words = _where_words(ext.context)
    if other_std:
        what = (
            f'"{top}" is imported {words} in {rel_file}{reach}, but it is not in the standard library of {minor} '
            f"(the function's {hi.minor_source}); only Python 3.{other_std[0]}–3.{other_std[-1]} ship it"
        )
    else:
        copy = ", copyFiles" if hi.copy_targets else ""
        what = (
            f'"{top}" is imported {words} in {rel_file}{reach}, but nothing in the function\'s {artifact} provides it '
            f"(not the standard library of {minor}, the project, its workspace members, the Lambda runtime{copy}, "
            f"nor a distribution that {own} declares, directly or through uv.lock)"
        )
    if ext.context == MODULE:
        effect = f"every cold start fails with Runtime.ImportModuleError: No module named '{top}'"
    elif ext.context == FUNCTION:
        effect = f"that function fails with ModuleNotFoundError: No module named '{top}' when it runs"
    else:
        effect = f"the branch that imports it fails with ModuleNotFoundError: No module named '{top}'"
    parts = [f"{what}: {effect}."]
    if severity is not Severity.ERROR and ext.context == MODULE:
        unsure = list(hi.not_visible)
        guessed = deps.guessed() if deps is not None else []
        if guessed:
            shown = ", ".join(guessed[:8]) + (" …" if len(guessed) > 8 else "")
            unsure.append(f"the module names of {shown} are only guessed (no .venv, not in sst-lsp's table)")
        if unsure:
            parts.append("It may still be provided: " + "; ".join(unsure) + ".")
    requirements = pp.dir / "requirements.txt"
    suggestion = None if other_std else suggest_distribution(project, deps, top)
    fix = None
    if suggestion is not None:
        dist, source = suggestion
        listed = project.fs.read_text(requirements) if project.fs.is_file(requirements) else None
        note = f" (the name comes from {source})" if source.startswith("the import name") else ""
        parts.append(f'Add "{dist}" to [project].dependencies in {own}{note} and run uv lock.')
        if listed and dist.lower() in listed.lower():
            parts.append(f"Listing it in {project.rel(requirements)} is not enough: SST never reads that file.")
        fix = add_dependencies_fix(project, pp, [dist], f'Add "{dist}" to [project].dependencies in {own}')
    elif other_std:
        parts.append(f"Replace the import, or run the function on a Python version that still ships {top}.")
    related = [
        Related(pf.fd.file, pf.fd.handler_range, f"the handler {handler}"),
        Related(pp.path, pp.doc.best_range("project", "dependencies"), "the dependencies SST installs"),
    ]
    if ext.file != pf.target.py_path:
        related.insert(1, Related(pf.target.py_path, Range.of(0, 0, 0, 0), "the handler's module"))
    return Violation("SST213", ext.file, site_range(project, ext.file, ext.site), " ".join(parts), severity=severity, fix=fix, related=related)

