"""Engine values ↔ lsprotocol types. Fixes travel inside ``Diagnostic.data``."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from ..engine.files import path_of as path_of  # (where it is defined: head_start needs it without lsprotocol)
from ..engine.model import Severity, Violation
from ..engine.positions import Position, Range
from ..rule_docs import rule_doc_uri

SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def to_lsp_range(r: Range) -> types.Range:
    return types.Range(types.Position(r.start.line, r.start.character), types.Position(r.end.line, r.end.character))


def from_lsp_range(r: types.Range) -> Range:
    return Range(Position(r.start.line, r.start.character), Position(r.end.line, r.end.character))


def uri(path: Path) -> str:
    return path.as_uri()


def to_diagnostic(v: Violation) -> types.Diagnostic:

    data = None
    if v.fix is not None:
        data = {
            "fix": {
                "title": v.fix.title,
                "safety": v.fix.safety.value,
                "edits": [
                    {"uri": uri(e.path), "range": e.range.to_json(), "newText": e.new_text, **({"creates": True} if e.creates else {})}
                    for e in v.fix.edits
                ],
            }
        }
    related = [
        types.DiagnosticRelatedInformation(types.Location(uri(r.path), to_lsp_range(r.range)), r.message) for r in v.related
    ] or None
    return types.Diagnostic(
        range=to_lsp_range(v.range),
        message=v.message,
        severity=SEVERITY[v.severity or Severity.ERROR],
        code=v.code,
        code_description=types.CodeDescription(href=rule_doc_uri(v.code)),
        source="sst-lsp",
        related_information=related,
        data=data,
    )
