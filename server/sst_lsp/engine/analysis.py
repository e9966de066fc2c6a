"""Entry points of the engine: analyse one app, or every app under a path."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .files import FileSystem
from .model import Violation
from .project import CONFIG_NAME, Project, find_project_roots

log = logging.getLogger(__name__)


@dataclass
class AppResult:
    project: Project
    violations: list[Violation]
    failures: list[tuple[str, str]]


def analyse_project(project: Project, *, select=None, ignore=None) -> AppResult:
    from ..rules.registry import run_rules

    settings = project.settings
    if select is None and isinstance(settings.get("select"), list):
        select = {s for s in settings["select"] if isinstance(s, str)}
    cfg_ignore = {s for s in settings.get("ignore", []) if isinstance(s, str)} if isinstance(settings.get("ignore"), list) else set()
    ignore = set(ignore or ()) | cfg_ignore
    result = run_rules(project, select=select, ignore=ignore)
    return AppResult(project, result.violations, result.failures)


def analyse_path(path: Path, *, select=None, ignore=None, era_override: str | None = None) -> list[AppResult]:
    path = Path(os.path.abspath(path))
    workspace = path if path.is_dir() else path.parent
    fs = FileSystem(workspace=workspace)
    results = []
    for root in find_project_roots(path):
        project = Project(root, root / CONFIG_NAME, fs, era_override=era_override)
        results.append(analyse_project(project, select=select, ignore=ignore))
    return results
