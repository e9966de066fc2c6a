"""## What it does
Reports a suppression comment that silences nothing: `// sst-lsp-ignore SST105` in TypeScript
(the next line), `// sst-lsp-ignore-file SST105` (the file), `# sst-lsp: ignore[SST209]` in TOML
(the same line or the one below) and `# sst-lsp: ignore-file[SST209]`.

## Why is this bad?
A stale suppression hides the next real problem on that line. Codes whose rule did not run
(not selected, ignored, or not applicable to the detected SST era) are never reported as unused.

## Example
```ts
// sst-lsp-ignore SST105 -- runtime comes from a transform
new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.11" });
```

## Use instead
```ts
new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.11" });
```

## Fix safety
Safe: the comment (or just the unused codes in it) is removed; nothing else changes.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Safety, Severity
from .registry import rule


@rule("SST902", "unused-suppression", Severity.HINT, eras=ALL_ERAS, fix=Safety.SAFE)
def check(project):
    """Reported by the suppression pass after every other rule ran (engine/suppressions.py)."""
    return ()
