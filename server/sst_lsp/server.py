"""The language server: pygls wiring only. Documents → engine → diagnostics and code actions."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.lsp.server import LanguageServer

from . import __version__
from .engine.analysis import analyse_project
from .engine.documents import OpenDocument
from .engine.files import FileSystem
from .engine.project import CONFIG_NAME, Project, find_root_for
from .engine.toml_doc import TomlDocument
from .features.code_actions import quick_fixes
from .features.convert import from_lsp_range, to_diagnostic, to_lsp_range

log = logging.getLogger("sst_lsp.server")

# The engine speaks UTF-16 positions (the LSP default); never negotiate another encoding.
ServerCapabilitiesBuilder.choose_position_encoding = classmethod(lambda cls, caps: types.PositionEncodingKind.Utf16)

DEFAULT_DEBOUNCE_MS = 30


def path_of(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(os.path.abspath(unquote(parsed.path)))


class SstLanguageServer(LanguageServer):
    def __init__(self):
        super().__init__("sst-lsp", __version__)
        self.docs: dict[Path, OpenDocument] = {}
        self.workspace_root: Path | None = None
        self.published: dict[Path, set[Path]] = {}  # app root -> files it published diagnostics for
        self.tasks: dict[Path, asyncio.Task] = {}
        self.debounce_ms = DEFAULT_DEBOUNCE_MS
        self.failed_rules_logged: set[str] = set()

    # -- scheduling -------------------------------------------------------------------------
    def root_for(self, path: Path) -> Path | None:
        return find_root_for(path, self.workspace_root)

    def schedule(self, path: Path) -> None:
        root = self.root_for(path)
        if root is None:
            self.publish_standalone(path)
            return
        old = self.tasks.get(root)
        if old is not None and not old.done():
            old.cancel()
        self.tasks[root] = asyncio.get_running_loop().create_task(self._debounced(root))

    def schedule_all(self) -> None:
        roots = set(self.published) | {r for p in self.docs if (r := self.root_for(p)) is not None}
        for root in roots:
            self.schedule(root / CONFIG_NAME)

    async def _debounced(self, root: Path) -> None:
        try:
            if self.debounce_ms > 0:
                await asyncio.sleep(self.debounce_ms / 1000)
            self.analyse(root)
        except asyncio.CancelledError:
            pass
        except Exception:  # the server stays up whatever the analysis does
            log.exception("analysis of %s failed", root)

    # -- analysis -----------------------------------------------------------------------------
    def analyse(self, root: Path) -> None:
        fs = FileSystem(workspace=self.workspace_root or root, overlays={p: d.text for p, d in self.docs.items()})
        trees = {p: d.tree for p, d in self.docs.items() if d.tree is not None}
        project = Project(root, root / CONFIG_NAME, fs, ts_trees=trees)
        result = analyse_project(project)
        for code, err in result.failures:
            if code not in self.failed_rules_logged:
                self.failed_rules_logged.add(code)
                self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"sst-lsp: rule {code} failed and was skipped: {err}"))
        by_path: dict[Path, list] = {}
        for v in result.violations:
            by_path.setdefault(v.path, []).append(to_diagnostic(v))
        previous = self.published.get(root, set())
        for path in previous | set(by_path) | {p for p in self.docs if self.root_for(p) == root}:
            self.publish(path, by_path.get(path, []))
        self.published[root] = set(by_path)

    def publish(self, path: Path, diagnostics: list) -> None:
        doc = self.docs.get(path)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=path.as_uri(), diagnostics=diagnostics, version=doc.version if doc else None)
        )

    def publish_standalone(self, path: Path) -> None:
        """A pyproject.toml outside every SST app: only its syntax is checked."""
        if path.name != "pyproject.toml":
            return
        doc = self.docs.get(path)
        diagnostics = []
        if doc is not None:
            parsed = TomlDocument.parse(doc.text)
            if parsed.error:
                from .engine.model import Violation

                diagnostics.append(to_diagnostic(Violation("SST001", path, parsed.error_range, f"pyproject.toml is not valid TOML: {parsed.error}.")))
        self.publish(path, diagnostics)


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
        ls.workspace_root = folder
        opts = params.initialization_options
        if isinstance(opts, dict) and isinstance(opts.get("debounce-ms"), (int, float)):
            ls.debounce_ms = max(0, int(opts["debounce-ms"]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: SstLanguageServer, params: types.DidOpenTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is None:
            return
        doc = OpenDocument(path, params.text_document.text, params.text_document.version)
        doc.parse_full()
        ls.docs[path] = doc
        ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: SstLanguageServer, params: types.DidChangeTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is None:
            return
        doc = ls.docs.get(path)
        if doc is None:
            doc = OpenDocument(path, ls.workspace.get_text_document(params.text_document.uri).source, None)
            ls.docs[path] = doc
        changes = []
        for change in params.content_changes:
            rng = getattr(change, "range", None)
            changes.append((from_lsp_range(rng) if rng is not None else None, change.text))
        try:
            doc.apply_changes(changes, params.text_document.version)
        except Exception:
            log.exception("incremental update of %s failed; reparsing", path)
            doc.text = ls.workspace.get_text_document(params.text_document.uri).source
            doc.version = params.text_document.version
            doc.parse_full()
        ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: SstLanguageServer, params: types.DidSaveTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: SstLanguageServer, params: types.DidCloseTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is None:
            return
        ls.docs.pop(path, None)
        ls.schedule(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched(ls: SstLanguageServer, params: types.DidChangeWatchedFilesParams):
        for change in params.changes:
            path = path_of(change.uri)
            if path is not None:
                ls.schedule(path)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=False),
    )
    def code_action(ls: SstLanguageServer, params: types.CodeActionParams):
        return quick_fixes(params) or None

    return server
