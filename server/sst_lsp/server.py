"""The language server: pygls wiring only. Documents → engine → diagnostics and code actions.

Diagnostics are pushed (``textDocument/publishDiagnostics``) unless the client can pull them
(``textDocument/diagnostic`` / ``workspace/diagnostic``); then they are served with result ids
so that unchanged reports cost nothing, and ``workspace/diagnostic/refresh`` is sent when a change
elsewhere (a ``pyproject.toml``, a Python file) alters them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import threading
import uuid
from pathlib import Path

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from . import __version__
from .analysis import collector_paused
from .engine import typescript
from .engine.documents import OpenDocument
from .engine.model import Fix, Related, Safety, TextEdit, Violation
from .engine.positions import ZERO_RANGE
from .engine.project import CONFIG_NAME
from .features import code_actions, diagnostics, navigation
from .features.convert import from_lsp_range, path_of, to_diagnostic
from .head_start import HeadStart, digest, editor_settings, is_pipe
from .session import EditorSession

log = logging.getLogger("sst_lsp.server")

# The engine speaks UTF-16 positions (the LSP default); never negotiate another encoding.
ServerCapabilitiesBuilder.choose_position_encoding = classmethod(lambda cls, caps: types.PositionEncodingKind.Utf16)

CONFIG_SECTION = "sstLsp"
WATCHED = (
    "**/sst.config.ts",
    "**/infra/**/*.ts",
    "**/*.py",
    "**/pyproject.toml",
    "**/.python-version",
    "**/requirements.txt",
    "**/package.json",
    "**/uv.lock",
    "**/Dockerfile",
    "**/.venv/**/*.dist-info/RECORD",
    "**/.sst/pulumi/**/eventlog.json",
)


class SstProtocol(LanguageServerProtocol):
    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        """The server keeps each open document itself (``OpenDocument``): pygls' own copy is not
        updated. It would cost a split of the whole text into lines on every keystroke, and pygls
        clamps a position past the end of a line *in place*, in the params the handler is given."""
        if (user_handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None


class PipeReader:
    """The client's messages read by the event loop itself (``connect_read_pipe``), for a stdin that
    is a pipe or a socket, as an editor starts a server. pygls' own reader asks a thread for every
    header line and every body: three hand-overs between threads per message, most of the time
    the server took to take a keystroke in (about 0.3 ms of a 1 ms round trip)."""

    def __init__(self, stream: asyncio.StreamReader):
        self.stream = stream

    async def readline(self) -> bytes:
        return await self.stream.readline()  # b"" at the end

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self.stream.readexactly(n)
        except asyncio.IncompleteReadError:
            return b""  # the end of the input: what pygls' loop takes as the client gone


class LockedWriter(StdoutWriter):
    """pygls' writer with a lock: the head start's thread publishes while the loop answers."""

    def __init__(self, stdout):
        super().__init__(stdout)
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            super().write(data)


class SstLanguageServer(LanguageServer):
    """The protocol around an ``EditorSession``: documents and file events in, diagnostics out."""

    def __init__(self):
        super().__init__("sst-lsp", __version__, protocol_cls=SstProtocol)
        self.session = EditorSession()
        self.init_settings: dict = {}
        self.failed_rules_logged: set[str] = set()
        self.pull = False
        self.can_refresh = False
        self.published: dict[Path, tuple] = {}  # path -> (document version, report id) last pushed
        self._idle_collection: asyncio.TimerHandle | None = None
        self.head_start: HeadStart | None = None  # the workspace's first analysis, begun by a second process
        self.head_start_running: HeadStart | None = None  # ... once the thread that waits for it runs
        self.delivery = threading.Lock()  # the head start's thread and the analyses publish one at a time
        self.delivered: set[Path] = set()  # apps an analysis of this server has delivered
        self.head_start_paths: dict[Path, set] = {}  # app -> files the head start published, until its first analysis

    def start_io(self, stdin=None, stdout=None):
        """Serve over stdin and stdout. A pipe or a socket (how editors start a server) is read by
        the event loop (``PipeReader``); anything else (a file, a terminal) as pygls reads it."""
        stdin = stdin or sys.stdin.buffer
        if not is_pipe(stdin):
            return super().start_io(stdin, stdout)
        self._stop_event = threading.Event()
        self.protocol.set_writer(LockedWriter(stdout or sys.stdout.buffer))

        async def serve() -> None:
            stream = asyncio.StreamReader(limit=1 << 20)
            if self.head_start is not None and self.head_start.consumed:
                stream.feed_data(self.head_start.consumed)  # the first message, read before pygls was loaded
            await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), stdin)
            await run_async(stop_event=self._stop_event, reader=PipeReader(stream), protocol=self.protocol, logger=log, error_handler=self.report_server_error)

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            log.error("the client is gone: the server stops")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            for start in (self.head_start, self.head_start_running):
                if start is not None and start.pid is not None:
                    start.stop()  # the second process has nothing left to do
            self.shutdown()

    # -- analysis -------------------------------------------------------------------------------
    def schedule(self, path: Path) -> None:
        root = self.session.root_for(path)
        if root is None:
            diagnostics.publish_standalone(self, path)
            return
        self.session.schedule(root, self.analyse)

    def schedule_all(self) -> None:
        for root in set(self.session.roots) | set(self.session.results):
            self.session.schedule(root, self.analyse)

    def ensure_fresh(self, root: Path) -> None:
        if self.session.needs_run(root):
            self.analyse(root)

    def analyse(self, root: Path) -> None:
        with collector_paused():  # collections run when the user pauses (collect_when_idle)
            outcome = self.session.analyse(root)
            for code, err in outcome.result.failures if outcome.result is not None else ():
                if code not in self.failed_rules_logged:
                    self.failed_rules_logged.add(code)
                    self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"sst-lsp: rule {code} failed and was skipped: {err}"))
            with self.delivery:
                self.delivered.add(root)
                diagnostics.deliver(self, outcome, also=self.head_start_paths.pop(root, ()))
            # frozen before the collector is on again: else the first allocation after it would
            # scan everything the analysis left, between a keystroke and its diagnostics
            gc.freeze()
        self.collect_when_idle()

    def collect_when_idle(self) -> None:
        """What an analysis leaves is frozen (see ``analyse``: the next keystroke's collections skip
        it); a full collection (and the memo's sweep) runs once the user has paused, never between
        a keystroke and its diagnostics."""
        if self._idle_collection is not None:
            self._idle_collection.cancel()
        try:
            self._idle_collection = asyncio.get_running_loop().call_later(IDLE_COLLECTION_S, self.when_idle)
        except RuntimeError:  # no event loop (an analysis run outside the server's loop)
            self._idle_collection = None

    def when_idle(self) -> None:
        """The user paused: drop what the analyses no longer ask for, then collect (and make what
        the first edit of a kind would otherwise make, once)."""
        self.session.sweep()
        _collect()
        self.warm_up_session()

    def warm_up_session(self) -> None:
        """What the first missing handler file would make (SST102's tables): once the workspace is
        analysed, and again when the user pauses (the app's files may have changed)."""
        try:
            self.session.warm_up()
        except Exception:
            log.debug("warming up the session failed", exc_info=True)

    def warm_up(self) -> None:
        """The first message of a kind makes cattrs write and compile the code that reads it (~3 ms
        for a didChange), the first edit inside a string compiles the queries of one line: done
        before the first scan, not at the user's first keystroke."""
        whole, partial = {"text": ""}, {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": ""}
        params = {"textDocument": {"uri": "file:///", "version": 1}, "contentChanges": [partial, whole]}
        try:
            self.protocol.structure_message({"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_DID_CHANGE, "params": params})
        except Exception:  # only a head start: the real message is read the same way
            log.debug("warming up the didChange reader failed", exc_info=True)
        try:  # and the code that writes a diagnostic with a fix and related places (~0.3 ms)
            here = Path(os.path.abspath("sst.config.ts"))
            v = Violation("SST000", here, ZERO_RANGE, "", fix=Fix("", Safety.SAFE, (TextEdit(here, ZERO_RANGE, ""),)), related=[Related(here, ZERO_RANGE, "")])
            sample = types.PublishDiagnosticsParams(uri=here.as_uri(), diagnostics=[to_diagnostic(v)], version=1)
            self.protocol._serialize_message(types.PublishDiagnosticsNotification(method=types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, params=sample))
        except Exception:
            log.debug("warming up the diagnostics writer failed", exc_info=True)
        typescript.warm_up()

    # -- settings ----------------------------------------------------------------------------------
    def apply_editor_settings(self, raw) -> None:
        settings, problems = editor_settings(self.init_settings, raw)
        self.session.editor_settings = settings
        if settings.debounce_ms is not None:
            self.session.debounce_ms = settings.debounce_ms
        for p in problems:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"sst-lsp settings ({CONFIG_SECTION}): {p.message}"))

    async def fetch_editor_settings(self) -> None:
        caps = self.client_capabilities
        if not (caps.workspace and caps.workspace.configuration):
            self.apply_editor_settings(None)
            return
        try:
            root = self.session.workspace_root
            (raw,) = await self.workspace_configuration_async(types.ConfigurationParams([types.ConfigurationItem(scope_uri=root.as_uri() if root else None, section=CONFIG_SECTION)]))
        except Exception:
            log.exception("workspace/configuration failed")
            raw = None
        self.apply_editor_settings(raw)

    # -- start-up ------------------------------------------------------------------------------------
    def use_head_start(self) -> None:
        """Publish what the second process finds (``head_start``) from a thread, while this one
        runs the first scan: both cores work, and the first diagnostics come when the faster of
        the two is done. Used for every app whose open documents say what that process read,
        when the editor's settings are the ones it used; an app the scan has delivered first is
        left to the scan. Besides the files with problems, an app's TypeScript files are published
        (without problems: an empty list), as an editor often has them open before the server
        has read its ``didOpen``."""
        start, self.head_start = self.head_start, None
        if start is None or not start.running:
            return
        if self.pull:
            start.abandon()
            return
        docs = {p: (digest(d.text), d.version) for p, d in self.session.docs.items()}
        opened: dict = {}
        for path in docs:
            opened.setdefault(self.session.root_for(path), []).append(path)
        roots = set(self.session.find_roots())  # the apps the scan will deliver (and nothing else)
        settings, generation = self.session.editor_settings, self.session.disk.generation
        self.head_start_running = start
        threading.Thread(target=self._publish_head_start, args=(start, settings, docs, opened, roots, generation), name="sst-lsp head start", daemon=True).start()

    def _publish_head_start(self, start: HeadStart, settings, docs: dict, opened: dict, roots: set, generation: int) -> None:
        found = start.collect()  # (the read lets the scan run; the rest is short)
        if found is None:
            return
        used, apps, read = found
        if used != settings:
            log.info("head start: the editor's settings differ from initializationOptions; not used")
            return
        published = 0
        for root, by_path, sources in apps:
            mine = opened.get(root, [])
            if root not in roots or not all(read.get(p) == docs[p][0] for p in mine):
                continue  # an app the scan will not see; an unsaved edit, a file it did not read
            with self.delivery:
                if root in self.delivered or self.session.disk.generation != generation or self._stop_event is None or self._stop_event.is_set() or self.protocol._shutdown:
                    continue  # the scan came first, a file changed meanwhile, or the server is stopping
                if {p: d.version for p, d in list(self.session.docs.items())} != {p: v for p, (_, v) in docs.items()}:
                    break  # a document opened, closed or edited meanwhile: the scan reads it
                shown = {*by_path, *sources, *mine}  # (the TypeScript files too, problems or not: the editor has them open)
                for path in shown:
                    # no document version: the server's own analysis of an open document sends it
                    violations = by_path.get(path, [])
                    self.published[path] = (None, diagnostics.report_id(violations))
                    self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=path.as_uri(), diagnostics=[to_diagnostic(v) for v in violations]))
                    published += 1
                self.head_start_paths[root] = shown
        log.info("head start: published %d file(s)", published)

    async def register_watchers(self) -> None:
        caps = self.client_capabilities
        dyn = caps.workspace and caps.workspace.did_change_watched_files and caps.workspace.did_change_watched_files.dynamic_registration
        if not dyn:
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED])
        try:
            await self.client_register_capability_async(
                types.RegistrationParams([types.Registration(id=str(uuid.uuid4()), method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)])
            )
        except Exception:
            log.exception("could not register file watchers")

    async def scan_workspace(self) -> None:
        """Analyse every app in the workspace, reporting progress, so closed files get diagnostics too."""
        workspace_root = self.session.workspace_root
        if workspace_root is None:
            return
        roots = sorted(self.session.find_roots())
        token = None
        caps = self.client_capabilities
        if caps.window and caps.window.work_done_progress:
            token = str(uuid.uuid4())
            try:
                await self.work_done_progress.create_async(token)
                self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="sst-lsp", message=f"checking {len(roots)} SST app(s)", percentage=0, cancellable=False))
            except Exception:
                log.exception("progress could not be created")
                token = None
        for i, root in enumerate(roots, 1):
            self.session.roots.add(root)
            try:
                self.analyse(root)
            except Exception:
                log.exception("analysis of %s failed", root)
                with self.delivery:  # what the head start published for it is taken back
                    self.delivered.add(root)
                    for path in self.head_start_paths.pop(root, ()):
                        diagnostics.publish(self, path, [])
            if token is not None:
                self.work_done_progress.report(token, types.WorkDoneProgressReport(message=f"{i}/{len(roots)}: {os.path.relpath(root, workspace_root)}", percentage=int(100 * i / max(1, len(roots)))))
            await asyncio.sleep(0)  # let edits that arrived meanwhile through
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"checked {len(roots)} SST app(s)"))


IDLE_COLLECTION_S = 2.0  # a pause this long after an analysis runs the full garbage collection


def _collect() -> None:
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def settle_memory() -> None:
    """After start-up: what the first scan built (modules, rule tables, the workspace's models)
    is moved out of the collector's view, so a full collection no longer scans it.

    Before this, a full collection (triggered by an analysis that allocates a few hundred
    thousand objects) stopped the server for tenths of a second at random keystrokes. Raising
    the young-generation thresholds was tried and made it worse after pyproject.toml edits
    (fewer but much larger collections).

    Nothing is collected here (a full collection of a 500-project workspace's models takes tens
    of milliseconds, and a keystroke may already be waiting): the idle collection does it, once
    the user pauses (``when_idle``)."""
    gc.freeze()


def build_server() -> SstLanguageServer:
    server = SstLanguageServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SstLanguageServer, params: types.InitializeParams):
        folder = None
        if params.workspace_folders:
            folder = path_of(params.workspace_folders[0].uri)
        elif params.root_uri:
            folder = path_of(params.root_uri)
        elif params.root_path:
            folder = Path(params.root_path)
        ls.session.workspace_root = folder
        opts = params.initialization_options
        if isinstance(opts, dict):
            ls.init_settings = {k: v for k, v in opts.items()}
            if isinstance(opts.get("debounce-ms"), int) and not isinstance(opts.get("debounce-ms"), bool):
                ls.session.debounce_ms = max(0, opts["debounce-ms"])
        td = params.capabilities.text_document
        ls.pull = bool(td and td.diagnostic)
        ws = params.capabilities.workspace
        ls.can_refresh = bool(ws and ws.diagnostics and ws.diagnostics.refresh_support)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SstLanguageServer, params: types.InitializedParams):
        await ls.fetch_editor_settings()
        await ls.register_watchers()
        await asyncio.sleep(0)  # documents opened with the start-up are recorded first
        ls.use_head_start()
        ls.warm_up()
        await ls.scan_workspace()
        settle_memory()
        ls.warm_up_session()  # (after the first diagnostics: the user may type at once)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: SstLanguageServer, params: types.DidChangeConfigurationParams):
        await ls.fetch_editor_settings()
        ls.schedule_all()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SstLanguageServer, params: types.DidOpenTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is None:
            return
        doc = OpenDocument(path, params.text_document.text, params.text_document.version)
        doc.parse_full()
        ls.session.docs[path] = doc
        ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SstLanguageServer, params: types.DidChangeTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is None:
            return
        changes = []
        for change in params.content_changes:
            rng = getattr(change, "range", None)
            changes.append((from_lsp_range(rng) if rng is not None else None, change.text))
        doc = ls.session.docs.get(path)
        if doc is None:
            # a change to a document never opened: only a whole new text says what it holds
            whole = [i for i, (rng, _) in enumerate(changes) if rng is None]
            if not whole:
                log.warning("ignored an incremental change to %s, which was never opened", path)
                return
            doc = OpenDocument(path, changes[whole[-1]][1], None)
            changes = changes[whole[-1] + 1 :]
            ls.session.docs[path] = doc
        doc.apply_changes(changes, params.text_document.version)
        ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SstLanguageServer, params: types.DidSaveTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.session.forget(path, structural=True)  # a save may have created the file
            ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SstLanguageServer, params: types.DidCloseTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is None:
            return
        ls.session.docs.pop(path, None)
        ls.session.forget(path)  # from now on the disk's text counts
        ls.schedule(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: SstLanguageServer, params: types.DidChangeWatchedFilesParams):
        seen = set()
        for change in params.changes:
            path = path_of(change.uri)
            if path is None:
                continue
            ls.session.forget(path, structural=change.type != types.FileChangeType.Changed)
            if path in ls.session.docs:
                continue  # the editor's text wins over the disk for open documents
            root = ls.session.root_for(path)
            if path.name == CONFIG_NAME and change.type == types.FileChangeType.Deleted:
                root = path.parent
            key = root or path
            if key not in seen:
                seen.add(key)
                ls.schedule(path if root is None else root / CONFIG_NAME)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, code_actions.FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    def code_action(ls: SstLanguageServer, params: types.CodeActionParams):
        return code_actions.code_action(ls, params)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="sst-lsp", inter_file_dependencies=True, workspace_diagnostics=True),
    )
    def document_diagnostic(ls: SstLanguageServer, params: types.DocumentDiagnosticParams):
        return diagnostics.document_diagnostic(ls, params)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    def workspace_diagnostic(ls: SstLanguageServer, params: types.WorkspaceDiagnosticParams):
        return diagnostics.workspace_diagnostic(ls, params)

    navigation.register(server)  # hover, definition, document links and completion on handler strings
    return server
