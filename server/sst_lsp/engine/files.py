"""Reading project files safely: open-editor overlays first, then disk with a size cap.

The engine never follows a link out of the workspace, never reads a file larger than
``MAX_FILE_BYTES`` and never raises for an unreadable file: it records why, so that a rule
(SST002) can report it, and the file is treated as absent.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024
TS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts")
_ABSENT = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what pathlib's is_file() takes for "no file"
SKIP_DIRS = frozenset({"node_modules", ".git", ".venv", "venv", ".sst", "__pycache__", ".mypy_cache", ".pytest_cache", ".tox", "dist", "build", ".ruff_cache"})


@dataclass(frozen=True)
class Entry:
    """One entry of a folder (``FileSystem.listdir``)."""

    name: str
    path: Path
    is_dir: bool
    is_file: bool
    is_link: bool
    outside: bool = False  # a link that leads out of the workspace: never read or entered


@dataclass
class Unreadable:
    path: Path
    reason: str


def path_of(uri: str) -> Path | None:
    """The file a ``file:`` URI names (None for any other scheme)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(os.path.abspath(unquote(parsed.path)))


@dataclass
class DiskCache:
    """What the disk said, kept between analyses by the long-running server.

    The server drops an entry when the editor reports a change to that file, and everything
    structural (stats, directory walks, globs) when a file is created or deleted.
    """

    texts: dict = field(default_factory=dict)
    unreadable: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    inside: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)  # directory walks and globs, by key
    absolute: dict = field(default_factory=dict)  # see ``FileSystem.absolute`` (never stale: no disk read)
    generation: int = 0  # bumped on every change: results derived from the disk are stale

    def forget(self, path: Path, structural: bool = False) -> None:
        self.generation += 1
        path = Path(os.path.abspath(path))
        self.texts.pop(path, None)
        self.unreadable.pop(path, None)
        if structural:
            self.stats.clear()
            self.inside.clear()
            self.derived.clear()

    def clear(self) -> None:
        for d in (self.texts, self.unreadable, self.stats, self.inside, self.derived):
            d.clear()


@dataclass
class FileSystem:
    """A view of the files the engine reads: editor overlays over the disk, with a cache."""

    workspace: Path | None = None
    overlays: dict[Path, str] = field(default_factory=dict)
    unreadable: dict[Path, Unreadable] = field(default_factory=dict)
    _cache: dict[Path, str | None] = field(default_factory=dict)
    _inside: dict[str, bool] = field(default_factory=dict)  # absolute path -> resolves inside the workspace
    _stats: dict = field(default_factory=dict)  # absolute path -> (is_file, is_dir)
    derived: dict = field(default_factory=dict)  # walks and globs, shared through a DiskCache
    memo: object | None = None  # a ``Memo`` told which open documents a computation read (TypeScript aside)
    _absolute: dict = field(default_factory=dict, repr=False)  # see ``absolute``

    @classmethod
    def cached(cls, cache: DiskCache, workspace: Path | None, overlays: dict | None = None) -> "FileSystem":
        """A view that reuses (and fills) ``cache`` instead of asking the disk again."""
        return cls(
            workspace=workspace,
            overlays=overlays or {},
            unreadable=cache.unreadable,
            _cache=cache.texts,
            _inside=cache.inside,
            _stats=cache.stats,
            derived=cache.derived,
            _absolute=cache.absolute,
        )

    def absolute(self, path: Path) -> Path:
        """``path`` made absolute and normal, once per path seen (a Path is slow to build), as one
        object for every equal path: where paths meet as keys (a project's ``pyproject.toml`` found
        from a handler, and in the file index) they are then compared by identity, in C, not by
        ``Path.__eq__``."""
        known = self._absolute.get(path)
        if known is None:
            if len(self._absolute) > 200_000:
                self._absolute.clear()
            text = str(path)
            normal = os.path.abspath(text)
            known = path if normal == text and isinstance(path, Path) else Path(normal)
            known = self._absolute[path] = self._absolute.setdefault(known, known)
        return known

    def canonical(self, path: Path) -> Path:
        """``absolute`` for a path already absolute and normal (what a walk builds)."""
        return self._absolute.setdefault(path, path)

    def _stat(self, path: Path) -> tuple[bool, bool]:
        known = self._stats.get(path)
        if known is None:
            try:
                mode = os.stat(path).st_mode
                known = (stat.S_ISREG(mode), stat.S_ISDIR(mode))
            except (OSError, ValueError):
                known = (False, False)
            self._stats[path] = known
        return known

    def within_workspace(self, path: Path) -> bool:
        """Does ``path`` (following every link on the way) stay inside the workspace?"""
        if self.workspace is None:
            return True
        return self._resolves_inside(os.path.abspath(path))

    def _resolves_inside(self, p: str) -> bool:
        known = self._inside.get(p)
        if known is not None:
            return known
        ws = self._workspace_str()
        if p == ws:
            result = True
        elif not p.startswith(ws + os.sep) or os.path.islink(p):
            # outside by name, or a link: resolve it once
            try:
                real = os.path.realpath(p)
            except (OSError, RuntimeError, ValueError):
                real = ""
            result = real == self._workspace_real() or real.startswith(self._workspace_real() + os.sep)
            if result and p.startswith(ws + os.sep):
                result = self._resolves_inside(os.path.dirname(p))
        else:
            # a plain entry inside the workspace: inside as long as its folder is
            result = self._resolves_inside(os.path.dirname(p))
        self._inside[p] = result
        return result

    def _workspace_str(self) -> str:
        cached = self.__dict__.get("_ws_abs")
        if cached is None:
            cached = self.__dict__["_ws_abs"] = os.path.abspath(self.workspace)
        return cached

    def _workspace_real(self) -> str:
        cached = self.__dict__.get("_ws_real")
        if cached is None:
            cached = self.__dict__["_ws_real"] = os.path.realpath(self.workspace)
        return cached

    def read_text(self, path: Path) -> str | None:
        """Text of ``path`` or None when it is absent or cannot be read (the reason is kept)."""
        path = self.absolute(path)
        if path in self.overlays:
            # the editor's text wins: what the disk said about this file (kept in a shared cache) no longer counts
            self.unreadable.pop(path, None)
            if self.memo is not None and not path.name.endswith(TS_EXTENSIONS):  # (their analyses are keyed by their text)
                self.memo.read(path)
            return self.overlays[path]
        if path in self._cache:
            return self._cache[path]
        text = self._read_disk(path)
        self._cache[path] = text
        return text

    def _read_disk(self, path: Path) -> str | None:
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno in _ABSENT:  # (a link loop too, as pathlib's is_file says)
                return None
            self._unreadable(path, f"cannot be examined ({exc.strerror or exc})")  # a permission problem on a parent
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        if not self.within_workspace(path):
            self._unreadable(path, "is a link that points outside the workspace")
            return None
        if st.st_size > MAX_FILE_BYTES:
            self._unreadable(path, f"is {st.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")
            return None
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self._unreadable(path, f"cannot be read ({exc.strerror or exc})")
            return None
        if len(data) > MAX_FILE_BYTES:  # it grew since it was examined
            self._unreadable(path, f"is over the {MAX_FILE_BYTES:,}-byte limit")
            return None
        if b"\x00" in data[:8192]:
            self._unreadable(path, "is binary, not text")
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            self._unreadable(path, f"is not valid UTF-8 (byte {exc.start})")
            return None
        self._read(path, data)
        return text

    def _read(self, path: Path, data: bytes) -> None:
        """A file's text was read from the disk, from these bytes (a subclass may keep them)."""

    def _unreadable(self, path: Path, reason: str) -> None:
        log.info("skipping %s: %s", path, reason)
        self.unreadable[path] = Unreadable(path, reason)

    def exists(self, path: Path) -> bool:
        path = self.absolute(path)
        if path in self.overlays:
            return True
        try:
            return any(self._stat(path)) and self.within_workspace(path)
        except OSError:
            return False

    def is_file(self, path: Path) -> bool:
        path = self.absolute(path)
        if path in self.overlays:
            return True
        try:
            return self._stat(path)[0] and self.within_workspace(path)
        except OSError:
            return False

    def is_dir(self, path: Path) -> bool:
        try:
            return self._stat(self.absolute(path))[1] and self.within_workspace(path)
        except OSError:
            return False

    def read_tail(self, path: Path, limit: int = MAX_FILE_BYTES) -> tuple[bytes, bool] | None:
        """The bytes of a file that may be larger than the cap (a deploy's event log): all of it,
        or its last ``limit`` bytes from the first whole line; and whether it is whole."""
        path = self.absolute(path)
        if not self.is_file(path):
            return None
        try:
            size = path.stat().st_size
            with open(path, "rb") as fh:
                if size <= limit:
                    return fh.read(), True
                fh.seek(size - limit)
                data = fh.read(limit)
        except OSError as exc:
            self._unreadable(path, f"cannot be read ({exc.strerror or exc})")
            return None
        return data[data.find(b"\n") + 1 :], False  # the partial first line is dropped

    def listdir(self, path: Path) -> list[Entry]:
        """The entries of a folder, sorted by name; [] when it is not a folder inside the workspace.

        An entry that is a link out of the workspace is marked ``outside``: a walk does not enter it
        and reading it records why it is skipped. Kept with the walks and globs (a created or
        deleted file clears them).
        """
        path = self.absolute(path)
        key = ("listdir", path)
        known = self.derived.get(key)
        if known is None:
            known = []
            if self.is_dir(path):
                try:
                    scanned = sorted(os.scandir(path), key=lambda e: e.name)
                except OSError as exc:
                    log.info("cannot list %s: %s", path, exc)
                    scanned = []
                stats = self._stats
                for e in scanned:
                    full = Path(e.path)
                    try:
                        link = e.is_symlink()
                        is_dir, is_file = e.is_dir(), e.is_file()  # (from the folder listing, unless a link)
                        outside = link and not self.within_workspace(full)
                        known.append(Entry(e.name, full, is_dir and not outside, is_file and not outside, link, outside))
                    except OSError:
                        continue
                    stats.setdefault(full, (is_file, is_dir))  # what ``_stat`` would find
            self.derived[key] = known
        return known

    def has_entry(self, path: Path) -> bool:
        """Is there an entry of that name (whatever it is, even a link out or an unreadable file)?"""
        path = self.absolute(path)
        return any(e.name == path.name for e in self.listdir(path.parent))

    def walk(self, top: Path, *, skip=SKIP_DIRS, hidden: bool = True):
        """``os.walk`` through ``listdir``: (folder, subfolder names, file names), top-down.

        Prune by editing the subfolder list in place. Folders in ``skip`` (and, with
        ``hidden=False``, names starting with ``.``) are not entered; a link is followed only
        inside the workspace and a folder only once, so a link loop ends.
        """
        seen: set[str] = set()
        top = Path(os.path.abspath(top))
        try:
            stack = [(top, os.path.realpath(top))]
        except (OSError, RuntimeError, ValueError):
            return
        while stack:
            folder, real = stack.pop()
            if real in seen:
                continue
            seen.add(real)
            entries = self.listdir(folder)
            by_name = {e.name: e for e in entries}
            dirs = [e.name for e in entries if e.is_dir and e.name not in skip and (hidden or not e.name.startswith("."))]
            files = [e.name for e in entries if e.is_file or (e.outside and not e.is_dir)]
            yield folder, dirs, files
            for d in reversed(dirs):
                entry = by_name.get(d)
                try:
                    # only a link needs resolving: a plain folder's real path follows from its parent's
                    child_real = os.path.realpath(folder / d) if entry is None or entry.is_link else os.path.join(real, d)
                except (OSError, RuntimeError, ValueError):
                    continue
                stack.append((entry.path if entry is not None else folder / d, child_real))  # (the listing's Path: none made again)

