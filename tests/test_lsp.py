"""End to end through the protocol: the real server as a subprocess, driven by pytest-lsp."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from helpers import FIXTURES
from lsp_helpers import apply_workspace_edit, codes, open_document, server_config, start_in, wait_for_diagnostics


def _workspace() -> Path:
    ws = Path(tempfile.mkdtemp(prefix="sst-lsp-e2e-"))
    for code, case in [("SST202", "not-member"), ("SST203", "no-build-system")]:
        shutil.copytree(FIXTURES / code / case, ws / f"{code}-{case}")
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


async def _fix_round_trip(client: LanguageClient, path: Path, language: str, code: str) -> None:
    uri, text = open_document(client, path, language)
    diags = await wait_for_diagnostics(client, uri, lambda d: code in codes(d), version=1)
    diag = next(d for d in diags if d.code == code)
    assert diag.source == "sst-lsp"
    assert diag.code_description is not None and diag.code_description.href.endswith(f"{code}.md")
    assert diag.related_information, "a two-file diagnostic points at the other file"
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), diag.range, types.CodeActionContext(diagnostics=[diag]))
    )
    assert actions, "a quick fix is offered"
    action = actions[0]
    assert action.is_preferred, "safe fixes are preferred"
    new_text = apply_workspace_edit({uri: text}, action.edit)[uri]
    # the edit only adds text: taking out what it inserted gives back exactly what the user wrote
    prefix = _common_prefix(text, new_text)
    inserted = len(new_text) - len(text)
    assert inserted > 0
    assert new_text[:prefix] + new_text[prefix + inserted :] == text
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text=new_text)],
        )
    )
    diags = await wait_for_diagnostics(client, uri, lambda d: True, version=2)
    assert code not in codes(diags)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


async def test_sst202_diagnostic_and_fix(client: LanguageClient):
    await _fix_round_trip(client, client.ws / "SST202-not-member" / "pyproject.toml", "toml", "SST202")


async def test_sst203_diagnostic_and_fix(client: LanguageClient):
    await _fix_round_trip(client, client.ws / "SST203-no-build-system" / "functions" / "pyproject.toml", "toml", "SST203")


async def test_pyproject_edit_republishes_typescript(client: LanguageClient):
    """Cross-file: a handler's runtime problem on the TS side follows the Python side."""
    app = client.ws / "SST202-not-member"
    config_uri, config_text = open_document(client, app / "sst.config.ts", "typescript")
    await wait_for_diagnostics(client, config_uri, lambda d: codes(d) == [], version=1)
    # remove the function's file from the Python side: the TS handler must now be flagged
    api = app / "functions" / "src" / "functions" / "api.py"
    py_uri, py_text = open_document(client, api, "python")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=py_uri, version=2),
            [types.TextDocumentContentChangeWholeDocument(text="def other(event, context):\n    return 1\n")],
        )
    )
    diags = await wait_for_diagnostics(client, config_uri, lambda d: "SST103" in codes(d))
    assert any("no top-level \"handler\"" in d.message for d in diags)


async def test_broken_toml_reports_only_sst001(client: LanguageClient):
    path = client.ws / "SST203-no-build-system" / "functions" / "pyproject.toml"
    uri, text = open_document(client, path, "toml")
    await wait_for_diagnostics(client, uri, lambda d: "SST203" in codes(d), version=1)
    broken = text.replace('name = "functions"', 'name = "functions')
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=2), [types.TextDocumentContentChangeWholeDocument(text=broken)])
    )
    diags = await wait_for_diagnostics(client, uri, lambda d: True, version=2)
    assert codes(diags) == ["SST001"]
    line = broken.splitlines().index('name = "functions')
    assert diags[0].range.start.line == line


async def test_incremental_edits_keep_positions(client: LanguageClient):
    """Incremental changes (with an emoji before the handler) keep the handler range exact."""
    app = client.ws / "SST202-not-member"
    uri, text = open_document(client, app / "sst.config.ts", "typescript")
    await wait_for_diagnostics(client, uri, lambda d: True, version=1)
    lines = text.splitlines(keepends=True)
    hline = next(i for i, l in enumerate(lines) if "handler:" in l)
    assert lines[hline].isascii()  # columns below are then UTF-16 columns too
    indent = len(lines[hline]) - len(lines[hline].lstrip())
    # an emoji comment typed at the start of the handler's line: 🐍 is two UTF-16 code units
    emoji = "/* 🐍 */ "
    shift = len(emoji.encode("utf-16-le")) // 2
    assert shift == len(emoji) + 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangePartial(range=types.Range(types.Position(hline, indent), types.Position(hline, indent)), text=emoji)],
        )
    )
    col = lines[hline].index("api.handler") + shift
    # then a typo in the file name, after the emoji: api → apix, the file no longer exists
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            [types.TextDocumentContentChangePartial(range=types.Range(types.Position(hline, col + 3), types.Position(hline, col + 3)), text="x")],
        )
    )
    diags = await wait_for_diagnostics(client, uri, lambda d: True, version=3)
    assert "SST102" in codes(diags)
    d = next(d for d in diags if d.code == "SST102")
    assert d.range.start.line == hline
    # the handler range covers the path part, counted in UTF-16 after the emoji
    start = lines[hline].index('"functions/') + 1 + shift
    assert d.range.start.character == start
    assert d.range.end.character == start + len("functions/src/functions/apix")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=4),
            [types.TextDocumentContentChangePartial(range=types.Range(types.Position(hline, col + 3), types.Position(hline, col + 4)), text="")],
        )
    )
    diags = await wait_for_diagnostics(client, uri, lambda d: True, version=4)
    assert "SST102" not in codes(diags)


async def test_change_to_a_document_never_opened(client: LanguageClient):
    """A whole new text for a document the client never opened is analysed; an incremental
    change to one says nothing of the rest of its text, so it is ignored and the server goes on."""
    path = client.ws / "SST202-not-member" / "pyproject.toml"
    uri = path.as_uri()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=5), [types.TextDocumentContentChangeWholeDocument(text=path.read_text())])
    )
    diags = await wait_for_diagnostics(client, uri, lambda d: "SST202" in codes(d), version=5)
    line = next(d.range.start.line for d in diags if d.code == "SST202")
    other = (client.ws / "SST203-no-build-system" / "functions" / "pyproject.toml").as_uri()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=other, version=2),
            [types.TextDocumentContentChangePartial(range=types.Range(types.Position(0, 0), types.Position(0, 0)), text="# x\n")],
        )
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=6),
            [types.TextDocumentContentChangePartial(range=types.Range(types.Position(0, 0), types.Position(0, 0)), text="# a comment\n")],
        )
    )
    diags = await wait_for_diagnostics(client, uri, lambda d: True, version=6)
    assert [d.range.start.line for d in diags if d.code == "SST202"] == [line + 1]  # below the new first line


async def test_fix_that_creates_a_file_uses_document_changes(client: LanguageClient):
    """SST201's fix creates the root pyproject.toml: a CreateFile, then its content."""
    app = client.ws / "SST201-no-root"
    shutil.copytree(FIXTURES / "SST201" / "no-root-pyproject", app)
    uri, text = open_document(client, app / "sst.config.ts", "typescript")
    diags = await wait_for_diagnostics(client, uri, lambda d: "SST201" in codes(d), version=1)
    diag = next(d for d in diags if d.code == "SST201")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), diag.range, types.CodeActionContext(diagnostics=[diag]))
    )
    action = next(a for a in actions if a.is_preferred)
    create, fill = action.edit.document_changes
    target = (app / "pyproject.toml").as_uri()
    assert isinstance(create, types.CreateFile) and create.uri == target and not create.options.overwrite
    assert fill.text_document.uri == target
    content = fill.edits[0].new_text
    assert "[tool.uv.workspace]" in content
    (app / "pyproject.toml").write_text(content)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(target, types.FileChangeType.Created)]))
    await wait_for_diagnostics(client, uri, lambda d: "SST201" not in codes(d))
