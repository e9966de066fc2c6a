"""## What it does
Finds a dependency on `sst` (SST's Python SDK under its old name) in `[project].dependencies`
that is either installed from SST's git repository (`[tool.uv.sources] sst = { git = "…/sst.git",
subdirectory = "sdk/python", … }`) or has no source at all.

## Why is this bad?
Since SST 4.14.1 the SDK is published on PyPI as **`sst-sdk`**, and `sdk/python` in SST's
repository builds a package of that name. The old git source therefore fails, whatever SST
version the app uses, with
`Package metadata name `sst-sdk` does not match given name `sst``.

Without a source, uv installs the package called `sst` from PyPI: an unrelated web-test
framework from 2013 (`sst 0.2.4`), not SST's SDK, so `from sst import Resource` fails at runtime.

## Example
```toml
[project]
dependencies = ["sst"]

[tool.uv.sources]
sst = { git = "https://github.com/sst/sst.git", subdirectory = "sdk/python", branch = "dev" }
```

## Use instead
```toml
[project]
dependencies = ["sst-sdk"]
```
The import does not change: `from sst import Resource`.

## When a lock pins it
uv installs the commit recorded in `uv.lock`, whatever the branch has moved to since: a lock
that pins a commit still building `sst` deploys fine, and only the next re-lock that moves the
source (`uv lock --upgrade`, or a dependency change) breaks. Then the rule reports **info**
("breaks at the next upgrade"), not an error. A direct URL to a tag archive
(`sst @ https://…/archive/refs/tags/v3.4.22.zip#subdirectory=sdk/python`) or to a commit is fixed
content and is not reported. A dependency on PyPI's `sst` that no Python file of the project
imports yet is a **warning**: nothing fails until the first `from sst import Resource`.

## Fix safety
Unsafe: the entry becomes `sst-sdk` (a version constraint written for the old package is
dropped, an environment marker is kept) and the `sst` source is removed (with the
`[tool.uv.sources]` table when it becomes empty). Pick the `sst-sdk` release that matches your
SST major version. A git source pinned to a `rev`, or to a tag older than v4.14.1, still builds
the old `sst` package and is not reported.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.distributions import lock_path_for
from ..engine.uv_lock import lock_member_entry
from ..engine.uv_workspace import declared_dependencies
from .registry import part, rule

RENAME = Version("4.14.1")


def _sst_source(table) -> tuple[str, object] | None:
    """The ``sst`` entry of a ``[tool.uv.sources]`` table: (key as written, value)."""
    if not isinstance(table, dict):
        return None
    for key, value in table.items():
        if re.fullmatch(r"(?i)sst", str(key)):
            return str(key), value
    return None


def _git_is_renamed(src: dict) -> bool:
    """A git source of SST's SDK that now builds ``sst-sdk``."""
    url = src.get("git")
    if not isinstance(url, str):
        return False
    if str(src.get("subdirectory") or "").strip("/") != "sdk/python":
        return False
    if isinstance(src.get("rev"), str):
        return False  # a commit: cannot tell which name it builds
    tag = src.get("tag")
    if isinstance(tag, str):
        try:
            return Version(tag.lstrip("v")) >= RENAME
        except InvalidVersion:
            return False
    return True  # a branch (dev) or the default branch


def _replacement(req) -> str:
    return "sst-sdk" + (f"; {req.marker}" if req.marker else "")


def _drop_source(doc, key: str) -> None:
    tool = doc["tool"]
    uv = tool["uv"]
    sources = uv["sources"]
    del sources[key]
    if len(sources) == 0:
        del uv["sources"]
        if len(uv) == 0:
            del tool["uv"]
            if len(tool) == 0:
                del doc["tool"]


_ARCHIVE_REF = re.compile(r"/archive/(?:refs/tags/)?v?(\d+(?:\.\d+)*)\.(?:zip|tar\.gz)|/archive/([0-9a-f]{40})\.(?:zip|tar\.gz)")


def _fixed_url(url: str) -> bool:
    """A direct URL whose content cannot move: a tag older than the rename, or a commit."""
    m = _ARCHIVE_REF.search(url)
    if m is None:
        return False
    if m.group(2):
        return True
    try:
        return Version(m.group(1)) < RENAME
    except InvalidVersion:
        return False


def _locked_sst(project, pp) -> str | None:
    """The commit ``uv.lock`` pins for the package ``sst`` of ``pp``'s git source, if any.

    A lock entry named ``sst`` with a git source means the locked commit builds ``sst``; the
    member's recorded ``requires-dist`` must still ask for it from git (else the lock is stale
    for it and the next uv command re-resolves).
    """
    path = lock_path_for(project, pp)
    lock = project.pyproject(path) if path is not None else None
    if lock is None or not lock.ok or not isinstance(lock.doc.data, dict):
        return None
    packages = lock.doc.data.get("package")
    if not isinstance(packages, list):
        return None
    pinned = None
    wanted = False
    rel_dir = project.rel(pp.dir)
    member = lock_member_entry(lock.doc.data, pp.normalized or "", rel_dir) if pp.normalized else None
    if member is not None:
        meta = member.get("metadata")
        for item in meta.get("requires-dist", []) if isinstance(meta, dict) else []:
            if isinstance(item, dict) and item.get("name") == "sst" and "git" in item:
                wanted = True
    for entry in packages:
        if not isinstance(entry, dict) or entry.get("name") != "sst":
            continue
        source = entry.get("source")
        git = source.get("git") if isinstance(source, dict) else None
        if isinstance(git, str) and "#" in git:
            pinned = git.rsplit("#", 1)[1]
    return pinned if (pinned and wanted) else None


_IMPORTS_SST = re.compile(r"^\s*(?:from\s+sst(?:\.\w+)*\s+import|import\s+sst\b)", re.M)


def _imports_sst(project, pp) -> bool:
    """Does a Python file of ``pp``'s project (or, for the root, of the app) import ``sst``?"""
    prefix = project.rel(pp.dir)
    for rel in project.python_file_index:
        if prefix in (".", "") or rel.startswith(prefix + "/"):
            text = project.fs.read_text(project.root / rel)
            if text and _IMPORTS_SST.search(text):
                return True
    return False


@rule("SST208", "sst-sdk-git-source", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, severity_label="error / warning / info", scope="disk")
def check(project):
    for path in project.toml_paths:
        if path.name == "pyproject.toml":
            yield from part(project, "SST208", path, lambda path=path: list(_findings(project, path)))


def _findings(project, path):
    root_pp = project.root_pyproject
    pp = project.pyproject(path)
    for dep in declared_dependencies(pp) or []:
        if dep.name != "sst":
            continue
        if dep.req.url and (_fixed_url(dep.req.url) or "sst" not in dep.req.url.lower()):
            continue  # an archive of an old tag or a commit (fixed content), or someone else's URL
        own = _sst_source(pp.doc.get("tool", "uv", "sources"))
        holder = pp
        found = own
        if found is None and root_pp is not None and root_pp is not pp and root_pp.ok and project.is_member(pp.dir):
            found = _sst_source(root_pp.doc.get("tool", "uv", "sources"))
            holder = root_pp
        if found is not None and not (isinstance(found[1], dict) and _git_is_renamed(found[1])):
            continue  # a path, a workspace member, a fork or a pinned old commit: the user's choice
        new = _replacement(dep.req)

        def change(doc, i=dep.index, new=new, key=(found[0] if found and holder is pp else None)):
            doc["project"]["dependencies"][i] = new
            if key is not None:
                _drop_source(doc, key)

        edits = []
        edit = pp.doc.edit(change)
        if edit:
            edits.append(TextEdit(pp.path, *edit))
        related = []
        severity = None
        renamed = (
            'Since SST 4.14.1 that directory builds the package "sst-sdk", so uv fails, whatever the SST version: '
            '"Package metadata name `sst-sdk` does not match given name `sst`".'
        )
        advice = 'Depend on "sst-sdk" from PyPI{drop}; the import stays `from sst import Resource`.'
        if found is not None:
            if holder is not pp:
                other = holder.doc.edit(lambda doc, key=found[0]: _drop_source(doc, key))
                if other:
                    edits.append(TextEdit(holder.path, *other))
            related.append(Related(holder.path, holder.doc.best_range("tool", "uv", "sources", found[0]), "the git source"))
            where = f'SST\'s git repository ({found[1].get("git")}, subdirectory "sdk/python")'
            commit = _locked_sst(project, pp)
            drop = advice.format(drop=" and remove the [tool.uv.sources] entry")
            if commit is not None:
                severity = Severity.INFO
                message = (
                    f'"{dep.text}" is installed from {where}, and uv.lock pins commit {commit[:12]}, which still builds the '
                    f'package "sst": deploys work while that pin stays. The next re-lock that moves it (`uv lock --upgrade`) '
                    f"fails. {renamed} Before then: {drop}"
                )
            else:
                message = f'"{dep.text}" is installed from {where}, and no uv.lock pins a commit of it. {renamed} {drop}'
        elif dep.req.url:
            message = (
                f'"{dep.text}" is installed from an archive of a branch of SST\'s repository, which moves. '
                f"{renamed} {advice.format(drop='')}"
            )
        elif _imports_sst(project, pp):
            message = (
                f'"{dep.text}" has no [tool.uv.sources] entry, so uv installs the PyPI package "sst": an unrelated 2013 '
                f"web-test framework (sst 0.2.4), not SST's SDK, and `from sst import Resource` fails at runtime. "
                f'SST\'s SDK is "sst-sdk" on PyPI (since SST 4.14.1): depend on "sst-sdk"; the import stays `from sst import Resource`.'
            )
        else:
            severity = Severity.WARNING
            message = (
                f'"{dep.text}" has no [tool.uv.sources] entry, so uv installs the PyPI package "sst": an unrelated 2013 '
                f"web-test framework (sst 0.2.4), not SST's SDK. No Python file of this project imports sst yet; the first "
                f'`from sst import Resource` will fail. SST\'s SDK is "sst-sdk" on PyPI (since SST 4.14.1): depend on "sst-sdk".'
            )
        fix = Fix('Depend on "sst-sdk" instead' + (" and remove the git source" if found else ""), Safety.UNSAFE, tuple(edits)) if edits else None
        yield Violation(
            "SST208",
            pp.path,
            pp.doc.value_range("project", "dependencies", dep.index) or pp.doc.best_range("project", "dependencies"),
            message,
            fix=fix,
            related=related,
            severity=severity,
        )
