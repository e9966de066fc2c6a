"""The language server: pygls wiring only. Documents → engine → diagnostics and code actions.

Diagnostics are pushed (``textDocument/publishDiagnostics``) unless the client can pull them
(``textDocument/diagnostic`` / ``workspace/diagnostic``); then they are served with result ids
so that unchanged reports cost nothing, and ``workspace/diagnostic/refresh`` is sent when a change
elsewhere (a ``pyproject.toml``, a Python file) alters them.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import os
import uuid
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from . import __version__
from .engine.analysis import analyse_project
from .engine.documents import OpenDocument
from .engine.files import DiskCache, FileSystem
from .engine.model import Severity, Violation
from .engine.project import CONFIG_NAME, Project, find_project_roots, find_root_for
from .engine.settings import Settings, parse_settings
from .engine.toml_doc import TomlDocument
from .features import code_actions
from .features.convert import from_lsp_range, to_diagnostic

log = logging.getLogger("sst_lsp.server")

# The engine speaks UTF-16 positions (the LSP default); never negotiate another encoding.
ServerCapabilitiesBuilder.choose_position_encoding = classmethod(lambda cls, caps: types.PositionEncodingKind.Utf16)

DEFAULT_DEBOUNCE_MS = 30
CONFIG_SECTION = "sstLsp"
EDITOR_ONLY_KEYS = ("server", "interpreter", "trace", "path", "command")
WATCHED = (
    "**/sst.config.ts",
    "**/infra/**/*.ts",
    "**/*.py",
    "**/pyproject.toml",
    "**/.python-version",
    "**/requirements.txt",
    "**/package.json",
    "**/uv.lock",
    "**/.sst/pulumi/**/eventlog.json",
)


def path_of(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(os.path.abspath(unquote(parsed.path)))


class SstProtocol(LanguageServerProtocol):
    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        """pygls keeps its own copy of each document, split into lines like ``str.splitlines`` (also at
        ``\\x85``, ``\\u2028`` …, which are not line breaks in the LSP), and clamps a position past the end of
        such a line *in place*: the handler gets the changes exactly as the client sent them."""
        pristine = copy.deepcopy(params)
        try:
            for change in params.content_changes:
                self.workspace.update_text_document(params.text_document, change)
        except Exception:  # pygls' copy is only a fallback: the server applies the changes itself
            log.debug("pygls could not apply a change to %s", params.text_document.uri, exc_info=True)
        if (user_handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (pristine,), None


class SstLanguageServer(LanguageServer):
    def __init__(self):
        super().__init__("sst-lsp", __version__, protocol_cls=SstProtocol)
        self.docs: dict[Path, OpenDocument] = {}
        self.disk = DiskCache()  # what the disk said, until a file event says otherwise
        self.last_projects: dict[Path, tuple] = {}  # app root -> (inputs other than TypeScript, Project)
        self.workspace_root: Path | None = None
        self.roots: set[Path] = set()
        self.results: dict[Path, dict[Path, list[Violation]]] = {}  # app root -> path -> violations
        self.root_debounce: dict[Path, int] = {}
        self.tasks: dict[Path, asyncio.Task] = {}
        self.dirty: set[Path] = set()
        self.debounce_ms = DEFAULT_DEBOUNCE_MS
        self.editor_settings = Settings()
        self.init_settings: dict = {}
        self.failed_rules_logged: set[str] = set()
        self.pull = False
        self.can_refresh = False
        self.roots_found = False

    # -- where things belong --------------------------------------------------------------------
    def root_for(self, path: Path) -> Path | None:
        root = find_root_for(path, self.workspace_root)
        if root is not None:
            self.roots.add(root)
        return root

    def find_roots(self) -> set[Path]:
        """Every app in the workspace (walked once; later changes arrive as file events)."""
        if not self.roots_found and self.workspace_root is not None:
            self.roots |= set(find_project_roots(self.workspace_root))
            self.roots_found = True
        return self.roots

    def debounce_for(self, root: Path) -> int:
        return self.root_debounce.get(root, self.debounce_ms)

    # -- scheduling ---------------------------------------------------------------------------------
    def schedule(self, path: Path) -> None:
        root = self.root_for(path)
        if root is None:
            self.publish_standalone(path)
            return
        self.dirty.add(root)
        old = self.tasks.get(root)
        if old is not None and not old.done():
            old.cancel()  # a newer change supersedes the pending run
        self.tasks[root] = asyncio.get_running_loop().create_task(self._debounced(root))

    def schedule_all(self) -> None:
        for root in set(self.roots) | set(self.results):
            self.schedule(root / CONFIG_NAME)

    async def _debounced(self, root: Path) -> None:
        try:
            delay = self.debounce_for(root)
            if delay > 0:
                await asyncio.sleep(delay / 1000)
            self.analyse(root)
        except asyncio.CancelledError:
            pass
        except Exception:  # the server stays up whatever the analysis does
            log.exception("analysis of %s failed", root)

    def ensure_fresh(self, root: Path) -> None:
        """Pull requests want current results: run a pending analysis now."""
        if root in self.dirty or root not in self.results:
            task = self.tasks.get(root)
            if task is not None and not task.done():
                task.cancel()
            self.analyse(root)

    # -- analysis -----------------------------------------------------------------------------------
    def make_project(self, root: Path) -> Project:
        fs = FileSystem.cached(self.disk, self.workspace_root or root, overlays={p: d.text for p, d in self.docs.items()})
        trees = {p: d.tree for p, d in self.docs.items() if d.tree is not None}
        # the project's own [tool.sst-lsp] sst-version wins over the editor's
        editor_version = self.editor_settings.sst_version
        override = editor_version if editor_version and not self._file_sets_version(root, fs) else None
        others = {p: d.text for p, d in self.docs.items() if not d.is_typescript}
        state = (self.disk.generation, override, others)
        previous = self.last_projects.get(root)
        if previous is not None and previous[0] == state:
            project = previous[1].successor(fs, trees)  # only TypeScript changed since
        else:
            project = Project(root, root / CONFIG_NAME, fs, ts_trees=trees, era_override=override, era_override_source="the editor setting sstVersion")
        self.last_projects[root] = (state, project)
        return project

    @staticmethod
    def _file_sets_version(root: Path, fs: FileSystem) -> bool:
        text = fs.read_text(root / "pyproject.toml")
        if not text:
            return False
        doc = TomlDocument.parse(text)
        return isinstance(doc.get("tool", "sst-lsp", "sst-version"), str)

    def analyse(self, root: Path) -> None:
        self.dirty.discard(root)
        if not (root / CONFIG_NAME).is_file() and (root / CONFIG_NAME) not in self.docs:
            # the app went away: clear what it reported
            for path in self.results.pop(root, {}):
                self.publish(path, [])
            self.roots.discard(root)
            return
        project = self.make_project(root)
        result = analyse_project(project, editor=self.editor_settings)
        if result.settings.debounce_ms is not None:
            self.root_debounce[root] = result.settings.debounce_ms
        for code, err in result.failures:
            if code not in self.failed_rules_logged:
                self.failed_rules_logged.add(code)
                self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"sst-lsp: rule {code} failed and was skipped: {err}"))
        by_path: dict[Path, list[Violation]] = {}
        for v in result.violations:
            by_path.setdefault(v.path, []).append(v)
        previous = self.results.get(root, {})
        self.results[root] = by_path
        if self.pull:
            if self.can_refresh and self._changed(previous, by_path):
                self.workspace_diagnostic_refresh(None)
            return
        for path in set(previous) | set(by_path) | {p for p in self.docs if self.root_for(p) == root}:
            self.publish(path, by_path.get(path, []))

    @staticmethod
    def _changed(old: dict, new: dict) -> bool:
        def key(d):
            return {p: sorted((v.code, v.range.start, v.message) for v in vs) for p, vs in d.items() if vs}

        return key(old) != key(new)

    def violations_for(self, path: Path) -> list[Violation]:
        root = self.root_for(path)
        if root is None:
            return []
        return self.results.get(root, {}).get(path, [])

    def publish(self, path: Path, violations: list[Violation]) -> None:
        doc = self.docs.get(path)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=path.as_uri(), diagnostics=[to_diagnostic(v) for v in violations], version=doc.version if doc else None)
        )

    def publish_standalone(self, path: Path) -> None:
        """A pyproject.toml outside every SST app: only its syntax is checked."""
        if path.name != "pyproject.toml" or self.pull:
            return
        doc = self.docs.get(path)
        violations = []
        if doc is not None:
            parsed = TomlDocument.parse(doc.text)
            if parsed.error:
                violations.append(Violation("SST001", path, parsed.error_range, f"pyproject.toml is not valid TOML: {parsed.error}."))
        for v in violations:
            v.severity = Severity.ERROR
        self.publish(path, violations)

    def text_of(self, path: Path) -> str | None:
        doc = self.docs.get(path)
        if doc is not None:
            return doc.text
        return FileSystem(workspace=self.workspace_root).read_text(path)

    # -- settings ----------------------------------------------------------------------------------
    def apply_editor_settings(self, raw) -> None:
        from .rules.registry import load_all

        merged = dict(self.init_settings)
        if isinstance(raw, dict):
            merged.update(raw)
        # keys that only the editor client uses, and an empty select list (an editor's default)
        for key in EDITOR_ONLY_KEYS:
            merged.pop(key, None)
        if merged.get("select") == []:
            merged.pop("select")
        settings, problems = parse_settings(merged, load_all())
        self.editor_settings = settings
        if settings.debounce_ms is not None:
            self.debounce_ms = settings.debounce_ms
        for p in problems:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"sst-lsp settings ({CONFIG_SECTION}): {p.message}"))

    async def fetch_editor_settings(self) -> None:
        caps = self.client_capabilities
        if not (caps.workspace and caps.workspace.configuration):
            self.apply_editor_settings(None)
            return
        try:
            scope = self.workspace_root.as_uri() if self.workspace_root else None
            (raw,) = await self.workspace_configuration_async(types.ConfigurationParams([types.ConfigurationItem(scope_uri=scope, section=CONFIG_SECTION)]))
        except Exception:
            log.exception("workspace/configuration failed")
            raw = None
        self.apply_editor_settings(raw)

    # -- start-up ------------------------------------------------------------------------------------
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
        if self.workspace_root is None:
            return
        roots = sorted(self.find_roots())
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
            self.roots.add(root)
            try:
                self.analyse(root)
            except Exception:
                log.exception("analysis of %s failed", root)
            if token is not None:
                self.work_done_progress.report(token, types.WorkDoneProgressReport(message=f"{i}/{len(roots)}: {os.path.relpath(root, self.workspace_root)}", percentage=int(100 * i / max(1, len(roots)))))
            await asyncio.sleep(0)  # let edits that arrived meanwhile through
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"checked {len(roots)} SST app(s)"))

    # -- pull diagnostics -----------------------------------------------------------------------------
    def report_id(self, path: Path, violations: list[Violation]) -> str:
        payload = json.dumps([[v.code, v.range.to_json(), v.message, v.severity.value if v.severity else ""] for v in violations], sort_keys=True)
        return hashlib.sha1(payload.encode()).hexdigest()[:16]


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
        if isinstance(opts, dict):
            ls.init_settings = {k: v for k, v in opts.items()}
            if isinstance(opts.get("debounce-ms"), int) and not isinstance(opts.get("debounce-ms"), bool):
                ls.debounce_ms = max(0, opts["debounce-ms"])
        td = params.capabilities.text_document
        ls.pull = bool(td and td.diagnostic)
        ws = params.capabilities.workspace
        ls.can_refresh = bool(ws and ws.diagnostics and ws.diagnostics.refresh_support)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SstLanguageServer, params: types.InitializedParams):
        await ls.fetch_editor_settings()
        await ls.register_watchers()
        await ls.scan_workspace()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: SstLanguageServer, params: types.DidChangeConfigurationParams):
        await ls.fetch_editor_settings()
        ls.schedule_all()

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
            ls.disk.forget(path, structural=True)  # a save may have created the file
            ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: SstLanguageServer, params: types.DidCloseTextDocumentParams):
        path = path_of(params.text_document.uri)
        if path is None:
            return
        ls.docs.pop(path, None)
        ls.disk.forget(path)  # from now on the disk's text counts
        ls.schedule(path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched(ls: SstLanguageServer, params: types.DidChangeWatchedFilesParams):
        seen = set()
        for change in params.changes:
            path = path_of(change.uri)
            if path is None:
                continue
            ls.disk.forget(path, structural=change.type != types.FileChangeType.Changed)
            if path in ls.docs:
                continue  # the editor's text wins over the disk for open documents
            root = ls.root_for(path)
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
        path = path_of(params.text_document.uri)
        if path is None:
            return None
        actions = code_actions.quick_fixes(params)
        actions += code_actions.suppress_actions(params, path, ls.text_of(path))
        actions += code_actions.fix_all(params, ls.violations_for(path))
        return actions or None

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="sst-lsp", inter_file_dependencies=True, workspace_diagnostics=True),
    )
    def document_diagnostic(ls: SstLanguageServer, params: types.DocumentDiagnosticParams):
        path = path_of(params.text_document.uri)
        violations: list[Violation] = []
        if path is not None and (root := ls.root_for(path)) is not None:
            ls.ensure_fresh(root)
            violations = ls.results.get(root, {}).get(path, [])
        rid = ls.report_id(path, violations) if path else "none"
        if params.previous_result_id == rid:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
        return types.RelatedFullDocumentDiagnosticReport(items=[to_diagnostic(v) for v in violations], result_id=rid)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    def workspace_diagnostic(ls: SstLanguageServer, params: types.WorkspaceDiagnosticParams):
        previous = {p.uri: p.value for p in params.previous_result_ids or []}
        items = []
        for root in sorted(ls.find_roots() | set(ls.results)):
            ls.ensure_fresh(root)
            reported = ls.results.get(root, {})
            for path in sorted(set(reported) | {path_of(u) for u in previous if path_of(u) and find_root_for(path_of(u), ls.workspace_root) == root}):
                violations = reported.get(path, [])
                uri = path.as_uri()
                rid = ls.report_id(path, violations)
                doc = ls.docs.get(path)
                version = doc.version if doc else None
                if previous.get(uri) == rid:
                    items.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=rid))
                else:
                    items.append(types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=version, items=[to_diagnostic(v) for v in violations], result_id=rid))
        return types.WorkspaceDiagnosticReport(items=items)

    from .features import navigation

    navigation.register(server)  # hover, definition, document links and completion on handler strings
    return server
