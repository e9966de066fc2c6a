"""## What it does
Checks the app `name` returned by `app()` in `sst.config.ts` (a string literal, or a same-file
`const`): it must start with a letter and contain only letters, digits and hyphens, and it must
not be empty.

## Why is this bad?
SST checks the name when it loads the config (`^[^a-zA-Z]|[^a-zA-Z0-9-]` must not match), before
anything is built, and stops every command with `The app name is invalid. It must start with a
letter and can only contain alphanumeric characters and hyphens.` An empty name stops it with
`Project name is required`. Underscores, dots and spaces are the usual culprits: the name is used
in AWS resource names and in the Pulumi stack name.

## Example
```ts
export default $config({
  app(input) {
    return { name: "my_app", home: "aws" };
  },
  async run() {},
});
```

## Use instead
```ts
export default $config({
  app(input) {
    return { name: "my-app", home: "aws" };
  },
  async run() {},
});
```

## Fix safety
No fix: the app name names the deployed stack; choosing another one is the author's decision.
"""

from __future__ import annotations

import re

from ..engine.config_file import analyse_config
from ..engine.era import ALL_ERAS
from ..engine.model import Severity, Violation
from .registry import rule

# SST's InvalidAppRegex (pkg/project/project.go)
INVALID_APP = re.compile(r"^[^a-zA-Z]|[^a-zA-Z0-9-]")
SST_MESSAGE = "The app name is invalid. It must start with a letter and can only contain alphanumeric characters and hyphens."


def suggestion(name: str) -> str | None:
    s = re.sub(r"[^a-zA-Z0-9-]+", "-", name.strip())
    s = re.sub(r"^[^a-zA-Z]+", "", s).strip("-")
    s = re.sub(r"-{2,}", "-", s)
    return s or None


@rule("SST111", "invalid-app-name", Severity.ERROR, eras=ALL_ERAS)
def check(project):
    tf = project.ts_file(project.config)
    if tf is None or tf.tree is None:
        return
    cfg = analyse_config(tf)
    lit = cfg.app_name
    if lit is None:
        return
    name = lit.value
    if name == "":
        yield Violation(
            "SST111",
            tf.path,
            cfg.app_name_range or lit.full,
            'The app name is empty: SST stops with "Project name is required". Give the app a name that starts with a '
            "letter and holds only letters, digits and hyphens.",
        )
        return
    if not INVALID_APP.search(name):
        return
    better = suggestion(name)
    hint = f' Use e.g. "{better}".' if better and better != name else ""
    yield Violation(
        "SST111",
        tf.path,
        cfg.app_name_range or lit.range,
        f'The app name "{name}" is invalid: SST stops every command with "{SST_MESSAGE}"{hint}',
    )
