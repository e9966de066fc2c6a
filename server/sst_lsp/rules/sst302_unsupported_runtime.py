"""## What it does
Checks the `python*` runtime of every Python function (written in its arguments or supplied by
a `$transform` / component `transform`) against AWS Lambda's runtime table and the SST version
the app uses.

## Why is this bad?
- `python3.7`, `python3.8` and every `python2*` runtime are blocked by AWS: creating or updating
  the function fails, so the deploy fails (error).
- `python3.9` is deprecated by AWS: no more security patches, and creating functions with it is
  blocked from a later date (warning, with the dates).
- A runtime the detected SST version's `FunctionArgs.runtime` type does not list (`python3.13`
  before SST 4.1.1, `python3.14` before 4.13.0): TypeScript reports an error and the AWS provider
  bundled with that SST release may reject it (warning).

The dates come from AWS's "Lambda runtimes" page and are kept in one place in sst-lsp
(`engine/runtimes.py`); AWS has moved the block dates before.

Container functions (`python: { container }`) are deployed as images, which have no Lambda
runtime: only the SST-types check applies to them.

## Example
```ts
new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.8" });
```

## Use instead
```ts
new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.11" });
```

## Fix safety
Unsafe: the runtime is replaced with the project's own Python version (`.python-version` or a
pinned `requires-python`) when the SST version supports it, else with the newest runtime the
SST version accepts and `requires-python` admits. Moving to a new Python version can change how
the code and its dependencies behave: test it.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from ._runtime_util import is_container, runtime_problem, runtime_site, supported_replacement
from .registry import per_function, rule


@rule("SST302", "unsupported-runtime", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, severity_label="error / warning", scope="functions")
def check(project):
    seen = set()
    for _, found in per_function(project, "SST302", _finding):
        if found is None or found[0] in seen:
            continue  # a transform's runtime is reported once, for the first function it reaches
        seen.add(found[0])
        yield found[1]


def _finding(project, pf) -> tuple | None:
    """(where the runtime is written, the report) for one function, or None."""
    site = runtime_site(project, pf)
    if site is None or not site.value.startswith("python"):
        return None
    problem = runtime_problem(site.value, project.era_info.version)
    if problem is None or (problem.kind != "unknown-to-sst" and is_container(pf)):
        return None  # an image function has no Lambda runtime: its Dockerfile picks the Python (SST403)
    new = supported_replacement(project, pf)
    fix = None
    if site.literal is not None and new != site.value:
        q = site.quote
        fix = Fix(f'Replace the runtime with "{new}"', Safety.UNSAFE, (TextEdit(site.file, site.literal, f"{q}{new}{q}"),))
    where = "" if site.origin == "argument" else " (set by a transform, for every function it reaches)"
    return (site.file, site.range), Violation(
        "SST302",
        site.file,
        site.range,
        f'The function {pf.fd.handler} uses the runtime "{site.value}"{where}: {problem.why}. Use a supported runtime such as "{new}".',
        severity=problem.severity,
        fix=fix,
    )
