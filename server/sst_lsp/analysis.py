"""Running the rules on the engine's model: analyse one app, or every app under a path.

This sits above both the engine (the model) and the rules (which read it).

Order: settings (project file over editor), rules (select / ignore / era), severity overrides,
then suppression comments (and hints for the ones that silence nothing).
"""

from __future__ import annotations

import gc
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from .engine import suppressions
from .engine.files import FileSystem
from .engine.model import Violation
from .engine.project import CONFIG_NAME, Project, find_project_roots
from .engine.settings import Problem, Settings, parse_settings
from .rules.registry import load_all, run_rules

log = logging.getLogger(__name__)


@dataclass
class AppResult:
    project: Project
    violations: list[Violation]
    failures: list[tuple[str, str]]
    settings: Settings = field(default_factory=Settings)
    setting_problems: list[Problem] = field(default_factory=list)


def project_settings(project: Project) -> tuple[Settings, list[Problem]]:
    return parse_settings(project.settings or None, load_all())


@contextmanager
def collector_paused():
    """Run an analysis without the cyclic garbage collector.

    An analysis allocates a few hundred thousand objects, almost all freed by reference counting
    as it goes; the collector would rescan the survivors again and again (on a 500-project
    workspace, a third of the first analysis). What is cyclic waits for the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def analyse_project(project: Project, *, select=None, ignore=None, editor: Settings | None = None) -> AppResult:
    file_settings, problems = project_settings(project)
    settings = file_settings.merged_over(editor or Settings())
    if select is None:
        select = settings.select
    if select is not None:
        select = set(select) | {"SST9"}  # the tool's own reports (configuration, suppressions) stay on
    ignore = set(ignore or ()) | settings.ignore
    result = run_rules(project, select=select, ignore=ignore)
    for v in result.violations:
        if v.code in settings.severity:
            v.severity = settings.severity[v.code]
    violations = result.violations
    rules = load_all()
    unused_enabled = suppressions.UNUSED_CODE in rules and (
        (select is None or any(suppressions.UNUSED_CODE.startswith(s) for s in select)) and not any(suppressions.UNUSED_CODE.startswith(s) for s in ignore)
    )
    found: list[suppressions.Suppression] = []
    for scanned in _suppressions_in(project, violations):
        found.extend(replace(s, used=set()) for s in scanned)  # kept ones stay unmarked
    if found:
        violations = suppressions.apply(violations, found, result.ran if unused_enabled else set())
        if suppressions.UNUSED_CODE in settings.severity:
            for v in violations:
                if v.code == suppressions.UNUSED_CODE:
                    v.severity = settings.severity[v.code]
        violations.sort(key=lambda v: (str(v.path), v.range.start.line, v.range.start.character, v.code))
    return AppResult(project, violations, result.failures, settings, problems)


def _suppressions_in(project: Project, violations: list[Violation]) -> list[list]:
    """The suppression comments of each file with a text, in order: the TypeScript files (by their
    text), the app's ``pyproject.toml`` files (kept while their text stands, asked for as one group
    whose keys are the same list while the disk model stands: an edit elsewhere looks at none of
    them), then any other file a violation is in."""
    fs, disk = project.fs, project.disk
    tomls = disk.pyproject_paths
    out = [_scan(path, fs.read_text(path)) for path in project.ts_paths]
    out.extend(disk.memo.fetch_all(("suppressions",), tomls, lambda i: lambda p=tomls[i]: _scan(p, fs.read_text(p)), prefix=("suppression-of",)))
    seen = {*project.ts_paths, *tomls}
    for path in dict.fromkeys(v.path for v in violations):
        if path not in seen:
            out.append(_scan(path, fs.read_text(path)))
    return out


@lru_cache(maxsize=256)
def _scan(path: Path, text: str | None) -> list:
    return suppressions.scan(path, text) if text is not None else []


def analyse_path(path: Path, *, select=None, ignore=None, era_override: str | None = None) -> list[AppResult]:
    path = Path(os.path.abspath(path))
    workspace = path if path.is_dir() else path.parent
    fs = FileSystem(workspace=workspace)
    results = []
    with collector_paused():
        for root in find_project_roots(path, fs):
            project = Project(root, root / CONFIG_NAME, fs, era_override=era_override)
            results.append(analyse_project(project, select=select, ignore=ignore))
    return results
