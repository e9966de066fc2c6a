"""## What it does
Checks that the project holding each Python handler (the nearest `pyproject.toml` above the
handler file) is a member of the uv workspace at the root: matched by
`[tool.uv.workspace] members` and not by `exclude`.

## Why is this bad?
SST runs `uv export --package=<name> …` in the directory of `sst.config.ts`. For a project that
is not a member uv fails with `error: The workspace does not have a member <name>` and exit
status 2; SST drops uv's message and prints only **`failed to run uv export: exit status 2`**.
SST 4.13+ no longer needs a workspace, but when an ancestor workspace exists the handler's
project must still be one of its members.

## Example
```toml
[tool.uv.workspace]
members = ["core"]        # functions/ holds the handler
```

## Use instead
```toml
[tool.uv.workspace]
members = ["core", "functions"]
```

## Fix safety
Safe: the directory is added to `members` (or a `[tool.uv.workspace]` table is added), keeping
the file's formatting and comments. When the directory is listed in `exclude` (which wins over
`members` in uv), the fix removes that entry instead; it is unsafe because it reverses an
explicit choice. A glob in `exclude` that matches the directory gets no fix, and neither does a
project whose name another member already has (uv would refuse the workspace: "Two workspace
members are both named …"). A folder reached through a link inside the app is the member it
points to, and is not reported.
"""

from __future__ import annotations

import tomlkit

from ..engine.era import Era
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import ZERO_RANGE
from ..engine.uv_workspace import member_projects
from .registry import per_function, rule


def _member_named(project, normalized: str | None) -> bool:
    """Is there already a workspace member (or root project) of this normalised name?"""
    return bool(normalized) and normalized in member_projects(project)


@rule("SST202", "not-a-workspace-member", Severity.ERROR, eras={Era.B, Era.C}, fix=Safety.SAFE, relies_on=('bundle',), scope="functions")
def check(project):
    root_pp = project.root_pyproject
    if root_pp is None or not root_pp.ok:
        return
    reported: set = set()
    for _, found in per_function(project, "SST202", _found):
        if found is not None and found[0] not in reported:
            reported.add(found[0])
            yield found[1]


def _found(project, pf):
    """(the project's folder, the violation) when the function's project is not a member."""
    root_pp = project.root_pyproject
    pp, fd = pf.project, pf.fd
    if pp is None or fd.has_bundle or pp.dir == project.root:
        return None
    if project.era == Era.C and project.era_c_workspace_root(pp.dir) != project.root:
        return None
    if project.is_member(pp.dir):
        return None
    rel = project.rel(pp.dir)
    name = pp.name or rel
    # uv: a directory matched by both members and exclude is excluded
    excluded_by = [pat for pat in project.exclude_patterns if pp.dir in project.glob_dirs(pat)]
    in_members = any(pp.dir in project.glob_dirs(pat) for pat in project.member_patterns)

    def drop_exclude(doc, rel=rel, add=not in_members):
        ex = doc["tool"]["uv"]["workspace"]["exclude"]
        for i in reversed(range(len(ex))):
            if str(ex[i]).rstrip("/") in (rel, "./" + rel):
                del ex[i]
        if add:
            add_member(doc)

    def add_member(doc, rel=rel):
        tool = doc.setdefault("tool", tomlkit.table(is_super_table=True))
        uv = tool.setdefault("uv", tomlkit.table(is_super_table=True))
        if "workspace" not in uv:
            ws = tomlkit.table()
            ws.add("members", [rel])
            uv.add("workspace", ws)
            return
        ws = uv["workspace"]
        if "members" in ws:
            ws["members"].append(rel)
        else:
            ws.add("members", [rel])

    if excluded_by:
        exact = all(pat.rstrip("/") in (rel, "./" + rel) for pat in excluded_by)
        edit = root_pp.doc.edit(drop_exclude) if exact else None
        fix = Fix(f'Remove "{rel}" from [tool.uv.workspace] exclude', Safety.UNSAFE, (TextEdit(root_pp.path, *edit),)) if edit else None
    elif _member_named(project, pp.normalized):
        fix = None  # adding it would give the workspace two members of one name: uv refuses to lock that
    else:
        edit = root_pp.doc.edit(add_member)
        fix = Fix(f'Add "{rel}" to [tool.uv.workspace] members', Safety.SAFE, (TextEdit(root_pp.path, *edit),)) if edit else None
    advice = (
        f"It is matched by exclude ({', '.join(excluded_by)}), which wins over members: remove it from exclude."
        if excluded_by
        else f'Add "{rel}" to [tool.uv.workspace] members.'
    )
    rng = (
        (root_pp.doc.key_range("tool", "uv", "workspace", "exclude") if excluded_by else None)
        or root_pp.doc.key_range("tool", "uv", "workspace", "members")
        or root_pp.doc.table_header_range("tool", "uv", "workspace")
        or root_pp.doc.table_header_range("project")
        or ZERO_RANGE
    )
    return pp.dir, Violation(
        "SST202",
        root_pp.path,
        rng,
        f'{rel}/ (project "{name}", which holds the handler {fd.handler}) is not a member of the uv workspace. '
        f"SST runs uv export --package={name} and uv fails with \"The workspace does not have a member {name}\"; "
        f'SST prints only "failed to run uv export: exit status 2". ' + advice,
        fix=fix,
        related=[Related(fd.file, fd.handler_range, "the handler"), Related(pp.path, pp.doc.best_range("project", "name"), "the project")],
        about=fd,
    )
