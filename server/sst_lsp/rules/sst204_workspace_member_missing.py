"""## What it does
Checks each entry of `[tool.uv.workspace] members` (a path or a glob) against the directories
it matches, the way uv discovers members.

## Why is this bad?
- An entry that matches a directory **with files but no `pyproject.toml`** makes every uv
  command fail: **`error: Workspace member `…/stuff` is missing a `pyproject.toml` (matches: `stuff`)`**.
  SST's first uv command (`uv sync --all-packages`) stops there and no Python function is built.
  This is an error.
- An entry that matches **nothing** (a typo, a renamed folder) is silently ignored by uv: the
  project you meant is simply not a member, which breaks later (`uv export --package`, missing
  code). This is a warning.

uv's own exceptions, which this rule follows (checked with uv 0.13): directories excluded by
`exclude`, hidden directories (`.name`), files, and directories holding **no files at all** (or
only empty subfolders) are skipped without a word. A directory holding only `__pycache__` files
is skipped only when git ignores them (uv honours `.gitignore` inside a git work tree); otherwise
it fails like any other. That surprised us: an empty folder matched by `members` is not an error.

## Example
```toml
[tool.uv.workspace]
members = ["functions", "scripts"]   # scripts/ holds deploy.sh, no pyproject.toml
```

## Use instead
```toml
[tool.uv.workspace]
members = ["functions"]
```

## Fix safety
Unsafe: the fix removes the entry, which is right for a stray folder or a typo but not when the
folder was meant to become a project (then add its `pyproject.toml` instead). It is offered only
when the entry brings in no member at all, so no real member is dropped with it.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from ..engine.uv_workspace import workspaces
from .registry import rule


def _remove_entry(index: int):
    def change(doc):
        del doc["tool"]["uv"]["workspace"]["members"][index]

    return change


@rule("SST204", "workspace-member-missing", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, severity_label="error / warning", scope="disk")
def check(project):
    for ws in workspaces(project):
        pp = ws.root_pp
        for entry in ws.entries:
            if not entry.pattern:
                continue
            rng = pp.doc.value_range("tool", "uv", "workspace", "members", entry.index) or pp.doc.best_range("tool", "uv", "workspace", "members")
            edit = pp.doc.edit(_remove_entry(entry.index)) if not entry.members else None
            fix = Fix(f'Remove "{entry.pattern}" from [tool.uv.workspace] members', Safety.UNSAFE, (TextEdit(pp.path, *edit),)) if edit else None
            failing = entry.failing
            if failing:
                first = failing[0].path
                shown = ", ".join(project.rel(m.path) + "/" for m in failing[:3]) + (" …" if len(failing) > 3 else "")
                yield Violation(
                    "SST204",
                    pp.path,
                    rng,
                    f'members entry "{entry.pattern}" matches {shown} which has files but no pyproject.toml. Every uv command fails: '
                    f'"Workspace member `{first}` is missing a `pyproject.toml` (matches: `{entry.pattern}`)", so SST\'s '
                    f"uv sync --all-packages stops and no Python function is built. Add a pyproject.toml there, list it in "
                    f"[tool.uv.workspace] exclude, or remove the entry.",
                    fix=fix,
                )
                continue
            if entry.members or any(m.kind in ("excluded", "unmanaged", "unreadable") for m in entry.matches):
                continue
            skipped = [m for m in entry.matches if m.kind in ("hidden", "empty", "ignored-cache", "file")]
            what = (
                "matches only " + ", ".join(f"{project.rel(m.path)} ({_why(m.kind)})" for m in skipped[:3])
                if skipped
                else "matches nothing"
            )
            yield Violation(
                "SST204",
                pp.path,
                rng,
                f'members entry "{entry.pattern}" {what}: uv ignores it without a word, so it adds no member. '
                f"If it is a typo or a renamed folder, the project you meant is not in the workspace; otherwise remove it.",
                severity=Severity.WARNING,
                fix=fix,
            )


def _why(kind: str) -> str:
    return {
        "hidden": "a hidden folder",
        "empty": "an empty folder",
        "ignored-cache": "only git-ignored __pycache__ files",
        "file": "a file, not a folder",
    }[kind]
