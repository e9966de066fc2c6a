"""A language client over the server's pipes, as an editor starts it: raw messages, the server's
log read as it comes, and requests from the server answered."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import server_env


def frame(payload: dict) -> bytes:
    """One message as the protocol frames it (``jsonrpc`` added)."""
    body = json.dumps({"jsonrpc": "2.0", **payload}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawClient:
    """The server over pipes, as an editor starts it; requests from the server are answered."""

    def __init__(self, env: dict | None = None, configuration=None):
        self.proc = subprocess.Popen([sys.executable, "-m", "sst_lsp", "--log-level", "INFO", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**server_env(), **(env or {})})
        self.log: list[str] = []  # the server's log, read as it comes (a full pipe would stop it)
        self.logged = threading.Condition()
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()
        self.configuration = configuration
        self.published: list[tuple[str, list[str]]] = []
        self.buffer = b""
        self.seen: list[dict] = []

    def _drain(self) -> None:
        for line in self.proc.stderr:
            with self.logged:
                self.log.append(line.decode(errors="replace"))
                self.logged.notify_all()

    def wait_log(self, text: str, timeout: float = 60) -> None:
        with self.logged:
            assert self.logged.wait_for(lambda: any(text in line for line in self.log), timeout), "".join(self.log)

    def send(self, *payloads: dict) -> None:
        """One write for all: messages that arrive together, as an editor's first ones do."""
        self.write(b"".join(frame(payload) for payload in payloads))

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _message(self, deadline: float) -> dict:
        fd = self.proc.stdout.fileno()
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if sep:
                length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1])
                if len(rest) >= length:
                    self.buffer = rest[length:]
                    return json.loads(rest[:length])
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no message from the server in time"
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 65536)
                assert chunk, "the server closed its output"
                self.buffer += chunk

    def until(self, want, timeout: float = 60) -> dict:
        """The first message, seen already or to come, for which ``want`` holds."""
        for message in self.seen:
            if want(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            message = self._message(deadline)
            self.seen.append(message)
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.published.append((params["uri"], tuple(d["code"] for d in params["diagnostics"])))
            elif "id" in message and "method" in message:  # a request from the server
                result = [self.configuration] if message["method"] == "workspace/configuration" else None
                self.send({"id": message["id"], "result": result})
            if want(message):
                return message

    def start(self, ws: Path, capabilities: dict, *opened: dict) -> None:
        self.send({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": ws.as_uri(), "capabilities": capabilities, "initializationOptions": {"debounce-ms": 0}}})
        self.until(lambda m: m.get("id") == 1 and "result" in m)
        self.send({"method": "initialized", "params": {}}, *opened)

    def stop(self) -> str:
        self.send({"id": 99, "method": "shutdown"})
        self.until(lambda m: m.get("id") == 99 and "result" in m)
        self.send({"method": "exit"})
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.drain.join(timeout=30)
        return "".join(self.log)
