"""Fuzzed editing sessions against the real server, through the protocol.

A hypothesis state machine starts ``sst-lsp serve`` as a subprocess (one server per sequence),
on a fresh copy of a fixture app, and drives it like an editor would, but badly: incremental
edits anywhere (UTF-16 positions), pasted emoji / CJK / combining marks, CRLF and lone CR line
endings, an emptied document, a 100 kB line, opens and closes out of order, files changed on
disk (announced with ``workspace/didChangeWatchedFiles``).

After every step:

- the server answers requests (hover, code action) and its stderr has no ``Traceback``;
- diagnostics for an open document carry the version just sent (the test waits for exactly
  that publish: push mode, ``debounce-ms`` 0, versions never reused);
- every published range (and related-information range, and quick-fix edit range) lies inside
  its document — the client's own copy for open documents, the disk for the others — on valid
  UTF-16 boundaries, lines split the LSP way (``\\n``, ``\\r\\n``, ``\\r``);
- what was published equals a from-scratch, in-process analysis of the client's texts over the
  disk, so an incremental update that diverged from the editor's text is caught.

``SST_LSP_FUZZ_EXAMPLES`` sets the number of sequences (default 60), ``SST_LSP_FUZZ_STEPS``
the steps per sequence (default 10).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from lsprotocol import types
from pygls.client import JsonRPCClient

from conftest import server_env
from helpers import FIXTURES
from helpers import BROKEN_APP
from lsp_helpers import make_client, push_capabilities, wait_for_diagnostics, wait_until

EXAMPLES = int(os.environ.get("SST_LSP_FUZZ_EXAMPLES", "60"))
STEPS = int(os.environ.get("SST_LSP_FUZZ_STEPS", "10"))
TIMEOUT = 60.0

APPS = {
    "SST202-not-member": FIXTURES / "SST202" / "not-member",
    "SST203-no-build-system": FIXTURES / "SST203" / "no-build-system",
    "broken-app": BROKEN_APP,
}
IGNORED = shutil.ignore_patterns("__pycache__", ".venv", "node_modules", ".sst")
NEW_FILES = ["functions/src/functions/extra.py", "newmember/pyproject.toml", "infra/extra.ts", "notes.py"]
LANGUAGE = {".ts": "typescript", ".toml": "toml", ".py": "python", ".json": "json"}

# -- the LSP's view of a text (the reference the server is checked against) -----------------------
EOL = re.compile(r"\r\n|\r|\n")


def utf16_len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def lsp_lines(text: str) -> list[tuple[int, int]]:
    """(start, end-of-content) code-point offsets of each line; EOLs are \\n, \\r\\n and \\r."""
    out, start = [], 0
    for m in EOL.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def to_position(text: str, offset: int) -> types.Position:
    lines = lsp_lines(text)
    for n, (start, end) in enumerate(lines):
        if start <= offset <= end:
            return types.Position(n, utf16_len(text[start:offset]))
    raise AssertionError(f"offset {offset} is inside a line break")  # pragma: no cover


def safe_offset(text: str, offset: int) -> int:
    """Clamp into the text and step off the middle of a CRLF (not a position in the LSP)."""
    offset = max(0, min(offset, len(text)))
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        offset -= 1
    return offset


def check_position(text: str, pos, what: str) -> int:
    """The code-point offset of ``pos``; fails unless it is inside ``text`` on a UTF-16 boundary."""
    lines = lsp_lines(text)
    assert 0 <= pos.line < len(lines), f"{what}: line {pos.line} outside a {len(lines)}-line document"
    start, end = lines[pos.line]
    units = 0
    i = start
    while units < pos.character:
        assert i < end, f"{what}: character {pos.character} past the end of line {pos.line} ({utf16_len(text[start:end])} UTF-16 units)"
        units += 2 if ord(text[i]) > 0xFFFF else 1
        i += 1
    assert units == pos.character, f"{what}: character {pos.character} of line {pos.line} is inside a surrogate pair"
    return i


def check_range(text: str, rng, what: str) -> None:
    a = check_position(text, rng.start, what + " start")
    b = check_position(text, rng.end, what + " end")
    assert a <= b, f"{what}: start after end ({rng})"


def uri_path(uri: str) -> Path:
    from sst_lsp.features.convert import path_of

    return path_of(uri)


def disk_text(path: Path) -> str | None:
    """The text the server can see on disk, or None (absent, binary, not UTF-8)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


# -- what gets typed -------------------------------------------------------------------------------
FRAGMENTS = [
    "🐍", "𝄞", "👩‍💻", "中文", "漢字テスト", "e\u0301", "\u0301\u0327", "a\u200db", "\ufeff", "\u2028", "\x85", "\x0c", "\t",
    "\r\n", "\r", "\n", "\r\r\n", '"', "'", "`", "${", "{", "}", "[", "]", "(", ")", ",", ";", "=", "#", "//", "/*", "*/", "\\",
    "handler: ", '"functions/src/functions/api.handler"', "'../../etc/passwd.handler'", 'runtime: "python3.11"', 'runtime: "python3.99"',
    'new sst.aws.Function("X", { handler: "functions/src/functions/api.handler" });\n', "import fs from 'fs';\n",
    "[tool.uv.workspace]\n", 'members = ["functions", "core"]\n', 'members = "x"\n', "members = [1, {}]\n", "name = 3\n",
    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n', "[project]\n", 'name = "dup"\nname = "dup"\n',
    "def handler(event, context):\n    return 1\n", "# sst-lsp: ignore[SST202]\n", "// sst-lsp-ignore SST105\n",
]
typed = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
)
span = st.tuples(st.integers(0, 2**31), st.integers(0, 64))  # (start seed, length)


def line_endings(text: str, eol: str) -> str:
    return EOL.sub(eol, text)


class SharedServer:
    """One ``sst-lsp serve`` for many sequences (each on its own copy of an app, in its own folder);
    replaced after a sequence that failed, so that a failure never leaks into the next one."""

    def __init__(self, ws: Path | None = None):
        self.loop = asyncio.new_event_loop()
        self.client = None
        self.own_ws = ws is None
        self.ws = ws if ws is not None else Path(tempfile.mkdtemp(prefix="sst-lsp-fuzz-"))
        self.stderr: list[str] = []
        self.runs = 0
        self.started = 0
        self.steps = 0
        self.versions = 0  # document versions are never reused, across documents and sequences

    def run(self, coro):
        return self.loop.run_until_complete(asyncio.wait_for(coro, TIMEOUT))

    async def _collect_stderr(self, proc):
        while (line := await proc.stderr.readline()) != b"":
            self.stderr.append(line.decode("utf-8", "replace"))

    async def _start(self):
        client = make_client()
        await JsonRPCClient.start_io(client, sys.executable, "-m", "sst_lsp", "serve", env=server_env())
        client._stderr_forwarder = asyncio.create_task(self._collect_stderr(client._server))
        self.client = client
        await client.initialize_session(
            types.InitializeParams(
                capabilities=push_capabilities(),
                root_uri=self.ws.as_uri(),
                workspace_folders=[types.WorkspaceFolder(self.ws.as_uri(), "ws")],
                initialization_options={"debounce-ms": 0},
            )
        )
        # the start-up scan is over when its progress ends
        await wait_until(client, "progress_seen", lambda: any(r and r[-1] == "end" for r in client.progress_reports.values()))

    def healthy(self) -> bool:
        return self.client is not None and self.client._server.returncode is None and not any("Traceback" in line for line in self.stderr)

    def ensure(self):
        if not self.healthy():
            self.stop()
            self.stderr = []
            self.started += 1
            self.run(self._start())
        return self.client

    def stop(self):
        client, self.client = self.client, None
        if client is None:
            return

        async def stop():
            if client._server.returncode is None:
                try:
                    await asyncio.wait_for(client.shutdown_session(), 10)
                except Exception:
                    client._server.kill()
            await client.stop()

        try:
            self.run(stop())
        except Exception:
            if client._server.returncode is None:
                client._server.kill()

    def close(self):
        self.stop()
        self.loop.close()
        if self.own_ws:
            shutil.rmtree(self.ws, ignore_errors=True)


SHARED: SharedServer | None = None


@pytest.fixture(autouse=True, scope="module")
def _shared_server():
    global SHARED
    SHARED = SharedServer()
    yield
    print(f"\nfuzzed editing sessions: {SHARED.runs} sequences, {SHARED.steps} steps, {SHARED.started} server start(s)")
    SHARED.close()
    SHARED = None


class EditorSession(RuleBasedStateMachine):
    """One app copy, an editor that types anything anywhere (the server is shared, see SharedServer)."""

    def __init__(self):
        super().__init__()
        self.server = SHARED if SHARED is not None else SharedServer()
        self.client = None
        self.run_dir: Path | None = None
        self.app: Path | None = None
        self.open: dict[Path, list] = {}  # path -> [text, version]
        self.stderr_from = 0
        self.files: list[Path] = []
        self.originals: dict[Path, bytes] = {}
        self.ok = True

    # -- plumbing ------------------------------------------------------------------------------------
    def run(self, coro):
        return self.server.run(coro)

    def version(self) -> int:
        # never reused, so "the publish for version v" is unambiguous
        self.server.versions += 1
        return self.server.versions

    @property
    def stderr(self) -> list[str]:
        return self.server.stderr[self.stderr_from :]

    def teardown(self):
        try:
            if self.client is not None and self.ok and self.server.healthy():
                for path in list(self.open):
                    self.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(path.as_uri())))
                self.open.clear()
                shutil.rmtree(self.run_dir, ignore_errors=True)
                # the app went away: the server clears what it reported
                self.client.workspace_did_change_watched_files(
                    types.DidChangeWatchedFilesParams([types.FileEvent((self.app / "sst.config.ts").as_uri(), types.FileChangeType.Deleted)])
                )
            else:
                self.server.stop()  # a failed sequence: the next one gets a fresh server
        finally:
            if self.run_dir is not None:
                shutil.rmtree(self.run_dir, ignore_errors=True)
            if SHARED is None:
                self.server.close()

    # -- the editor's side ---------------------------------------------------------------------------
    def _send_open(self, path: Path, text: str) -> None:
        v = self.version()
        self.open[path] = [text, v]
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), LANGUAGE.get(path.suffix, "plaintext"), v, text)))

    def _send_changes(self, path: Path, changes: list[tuple[int, int, str] | str]) -> None:
        """Each change: (start, end, new text) in code points of the text at that moment, or a whole text."""
        entry = self.open[path]
        out = []
        for ch in changes:
            if isinstance(ch, str):
                entry[0] = ch
                out.append(types.TextDocumentContentChangeWholeDocument(text=ch))
                continue
            start, end, new = ch
            text = entry[0]
            start, end = safe_offset(text, start), safe_offset(text, end)
            start, end = min(start, end), max(start, end)
            rng = types.Range(to_position(text, start), to_position(text, end))
            entry[0] = text[:start] + new + text[end:]
            out.append(types.TextDocumentContentChangePartial(range=rng, text=new))
        entry[1] = self.version()
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=entry[1]), out))

    def _pick_open(self, seed: int) -> Path:
        paths = sorted(self.open)
        return paths[seed % len(paths)]

    def _span(self, text: str, seed: tuple[int, int]) -> tuple[int, int]:
        start = seed[0] % (len(text) + 1)
        return start, min(len(text), start + seed[1])

    # -- synchronisation and the invariants -----------------------------------------------------------
    async def _sync(self, path: Path | None = None) -> None:
        """Wait until the server has analysed everything sent so far.

        Waits for the publish carrying the newest version of ``path`` (or of a document bumped
        with an empty edit for the purpose), then for a request's answer, which the server writes
        after every publish of that analysis.
        """
        if path is None or path not in self.open:
            if not self.open:
                config = self.app / "sst.config.ts"
                self._send_open(config, disk_text(config) or "")
                path = config
            else:
                path = sorted(self.open)[0]
                self._send_changes(path, [(0, 0, "")])
        text, version = self.open[path]
        await wait_for_diagnostics(self.client, path.as_uri(), version=version, timeout=TIMEOUT)
        await self._requests(path)

    async def _requests(self, path: Path) -> None:
        """The server answers: hover somewhere in the document, code actions over all of it."""
        text = self.open[path][0]
        uri = path.as_uri()
        mid = to_position(text, safe_offset(text, len(text) // 2))
        await self.client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), mid))
        end = to_position(text, len(text))
        diags = list(self.client.diagnostics.get(uri, []))
        actions = await self.client.text_document_code_action_async(
            types.CodeActionParams(types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), end), types.CodeActionContext(diagnostics=diags))
        )
        for action in actions or []:
            if isinstance(action, types.CodeAction) and action.edit is not None:
                for edit_uri, edits in (action.edit.changes or {}).items():
                    target = self._text_of(uri_path(edit_uri))
                    for e in edits:  # a file that does not exist yet is created from its start
                        check_range(target if target is not None else "", e.range, f"code action {action.title!r} edit in {edit_uri}")

    def _text_of(self, path: Path) -> str | None:
        if path in self.open:
            return self.open[path][0]
        return disk_text(path)

    def check_published(self) -> None:
        assert not any("Traceback" in line for line in self.stderr), "server stderr:\n" + "".join(self.stderr)
        assert self.client._server.returncode is None, f"server exited with {self.client._server.returncode}"
        for uri, diags in self.client.diagnostics.items():
            path = uri_path(uri)
            if self.run_dir not in path.parents:
                continue  # an earlier sequence's app
            if path in self.open:
                text, version = self.open[path]
                assert self.client.diagnostic_versions.get(uri) == version, f"{uri}: diagnostics for version {self.client.diagnostic_versions.get(uri)}, latest is {version}"
            else:
                if not diags:
                    continue
                text = disk_text(path) or ""
            for d in diags:
                check_range(text, d.range, f"{d.code} in {path.name}")
                for rel in d.related_information or []:
                    rpath = uri_path(rel.location.uri)
                    rtext = self._text_of(rpath)
                    if rtext is None:  # a file that is missing or unreadable is pointed at its start
                        assert rel.location.range.start == rel.location.range.end == types.Position(0, 0), f"{d.code}: related range in unreadable {rpath}"
                    else:
                        check_range(rtext, rel.location.range, f"{d.code} related {rpath.name}")
        self.check_against_engine()

    def check_against_engine(self) -> None:
        """What was published is what the engine finds, from scratch, in the client's texts."""
        from sst_lsp.analysis import analyse_project
        from sst_lsp.engine.files import FileSystem
        from sst_lsp.engine.project import Project
        from sst_lsp.engine.settings import parse_settings
        from sst_lsp.features.convert import to_diagnostic
        from sst_lsp.rules.registry import load_all

        fs = FileSystem(workspace=self.server.ws, overlays={p: t for p, (t, _) in self.open.items()})
        editor, _ = parse_settings({"debounce-ms": 0}, load_all())
        result = analyse_project(Project(self.app, self.app / "sst.config.ts", fs), editor=editor)
        expected: dict[str, list] = {}
        for v in result.violations:
            d = to_diagnostic(v)
            expected.setdefault(v.path.as_uri(), []).append((d.code, d.range, d.message))
        for uri in set(expected) | {u for u in self.client.diagnostics if self.run_dir in uri_path(u).parents}:
            got = sorted(((d.code, d.range, d.message) for d in self.client.diagnostics.get(uri, [])), key=repr)
            want = sorted(expected.get(uri, []), key=repr)
            assert got == want, f"{uri}: published {got}\n  but a fresh analysis of the client's texts finds {want}"

    def step(self, path: Path | None = None) -> None:
        self.ok = False
        self.server.steps += 1
        self.run(self._sync(path))
        self.check_published()
        self.ok = True

    # -- rules ---------------------------------------------------------------------------------------
    @initialize(name=st.sampled_from(sorted(APPS)))
    def start(self, name):
        self.client = self.server.ensure()
        self.stderr_from = len(self.server.stderr)
        self.server.runs += 1
        self.run_dir = self.server.ws / f"run-{self.server.runs}"
        self.app = self.run_dir / name
        shutil.copytree(APPS[name], self.app, ignore=IGNORED)
        self.files = sorted(p for p in self.app.rglob("*") if p.is_file() and p.suffix in LANGUAGE)
        self.files += [self.app / n for n in NEW_FILES]
        self.originals = {p: p.read_bytes() for p in self.files if p.exists()}
        # a new app appears in the workspace, as a file watcher reports it
        self.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams([types.FileEvent((self.app / "sst.config.ts").as_uri(), types.FileChangeType.Created)])
        )
        self.step()

    @rule(seed=st.integers(0, 2**31))
    def open_file(self, seed):
        """Open any file (already open: open it again, with the disk's text, out of order)."""
        path = self.files[seed % len(self.files)]
        text = disk_text(path)
        self._send_open(path, text if text is not None else "")
        self.step(path)

    @rule(seed=st.integers(0, 2**31))
    def close_file(self, seed):
        """Close any file, open or not."""
        path = self.files[seed % len(self.files)]
        self.open.pop(path, None)
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(path.as_uri())))
        self.step()

    @precondition(lambda self: self.open)
    @rule(seed=st.integers(0, 2**31), where=st.lists(st.tuples(span, typed), min_size=1, max_size=3))
    def edit(self, seed, where):
        """One didChange with one to three incremental changes (insert, delete, replace)."""
        path = self._pick_open(seed)
        changes = []
        text = self.open[path][0]
        for sp, new in where:
            start, end = self._span(text, sp)
            changes.append((start, end, new))
            text = text[: safe_offset(text, start)] + new + text[safe_offset(text, end) :]  # only to size the next span
        self._send_changes(path, changes)
        self.step(path)

    @precondition(lambda self: self.open)
    @rule(seed=st.integers(0, 2**31), how=st.sampled_from(["empty-full", "empty-range", "crlf", "cr", "lf", "100k-line", "100k-emoji", "restore"]))
    def whole_document(self, seed, how):
        path = self._pick_open(seed)
        text = self.open[path][0]
        if how == "empty-full":
            self._send_changes(path, [""])
        elif how == "empty-range":
            self._send_changes(path, [(0, len(text), "")])
        elif how in ("crlf", "cr", "lf"):
            self._send_changes(path, [line_endings(text, {"crlf": "\r\n", "cr": "\r", "lf": "\n"}[how])])
        elif how == "100k-line":
            at = safe_offset(text, seed % (len(text) + 1))
            self._send_changes(path, [(at, at, "// " + "x" * 100_000 + "\n")])
        elif how == "100k-emoji":
            at = safe_offset(text, seed % (len(text) + 1))
            self._send_changes(path, [(at, at, "🐍中" * 33_000)])
        else:
            original = self.originals.get(path)
            self._send_changes(path, [original.decode("utf-8", "replace") if original is not None else ""])
        self.step(path)

    @rule(seed=st.integers(0, 2**31), how=st.sampled_from(["edit", "binary", "latin1", "delete", "restore", "crlf"]), where=span, new=typed)
    def change_on_disk(self, seed, how, where, new):
        """Change a file on disk and tell the server, as the editor's file watcher would."""
        path = self.files[seed % len(self.files)]
        existed = path.exists()
        if path.name == "sst.config.ts" and how in ("binary", "latin1", "delete"):
            how = "edit"  # the app stays an app: its root is where sst.config.ts is
        if how == "delete":
            if not existed:
                return
            path.unlink()
        elif how == "restore":
            if path not in self.originals:
                return
            path.write_bytes(self.originals[path])
        elif how == "binary":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\x00\xff\xfe" + os.urandom(16))
        elif how == "latin1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes("# Maître d'école\n".encode("latin-1") + (self.originals.get(path) or b""))
        else:
            text = disk_text(path) or ""
            if how == "crlf":
                text = line_endings(text, "\r\n")
            else:
                start, end = self._span(text, where)
                start, end = safe_offset(text, start), safe_offset(text, end)
                text = text[:start] + new + text[end:]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
        kind = types.FileChangeType.Deleted if how == "delete" else (types.FileChangeType.Changed if existed else types.FileChangeType.Created)
        self.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(path.as_uri(), kind)]))
        self.step()


EditorSession.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TestEditorSession = EditorSession.TestCase


# -- the sequences the fuzzer found, kept as plain regression tests ------------------------------------
def _replay(name: str, steps) -> None:
    machine = EditorSession()
    try:
        machine.start(name=name)
        for method, kwargs in steps:
            getattr(machine, method)(**kwargs)
    finally:
        machine.teardown()


def test_regression_lone_cr_line_endings():
    """Lone CR line endings: ranges were computed with lines split at \\n only (character 212 on line 0)."""
    _replay("SST202-not-member", [("whole_document", {"how": "cr", "seed": 0}), ("edit", {"seed": 0, "where": [((200, 0), "\r🐍\r")]})])


def test_regression_edit_after_nel():
    """An edit on a line after a \\x85 (NEL): pygls clamped the change's range in place, on its own
    (str.splitlines) view of the lines, before the server applied it: the texts diverged."""
    _replay(
        "broken-app",
        [("close_file", {"seed": 0})] * 5
        + [
            ("close_file", {"seed": 60}),
            ("edit", {"seed": 967, "where": [((51904454, 37), "¡\x94")]}),
            ("edit", {"seed": 4852146, "where": [((37531335, 21), 'name = "dup"\nname = "dup"\n'), ((19557, 23), "·F\x07è\x88\U0002f7b2ç"), ((3414, 16), '\x85/*\rname = "dup"\nname = "dup"\n')]}),
            ("edit", {"seed": 17913, "where": [((334908, 4), "🐍")]}),
        ],
    )
