"""Workspace behaviour through the protocol: scan with progress, closed files, pull and push,
file watching, configuration, suppressions and fix-all."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from helpers import FIXTURES
from lsp_helpers import apply_workspace_edit, change_document, codes, open_document, pull_capabilities, push_capabilities, server_config, start_in, wait_for_diagnostics, wait_until

CONFIG = server_config()


def _workspace() -> Path:
    ws = Path(tempfile.mkdtemp(prefix="sst-lsp-ws-"))
    shutil.copytree(FIXTURES / "SST202" / "not-member", ws / "app")
    shutil.copytree(FIXTURES / "SST203" / "no-build-system", ws / "other")
    return ws


async def _start(client: LanguageClient, caps: types.ClientCapabilities, settings: dict | None = None) -> Path:
    ws = _workspace()
    if settings is not None:
        client.set_configuration(settings, section="sstLsp")
    await start_in(client, ws, caps)
    return ws


@pytest_lsp.fixture(config=CONFIG)
async def push(lsp_client: LanguageClient):
    await _start(lsp_client, push_capabilities())
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(lsp_client.ws, ignore_errors=True)


@pytest_lsp.fixture(config=CONFIG)
async def pull(lsp_client: LanguageClient):
    await _start(lsp_client, pull_capabilities())
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(lsp_client.ws, ignore_errors=True)




async def test_scan_publishes_closed_files_with_progress(push: LanguageClient):
    root_pp = (push.ws / "app" / "pyproject.toml").as_uri()
    member_pp = (push.ws / "other" / "functions" / "pyproject.toml").as_uri()
    # no document is open: the start-up scan reports both apps
    await wait_for_diagnostics(push, root_pp, lambda d: codes(d) == ["SST202"])
    await wait_for_diagnostics(push, member_pp, lambda d: codes(d) == ["SST203"])
    await wait_until(push, "progress_seen", lambda: any(r and r[-1] == "end" for r in push.progress_reports.values()))
    (kinds,) = push.progress_reports.values()
    assert kinds[0] == "begin" and kinds[-1] == "end"
    methods = [r.method for r in getattr(push, "registrations", [])]
    assert types.WORKSPACE_DID_CHANGE_WATCHED_FILES in methods


async def test_only_changed_diagnostics_are_republished(push: LanguageClient):
    """An edit re-publishes the edited document (with its version) and what changed, nothing else."""
    app = push.ws / "app"
    root_pp = (app / "pyproject.toml").as_uri()
    member_pp = (app / "functions" / "pyproject.toml").as_uri()
    await wait_for_diagnostics(push, root_pp, lambda d: codes(d) == ["SST202"])
    await wait_until(push, "progress_seen", lambda: any(r and r[-1] == "end" for r in push.progress_reports.values()))
    uri, text = open_document(push, app / "sst.config.ts", "typescript")
    await wait_for_diagnostics(push, uri, lambda d: True, version=1)
    before = dict(push.publish_counts)
    # a comment typed into the config: its diagnostics do not change, nor anyone else's
    change_document(push, uri, 2, text + "\n// a comment\n")
    await wait_for_diagnostics(push, uri, lambda d: True, version=2)
    assert push.publish_counts[uri] == before[uri] + 1  # the edited document, with its new version
    assert push.publish_counts.get(root_pp) == before.get(root_pp)
    assert push.publish_counts.get(member_pp) == before.get(member_pp)
    # the member fixed in the root pyproject: the root pyproject's diagnostics change, so it is re-sent
    (app / "pyproject.toml").write_text((app / "pyproject.toml").read_text().replace('members = ["core"]', 'members = ["core", "functions"]'))
    push.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(root_pp, types.FileChangeType.Changed)]))
    await wait_for_diagnostics(push, root_pp, lambda d: codes(d) == [])
    assert push.publish_counts[root_pp] == before[root_pp] + 1


async def test_file_created_on_disk_clears_diagnostic(push: LanguageClient):
    member_pp = push.ws / "other" / "functions" / "pyproject.toml"
    await wait_for_diagnostics(push, member_pp.as_uri(), lambda d: codes(d) == ["SST203"])
    member_pp.write_text(member_pp.read_text() + '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    push.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(member_pp.as_uri(), types.FileChangeType.Changed)])
    )
    await wait_for_diagnostics(push, member_pp.as_uri(), lambda d: codes(d) == [])


async def test_python_file_deleted_on_disk_flags_handler(push: LanguageClient):
    app = push.ws / "app"
    config = (app / "sst.config.ts").as_uri()
    await wait_for_diagnostics(push, (app / "pyproject.toml").as_uri(), lambda d: codes(d) == ["SST202"])
    api = app / "functions" / "src" / "functions" / "api.py"
    api.unlink()
    push.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(api.as_uri(), types.FileChangeType.Deleted)]))
    await wait_for_diagnostics(push, config, lambda d: "SST102" in codes(d))


async def test_suppression_round_trip(push: LanguageClient):
    uri, text = open_document(push, push.ws / "app" / "pyproject.toml", "toml")
    diags = await wait_for_diagnostics(push, uri, lambda d: codes(d) == ["SST202"], version=1)
    actions = await push.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), diags[0].range, types.CodeActionContext(diagnostics=diags))
    )
    suppress = [a for a in actions if "sst-lsp-ignore" in a.title]
    assert suppress and not suppress[0].is_preferred
    new = apply_workspace_edit({uri: text}, suppress[0].edit)[uri]
    assert "# sst-lsp: ignore[SST202]" in new
    change_document(push, uri, 2, new)
    await wait_for_diagnostics(push, uri, lambda d: codes(d) == [], version=2)
    # now the diagnostic is gone, the comment is unused once the member is added
    fixed = new.replace('members = ["core"]', 'members = ["core", "functions"]')
    change_document(push, uri, 3, fixed)
    diags = await wait_for_diagnostics(push, uri, lambda d: codes(d) == ["SST902"], version=3)
    assert diags[0].severity == types.DiagnosticSeverity.Hint
    actions = await push.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), diags[0].range, types.CodeActionContext(diagnostics=diags))
    )
    removal = next(a for a in actions if a.is_preferred)
    cleaned = apply_workspace_edit({uri: fixed}, removal.edit)[uri]
    assert "sst-lsp" not in cleaned and cleaned == text.replace('members = ["core"]', 'members = ["core", "functions"]')


async def test_fix_all_applies_every_safe_fix(push: LanguageClient):
    app = push.ws / "app"
    config = app / "sst.config.ts"
    text = config.read_text().replace('      runtime: "python3.11",\n', "      vpc: { subnets: [\"subnet-1\"] },\n")
    config.write_text(text)
    (app / ".python-version").write_text("3.11\n")  # the runtime fix is safe when the version is known
    uri, text = open_document(push, config, "typescript")
    diags = await wait_for_diagnostics(push, uri, lambda d: {"SST105", "SST401"} <= set(codes(d)), version=1)
    actions = await push.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    (fix_all,) = actions
    assert fix_all.kind == "source.fixAll.sst-lsp"
    new = apply_workspace_edit({uri: text}, fix_all.edit)[uri]
    assert "privateSubnets" in new and 'runtime: "python3' in new
    change_document(push, uri, 2, new)
    diags = await wait_for_diagnostics(push, uri, lambda d: True, version=2)
    assert not {"SST105", "SST401"} & set(codes(diags))


async def test_configuration_reload(push: LanguageClient):
    root_pp = (push.ws / "app" / "pyproject.toml").as_uri()
    await wait_for_diagnostics(push, root_pp, lambda d: codes(d) == ["SST202"])
    push.set_configuration({"ignore": ["SST202"]}, section="sstLsp")
    push.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for_diagnostics(push, root_pp, lambda d: codes(d) == [])
    # an editor's whole section: client-only keys and an empty select are not errors and select all
    push.set_configuration({"severity": {"SST202": "info"}, "select": [], "trace": {"server": "off"}, "server": {"command": []}}, section="sstLsp")
    push.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    diags = await wait_for_diagnostics(push, root_pp, lambda d: codes(d) == ["SST202"])
    assert diags[0].severity == types.DiagnosticSeverity.Information
    assert not push.messages, "no settings warning for editor-only keys"


async def test_configuration_in_pyproject_is_reported_when_wrong(push: LanguageClient):
    uri, text = open_document(push, push.ws / "app" / "pyproject.toml", "toml")
    await wait_for_diagnostics(push, uri, lambda d: codes(d) == ["SST202"], version=1)
    change_document(push, uri, 2, text + '\n[tool.sst-lsp]\nignroe = ["SST202"]\n')
    diags = await wait_for_diagnostics(push, uri, lambda d: True, version=2)
    assert codes(diags) == ["SST202", "SST901"]
    change_document(push, uri, 3, text + '\n[tool.sst-lsp]\nignore = ["SST202"]\n')
    await wait_for_diagnostics(push, uri, lambda d: codes(d) == [], version=3)


async def test_pull_mode_serves_reports_and_unchanged(pull: LanguageClient):
    uri, text = open_document(pull, pull.ws / "app" / "pyproject.toml", "toml")
    report = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri)))
    assert report.kind == "full" and codes(report.items) == ["SST202"]
    again = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri), previous_result_id=report.result_id))
    assert again.kind == "unchanged" and again.result_id == report.result_id
    ws_report = await pull.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    by_uri = {i.uri: i for i in ws_report.items}
    member = (pull.ws / "other" / "functions" / "pyproject.toml").as_uri()
    assert codes(by_uri[member].items) == ["SST203"]
    # fix the file: the next pull is a full, empty report
    change_document(pull, uri, 2, text.replace('members = ["core"]', 'members = ["core", "functions"]'))
    after = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri), previous_result_id=report.result_id))
    assert after.kind == "full" and list(after.items) == []
    assert not pull.diagnostic_versions, "nothing is pushed in pull mode"


async def test_pull_mode_refreshes_after_a_cross_file_change(pull: LanguageClient):
    app = pull.ws / "app"
    config = (app / "sst.config.ts").as_uri()
    report = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(config)))
    assert codes(report.items) == []
    py_uri, _ = open_document(pull, app / "functions" / "src" / "functions" / "api.py", "python")
    before = pull.diagnostic_refresh_count
    change_document(pull, py_uri, 2, "def other(event, context):\n    return 1\n")

    await wait_until(pull, "refreshed", lambda: pull.diagnostic_refresh_count > before)
    report = await pull.text_document_diagnostic_async(types.DocumentDiagnosticParams(types.TextDocumentIdentifier(config), previous_result_id=report.result_id))
    assert report.kind == "full" and codes(report.items) == ["SST103"]


async def test_open_document_wins_over_an_unreadable_file_on_disk(push: LanguageClient):
    """The disk said binary (SST002); once the editor opens the file with text, that record no longer counts."""
    core = push.ws / "app" / "core" / "pyproject.toml"
    text = core.read_text()
    core.write_bytes(b"\x00\x01binary")
    push.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(core.as_uri(), types.FileChangeType.Changed)]))
    await wait_for_diagnostics(push, core.as_uri(), lambda d: "SST002" in codes(d))
    push.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(core.as_uri(), "toml", 1, text)))
    await wait_for_diagnostics(push, core.as_uri(), lambda d: "SST002" not in codes(d), version=1)
