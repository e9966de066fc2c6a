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

## Fix safety
Unsafe: the missing requirements are appended to `[project].dependencies` as written in
`requirements.txt`; check the versions, then run `uv lock`. Options (`-r`, `-e`, `--index-url`…)
and comments are ignored. When nothing is missing the warning stays, without a fix: the file
still misleads readers into thinking SST installs from it.
"""

from __future__ import annotations

import tomlkit

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import ZERO_RANGE
from ..engine.requirements_file import read_requirements_txt
from ..engine.uv_workspace import runtime_names
from .registry import rule


def _add_dependencies(doc, texts: list[str]) -> None:
    proj = doc["project"]
    if "dependencies" not in proj:
        proj.add("dependencies", tomlkit.array())
    arr = proj["dependencies"]
    for t in texts:
        arr.append(t)


@rule("SST209", "requirements-txt-ignored", Severity.WARNING, eras=ALL_ERAS, fix=Safety.UNSAFE)
def check(project):
    seen = set()
    for pf in project.python_functions:
        pp = pf.project
        if pp is None or not pp.ok or pf.fd.has_bundle or pp.dir in seen:
            continue
        seen.add(pp.dir)
        req_path = pp.dir / "requirements.txt"
        text = project.fs.read_text(req_path)
        if text is None:
            continue
        declared = runtime_names(project, pp)
        own = project.rel(pp.path)
        missing = []
        for r in read_requirements_txt(text):
            if r.name not in declared and r.name not in {m.name for m in missing}:
                missing.append(r)
        related = [Related(pp.path, pp.doc.best_range("project", "dependencies"), "the dependencies SST installs")]
        if not missing:
            yield Violation(
                "SST209",
                req_path,
                ZERO_RANGE,
                f"SST never reads {project.rel(req_path)}: it generates its own requirements with uv export from {own}. "
                f"Every requirement listed here is already in {own}, so this file only misleads; it can be deleted.",
                related=related,
            )
            continue
        texts = [str(m.req) for m in missing]
        fix = None
        if pp.doc.has_table("project"):
            edit = pp.doc.edit(lambda doc, texts=texts: _add_dependencies(doc, texts))
            if edit:
                fix = Fix(f"Add {', '.join(texts)} to [project].dependencies in {own}", Safety.UNSAFE, (TextEdit(pp.path, *edit),))
        names = ", ".join(f'"{m.text}"' for m in missing)
        yield Violation(
            "SST209",
            req_path,
            missing[0].range,
            f"SST never reads {project.rel(req_path)}: it installs only what uv export finds in {own} (and uv.lock). "
            f"{names} {'is' if len(missing) == 1 else 'are'} not in its [project].dependencies, so {'it is' if len(missing) == 1 else 'they are'} missing from the zip "
            f"and importing {'it' if len(missing) == 1 else 'them'} fails with Runtime.ImportModuleError. Add {'it' if len(missing) == 1 else 'them'} to [project].dependencies and run uv lock.",
            fix=fix,
            related=related,
        )
