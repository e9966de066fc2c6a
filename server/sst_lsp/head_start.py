"""A head start for the first diagnostics: the workspace analysed by a second process while the
server loads the protocol.

An editor starts the server and sends ``initialize`` at once. Before the server can read it,
Python imports pygls and lsprotocol (about half a second); then its first scan analyses every
app of the workspace (three quarters of a second for 500 projects), and only then come the first
diagnostics. With two cores both can run at once:

- ``begin`` reads the first message itself, before those imports. When it is ``initialize`` with a
  workspace, it forks a process that analyses the workspace as the first scan will (the same
  apps, the settings of ``initializationOptions``, the files on disk) and sends its findings back
  through a pipe. The message itself is handed on to the server, which reads it as usual.
- The server, once initialized, runs its own first scan as always (it builds what later edits
  reuse), and a thread waits for those findings meanwhile. When they come before the scan has
  delivered an app, the thread publishes them for it, if the app's open documents say what the
  second process read, the editor's settings are the ones it used, and no file event came. The
  scan then publishes only what differs. Both cores work, and the first diagnostics come when
  the faster of the two is done.

Nothing is published that the server's own analysis would not publish for the same files and
settings. Where a process cannot be forked, or stdin is not a pipe, or ``SST_LSP_HEAD_START=0``,
the server starts as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import re
import signal
import stat
from pathlib import Path

from .engine.files import path_of

log = logging.getLogger("sst_lsp.head_start")

_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)
_HEADERS_END = re.compile(rb"\r?\n\r?\n")
EDITOR_ONLY_KEYS = ("server", "interpreter", "trace", "path", "command")
MAX_FIRST_MESSAGE = 1 << 20  # an initialize message larger than this is left to pygls


class HeadStart:
    def __init__(self, consumed: bytes = b"", pid: int | None = None, fd: int | None = None):
        self.consumed = consumed  # the bytes read from stdin, to be read again by the server
        self.pid = pid
        self.fd = fd  # the read end of the pipe the findings come through

    @property
    def running(self) -> bool:
        return self.fd is not None

    def collect(self):
        """(Settings, [(root, {path: [Violation]}, its TypeScript files)], {path: ``digest`` of the
        text it read}) from the second process, once it is done; None when it failed. Blocks (in a
        thread of its own)."""
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            os.close(self.fd)
            self.fd = None
            self._reap()
        try:
            return pickle.loads(b"".join(chunks)) if chunks else None
        except Exception:
            log.warning("head start: its findings could not be read; the first scan stands alone", exc_info=True)
            return None

    def stop(self) -> None:
        """End the second process (the server stops): the thread that reads its findings sees
        their end and lets them be."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (OSError, TypeError):
            pass

    def abandon(self) -> None:
        """Let the second process go unread (diagnostics pulled): end it and close the pipe."""
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
        if self.pid is not None:
            self.stop()
            self._reap()

    def _reap(self) -> None:
        if self.pid is not None:
            try:
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = None


def begin(stdin) -> HeadStart:
    """Read the first message from ``stdin`` (a pipe) and, when it is ``initialize`` naming a
    workspace, fork the process that analyses it. Returns what was read either way: whatever goes
    wrong here (a read, a fork), the server starts as it would without a head start."""
    if os.environ.get("SST_LSP_HEAD_START", "1") == "0" or not hasattr(os, "fork") or not is_pipe(stdin):
        return HeadStart()
    consumed = b""
    try:
        consumed, message = _read_first(stdin.fileno())
        if not isinstance(message, dict) or message.get("method") != "initialize" or not isinstance(message.get("params"), dict):
            return HeadStart(consumed)
        params = message["params"]
        workspace = workspace_of(params)
        capabilities = params.get("capabilities")
        text_document = capabilities.get("textDocument") if isinstance(capabilities, dict) else None
        if workspace is None or (isinstance(text_document, dict) and text_document.get("diagnostic") is not None):
            return HeadStart(consumed)  # (diagnostics pulled: the client asks when it wants them)
        options = params.get("initializationOptions")
        return _fork(consumed, workspace, options if isinstance(options, dict) else {})
    except Exception:
        log.warning("head start: not begun", exc_info=True)
        return HeadStart(consumed)


def _fork(consumed: bytes, workspace: Path, options: dict) -> HeadStart:
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # the second process: analyse, send, and leave without running anything else
        status = 0
        try:
            os.close(read_end)
            quiet = os.open(os.devnull, os.O_RDWR)
            os.dup2(quiet, 0)
            os.dup2(quiet, 1)  # never a byte on the client's channel
            payload = pickle.dumps(_analyse(workspace, options), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view) :]
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    return HeadStart(consumed, pid, read_end)


def _read_first(fd: int) -> tuple[bytes, dict | None]:
    """The bytes of the first message (and any that came with them) and the message, read without
    a buffer of Python's own: what follows stays for the server to read."""
    data = b""
    while (end := _HEADERS_END.search(data)) is None:  # (a blank line ends the headers, as pygls reads them)
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # (a stdin that does not block: left to pygls)
            return data, None
        if not chunk:
            return data, None
        data += chunk
        if len(data) > MAX_FIRST_MESSAGE:
            return data, None
    head, rest = data[: end.start()], data[end.end() :]
    found = _LENGTH.search(head)
    if found is None:
        return data, None
    length = int(found.group(1))
    if length > MAX_FIRST_MESSAGE:
        return data, None
    while len(rest) < length:
        try:
            chunk = os.read(fd, length - len(rest))
        except OSError:
            return data, None
        if not chunk:
            return data, None
        data += chunk
        rest += chunk
    try:
        return data, json.loads(rest[:length])
    except ValueError:
        return data, None


def workspace_of(params: dict) -> Path | None:
    """The workspace folder as the server's ``initialize`` handler takes it."""
    folders = params.get("workspaceFolders")
    if isinstance(folders, list) and folders and isinstance(folders[0], dict) and isinstance(folders[0].get("uri"), str):
        return path_of(folders[0]["uri"])
    if isinstance(params.get("rootUri"), str):
        return path_of(params["rootUri"])
    if isinstance(params.get("rootPath"), str):
        return Path(params["rootPath"])
    return None


def editor_settings(init: dict, raw) -> tuple:
    """(Settings, problems) from ``initializationOptions`` and what ``workspace/configuration``
    answered (``raw``): the server's and the second process's one way of reading them."""
    from .engine.settings import parse_settings
    from .rules.registry import load_all

    merged = dict(init)
    if isinstance(raw, dict):
        merged.update(raw)
    for key in EDITOR_ONLY_KEYS:  # keys only the editor's client uses
        merged.pop(key, None)
    if merged.get("select") == []:  # an editor's default
        merged.pop("select")
    return parse_settings(merged, load_all())


def _analyse(workspace: Path, init: dict):
    """What the server's first scan finds with no document open and no configuration answered."""
    from .analysis import analyse_project, collector_paused
    from .engine.files import DiskCache, FileSystem
    from .engine.project import CONFIG_NAME, Project, find_project_roots

    settings, _ = editor_settings(init, None)
    disk = DiskCache()
    fs = FileSystem.cached(disk, workspace)
    apps = []
    with collector_paused():
        for root in find_project_roots(workspace, fs):
            project = Project(root, root / CONFIG_NAME, fs, editor_version=settings.sst_version)
            by_path: dict = {}
            for v in analyse_project(project, editor=settings).violations:
                by_path.setdefault(v.path, []).append(v)
            apps.append((root, by_path, list(project.ts_paths)))
    return settings, apps, {path: digest(text) for path, text in disk.texts.items()}  # what it read, to compare with open documents


def digest(text: str | None) -> bytes | None:
    """What tells a text read by the second process from another: its SHA-1."""
    return None if text is None else hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def is_pipe(stream) -> bool:
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
