"""## What it does
Finds a function whose handler resolves to a `.py` file but whose `runtime` is missing or not a
`python3.x` string (after `$transform` and component `transform` defaults are applied).

## Why is this bad?
SST chooses the builder from `runtime`. Without a Python runtime it builds the handler with its
default Node runtime (`nodejs20.x` in v3, `nodejs24.x` in v4), which cannot find a JavaScript
file for a Python handler, and the deploy fails.

## Example
```ts
new sst.aws.Function("Api", {
  handler: "functions/src/functions/api.handler",
});
```

## Use instead
```ts
new sst.aws.Function("Api", {
  handler: "functions/src/functions/api.handler",
  runtime: "python3.11",
});
```

## Fix safety
Safe when the Python version is known from `.python-version` or a `requires-python` that admits
one minor version. Otherwise unsafe: the newest runtime the detected SST version accepts (and
`requires-python` admits) is proposed.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from ..engine.positions import Range
from ..engine.runtimes import newest_accepted
from ._util import quote
from .registry import rule


def proposed_runtime(project, pf) -> tuple[str, Safety, str]:
    minor, source = project.python_minor(pf.project)
    if minor:
        return f"python{minor}", Safety.SAFE, source
    admitted = project.admitted_python_minors(pf.project)
    return f"python{newest_accepted(project.era_info.version, admitted)}", Safety.UNSAFE, "the detected SST version"


@rule("SST105", "python-handler-without-runtime", Severity.ERROR, eras=ALL_ERAS, fix=Safety.SAFE, relies_on=('runtime',), scope="function")
def check(project):
    for pf in project.python_functions:
        t, fd = pf.target, pf.fd
        if not t.exists or (pf.runtime or "").startswith("python") or (fd.runtime_unresolved and pf.runtime is None):
            continue  # (a runtime expression that cannot be evaluated may well be Python)
        runtime, safety, source = proposed_runtime(project, pf)
        q = quote(fd.handler_lit)
        edit = None
        if fd.runtime_range is not None and pf.runtime_origin == "argument":
            edit = TextEdit(fd.file, fd.runtime_range, f"{q}{runtime}{q}")
            title = f'Replace the runtime with "{runtime}"'
        elif fd.object_range is not None and fd.runtime_insert is not None and pf.runtime_origin is None:
            pos, template = fd.runtime_insert
            edit = TextEdit(fd.file, Range(pos, pos), template.format(f"runtime: {q}{runtime}{q}"))
            title = f'Add runtime: "{runtime}"'
        elif fd.object_range is None and fd.handler_lit is not None and fd.lit_file is None and fd.handler_range == fd.handler_lit.range and pf.runtime_origin is None:
            lit = fd.handler_lit
            edit = TextEdit(fd.file, lit.full, f"{{ handler: {q}{lit.value}{q}, runtime: {q}{runtime}{q} }}")
            title = f'Use {{ handler, runtime: "{runtime}" }}'
        fix = Fix(title + (f" (from {source})" if safety is Safety.SAFE else ""), safety, (edit,)) if edit else None
        if pf.runtime:
            current = f'runtime is "{pf.runtime}" (from {pf.runtime_origin}): SST builds it with that runtime'
        else:
            current = "no runtime is set: SST builds it with its default Node runtime (nodejs20.x in v3, nodejs24.x in v4)"
        yield Violation(
            "SST105",
            fd.file,
            fd.handler_range,
            f"Handler resolves to the Python file {project.rel(t.py_path)} but {current}, "
            f"which finds no JavaScript handler, and the build fails. Set runtime: \"{runtime}\".",
            fix=fix,
            about=fd,
        )
