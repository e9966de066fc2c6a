"""How the server reads its input: a pipe (as an editor starts it) is read by the event loop; a
message split across writes, the client going away, and input that is not a pipe all work."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from conftest import server_env
from raw_client import RawClient, frame
from sst_lsp.head_start import is_pipe
from sst_lsp.server import PipeReader

INITIALIZE = {"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}


def test_pipes_and_files_are_told_apart(tmp_path):
    r, w = os.pipe()
    try:
        with os.fdopen(r, "rb", closefd=False) as f:
            assert is_pipe(f)
    finally:
        os.close(r)
        os.close(w)
    with open(tmp_path / "input", "wb") as f:
        assert not is_pipe(f)
    assert not is_pipe(object())


def test_the_end_of_input_reads_as_empty():
    async def go():
        stream = asyncio.StreamReader()
        stream.feed_data(b"Content-Length: 9\r\n\r\nabc")
        stream.feed_eof()
        reader = PipeReader(stream)
        assert await reader.readline() == b"Content-Length: 9\r\n"
        assert await reader.readline() == b"\r\n"
        assert await reader.readexactly(9) == b""  # three bytes, then the end: the client is gone
        assert await reader.readline() == b""

    asyncio.run(go())


def test_a_message_split_across_writes_is_answered_and_the_server_ends_with_its_input():
    client = RawClient()
    try:
        data = frame(INITIALIZE)
        for i in range(0, len(data), 7):  # in pieces, the header cut in the middle
            client.write(data[i : i + 7])
        answer = client.until(lambda m: m.get("id") == 1)
        assert answer["result"]["serverInfo"]["name"] == "sst-lsp"
        client.proc.stdin.close()  # the editor went away without a word
        assert client.proc.wait(timeout=30) == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()


def test_input_from_a_file_is_served_too(tmp_path):
    """Not a pipe: read as pygls reads it (a thread per read)."""
    source = tmp_path / "messages"
    source.write_bytes(frame(INITIALIZE))
    with open(source, "rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "sst_lsp", "serve"], stdin=stdin, capture_output=True, env=server_env(), timeout=60)
    assert b'"serverInfo"' in done.stdout and b'"sst-lsp"' in done.stdout


def test_the_warm_up_makes_the_readers_and_writers_of_a_keystroke_without_writing(caplog, tmp_path):
    """Before the first scan the server makes the code that reads a didChange and writes a
    diagnostic with a fix and related places (each would cost the first keystroke that needs it);
    once the workspace is analysed, SST102's tables. Nothing is sent, nothing fails."""
    import logging
    import shutil

    from helpers import FIXTURES
    from sst_lsp.rules import sst102_handler_file_not_found as sst102
    from sst_lsp.server import build_server

    sst102._prepared_for[:] = [None, None]
    ls = build_server()
    sent = []
    ls.protocol._send_data = sent.append
    with caplog.at_level(logging.DEBUG, logger="sst_lsp.server"):
        ls.warm_up()
        app = tmp_path / "app"
        shutil.copytree(FIXTURES / "SST102" / "clean", app)  # (no handler is missing: the analysis makes no table)
        ls.session.workspace_root = app
        ls.session.analyse(ls.session.root_for(app / "sst.config.ts"))
        ls.warm_up_session()
    assert sent == []
    assert not [r for r in caplog.records if "warming up" in r.getMessage()]
    disk = next(iter(ls.session._last_projects.values()))[1]
    assert sst102._prepared_for[0] is disk.python_file_index
