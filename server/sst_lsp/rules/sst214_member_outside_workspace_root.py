"""## What it does
For SST 4.13 and later (era C), finds Python functions deployed as container images
(`python: { container: true }`) whose uv workspace lists a member outside the workspace root,
such as `members = ["../lib"]` or `"../../shared/*"`.

## Why is this bad?
SST 4.13+ builds a container function's image from the workspace root, copied to `/var/task`.
A member path that leaves that folder points outside the build context, so the image build
fails: `Workspace member '/var/task/../lib' is missing a pyproject.toml`. Zip-packaged functions
are not affected: uv resolves the same path on your machine, where it exists.

## Example
```toml
# services/pyproject.toml — the workspace root
[tool.uv.workspace]
members = ["api", "../libs/common"]
```
```ts
new sst.aws.Function("Api", {
  handler: "services/api/handler.main",
  runtime: "python3.12",
  python: { container: true },
});
```

## Use instead
Move the shared member inside the workspace root (`services/common`) and list it there, or move
the workspace root up to a folder that contains every member.

## Fix safety
No fix: moving a member changes the repository's layout.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from ..engine.components import container_option
from ..engine.era import Era
from ..engine.model import Related, Severity, Violation
from .registry import rule


def outside(pattern: str) -> bool:
    """Does a ``members`` entry (relative to the workspace root) leave it?"""
    p = pattern.replace("\\", "/").strip()
    if not p or p.startswith("/") or PurePosixPath(p).is_absolute() or (len(p) > 1 and p[1] == ":"):
        return bool(p)
    return os.path.normpath(p).replace("\\", "/").split("/")[0] == ".."


@rule("SST214", "member-outside-workspace-root", Severity.ERROR, eras={Era.C}, scope="functions")
def check(project):
    seen: set = set()
    for pf in project.python_functions:
        opt = container_option(pf.fd.pairs)
        if opt is None or not opt.enabled or pf.project is None or pf.fd.has_bundle:
            continue
        ws_dir = project.era_c_workspace_root(pf.project.dir)
        if ws_dir is None and pf.project.ok and isinstance(pf.project.doc.get("tool", "uv", "workspace", "members"), list):
            ws_dir = pf.project.dir
        if ws_dir is None:
            continue
        ws = project.pyproject(ws_dir / "pyproject.toml")
        members = ws.doc.get("tool", "uv", "workspace", "members") if ws is not None and ws.ok else None
        for i, entry in enumerate(members if isinstance(members, list) else []):
            if not isinstance(entry, str) or not outside(entry) or (ws.path, i) in seen:
                continue
            seen.add((ws.path, i))
            yield Violation(
                "SST214",
                ws.path,
                ws.doc.value_range("tool", "uv", "workspace", "members", i) or ws.doc.best_range("tool", "uv", "workspace", "members"),
                f'The workspace member "{entry}" is outside the workspace root {project.rel(ws_dir)}/. SST 4.13+ builds the container '
                f"image of {pf.target.text} from that root, copied to /var/task, so the member is not in the build and the image "
                f"build fails: \"Workspace member '/var/task/{entry.rstrip('/')}' is missing a pyproject.toml\". Move the member "
                f"inside {project.rel(ws_dir)}/ (or the workspace root above every member).",
                related=[Related(pf.fd.file, opt.pair.key_range, "the function is a container image")],
            )
