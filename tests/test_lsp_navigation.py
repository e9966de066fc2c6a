"""Handler strings through the protocol: hover, definition, document links, completion."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from conftest import server_env
from lsp_helpers import make_client, start_in
from sst_lsp.engine.positions import LineIndex

API_PY = '''def helper():
    return 1


def handler(event, context) -> dict:
    """Answer the API request."""
    return {"statusCode": 200}
'''

CONFIG = """export default $config({
  async run() {
    new sst.aws.Function("Api", {
      handler: "functions/src/functions/api.handler",
      runtime: "python3.11",
    });
  },
});
"""


def _app() -> Path:
    ws = Path(tempfile.mkdtemp(prefix="sst-lsp-nav-"))
    files = {
        "package.json": json.dumps({"devDependencies": {"sst": "3.17.0"}}),
        "pyproject.toml": '[project]\nname = "app"\nversion = "0"\n\n[tool.uv.workspace]\nmembers = ["functions"]\n',
        "functions/pyproject.toml": '[project]\nname = "functions"\nversion = "0"\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
        "functions/src/functions/__init__.py": "",
        "functions/src/functions/api.py": API_PY,
        "sst.config.ts": CONFIG,
    }
    for rel, text in files.items():
        p = ws / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return ws


# The real server, with the navigation features registered (a no-op once build_server() does it).
SERVER = "from sst_lsp.server import build_server; from sst_lsp.features import navigation; s = build_server(); navigation.register(s); s.start_io()"


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-c", SERVER], server_env=server_env(), client_factory=make_client),
)
async def client(lsp_client: LanguageClient):
    ws = _app()
    await start_in(lsp_client, ws, client_capabilities("visual-studio-code"))
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(ws, ignore_errors=True)


def _open(client: LanguageClient, text: str | None = None) -> tuple[str, str]:
    path = client.ws / "sst.config.ts"
    text = path.read_text(encoding="utf-8") if text is None else text
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "typescript", 1, text)))
    return uri, text


def _pos(text: str, needle: str, delta: int = 0) -> types.Position:
    p = LineIndex(text).position_of_offset(text.index(needle) + delta)
    return types.Position(p.line, p.character)


async def test_hover_on_handler(client: LanguageClient):
    uri, text = _open(client)
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), _pos(text, "api.handler", 2)))
    assert hover is not None
    assert hover.contents.kind == types.MarkupKind.Markdown
    md = hover.contents.value
    assert "`functions/src/functions/api.py`" in md
    assert "def handler(event, context) -> dict" in md and "Answer the API request." in md
    assert "Lambda handler: `functions/api.handler`" in md
    assert "In the zip: `functions/api.py`" in md
    assert "SST 3.17.0 (era B" in md
    start = _pos(text, "functions/src/functions/api.handler")
    assert hover.range.start == start
    # elsewhere: nothing
    assert await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), _pos(text, "python3.11", 1))) is None


async def test_definition_of_handler(client: LanguageClient):
    uri, text = _open(client)
    result = await client.text_document_definition_async(types.DefinitionParams(types.TextDocumentIdentifier(uri), _pos(text, "api.handler", 6)))
    assert isinstance(result, list) and len(result) == 1
    loc = result[0]
    assert loc.uri == (client.ws / "functions/src/functions/api.py").as_uri()
    assert loc.range.start == types.Position(API_PY.splitlines().index("def handler(event, context) -> dict:"), 0)


async def test_document_links(client: LanguageClient):
    uri, text = _open(client)
    links = await client.text_document_document_link_async(types.DocumentLinkParams(types.TextDocumentIdentifier(uri)))
    assert links is not None and len(links) == 1
    link = links[0]
    line = API_PY.splitlines().index("def handler(event, context) -> dict:") + 1
    assert link.target == f"{(client.ws / 'functions/src/functions/api.py').as_uri()}#L{line}"
    assert link.range.start == _pos(text, "functions/src/functions/api.handler")
    assert link.range.end == _pos(text, "functions/src/functions/api.handler", len("functions/src/functions/api.handler"))


async def test_completion_while_typing(client: LanguageClient):
    """Type a new handler: folders, then files, then function names, each after a didChange."""
    uri, text = _open(client)
    typed = text.replace("functions/src/functions/api.handler", "functions/src/functions/")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=2), [types.TextDocumentContentChangeWholeDocument(text=typed)])
    )
    at = _pos(typed, "functions/src/functions/", len("functions/src/functions/"))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), at, types.CompletionContext(types.CompletionTriggerKind.TriggerCharacter, "/"))
    )
    assert result is not None
    items = {i.label: i for i in result.items}
    assert set(items) == {"__init__", "api"}
    api = items["api"]
    assert api.kind == types.CompletionItemKind.File
    assert api.text_edit.new_text == "api." and api.text_edit.range.start == at == api.text_edit.range.end
    assert api.command is not None and api.command.command == "editor.action.triggerSuggest"

    # an incremental change typing "api." — then the file's functions are offered
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=3), [types.TextDocumentContentChangePartial(range=types.Range(at, at), text="api.")]
        )
    )
    after = types.Position(at.line, at.character + 4)
    result = await client.text_document_completion_async(types.CompletionParams(types.TextDocumentIdentifier(uri), after))
    assert result is not None
    labels = [i.label for i in result.items]
    assert labels == ["helper", "handler"]
    handler = next(i for i in result.items if i.label == "handler")
    assert handler.kind == types.CompletionItemKind.Function
    assert "def handler(event, context) -> dict" in handler.detail


async def test_no_completion_outside_handler_strings(client: LanguageClient):
    uri, text = _open(client)
    result = await client.text_document_completion_async(types.CompletionParams(types.TextDocumentIdentifier(uri), _pos(text, "python3.11", 3)))
    assert result is None or result.items == []
