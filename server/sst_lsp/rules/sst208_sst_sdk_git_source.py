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
from ..engine.pydeps import declared_dependencies
from .registry import rule

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


@rule("SST208", "sst-sdk-git-source", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE)
def check(project):
    root_pp = project.root_pyproject
    for path in project.toml_paths:
        if path.name != "pyproject.toml":
            continue
        pp = project.pyproject(path)
        for dep in declared_dependencies(pp) or []:
            if dep.name != "sst":
                continue
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
            if found is not None:
                if holder is not pp:
                    other = holder.doc.edit(lambda doc, key=found[0]: _drop_source(doc, key))
                    if other:
                        edits.append(TextEdit(holder.path, *other))
                related.append(Related(holder.path, holder.doc.best_range("tool", "uv", "sources", found[0]), "the git source"))
                url = found[1].get("git")
                message = (
                    f'"{dep.text}" is installed from SST\'s git repository ({url}, subdirectory "sdk/python"). '
                    f'Since SST 4.14.1 that directory builds the package "sst-sdk", so uv fails, whatever the SST version: '
                    f'"Package metadata name `sst-sdk` does not match given name `sst`". '
                    f'Depend on "sst-sdk" from PyPI and remove the [tool.uv.sources] entry; the import stays `from sst import Resource`.'
                )
            else:
                message = (
                    f'"{dep.text}" has no [tool.uv.sources] entry, so uv installs the PyPI package "sst": an unrelated 2013 '
                    f"web-test framework (sst 0.2.4), not SST's SDK, and `from sst import Resource` fails at runtime. "
                    f'SST\'s SDK is "sst-sdk" on PyPI (since SST 4.14.1): depend on "sst-sdk"; the import stays `from sst import Resource`.'
                )
            fix = Fix('Depend on "sst-sdk" instead' + (" and remove the git source" if found else ""), Safety.UNSAFE, tuple(edits)) if edits else None
            yield Violation(
                "SST208",
                pp.path,
                pp.doc.value_range("project", "dependencies", dep.index) or pp.doc.best_range("project", "dependencies"),
                message,
                fix=fix,
                related=related,
            )
