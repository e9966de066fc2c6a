"""The editor session: open documents, the apps of the workspace, their latest results.

No LSP types here: the server (``server.py``) feeds documents and file events in and turns
results into protocol messages. What a session decides:

- which app a file belongs to (``root_for``), and every app of the workspace (``find_roots``);
- the project to analyse for an app (``make_project``): the open documents over the disk, and
  the disk model of the previous analysis when only TypeScript changed since;
- running an analysis (``analyse``) and remembering its diagnostics per file;
- when to run it: every change schedules the app's analysis after a debounce, a newer change
  cancelling the pending run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .analysis import AppResult, analyse_project
from .engine.documents import OpenDocument
from .engine.files import DiskCache, FileSystem
from .engine.model import Violation
from .engine.project import CONFIG_NAME, DiskModel, Project, find_project_roots, find_root_for
from .engine.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_MS = 30


@dataclass
class Outcome:
    """One analysis of one app: its result and the diagnostics per file, before and now."""

    root: Path
    result: AppResult | None  # None: the app went away
    previous: dict[Path, list[Violation]]
    current: dict[Path, list[Violation]]

    def paths(self) -> set[Path]:
        """Every file that had or has diagnostics of this app."""
        return set(self.previous) | set(self.current)


@dataclass
class EditorSession:
    docs: dict[Path, OpenDocument] = field(default_factory=dict)
    disk: DiskCache = field(default_factory=DiskCache)  # what the disk said, until a file event says otherwise
    workspace_root: Path | None = None
    roots: set[Path] = field(default_factory=set)
    results: dict[Path, dict[Path, list[Violation]]] = field(default_factory=dict)  # app root -> path -> violations
    editor_settings: Settings = field(default_factory=Settings)
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    root_debounce: dict[Path, int] = field(default_factory=dict)
    roots_found: bool = False
    _root_of: dict = field(default_factory=dict)  # path -> its app (``root_for``)
    _last_projects: dict[Path, tuple] = field(default_factory=dict)  # app root -> (what its disk model stands for, DiskModel)
    _tasks: dict[Path, asyncio.Task] = field(default_factory=dict)
    dirty: set[Path] = field(default_factory=set)

    # -- where things belong ------------------------------------------------------------------
    def root_for(self, path: Path) -> Path | None:
        """The app ``path`` belongs to; looked up on disk once, until a file is created or deleted
        (every keystroke asks, and the walk up stats each folder)."""
        if path in self._root_of:
            return self._root_of[path]
        root = self._root_of[path] = find_root_for(path, self.workspace_root)
        if root is not None:
            self.roots.add(root)
        return root

    def forget(self, path: Path, structural: bool = False) -> None:
        """A file changed on disk (``structural``: it was created or deleted, or may have been)."""
        self.disk.forget(path, structural=structural)
        if structural:
            self._root_of.clear()

    def find_roots(self) -> set[Path]:
        """Every app in the workspace (walked once; later changes arrive as file events)."""
        if not self.roots_found and self.workspace_root is not None:
            self.roots |= set(find_project_roots(self.workspace_root, FileSystem.cached(self.disk, self.workspace_root)))
            self.roots_found = True
        return self.roots

    def text_of(self, path: Path) -> str | None:
        doc = self.docs.get(path)
        if doc is not None:
            return doc.text
        return FileSystem(workspace=self.workspace_root).read_text(path)

    def violations_for(self, path: Path) -> list[Violation]:
        root = self.root_for(path)
        return self.results.get(root, {}).get(path, []) if root is not None else []

    # -- analysis -----------------------------------------------------------------------------
    def make_project(self, root: Path, analysis: bool = True) -> Project:
        """The project to analyse (``analysis=False``: to look at, for a hover or a completion)."""
        overlays = {p: d.text for p, d in self.docs.items()}
        trees = {p: d.tree for p, d in self.docs.items() if d.tree is not None}
        editor_version = self.editor_settings.sst_version
        others = frozenset(p for p, d in self.docs.items() if not d.is_typescript)
        state = (self.disk.generation, editor_version, others)
        previous = self._last_projects.get(root)
        if previous is not None and previous[0] == state:
            # the same files on disk and the same documents open: only document texts changed,
            # and the disk model's memo recomputes just what read a changed one
            disk = previous[1]
            fs = disk.fs
            fs.overlays = overlays
            disk.advance(fs, overlays, analysis)
        else:
            fs = FileSystem.cached(self.disk, self.workspace_root or root, overlays=overlays)
            disk = DiskModel(root, root / CONFIG_NAME, fs, editor_version=editor_version, keeps_results=True)
            disk.advance(fs, overlays)
        self._last_projects[root] = (state, disk)
        return Project(root, root / CONFIG_NAME, fs, ts_trees=trees, editor_version=editor_version, disk=disk)

    def analyse(self, root: Path) -> Outcome:
        self.dirty.discard(root)
        if not (root / CONFIG_NAME).is_file() and (root / CONFIG_NAME) not in self.docs:
            self.roots.discard(root)
            self._last_projects.pop(root, None)
            return Outcome(root, None, self.results.pop(root, {}), {})
        result = analyse_project(self.make_project(root), editor=self.editor_settings)
        if result.settings.debounce_ms is not None:
            self.root_debounce[root] = result.settings.debounce_ms
        by_path: dict[Path, list[Violation]] = {}
        for v in result.violations:
            by_path.setdefault(v.path, []).append(v)
        previous = self.results.get(root, {})
        self.results[root] = by_path
        return Outcome(root, result, previous, by_path)

    def warm_up(self) -> None:
        """What the first missing handler file would otherwise pay once, done once the workspace is
        analysed and when the user pauses: the tables SST102 suggests a path from (the first app's:
        the one it keeps)."""
        from .rules.sst102_handler_file_not_found import prepare

        for _, disk in list(self._last_projects.values())[:1]:
            prepare(disk.python_file_index)

    def sweep(self) -> None:
        """Drop what the analyses of each app no longer ask for (see ``Memo.sweep``)."""
        for _, disk in self._last_projects.values():
            disk.memo.sweep()

    # -- scheduling ---------------------------------------------------------------------------
    def debounce_for(self, root: Path) -> int:
        return self.root_debounce.get(root, self.debounce_ms)

    def schedule(self, root: Path, run: Callable[[Path], None]) -> None:
        """Run ``run(root)`` after the app's debounce; a newer call supersedes a pending one."""
        self.dirty.add(root)
        old = self._tasks.get(root)
        if old is not None and not old.done():
            old.cancel()
        self._tasks[root] = asyncio.get_running_loop().create_task(self._debounced(root, run))

    async def _debounced(self, root: Path, run: Callable[[Path], None]) -> None:
        try:
            delay = self.debounce_for(root)
            if delay > 0:
                await asyncio.sleep(delay / 1000)
            run(root)
        except asyncio.CancelledError:
            pass
        except Exception:  # the server stays up whatever the analysis does
            log.exception("analysis of %s failed", root)

    def needs_run(self, root: Path) -> bool:
        """Pull requests want current results: is a run pending (then it is cancelled: run it now)?"""
        if root in self.dirty or root not in self.results:
            task = self._tasks.get(root)
            if task is not None and not task.done():
                task.cancel()
            return True
        return False
