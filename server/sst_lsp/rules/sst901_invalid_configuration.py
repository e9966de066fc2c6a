"""## What it does
Checks the `[tool.sst-lsp]` table in the app's root `pyproject.toml`: every key must be one of
`select`, `ignore`, `severity`, `sst-version`, `debounce-ms`; every rule code must exist; every
severity must be `error`, `warning`, `info` or `hint`.

## Why is this bad?
A misspelt key or code would otherwise be ignored silently: the rule you meant to turn off keeps
firing, or the one you meant to select never runs.

## Example
```toml
[tool.sst-lsp]
ignores = ["SST209"]
severity = { SST303 = "warn" }
```

## Use instead
```toml
[tool.sst-lsp]
ignore = ["SST209"]
severity = { SST303 = "warning" }
```

## Fix safety
No fix: the intended key or code is for the author to choose.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Severity, Violation
from ..engine.positions import ZERO_RANGE
from ..engine.settings import parse_settings
from .registry import load_all, rule


@rule("SST901", "invalid-configuration", Severity.WARNING, eras=ALL_ERAS, scope="disk")
def check(project):
    rp = project.root_pyproject
    if rp is None or not rp.ok:
        return
    _, problems = parse_settings(project.settings or None, load_all())
    for p in problems:
        path = ("tool", "sst-lsp", *p.key)
        rng = rp.doc.key_range(*path) or rp.doc.value_range(*path) or rp.doc.best_range(*path) or ZERO_RANGE
        yield Violation("SST901", rp.path, rng, f"[tool.sst-lsp]: {p.message}.")
