"""Python files of handler projects through the protocol: diagnostics on them, re-checks, hover on imports."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from helpers import FIXTURES
from lsp_helpers import change_document, codes, open_document, server_config, start_in, wait_for_diagnostics


def _workspace() -> Path:
    ws = Path(tempfile.mkdtemp(prefix="sst-lsp-py-"))
    shutil.copytree(FIXTURES / "SST213" / "undeclared", ws / "undeclared")
    shutil.copytree(FIXTURES / "SST112" / "one-parameter", ws / "one-parameter")
    return ws


@pytest_lsp.fixture(
    config=server_config(),
)
async def client(lsp_client: LanguageClient):
    ws = _workspace()
    await start_in(lsp_client, ws)
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(ws, ignore_errors=True)


async def test_undeclared_import_is_published_on_the_python_file_and_follows_edits(client: LanguageClient):
    helpers = client.ws / "undeclared" / "functions" / "src" / "functions" / "helpers.py"
    uri, text = open_document(client, helpers, "python")
    diags = await wait_for_diagnostics(client, uri, lambda d: "SST213" in codes(d), version=1)
    (d,) = [d for d in diags if d.code == "SST213"]
    assert d.source == "sst-lsp"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.range.start == types.Position(0, 0) and d.range.end == types.Position(0, len("import jwt"))
    assert "No module named 'jwt'" in d.message
    related = {Path(r.location.uri.removeprefix("file://")).name for r in d.related_information}
    assert {"sst.config.ts", "pyproject.toml"} <= related
    assert d.data["fix"]["safety"] == "unsafe" and '"pyjwt"' in d.data["fix"]["title"]
    # the import goes inside a function: a warning now
    change_document(client, uri, 2, text.replace("import jwt\n", "") .replace("def render(subject: str) -> str:\n", "def render(subject: str) -> str:\n    import jwt\n"))
    diags = await wait_for_diagnostics(client, uri, lambda d: [x.severity for x in d if x.code == "SST213"] == [types.DiagnosticSeverity.Warning], version=2)
    assert "inside a function" in diags[0].message
    # and gone when the module no longer imports it
    change_document(client, uri, 3, "def render(subject: str) -> str:\n    return subject\n")
    await wait_for_diagnostics(client, uri, lambda d: "SST213" not in codes(d), version=3)


async def test_signature_fix_round_trip_on_the_python_file(client: LanguageClient):
    api = client.ws / "one-parameter" / "functions" / "src" / "functions" / "api.py"
    uri, text = open_document(client, api, "python")
    diags = await wait_for_diagnostics(client, uri, lambda d: "SST112" in codes(d), version=1)
    (d,) = [d for d in diags if d.code == "SST112"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), d.range, types.CodeActionContext(diagnostics=[d]))
    )
    (fix,) = [a for a in actions if isinstance(a, types.CodeAction) and a.edit is not None and "context" in a.title]
    (edit,) = fix.edit.changes[uri] if fix.edit.changes else fix.edit.document_changes[0].edits
    assert edit.new_text == ", context"
    from sst_lsp.engine.positions import Position, Range, apply_text_edits

    fixed = apply_text_edits(text, [(Range(Position(edit.range.start.line, edit.range.start.character), Position(edit.range.end.line, edit.range.end.character)), edit.new_text)])
    assert "def handler(event, context):" in fixed
    change_document(client, uri, 2, fixed)
    await wait_for_diagnostics(client, uri, lambda d: "SST112" not in codes(d), version=2)


async def test_hover_on_handler_lists_imports_and_their_sources(client: LanguageClient):
    config = client.ws / "undeclared" / "sst.config.ts"
    uri, text = open_document(client, config, "typescript")
    await wait_for_diagnostics(client, uri, lambda d: True, version=1)
    line = next(i for i, ln in enumerate(text.splitlines()) if "api.handler" in ln)
    col = text.splitlines()[line].index("api.handler") + 2
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, col)))
    md = hover.contents.value
    assert "**Imports**" in md
    assert "`jwt` — ⚠ nothing in the artifact provides it" in md
    assert "standard-library module" in md
