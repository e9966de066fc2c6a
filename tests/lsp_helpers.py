"""Helpers for protocol-level tests: wait for diagnostics (never sleep), apply edits."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from sst_lsp.engine.positions import Position, Range, apply_text_edits

TIMEOUT = 30.0


async def wait_for_diagnostics(client, uri: str, predicate=lambda diags: True, version: int | None = None, timeout: float = TIMEOUT):
    """Wait until the latest diagnostics published for ``uri`` satisfy ``predicate``."""

    async def _wait():
        while True:
            diags = client.diagnostics.get(uri)
            if diags is not None and predicate(diags) and (version is None or client.diagnostic_versions.get(uri) == version):
                return diags
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(_wait(), timeout)


def _publish(ls, params: types.PublishDiagnosticsParams):
    client = ls
    client.diagnostics[params.uri] = params.diagnostics
    client.diagnostic_versions[params.uri] = params.version
    client.publish_count = getattr(client, "publish_count", 0) + 1
    client.publish_counts[params.uri] = client.publish_counts.get(params.uri, 0) + 1


def _register(ls, params: types.RegistrationParams):
    ls.registrations = [*getattr(ls, "registrations", []), *params.registrations]


def push_capabilities(client_name: str = "visual-studio-code") -> types.ClientCapabilities:
    """A real client's capabilities without pull diagnostics, so the server pushes."""
    from pytest_lsp import client_capabilities

    caps = client_capabilities(client_name)
    if caps.text_document is not None:
        caps.text_document.diagnostic = None
    return caps


def _refresh(ls, params):
    ls.diagnostic_refresh_count += 1
    ls.refreshed.set()


def _progress(ls, params: types.ProgressParams):
    value = params.value
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    ls.progress_reports.setdefault(params.token, []).append(kind)
    ls.progress_seen.set()


async def wait_until(client, event_name: str, condition, timeout: float = TIMEOUT):
    """Wait (on an event the client's handlers set, never a sleep) until ``condition()`` holds."""

    async def _wait():
        event = getattr(client, event_name)
        while not condition():
            event.clear()
            await event.wait()

    await asyncio.wait_for(_wait(), timeout)


def pull_capabilities(client_name: str = "visual-studio-code") -> types.ClientCapabilities:
    """A real client's capabilities with pull diagnostics (and refresh) turned on."""
    from pytest_lsp import client_capabilities

    caps = client_capabilities(client_name)
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities(related_document_support=True)
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


async def start_in(client, ws, capabilities: types.ClientCapabilities | None = None) -> None:
    """Initialize ``client``'s server on the workspace folder ``ws`` (no debounce, so tests wait on results only)."""
    client.ws = ws
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or push_capabilities(),
            root_uri=ws.as_uri(),
            workspace_folders=[types.WorkspaceFolder(ws.as_uri(), "ws")],
            initialization_options={"debounce-ms": 0},
        )
    )


def make_client():
    """pytest-lsp's test client, also recording the version of every publishDiagnostics."""
    from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, LanguageClient, register_lsp_features
    from pygls.protocol import default_converter

    client = LanguageClient(converter_factory=default_converter)
    client.diagnostic_versions = {}
    client.publish_counts = {}
    client.refreshed = asyncio.Event()
    client.progress_seen = asyncio.Event()
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.WORKSPACE_DIAGNOSTIC_REFRESH] = _refresh
    features[types.PROGRESS] = _progress
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish
    features[types.CLIENT_REGISTER_CAPABILITY] = _register
    register_lsp_features(client, features)
    return client


def codes(diags) -> list[str]:
    return sorted(str(d.code) for d in diags)


def apply_workspace_edit(texts: dict[str, str], edit: types.WorkspaceEdit) -> dict[str, str]:
    out = dict(texts)
    for uri, edits in (edit.changes or {}).items():
        out[uri] = apply_text_edits(
            out[uri],
            [(Range(Position(e.range.start.line, e.range.start.character), Position(e.range.end.line, e.range.end.character)), e.new_text) for e in edits],
        )
    return out


def change_document(client, uri: str, version: int, text: str) -> None:
    """Send didChange replacing the whole document with ``text`` at ``version``."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [types.TextDocumentContentChangeWholeDocument(text=text)])
    )


def server_config():
    """pytest-lsp's configuration for `sst-lsp serve` from this checkout, with the recording client."""
    import sys

    from pytest_lsp import ClientServerConfig

    from conftest import server_env

    return ClientServerConfig(server_command=[sys.executable, "-m", "sst_lsp", "serve"], server_env=server_env(), client_factory=make_client)


def open_document(client, path, language: str) -> tuple[str, str]:
    """Send didOpen for ``path`` with its text on disk (version 1); return (uri, text)."""
    text = path.read_text(encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, language, 1, text)))
    return uri, text
