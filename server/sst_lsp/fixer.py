"""Applying fixes for ``sst-lsp check --fix`` / ``--diff``, and the analysis run the CLI uses.

Fixing works on an in-memory copy of the project: each pass analyses the apps (files already
fixed are read from an overlay), takes every fix that is allowed (safe, or unsafe too with
``--unsafe-fixes``) and can be applied with the others (``engine.fix_choice``, the rule the
editor's fix-all uses too), and applies those edits to the overlay. An overlapping fix waits for
the next pass, where it is recomputed on the new text. Passes stop when one changes nothing, or after ``MAX_PASSES``.

Only then is anything written, once per file and atomically (a temporary file in the same
directory, the original's mode, ``os.replace``), and only when the file's bytes on disk are still
exactly the bytes the analysis read: a file edited meanwhile is left alone and reported.
"""

from __future__ import annotations

import codecs
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from .analysis import AppResult, analyse_project, collector_paused
from .engine.files import FileSystem
from .engine.fix_choice import choose
from .engine.model import Fix, Safety, Violation
from .engine.positions import apply_text_edits
from .engine.project import CONFIG_NAME, Project, find_project_roots

MAX_PASSES = 5
PROGRESS_MIN_FILES = 300


# -- reading: what the analysis saw ----------------------------------------------------------


class Session:
    """The bytes of every file the analysis read from disk, across passes."""

    def __init__(self, progress: "Progress | None" = None):
        self.original: dict[Path, bytes] = {}  # bytes at the first read
        self.unstable: dict[Path, str] = {}  # files that changed while being checked
        self.files_read = 0  # in the current analysis
        self.progress = progress

    def record(self, path: Path, data: bytes) -> None:
        self.files_read += 1
        if self.progress is not None:
            self.progress.files(self.files_read)
        old = self.original.setdefault(path, data)
        if old != data:
            self.unstable.setdefault(path, "changed on disk while it was being checked")


class RecordingFileSystem(FileSystem):
    """The engine's file system, remembering the exact bytes behind each text it hands out."""

    def __init__(self, *, workspace: Path, overlays: dict[Path, str], session: Session):
        super().__init__(workspace=workspace, overlays=overlays)
        self.session = session

    def _read(self, path: Path, data: bytes) -> None:
        self.session.record(path, data)


def _encode_like(text: str, original: bytes) -> bytes:
    """``text`` as UTF-8, keeping the original's byte-order mark if it had one."""
    bom = codecs.BOM_UTF8 if original.startswith(codecs.BOM_UTF8) else b""
    return bom + text.encode("utf-8")


def workspace_of(target: Path) -> Path:
    target = Path(os.path.abspath(target))
    return target if target.is_dir() else target.parent


def analyse(
    targets: list[Path],
    *,
    select=None,
    ignore=None,
    era_override: str | None = None,
    overlays: dict[Path, str] | None = None,
    session: Session | None = None,
) -> list[AppResult]:
    """Every app under any of ``targets`` (each app once), like ``analyse_path`` for several paths."""
    session = session if session is not None else Session()
    overlays = overlays if overlays is not None else {}
    seen: set[str] = set()
    planned: list[tuple[Path, Path]] = []
    systems: dict[Path, RecordingFileSystem] = {}
    for target in targets:
        workspace = workspace_of(target)
        fs = systems.get(workspace)
        if fs is None:
            fs = systems[workspace] = RecordingFileSystem(workspace=workspace, overlays=overlays, session=session)
        for root in find_project_roots(target, fs):  # (its listings serve the apps' own walks)
            real = os.path.realpath(root)
            if real not in seen:
                seen.add(real)
                planned.append((workspace, root))
    results = []
    session.files_read = 0
    if session.progress is not None:
        session.progress.start(len(planned))
    for i, (workspace, root) in enumerate(planned):
        project = Project(root, root / CONFIG_NAME, systems[workspace], era_override=era_override)
        with collector_paused():
            results.append(analyse_project(project, select=select, ignore=ignore))
        if session.progress is not None:
            session.progress.app_done(i + 1)
    if session.progress is not None:
        session.progress.finish()
    return results


# -- choosing and applying fixes -------------------------------------------------------------


def allowed(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and bool(fix.edits) and (fix.safety is Safety.SAFE or unsafe)


def _texts_for(fix: Fix, fs, texts: dict[Path, str], plan: "FixPlan") -> bool:
    """Read (into ``texts``) every file ``fix`` edits; False when one cannot be fixed."""
    for e in fix.edits:
        path = Path(os.path.abspath(e.path))
        if path in plan.skipped or path in plan.session.unstable:
            return False
        if path not in texts:
            text = fs.read_text(path)
            if text is None and getattr(e, "creates", False) and not os.path.lexists(path):
                text = ""  # a fix that creates the file: it starts empty
                plan.created.add(path)
            if text is None:
                plan.skipped.setdefault(path, "could not be read")
                return False
            texts[path] = text
            plan.before.setdefault(path, text)
    return True


@dataclass
class FixPlan:
    """What ``--fix`` would do: new texts per file, the fixes applied, files that cannot be fixed."""

    before: dict[Path, str] = field(default_factory=dict)  # text the first analysis read
    after: dict[Path, str] = field(default_factory=dict)  # text after every pass
    applied: list[tuple[Violation, frozenset]] = field(default_factory=list)  # (violation, files its fix edits)
    skipped: dict[Path, str] = field(default_factory=dict)  # file -> why it is left alone
    created: set[Path] = field(default_factory=set)  # files a fix creates (TextEdit.creates)
    passes: int = 0
    session: Session = field(default_factory=Session)
    results: list = field(default_factory=list)  # the last pass's analysis
    failures: list = field(default_factory=list)  # (code, error) of rules that raised, any pass

    @property
    def changed(self) -> list[Path]:
        return sorted(p for p, t in self.after.items() if t != self.before.get(p))

    def fixed_count(self, written: set[Path] | None = None) -> int:
        """Fixes applied (all of whose files are in ``written``, when given)."""
        if written is None:
            return len(self.applied)
        return sum(1 for _, files in self.applied if files <= written)


def plan_fixes(
    targets: list[Path],
    *,
    unsafe: bool = False,
    select=None,
    ignore=None,
    era_override: str | None = None,
    session: Session | None = None,
) -> FixPlan:
    """Run analysis + fix passes in memory (nothing is written)."""
    plan = FixPlan(session=session or Session())
    overlays: dict[Path, str] = {}
    for _ in range(MAX_PASSES):
        results = analyse(targets, select=select, ignore=ignore, era_override=era_override, overlays=overlays, session=plan.session)
        plan.passes += 1
        plan.results = results
        for res in results:
            plan.failures.extend(f for f in res.failures if f not in plan.failures)
        texts: dict[Path, str] = {}
        fixable: list[Violation] = []
        for res in results:
            for v in res.violations:
                if allowed(v.fix, unsafe) and _texts_for(v.fix, res.project.fs, texts, plan):
                    fixable.append(v)
        choice = choose(fixable, lambda fix: True)
        pending = {Path(os.path.abspath(p)): [(e.range, e.new_text) for e in edits] for p, edits in choice.edits.items()}
        new_fixes = [(v, frozenset(Path(os.path.abspath(e.path)) for e in v.fix.edits)) for v in choice.taken]
        changed = False
        for path, edits in pending.items():
            try:
                new = apply_text_edits(texts[path], edits)
            except ValueError:  # defensive: overlapping edits slipped through
                plan.skipped.setdefault(path, "its fixes overlap")
                continue
            if new != texts[path]:
                overlays[path] = new
                changed = True
        if not changed:
            break
        plan.applied.extend((v, files) for v, files in new_fixes if all(f in overlays for f in files))
    for path, text in overlays.items():
        plan.after[path] = text
    for path, reason in plan.session.unstable.items():
        if path in plan.after:
            plan.skipped.setdefault(path, reason)
    return plan


# -- writing -------------------------------------------------------------------------------


def _read_for_write(path: Path) -> bytes | None:
    """The file's bytes right before it is replaced (tests patch this to simulate an editor)."""
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically, keeping its mode (and following a link to it)."""
    target = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".sst-lsp.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        shutil.copymode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_fixes(plan: FixPlan, *, describe: Callable[[Path], str] = str, err: TextIO | None = None) -> set[Path]:
    """Write every changed file whose bytes on disk are still those the analysis read."""
    err = err if err is not None else sys.stderr
    written: set[Path] = set()
    for path in plan.changed:
        reason = plan.skipped.get(path)
        original = plan.session.original.get(path)
        if reason is None and path in plan.created:
            try:
                with open(path, "xb") as fh:  # never overwrite a file that appeared meanwhile
                    fh.write(plan.after[path].encode("utf-8"))
            except FileExistsError:
                reason = "was created by someone else since it was checked"
            except OSError as exc:
                reason = f"could not be created ({exc.strerror or exc})"
            if reason is None:
                written.add(path)
                continue
        if reason is None and original is None:
            reason = "was not read from disk"
        if reason is None:
            current = _read_for_write(path)
            if current != original:
                reason = "changed on disk since it was checked"
        if reason is None:
            try:
                write_atomic(path, _encode_like(plan.after[path], original))
            except OSError as exc:
                reason = f"could not be written ({exc.strerror or exc})"
        if reason is not None:
            plan.skipped[path] = reason
            print(f"sst-lsp: {describe(path)} {reason}; not fixed", file=err)
            continue
        written.add(path)
    return written


def unified_diff(before: str, after: str, rel: str) -> str:
    """A ``git diff``-style unified diff of one file, ``a/REL`` and ``b/REL`` headers."""
    import difflib  # lazily: start-up does not need it
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{rel}", f"b/{rel}")
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


# -- progress --------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on a terminal, shown once more than ``PROGRESS_MIN_FILES`` are read."""

    def __init__(self, stream: TextIO, min_files: int = PROGRESS_MIN_FILES, width: int = 30):
        self.stream = stream
        self.min_files = min_files
        self.width = width
        self.total = 0
        self.done = 0
        self.n_files = 0
        self.shown = False
        self._last = 0.0

    @classmethod
    def for_stream(cls, stream: TextIO) -> "Progress | None":
        try:
            return cls(stream) if stream.isatty() else None
        except (AttributeError, ValueError):
            return None

    def start(self, total: int) -> None:
        self.total, self.done, self.n_files = total, 0, 0

    def files(self, n: int) -> None:
        self.n_files = n
        self._draw()

    def app_done(self, done: int) -> None:
        self.done = done
        self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        if self.n_files <= self.min_files:
            return
        now = time.monotonic()
        if not force and self.shown and now - self._last < 0.1:
            return
        self._last = now
        self.shown = True
        filled = int(self.width * self.done / self.total) if self.total else 0
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} apps, {self.n_files} files")
        self.stream.flush()

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
