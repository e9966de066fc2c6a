"""## What it does
For SST 3.9.3 – 4.12 (era B), predicts the path the handler's file will have inside the Lambda
zip and compares it with the module Lambda will import.

In that era SST builds an sdist of each workspace member, unpacks it into a folder named after
the **normalized project name** (`my-functions` → `my_functions/`), hoists `src/<name>/` into
it, and rewrites only one pattern of the handler: `X/src/X/` becomes `X/`. So the member folder
must be a direct child of the root, named exactly like the normalized project name, with
src-layout code in `X/src/X/`.

## Why is this bad?
The deploy succeeds; every invocation then fails with
`Runtime.ImportModuleError: No module named '…'`, because the zip holds the file at another
path. The package name is never part of the handler: the fix is the folder or the name.

## Example
```toml
# functions/pyproject.toml
[project]
name = "my-functions"   # the zip will hold my_functions/api.py
```
```ts
handler: "functions/src/my_functions/api.handler", // Lambda imports functions.src.my_functions.api
```

## Use instead
```toml
[project]
name = "functions"      # with the code in functions/src/functions/api.py
```
```ts
handler: "functions/src/functions/api.handler",   // deployed as functions/api.handler
```

## Fix safety
Unsafe: renaming `[project].name` to the directory name is offered when that alone makes the
paths agree; other packages that depend on the old name must be updated too. SST 4.13+ copies
the handler's source subtree instead, so this rule only runs for era B.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ..engine.era import Era
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.uv_workspace import hatch_finds_files
from ..engine.zip_layout import copy_files, deployed_file, dist_dir_name, zip_path
from .registry import rule


def mismatch(project, pf, name: str) -> tuple[str, str] | None:
    """(deployed file, zip path) when they differ for project name ``name``; else None."""
    rel_file = pf.target.py_path.relative_to(pf.project.dir).as_posix()
    deployed = deployed_file(pf.target.file_part)
    in_zip = zip_path(rel_file, name)
    return (deployed, in_zip) if deployed != in_zip else None


def _reason(project, pf, name: str) -> str:
    rel_dir = project.rel(pf.project.dir)
    norm = dist_dir_name(name)
    parts = PurePosixPath(rel_dir).parts if rel_dir != "." else ()
    if len(parts) != 1:
        where = "the root itself" if not parts else f"{rel_dir}/, not a direct child of the root"
        return f"the handler's project is {where}"
    if parts[0] != norm:
        return f'its folder {rel_dir}/ differs from {norm}/, the folder SST unpacks the project into (from name = "{name}")'
    return f"src-layout code must sit in {rel_dir}/src/{norm}/"


@rule("SST106", "handler-package-mismatch", Severity.ERROR, eras={Era.B}, fix=Safety.UNSAFE, relies_on=('bundle', 'copyFiles'), scope="function")
def check(project):
    for pf in project.python_functions:
        t, fd, pp = pf.target, pf.fd, pf.project
        if not t.exists or fd.has_bundle or pp is None or not pp.ok or pp.name is None:
            continue
        found = mismatch(project, pf, pp.name)
        if found is None:
            continue
        deployed, in_zip = found
        copied = copy_files(project, fd)
        if copied is not None and copied.supplies(project, deployed):
            continue  # copyFiles puts the module exactly where Lambda imports it
        module = deployed[:-3].replace("/", ".")
        top = module.split(".")[0]
        severity = None
        copy_note = ""
        if copied is not None and copied.unknown:
            severity = Severity.WARNING
            copy_note = (
                f" (Reported as a warning: this function's copyFiles could not be fully evaluated ({copied.unknown}); if it puts "
                f"{deployed} into the zip, the import works.)"
            )
        message = (
            f"SST 3.9.3–4.12 packages {project.rel(pp.dir)}/ as {in_zip.split('/')[0]}/ in the Lambda zip, so the handler file will be at "
            f"{in_zip}, but Lambda will import module \"{module}\" (handler {deployed[:-3]}.{t.function}). "
            f"The deploy succeeds and every invocation fails with Runtime.ImportModuleError: No module named '{top}'. "
            f"Cause: {_reason(project, pf, pp.name)}." + copy_note
        )
        dir_name = pp.dir.name
        fix = None
        name_range = pp.doc.value_range("project", "name")
        if pp.dir != project.root and mismatch(project, pf, dir_name) is None and name_range is not None and hatch_finds_files(project, pp, dir_name):

            def rename(doc, new=dir_name):
                doc["project"]["name"] = new

            edit = pp.doc.edit(rename)
            if edit is not None:
                fix = Fix(f'Rename the project to "{dir_name}"', Safety.UNSAFE, (TextEdit(pp.path, edit[0], edit[1]),))
        if fix is not None:
            yield Violation("SST106", pp.path, name_range, message, severity, fix=fix, related=[Related(fd.file, fd.handler_range, "the handler")], about=fd)
        else:
            related = [Related(pp.path, name_range or pp.doc.best_range("project"), "the handler's project")]
            yield Violation("SST106", fd.file, fd.handler_range, message, severity, related=related, about=fd)
