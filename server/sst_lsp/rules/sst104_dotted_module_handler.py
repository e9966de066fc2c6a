"""## What it does
Finds a handler written as a dotted module path, such as
`my_functions.src.handlers.my_handler.handler`.

## Why is this bad?
In every SST version the handler is a **file path** relative to the directory of
`sst.config.ts`, written `{path}/{file}.{function}`. The text after the last `.` is the function;
SST looks for the file `my_functions.src.handlers.my_handler.py`, does not find it, and stops
the build (`handler not found: could not find Python file …`). The package name is never part
of a handler.

## Example
```ts
handler: "my_functions.src.handlers.my_handler.handler",
```

## Use instead
```ts
handler: "functions/src/handlers/my_handler.handler",
```

## Fix safety
Safe when exactly one existing `.py` file matches the dotted path (read as folders, with a
leading project name mapped to its directory): the rewrite points at that file. With several
candidates, each is offered as an unsafe fix.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from ._util import handler_not_found_text
from .registry import rule


@rule("SST104", "dotted-module-handler", Severity.ERROR, eras=ALL_ERAS, fix=Safety.SAFE, relies_on=('bundle',), scope="function")
def check(project):
    for pf in project.python_functions:
        t, fd = pf.target, pf.fd
        if not t.dotted or t.exists or fd.has_bundle:
            continue
        candidates = project.dotted_candidates(t)
        fix = None
        if fd.handler_lit is not None and candidates:
            new = candidates[0] + "." + t.function
            safety = Safety.SAFE if len(candidates) == 1 else Safety.UNSAFE
            fix = Fix(f'Rewrite the handler as the file path "{new}"', safety, (TextEdit(fd.lit_path, fd.handler_lit.range, new),))
        suggestion = f' Write "{candidates[0]}.{t.function}".' if candidates else " Write the path of the .py file with / separators."
        yield Violation(
            "SST104",
            fd.lit_path,
            fd.site_range,
            f'Handler "{t.text}" is written as a dotted module path, but SST reads handlers as a file path '
            f"{{path}}/{{file}}.{{function}} relative to {project.rel(project.config)}: it looks for {t.file_part}.py and stops with "
            f'"{handler_not_found_text(project.era, t.file_part, project.root.name)}".' + suggestion,
            fix=fix,
            about=fd,
        )
