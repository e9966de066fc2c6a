"""Hover, go to definition, document links and completion for handler strings (LSP side).

``register(server)`` adds the four features to an ``SstLanguageServer``; the work is done by
``engine/navigation.py`` on a ``Project`` built from the server's open documents.
The handlers are ``async`` on purpose: pygls runs async handlers as tasks in arrival order, so a
request always sees the ``didChange`` notifications sent before it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types

from ..engine import navigation as nav
from ..engine.positions import Position
from ..engine.project import TS_EXTENSIONS, Project
from .convert import path_of, to_lsp_range

log = logging.getLogger(__name__)

COMPLETION_TRIGGERS = ["/", ".", '"', "'", "`"]
KINDS = {
    "folder": types.CompletionItemKind.Folder,
    "file": types.CompletionItemKind.File,
    "function": types.CompletionItemKind.Function,
    "variable": types.CompletionItemKind.Variable,
}
RETRIGGER = types.Command(title="Suggest", command="editor.action.triggerSuggest")


def project_for(ls, path: Path) -> Project | None:
    """The app ``path`` belongs to, seen through the server's open documents (TypeScript files only)."""
    if path.suffix not in TS_EXTENSIONS:
        return None
    root = ls.session.root_for(path)
    # the server's own view: overlays, trees and the editor's sstVersion setting
    return ls.session.make_project(root, analysis=False) if root is not None else None


def _path(uri: str) -> Path | None:
    return path_of(uri)


def _pos(p: types.Position) -> Position:
    return Position(p.line, p.character)


def _context(ls, uri: str) -> tuple[Project, Path] | None:
    path = _path(uri)
    if path is None:
        return None
    project = project_for(ls, path)
    return (project, path) if project is not None else None


def hover(ls, params: types.HoverParams) -> types.Hover | None:
    ctx = _context(ls, params.text_document.uri)
    if ctx is None:
        return None
    found = nav.hover(ctx[0], ctx[1], _pos(params.position))
    if found is None:
        return None
    markdown, rng = found
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown), range=to_lsp_range(rng))


def definition(ls, params: types.DefinitionParams) -> list[types.Location] | None:
    ctx = _context(ls, params.text_document.uri)
    if ctx is None:
        return None
    found = nav.definition(ctx[0], ctx[1], _pos(params.position))
    if found is None:
        return None
    py, line, col = found
    at = types.Position(line, col)
    return [types.Location(uri=py.as_uri(), range=types.Range(at, at))]


def document_links(ls, params: types.DocumentLinkParams) -> list[types.DocumentLink] | None:
    ctx = _context(ls, params.text_document.uri)
    if ctx is None:
        return None
    out = []
    for rng, py, line in nav.document_links(*ctx):
        out.append(types.DocumentLink(range=to_lsp_range(rng), target=f"{py.as_uri()}#L{line + 1}", tooltip=f"Open {ctx[0].rel(py)}"))
    return out


def completion(ls, params: types.CompletionParams) -> types.CompletionList | None:
    ctx = _context(ls, params.text_document.uri)
    if ctx is None:
        return None
    items = []
    for c in nav.completions(ctx[0], ctx[1], _pos(params.position)):
        items.append(
            types.CompletionItem(
                label=c.label,
                kind=KINDS.get(c.kind, types.CompletionItemKind.Text),
                detail=c.detail,
                sort_text=c.sort_text or c.label,
                filter_text=c.label,
                text_edit=types.TextEdit(range=to_lsp_range(c.range), new_text=c.insert_text),
                command=RETRIGGER if c.retrigger else None,
            )
        )
    if not items:
        return None
    return types.CompletionList(is_incomplete=False, items=items)


def _safe(fn):
    async def run(ls, params):
        try:
            return fn(ls, params)
        except Exception:  # a navigation feature never takes the server down
            log.exception("%s failed", fn.__name__)
            return None

    run.__name__ = fn.__name__
    return run


def register(server) -> None:
    """Add hover, definition, document links and completion on handler strings to ``server``.

    Idempotent: a feature the server already has is left alone (calling it twice is harmless).
    """
    have = server.protocol.fm.features
    for method, options, fn in (
        (types.TEXT_DOCUMENT_HOVER, None, hover),
        (types.TEXT_DOCUMENT_DEFINITION, None, definition),
        (types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkOptions(resolve_provider=False), document_links),
        (types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS), completion),
    ):
        if method not in have:
            server.feature(method, options)(_safe(fn))
