"""## What it does
Finds `python: { container: { cache: … } }` in a project whose SST version is older than 4.1.1.

## Why is this bad?
Before SST 4.1.1, `python.container` is typed `boolean`: the object form with `cache` was added
in 4.1.1. TypeScript (your editor, `tsc`) reports a type error on the object, and that SST
version has no such option: it only tests `container` for truthiness, so the object counts as
`container: true` and `cache` does nothing. The error is easy to miss because SST does not
type-check `sst.config.ts` when it deploys.

## Example
```ts
// package.json: "sst": "3.17.0"
python: { container: { cache: false } },
```

## Use instead
```ts
python: { container: true },
```
or upgrade SST to 4.1.1 or later to use `cache`.

## Fix safety
No fix: either upgrade SST or drop the option, which changes what gets built.
"""

from __future__ import annotations

from packaging.version import Version

from ..engine.components import container_option
from ..engine.era import Era
from ..engine.model import Severity, Violation
from .registry import rule

CACHE_SINCE = Version("4.1.1")


@rule("SST405", "container-cache-needs-v4", Severity.ERROR, eras={Era.A, Era.B}, scope="functions")
def check(project):
    version = project.era_info.version
    if version is None or version >= CACHE_SINCE:
        return
    seen: set = set()
    for fd in project.functions:
        opt = container_option(fd.pairs)
        if opt is None or opt.cache is None:
            continue
        where = (opt.file or fd.file, opt.cache.key_range)
        if where in seen:
            continue
        seen.add(where)
        yield Violation(
            "SST405",
            where[0],
            opt.cache.key_range,
            f"python.container accepts {{ cache }} only from SST 4.1.1; this project uses {project.era_info.describe()}, "
            f"where container is a boolean: TypeScript reports a type error here, and SST "
            f"ignores cache (the object just counts as container: true). Upgrade SST to 4.1.1 or later, or write container: true.",
        )
