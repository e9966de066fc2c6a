"""Quick fixes, built from the fix carried in each diagnostic's data (no re-analysis)."""

from __future__ import annotations

from lsprotocol import types


def _edit_from_data(fix: dict) -> types.WorkspaceEdit:
    changes: dict[str, list[types.TextEdit]] = {}
    for e in fix.get("edits", []):
        r = e["range"]
        rng = types.Range(
            types.Position(r["start"]["line"], r["start"]["character"]),
            types.Position(r["end"]["line"], r["end"]["character"]),
        )
        changes.setdefault(e["uri"], []).append(types.TextEdit(rng, e["newText"]))
    return types.WorkspaceEdit(changes=changes)


def quick_fixes(params: types.CodeActionParams) -> list[types.CodeAction]:
    only = params.context.only
    if only and not any(k == types.CodeActionKind.QuickFix or str(k).startswith("quickfix") for k in only):
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
