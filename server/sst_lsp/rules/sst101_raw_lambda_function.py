"""## What it does
Finds `new aws.lambda.Function(...)` from `@pulumi/aws` (under any import alias) that deploys
Python code: a Python runtime (`aws.lambda.Runtime.Python3d12`, `"python3.12"`) or a
`FileArchive`/`AssetArchive` of a folder holding `.py` files.

## Why is this bad?
The raw Pulumi resource bypasses everything SST does for a function: no uv build, so no
dependencies are packaged; no linking; no IAM permissions for linked resources; no live
development. Deploys report success while the function cannot run.

## Example
```ts
new aws.lambda.Function("MyFunc", {
  role: role.arn,
  handler: "handler.lambda_handler",
  runtime: aws.lambda.Runtime.Python3d12,
  code: new pulumi.asset.FileArchive("./functions/"),
});
```

## Use instead
```ts
new sst.aws.Function("MyFunc", {
  handler: "functions/handler.lambda_handler",
  runtime: "python3.12",
});
```
SST's handler is a file path relative to the directory of `sst.config.ts`, so the archive folder
becomes part of it.

## Fix safety
Unsafe: the rewrite keeps the name, handler and runtime but drops the other Pulumi arguments
(`role`, `environment`, …), which the author must port by hand.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from ..engine.era import ALL_ERAS
from ..engine.ts_findings import raw_lambdas
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from .registry import rule


def _archive_has_python(project, tf, archive: str | None) -> bool:
    if not archive:
        return False
    folder = Path(os.path.normpath(os.path.join(project.root, archive)))
    return any(e.is_file and e.name.endswith(".py") for e in project.fs.listdir(folder))


@rule("SST101", "raw-lambda-function", Severity.WARNING, eras=ALL_ERAS, fix=Safety.UNSAFE)
def check(project):
    for tf in project.ts_files:
        for raw in raw_lambdas(tf):
            evidence = raw.python_evidence
            if evidence is None and _archive_has_python(project, tf, raw.archive_dir):
                evidence = f"a code archive of {raw.archive_dir} holding .py files"
            if evidence is None:
                continue
            fix = None
            if raw.handler and raw.runtime and raw.archive_dir:
                # Pulumi resolves archive paths from the program's working directory: the app root
                base = os.path.relpath(os.path.normpath(os.path.join(project.root, raw.archive_dir)), project.root)
                base = base.replace(os.sep, "/")
                handler = raw.handler if base == "." else posixpath.join(base, raw.handler)
                inner = raw.indent + "  "
                text = f'new sst.aws.Function({raw.name_text}, {{\n{inner}handler: "{handler}",\n{inner}runtime: "{raw.runtime}",\n{raw.indent}}})'
                fix = Fix(
                    f'Rewrite as sst.aws.Function with handler "{handler}"',
                    Safety.UNSAFE,
                    (TextEdit(tf.path, raw.range, text),),
                )
            yield Violation(
                "SST101",
                tf.path,
                raw.ctor_range,
                f"Raw Pulumi aws.lambda.Function with Python code ({evidence}): SST's uv packaging, linking and IAM are bypassed, "
                "so dependencies are not bundled and the deploy can report success while the function is missing or cannot run. "
                "Use new sst.aws.Function(name, { handler, runtime }).",
                fix=fix,
            )
