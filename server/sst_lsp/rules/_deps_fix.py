"""The fix several dependency rules share: append requirements to ``[project].dependencies``."""

from __future__ import annotations

import tomlkit

from ..engine.model import Fix, Safety, TextEdit


def _add_dependencies(doc, texts: list[str]) -> None:
    proj = doc["project"]
    if "dependencies" not in proj:
        proj.add("dependencies", tomlkit.array())
    arr = proj["dependencies"]
    for t in texts:
        arr.append(t)


def add_dependencies_fix(project, pp, texts: list[str], title: str | None = None) -> Fix | None:
    """An unsafe fix adding ``texts`` to ``pp``'s ``[project].dependencies`` (formatting kept, via tomlkit)."""
    if pp is None or not pp.ok or not pp.doc.has_table("project"):
        return None
    edit = pp.doc.edit(lambda doc: _add_dependencies(doc, texts))
    if not edit:
        return None
    title = title or f"Add {', '.join(texts)} to [project].dependencies in {project.rel(pp.path)}"
    return Fix(title, Safety.UNSAFE, (TextEdit(pp.path, *edit),))
