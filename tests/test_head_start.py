"""The head start (``head_start.py``): the workspace's first analysis, begun by a second process
while the server loads the protocol, gives what the server's own first scan gives, and is used
only when it saw what the server sees."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
from pathlib import Path

import pytest

from helpers import FIXTURES
from raw_client import RawClient
from sst_lsp import head_start
from sst_lsp.engine.model import Safety
from sst_lsp.fixer import choose
from sst_lsp.session import EditorSession

CASES = sorted(p for p in FIXTURES.glob("SST*/*") if p.is_dir())


def _shown(vs) -> list:
    return [(v.code, v.range, v.message, v.severity, [(r.path, r.range, r.message) for r in v.related]) for v in vs]


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_the_head_start_finds_what_the_first_scan_finds(case):
    settings, apps, texts = pickle.loads(pickle.dumps(head_start._analyse(case, {"debounce-ms": 0})))
    session = EditorSession(workspace_root=case)
    session.editor_settings = settings
    assert [root for root, _, _ in apps] == sorted(session.find_roots())
    for root, by_path, sources in apps:
        outcome = session.analyse(root)
        scanned = outcome.current
        assert sources == outcome.result.project.ts_paths
        assert {p: _shown(vs) for p, vs in by_path.items()} == {p: _shown(vs) for p, vs in scanned.items()}
        for path, vs in by_path.items():  # its fixes are the scan's (fix-all may use them)
            assert choose(vs, lambda f: f.safety is Safety.SAFE).edits == choose(scanned[path], lambda f: f.safety is Safety.SAFE).edits
    assert all(t is None or len(t) == 20 for t in texts.values())  # what it read, as digests


# -- through the protocol -------------------------------------------------------------------------


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURES / "SST202" / "not-member", ws / "app")
    shutil.copytree(FIXTURES / "SST203" / "no-build-system", ws / "other")
    return ws


def _published_with(uri: str, code: str):
    return lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri and code in [d["code"] for d in m["params"]["diagnostics"]]


@pytest.mark.parametrize("enabled", ["1", "0"])
def test_the_first_diagnostics_come_from_the_head_start_unless_it_is_off(tmp_path, enabled):
    ws = _workspace(tmp_path)
    client = RawClient({"SST_LSP_HEAD_START": enabled})
    try:
        client.start(ws, {})
        client.until(_published_with((ws / "app" / "pyproject.toml").as_uri(), "SST202"))
        client.until(_published_with((ws / "other" / "functions" / "pyproject.toml").as_uri(), "SST203"))
        if enabled == "1":
            client.wait_log("head start: published")
        log = client.stop()
    finally:
        client.proc.kill()
    # with it, the two files with problems and each app's sst.config.ts, without problems
    assert ("head start: published 4 file(s)" in log) == (enabled == "1"), log
    # the scan that follows found the same: nothing was published twice
    assert len(client.published) == len(set(client.published))
    assert {(uri.rsplit("/ws/", 1)[1], codes) for uri, codes in client.published} >= {("app/pyproject.toml", ("SST202",)), ("other/functions/pyproject.toml", ("SST203",))}


def test_settings_the_head_start_did_not_know_set_it_aside(tmp_path):
    ws = _workspace(tmp_path)
    client = RawClient({}, configuration={"ignore": ["SST202"]})
    try:
        client.start(ws, {"workspace": {"configuration": True}})
        client.until(_published_with((ws / "other" / "functions" / "pyproject.toml").as_uri(), "SST203"))
        client.wait_log("settings differ")
        log = client.stop()
    finally:
        client.proc.kill()
    assert "settings differ" in log and "head start: published" not in log, log
    assert not any("SST202" in codes for _, codes in client.published)


def test_an_open_document_that_differs_from_what_it_read_keeps_its_app_out(tmp_path):
    ws = _workspace(tmp_path)
    client = RawClient({})
    try:
        pyproject = ws / "app" / "pyproject.toml"
        fixed = pyproject.read_text().replace('members = ["core"]', 'members = ["core", "functions"]')
        assert fixed != pyproject.read_text()
        # opened with the start-up, an unsaved edit that makes the app's SST202 go away
        client.start(ws, {}, {"method": "textDocument/didOpen", "params": {"textDocument": {"uri": pyproject.as_uri(), "languageId": "toml", "version": 1, "text": fixed}}})
        client.until(_published_with((ws / "other" / "functions" / "pyproject.toml").as_uri(), "SST203"))
        client.until(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == pyproject.as_uri() and m["params"].get("version") == 1)
        client.wait_log("head start: published")
        log = client.stop()
    finally:
        client.proc.kill()
    assert not any("SST202" in codes for _, codes in client.published), client.published  # the unsaved fix, not the disk
    assert "head start: published 2 file(s)" in log, log  # the other app's pyproject.toml and sst.config.ts


# -- whatever goes wrong, the server starts as before ---------------------------------------------


def test_a_stdin_that_does_not_block_or_a_first_message_that_is_not_initialize_begins_nothing():
    a, b = socket.socketpair()
    try:
        a.setblocking(False)
        with a.makefile("rb", buffering=0) as stream:
            start = head_start.begin(stream)  # nothing to read yet: the read would block
        assert not start.running and start.consumed == b""
        b.sendall(b'Content-Length: 38\r\n\r\n{"jsonrpc":"2.0","method":"initialized"}')
        a.setblocking(True)
        with a.makefile("rb", buffering=0) as stream:
            start = head_start.begin(stream)
        assert not start.running and start.consumed.endswith(b'"initialized"}')  # handed on as it came
    finally:
        a.close()
        b.close()


def test_headers_ended_by_a_bare_new_line_are_read_as_pygls_reads_them(tmp_path):
    ws = _workspace(tmp_path)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": ws.as_uri(), "capabilities": {}}}).encode()
    r, w = os.pipe()
    os.write(w, b"Content-Length: %d\r\n\n" % len(body) + body + b"Content-Length: 2\r\n\r\n{}")
    os.close(w)
    with os.fdopen(r, "rb", buffering=0) as stream:
        start = head_start.begin(stream)
    try:
        assert start.running and start.consumed.endswith(b"{}")  # the next message, read with it, handed on too
        settings, apps, _ = start.collect()
        assert [root.name for root, _, _ in apps] == ["app", "other"]
    finally:
        start.abandon()
