"""## What it does
Checks `[tool.hatch.build.targets.wheel] packages` of a hatchling project: every entry must
exist (relative to the project's directory), and no entry may lie inside another one.

## Why is this bad?
What hatchling does with them (checked with hatchling 1.x through uv 0.13), and it surprised us:
- A **missing** entry is skipped without a word. The wheel simply lacks that code; when every
  entry is missing the wheel holds no Python code at all, yet `uv sync` and `uv build` succeed
  and the failure shows up later as `ModuleNotFoundError`.
- A folder **and one inside it** (`"src/functions"` and `"src/functions/sub"`) make the wheel
  build fail: **`ValueError: A second file is being added to the wheel archive at the same path`**.
  Editable installs (`uv sync`) and source distributions are not affected, so the problem stays
  hidden until something builds or installs the wheel (`uv build`, a non-editable install).

## Example
```toml
[tool.hatch.build.targets.wheel]
packages = ["src/functions", "src/functions/handlers", "src/shared"]   # src/shared does not exist
```

## Use instead
```toml
[tool.hatch.build.targets.wheel]
packages = ["src/functions"]
```

What it means for a deploy depends on the SST version, because SST does not always build wheels:
- SST 4.13 and later (era C) never builds the handler's own project as a wheel: it copies its
  source files and exports only its dependencies. The rule is silent for that project; the
  workspace members it depends on are built from sdists and installed as wheels, so for them it
  is a **warning**.
- SST 3.9.3 – 4.12 (era B) packages members from their sdists and installs them editable with
  `uv sync`; before that (era A) the handler's folder is copied. Neither builds a wheel, so the
  deploy is not affected: **info** (`uv build` and any wheel install of the project still are).
- With the SST version unknown, a handler's own project gets **info** and other members a
  warning.

## Fix safety
Safe: the missing entries and the entries nested in another entry are dropped (the outer entry
already ships the nested folder). No fix is offered when that would leave no entry at all.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace

from ..engine.era import ALL_ERAS, Era
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from ..engine.uv_workspace import uses_hatchling
from .registry import parts, rule

KEY = ("tool", "hatch", "build", "targets", "wheel", "packages")


def _norm(entry: str) -> str:
    p = posixpath.normpath(entry.replace("\\", "/").strip())
    return "." if p in ("", ".") else p


def _inside(inner: str, outer: str) -> bool:
    return inner != outer and (outer == "." or inner.startswith(outer + "/"))


def problems(project, pp) -> list[tuple[int, str, str, str | None]]:
    """(index, entry, "missing" | "nested", outer entry) for each bad entry of the packages array."""
    entries = pp.doc.get(*KEY)
    if not isinstance(entries, list):
        return []
    norm = [(_norm(e) if isinstance(e, str) and e.strip() else None) for e in entries]
    out = []
    for i, (raw, n) in enumerate(zip(entries, norm)):
        if n is None or n.startswith("..") or posixpath.isabs(n):
            continue
        if not project.fs.exists(pp.dir / n):
            out.append((i, raw, "missing", None))
            continue
        outer = next((entries[j] for j, m in enumerate(norm) if m is not None and j != i and _inside(n, m) and project.fs.exists(pp.dir / m)), None)
        if outer is not None:
            out.append((i, raw, "nested", outer))
    return out


@rule("SST206", "hatch-packages-invalid", Severity.WARNING, eras=ALL_ERAS, fix=Safety.SAFE, severity_label="warning / info", scope="functions")
def check(project):
    # each project's findings are kept with the disk model (the same list of paths: answered at
    # once); which deploys build its wheel, and so the severity, is decided for those with one
    paths = project.pyproject_paths
    found = parts(project, "SST206", paths, lambda i: lambda path=paths[i]: list(_findings(project, path)))
    if not any(found):
        return
    handler_projects, era = project.handler_projects, project.era
    for path, violations in zip(paths, found):
        if not violations:
            continue
        # Which deploys build this project's wheel (see "Why is this bad?")
        if path in handler_projects:
            if era == Era.C:
                continue  # copied as source files
            severity = Severity.INFO
        else:
            severity = Severity.INFO if era in (Era.A, Era.B) else None
        for v in violations:
            if severity is Severity.INFO:
                yield replace(v, severity=severity, message=v.message + NOT_DEPLOYED)
            else:
                yield replace(v, severity=severity)


NOT_DEPLOYED = " SST's deploy does not build this project's wheel, so it is not affected; `uv build` and wheel installs are."


def _findings(project, path):
    pp = project.pyproject(path)
    if pp is None or not pp.ok or not uses_hatchling(pp):
        return
    bad = problems(project, pp)
    if not bad:
        return
    entries = pp.doc.get(*KEY)
    drop = sorted({i for i, *_ in bad}, reverse=True)
    fix = None
    if len(drop) < len(entries):

        def change(doc, drop=drop):
            arr = doc["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
            for i in drop:
                del arr[i]

        edit = pp.doc.edit(change)
        if edit is not None:
            shown = ", ".join(f'"{entries[i]}"' for i in sorted(drop))
            fix = Fix(f"Remove {shown} from [tool.hatch.build.targets.wheel] packages", Safety.SAFE, (TextEdit(pp.path, *edit),))
    all_missing = all(kind == "missing" for _, _, kind, _ in bad) and len(bad) == len(entries)
    for i, entry, kind, outer in bad:
        if kind == "missing":
            msg = (
                f'packages entry "{entry}" does not exist in {project.rel(pp.dir)}/. hatchling skips it without a word, so the '
                f"wheel lacks that code"
                + (
                    "; as no entry exists, the wheel holds no Python code at all (uv sync and uv build still succeed, imports "
                    "fail later with ModuleNotFoundError). Point packages at the folder that holds the code."
                    if all_missing
                    else ". Remove it or correct the path."
                )
            )
        else:
            msg = (
                f'packages entry "{entry}" lies inside "{outer}", which already ships it. Building the wheel fails: hatchling '
                f'raises "A second file is being added to the wheel archive at the same path" (editable installs and sdists '
                f"do not show it). Remove the inner entry."
            )
        yield Violation("SST206", pp.path, pp.doc.value_range(*KEY, i) or pp.doc.best_range(*KEY), msg, fix=fix)
