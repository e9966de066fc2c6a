"""How the server reads its input: a pipe (as an editor starts it) is read by the event loop; a
message split across writes, the client going away, and input that is not a pipe all work."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from sst_lsp.head_start import is_pipe
from sst_lsp.server import PipeReader

SERVER = Path(__file__).resolve().parent.parent / "server"


def _frame(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_message(stream) -> dict:
    length = None
    while True:
        line = stream.readline()
        assert line, "the server closed its output before answering"
        if line.startswith(b"Content-Length:"):
            length = int(line.split(b":")[1])
        elif line == b"\r\n" and length is not None:
            return json.loads(stream.read(length))


def _server() -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(SERVER), os.environ.get("PYTHONPATH")))))
    return subprocess.Popen([sys.executable, "-m", "sst_lsp", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}


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
    proc = _server()
    try:
        data = _frame(INITIALIZE)
        for i in range(0, len(data), 7):  # in pieces, the header cut in the middle
            proc.stdin.write(data[i : i + 7])
            proc.stdin.flush()
        answer = _read_message(proc.stdout)
        assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"] == "sst-lsp"
        proc.stdin.close()  # the editor went away without a word
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_input_from_a_file_is_served_too(tmp_path):
    """Not a pipe: read as pygls reads it (a thread per read)."""
    source = tmp_path / "messages"
    source.write_bytes(_frame(INITIALIZE))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(SERVER), os.environ.get("PYTHONPATH")))))
    with open(source, "rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "sst_lsp", "serve"], stdin=stdin, capture_output=True, env=env, timeout=60)
    assert b'"serverInfo"' in done.stdout and b'"sst-lsp"' in done.stdout
