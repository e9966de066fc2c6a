"""## What it does
Points out a function whose `handler` is an expression sst-lsp cannot evaluate: a variable
imported from another module, a function call, a template string with `${…}`. Off by default:
select it (`--select SST108`, or `select = ["SST108"]` under `[tool.sst-lsp]` in the root
`pyproject.toml`) to see which handlers the other checks could not look at.

Functions whose runtime is known to be something other than Python are not reported.

## Why is this bad?
It is not wrong in itself: SST evaluates the expression when it runs. But sst-lsp only sees
literal strings (and same-file `const`s, spreads and `{ handler }` shorthands), so none of the
handler checks (file exists, function defined, runtime, workspace membership) ran for this one.

## Example
```ts
import { handlerFor } from "./paths";

new sst.aws.Function("Api", {
  handler: handlerFor("api"),
  runtime: "python3.11",
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
No fix: the value is only known when SST runs.
"""

from __future__ import annotations

import re

from ..engine.era import ALL_ERAS
from ..engine.model import Severity, Violation
from .registry import rule

# a runtime that is certainly not Python (a runtime given by a variable is not known)
OTHER_RUNTIME = re.compile(r"^(nodejs|go|rust|provided|java|dotnet|ruby|bun)")


@rule("SST108", "handler-not-resolvable", Severity.INFO, eras=ALL_ERAS, enabled=False, scope="function")
def check(project):
    for fd in project.functions:
        if fd.handler is not None or not fd.unresolved:
            continue
        runtime, _ = project.effective_runtime(fd)
        if runtime is not None and OTHER_RUNTIME.match(runtime):
            continue
        expr = " ".join(fd.unresolved.split())
        if len(expr) > 80:
            expr = expr[:77] + "…"
        yield Violation(
            "SST108",
            fd.file,
            fd.handler_range,
            f"The handler is given by the expression {expr}, which sst-lsp cannot evaluate (only string literals and same-file "
            "constants are followed), so no handler check ran for this function. Write the handler path as a string "
            "literal to have it checked.",
        )
