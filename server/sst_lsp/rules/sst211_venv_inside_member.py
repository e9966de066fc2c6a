"""## What it does
Finds a `.venv` folder inside a uv workspace member other than the root (SST 3.9.3 – 4.12).

## Why is this bad?
In a uv workspace there is one environment, the root's `.venv`: `uv sync --all-packages`, which
SST runs in the `sst.config.ts` directory, never uses a member's own `.venv`. A stray one is left
over from running `uv` or `python -m venv` in the member before it joined the workspace. Editors
may pick its interpreter (with other packages than the ones SST deploys), and a build backend
that does not skip it (hatchling and `uv_build` skip `.venv` folders; explicit sdist `include`
or `force-include` settings and other backends may not) puts it in the member's sdist, which
SST unpacks into the function's zip.

`.venv` is an ordinary folder: deleting it is safe, and uv recreates the environment it needs
with `uv sync`.

## Example
```text
functions/
  .venv/            <- a second environment nothing uses
  pyproject.toml
  src/functions/api.py
```

## Use instead
Delete `functions/.venv` and run `uv sync` in the `sst.config.ts` directory.

## Fix safety
No fix: deleting a folder is not a text edit. It is safe to do by hand.
"""

from __future__ import annotations

from ..engine.era import Era
from ..engine.model import Severity, Violation
from ..engine.positions import ZERO_RANGE
from .registry import rule


@rule("SST211", "venv-inside-member", Severity.INFO, eras={Era.B}, scope="disk")
def check(project):
    for member in project.workspace_members:
        if member == project.root:
            continue
        venv = member / ".venv"
        if not project.fs.is_dir(venv):
            continue
        pp = project.pyproject(member / "pyproject.toml")
        rng = ZERO_RANGE
        if pp is not None and pp.ok:
            rng = pp.doc.table_header_range("project") or ZERO_RANGE
        rel = project.rel(venv)
        yield Violation(
            "SST211",
            member / "pyproject.toml",
            rng,
            f"{rel}/ is a virtual environment inside the workspace member {project.rel(member)}/. uv's workspace environment is "
            f"the root's .venv: SST's `uv sync --all-packages` never uses this one, editors may pick its interpreter, and a build "
            f"backend that does not skip .venv folders can put it into the member's sdist (and so into the function's zip). "
            f"It is an ordinary folder: deleting it is safe, and `uv sync` in the sst.config.ts directory recreates what is needed.",
        )
