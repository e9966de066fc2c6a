"""## What it does
Finds a Python function whose handler path leaves the project root (the directory of
`sst.config.ts`): it climbs out with `../`, or it is an absolute path. The file it names is never
opened or examined: sst-lsp does not read outside the app.

## Why is this bad?
A handler is a file path relative to the `sst.config.ts` directory, and SST builds Python
handlers from inside that root. With `../`, SST 3.9.3–4.12 stop with
`handler file … is not within the project root …`. An absolute path is not used as written:
SST joins it to the root (`/srv/code/api.handler` is looked up as `<root>/srv/code/api.py`),
so the build fails with its "handler not found" error.

## Example
```ts
new sst.aws.Function("Api", {
  handler: "../shared/api.handler",
  runtime: "python3.11",
});
```

## Use instead
Move the code into the app (for example into a workspace member) and name it relative to
`sst.config.ts`:
```ts
new sst.aws.Function("Api", {
  handler: "shared/src/shared/api.handler",
  runtime: "python3.11",
});
```

## Fix safety
No fix: the code has to be moved first.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from ..engine.era import ALL_ERAS
from ..engine.model import Severity, Violation
from .registry import rule


@rule("SST107", "handler-outside-project", Severity.ERROR, eras=ALL_ERAS, relies_on=('bundle',), scope="function")
def check(project):
    for pf in project.python_functions:
        t, fd = pf.target, pf.fd
        if not t.outside or fd.has_bundle:
            continue
        absolute = os.path.isabs(t.file_part) or PurePosixPath(t.file_part).is_absolute()
        if absolute:
            why = (
                "is an absolute path. SST does not use it as written: it joins the handler to the sst.config.ts directory "
                f"(looking for {t.file_part.lstrip('/')}.py there), so the build fails with its \"handler not found\" error."
            )
        else:
            why = (
                "climbs out of the project root (the sst.config.ts directory) with \"../\". SST builds Python handlers from inside "
                "the root: SST 3.9.3–4.12 stop with \"handler file … is not within the project root …\"."
            )
        yield Violation(
            "SST107",
            fd.file,
            fd.handler_range,
            f'The handler "{t.text}" {why} Move the code into the app (for example into a workspace member) '
            "and write the handler relative to sst.config.ts.",
            about=fd,
        )
