"""## What it does
Reports a `pyproject.toml` or `uv.lock` in the project that does not parse as TOML, at the
position of the parse error.

## Why is this bad?
uv refuses to run on a file it cannot parse, so `sst deploy` stops at its first uv command
(`failed to run uv sync: exit status 2`). The rest of the analysis cannot trust a broken file
either: no other diagnostic is reported for it until it parses.

## Example
```toml
[project]
name = "functions
```

## Use instead
```toml
[project]
name = "functions"
```

## Fix safety
No fix: only the author knows what was meant.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Severity, Violation
from .registry import part, rule


def syntax_error(path, doc) -> Violation | None:
    """SST001 for a parsed TOML file (``TomlDocument``) that did not parse; None when it did."""
    if doc.error is None:
        return None
    return Violation(
        "SST001",
        path,
        doc.error_range,
        f"{path.name} is not valid TOML: {doc.error}. uv cannot read it, so SST's build stops at its first uv command.",
        Severity.ERROR,
    )


@rule("SST001", "toml-syntax-error", Severity.ERROR, eras=ALL_ERAS, scope="disk")
def check(project):
    for path in project.toml_paths:
        yield from part(project, "SST001", path, lambda path=path: _check_file(project, path))


def _check_file(project, path) -> list[Violation]:
    pp = project.pyproject(path)
    v = syntax_error(path, pp.doc) if pp is not None and not pp.ok else None
    return [v] if v is not None else []
