"""Code actions: quick fixes from the fix carried in each diagnostic's data (no re-analysis),
a comment that suppresses a diagnostic, and ``source.fixAll.sst-lsp`` for every safe fix."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from ..engine.fix_choice import choose
from ..engine.model import Safety, Violation
from ..engine.positions import Position, Range
from ..engine.suppressions import suppression_fix
from .convert import path_of, to_lsp_range, uri

FIX_ALL_KIND = "source.fixAll.sst-lsp"


def _wanted(only, kind: str) -> bool:
    if not only:
        return kind.startswith("quickfix")
    return any(kind == k or kind.startswith(str(k) + ".") for k in only)


def _edit_from_data(fix: dict) -> types.WorkspaceEdit:
    """The fix as a WorkspaceEdit; a fix that creates a file uses documentChanges (create, then fill)."""
    changes: dict[str, list[types.TextEdit]] = {}
    created: list[str] = []
    for e in fix.get("edits", []):
        r = e["range"]
        rng = types.Range(
            types.Position(r["start"]["line"], r["start"]["character"]),
            types.Position(r["end"]["line"], r["end"]["character"]),
        )
        changes.setdefault(e["uri"], []).append(types.TextEdit(rng, e["newText"]))
        if e.get("creates") and e["uri"] not in created:
            created.append(e["uri"])
    if not created:
        return types.WorkspaceEdit(changes=changes)
    document_changes: list = [types.CreateFile(uri=u, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False)) for u in created]
    for u, edits in changes.items():
        document_changes.append(types.TextDocumentEdit(text_document=types.OptionalVersionedTextDocumentIdentifier(uri=u, version=None), edits=edits))
    return types.WorkspaceEdit(document_changes=document_changes)


def quick_fixes(params: types.CodeActionParams) -> list[types.CodeAction]:
    if not _wanted(params.context.only, types.CodeActionKind.QuickFix):
        return []
    actions = []
    for diag in params.context.diagnostics:
        if diag.source != "sst-lsp" or not isinstance(diag.data, dict):
            continue
        fix = diag.data.get("fix")
        if not isinstance(fix, dict):
            continue
        safe = fix.get("safety") == "safe"
        title = f"{fix.get('title', 'Fix')} ({diag.code})" + ("" if safe else " — unsafe fix, review it")
        actions.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag],
                is_preferred=safe,
                edit=_edit_from_data(fix),
            )
        )
    return actions


def suppress_actions(params: types.CodeActionParams, path: Path, text: str | None) -> list[types.CodeAction]:
    if text is None or not _wanted(params.context.only, types.CodeActionKind.QuickFix):
        return []
    actions = []
    seen = set()
    for diag in params.context.diagnostics:
        if diag.source != "sst-lsp" or (diag.code, diag.range.start.line) in seen or str(diag.code) == "SST902":
            continue
        seen.add((diag.code, diag.range.start.line))
        r = diag.range
        v = Violation(str(diag.code), path, Range(Position(r.start.line, r.start.character), Position(r.end.line, r.end.character)), diag.message)
        fix = suppression_fix(v, text)
        if fix is None:
            continue
        (edit,) = fix.edits
        actions.append(
            types.CodeAction(
                title=f"{fix.title} (add a sst-lsp-ignore comment)",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag],
                is_preferred=False,
                edit=types.WorkspaceEdit(changes={uri(edit.path): [types.TextEdit(to_lsp_range(edit.range), edit.new_text)]}),
            )
        )
    return actions


def fix_all(params: types.CodeActionParams, violations: list[Violation]) -> list[types.CodeAction]:
    """Every safe fix of the document in one edit (overlapping ones are left for the next run)."""
    only = params.context.only
    if not only or not any(_wanted([k], FIX_ALL_KIND) or str(k) == FIX_ALL_KIND for k in only):
        return []
    choice = choose(violations, lambda fix: fix.safety is Safety.SAFE)
    if not choice.count():
        return []
    changes = {
        uri(p): [types.TextEdit(to_lsp_range(e.range), e.new_text) for e in sorted(edits, key=lambda e: (e.range.start, e.range.end))]
        for p, edits in choice.edits.items()
    }
    return [
        types.CodeAction(
            title=f"Fix all safe sst-lsp problems ({choice.count()})",
            kind=FIX_ALL_KIND,
            edit=types.WorkspaceEdit(changes=changes),
        )
    ]


def code_action(ls, params: types.CodeActionParams):
    """Quick fixes and suppressions for the diagnostics in the request, and fix-all for the file."""
    path = path_of(params.text_document.uri)
    if path is None:
        return None
    actions = quick_fixes(params)
    actions += suppress_actions(params, path, ls.session.text_of(path))
    actions += fix_all(params, ls.session.violations_for(path))
    return actions or None
