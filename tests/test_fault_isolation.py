"""A rule that raises is isolated: reported once with its code, every other rule still reports.

The failing rule exists only in these tests: registered with the registry's own ``rule``
decorator (and removed afterwards) in-process, and registered by the ``python -c`` bootstrap
that starts the server for the protocol test.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import server_env
from helpers import FIXTURES
from helpers import BROKEN_APP
from lsp_helpers import codes, make_client, start_in, wait_for_diagnostics
from sst_lsp import cli
from sst_lsp.analysis import analyse_path
from sst_lsp.engine.model import Severity
from sst_lsp.rules.registry import RULES, load_all, rule

CODE = "SST998"
MESSAGE = "this rule always fails"

# registers the failing rule, then serves: the server under test is the real one, plus that rule
BOOT = textwrap.dedent(
    f"""
    from sst_lsp.engine.model import Severity
    from sst_lsp.rules.registry import load_all, rule

    load_all()

    @rule({CODE!r}, "always-fails", Severity.ERROR)
    def always_fails(project):
        yield from ()
        raise RuntimeError({MESSAGE!r})

    from sst_lsp.server import build_server

    build_server().start_io()
    """
)


@pytest.fixture
def failing_rule():
    load_all()
    calls = []

    @rule(CODE, "always-fails", Severity.ERROR)
    def always_fails(project):
        calls.append(project.root)
        yield from ()
        raise RuntimeError(MESSAGE)

    try:
        yield calls
    finally:
        RULES.pop(CODE, None)


def _summary(results):
    return sorted((v.code, str(v.path), v.range.start.line, v.range.start.character, v.message) for r in results for v in r.violations)


@pytest.mark.parametrize("app", [BROKEN_APP, FIXTURES / "SST202" / "not-member"], ids=["broken-app", "SST202-not-member"])
def test_engine_keeps_every_other_rule(app, failing_rule):
    failing = RULES.pop(CODE)
    baseline = analyse_path(app)  # without the failing rule
    RULES[CODE] = failing
    results = analyse_path(app)
    assert [f for r in results for f in r.failures] == [(CODE, f"RuntimeError: {MESSAGE}")]
    assert _summary(baseline), "the app has diagnostics to keep"
    assert _summary(results) == _summary(baseline)


def test_check_names_the_rule_once_and_reports_the_rest(failing_rule, capsys):
    rc = cli.main(["check", "-q", str(BROKEN_APP)])
    out, err = capsys.readouterr()
    assert rc == 2, "an internal error in a rule is exit status 2"
    assert err.count(f"internal error in rule {CODE}") == 1, err
    assert "SST105" in out and "SST202" in out, "the other rules still report"
    assert failing_rule, "the rule ran"


# -- through the protocol -----------------------------------------------------------------------------
@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", BOOT], server_env=server_env(), client_factory=make_client))
async def client(lsp_client: LanguageClient):
    ws = Path(tempfile.mkdtemp(prefix="sst-lsp-fault-"))
    shutil.copytree(FIXTURES / "SST202" / "not-member", ws / "app")
    shutil.copytree(FIXTURES / "SST203" / "no-build-system", ws / "other")
    await start_in(lsp_client, ws)
    yield
    await lsp_client.shutdown_session()
    shutil.rmtree(ws, ignore_errors=True)


def _failure_logs(client) -> list[str]:
    return [m.message for m in client.log_messages if CODE in m.message]


async def test_server_logs_the_failing_rule_once(client: LanguageClient):
    app_pp = client.ws / "app" / "pyproject.toml"
    other_pp = client.ws / "other" / "functions" / "pyproject.toml"
    # both apps' diagnostics arrive from the start-up scan, though the rule fails in each
    await wait_for_diagnostics(client, app_pp.as_uri(), lambda d: codes(d) == ["SST202"])
    await wait_for_diagnostics(client, other_pp.as_uri(), lambda d: codes(d) == ["SST203"])
    # edits re-run every rule; the failure is not logged again
    text = app_pp.read_text(encoding="utf-8")
    uri = app_pp.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "toml", 1, text)))
    await wait_for_diagnostics(client, uri, lambda d: codes(d) == ["SST202"], version=1)
    for v in range(2, 5):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=v), [types.TextDocumentContentChangeWholeDocument(text=text + "\n" * v)]
            )
        )
        await wait_for_diagnostics(client, uri, lambda d: codes(d) == ["SST202"], version=v)
    logs = _failure_logs(client)
    assert len(logs) == 1, logs
    assert "RuntimeError" in logs[0] and MESSAGE in logs[0]
    assert next(m for m in client.log_messages if CODE in m.message).type == types.MessageType.Error
    # and the server still answers
    await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0)))
