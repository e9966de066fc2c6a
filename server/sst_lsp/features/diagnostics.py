"""Diagnostics on the wire: pushed (``publishDiagnostics``) or pulled (``textDocument/diagnostic``,
``workspace/diagnostic``) with result ids, so an unchanged file is answered ``unchanged``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lsprotocol import types

from ..engine.model import Violation
from ..engine.toml_doc import TomlDocument
from ..rules.sst001_toml_syntax_error import syntax_error
from ..session import Outcome
from .convert import path_of, to_diagnostic


def report_id(violations: list[Violation]) -> str:
    """What the client shows of these diagnostics, hashed: positions, words and related places."""
    payload = json.dumps(
        [
            [v.code, v.range.to_json(), v.message, v.severity.value if v.severity else "", [[str(r.path), r.range.to_json(), r.message] for r in v.related]]
            for v in violations
        ],
        sort_keys=True,
    )
    return hashlib.sha1(payload.encode()).hexdigest()[:16]


def _key(by_path: dict[Path, list[Violation]]) -> dict:
    return {p: report_id(vs) for p, vs in by_path.items() if vs}


def publish(ls, path: Path, violations: list[Violation], *, only_if_changed: bool = False) -> None:
    """Push a file's diagnostics; with ``only_if_changed``, skip it when the client already has
    exactly these for this version of the document."""
    doc = ls.session.docs.get(path)
    version = doc.version if doc else None
    sent = (version, report_id(violations))
    if only_if_changed and ls.published.get(path) == sent:
        return
    ls.published[path] = sent
    diagnostics = [to_diagnostic(v) for v in violations]
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=path.as_uri(), diagnostics=diagnostics, version=version))


def deliver(ls, outcome: Outcome, also=()) -> None:
    """Tell the client about one analysis: refresh pulled diagnostics, or push the files whose
    diagnostics changed (and every open document of the app whose version is new, and ``also``:
    files published before this analysis by another, the head start's)."""
    if ls.pull:
        if ls.can_refresh and _key(outcome.previous) != _key(outcome.current):
            ls.workspace_diagnostic_refresh(None)
        return
    open_here = {p for p in ls.session.docs if ls.session.root_for(p) == outcome.root}
    for path in outcome.paths() | open_here | set(also):
        publish(ls, path, outcome.current.get(path, []), only_if_changed=True)


def publish_standalone(ls, path: Path) -> None:
    """A pyproject.toml outside every SST app: only its syntax is checked (SST001's own words)."""
    if path.name != "pyproject.toml" or ls.pull:
        return
    doc = ls.session.docs.get(path)
    found = syntax_error(path, TomlDocument.parse(doc.text)) if doc is not None else None
    publish(ls, path, [found] if found is not None else [])


def document_diagnostic(ls, params: types.DocumentDiagnosticParams):
    path = path_of(params.text_document.uri)
    violations: list[Violation] = []
    if path is not None and (root := ls.session.root_for(path)) is not None:
        ls.ensure_fresh(root)
        violations = ls.session.results.get(root, {}).get(path, [])
    rid = report_id(violations) if path else "none"
    if params.previous_result_id == rid:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
    return types.RelatedFullDocumentDiagnosticReport(items=[to_diagnostic(v) for v in violations], result_id=rid)


def workspace_diagnostic(ls, params: types.WorkspaceDiagnosticParams):
    session = ls.session
    previous = {p.uri: p.value for p in params.previous_result_ids or []}
    previous_paths = {p: u for u in previous if (p := path_of(u)) is not None}
    items = []
    for root in sorted(session.find_roots() | set(session.results)):
        ls.ensure_fresh(root)
        reported = session.results.get(root, {})
        asked = {p for p in previous_paths if session.root_for(p) == root}
        for path in sorted(set(reported) | asked):
            violations = reported.get(path, [])
            uri = path.as_uri()
            rid = report_id(violations)
            doc = session.docs.get(path)
            version = doc.version if doc else None
            if previous.get(uri) == rid:
                items.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=rid))
            else:
                items.append(types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=version, items=[to_diagnostic(v) for v in violations], result_id=rid))
    return types.WorkspaceDiagnosticReport(items=items)
