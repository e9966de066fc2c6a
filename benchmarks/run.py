"""sst-lsp benchmark: one command, a table of medians, peers measured in the same run.

    python benchmarks/run.py [--runs 5] [--edits 200]

1. Cold check: wall time and peak memory of `sst-lsp check` on generated era-B monorepos of 50
   and 500 function projects, next to `validate-pyproject` and `taplo lint` on the same
   pyproject.toml files, and the ratio sst-lsp / validate-pyproject.
2. Keystroke latency through the protocol (server as a subprocess, debounce 0): incremental
   single-character edits, from didChange to the publishDiagnostics of that version — p50 and
   p99 — on a 2,000-line sst.config.ts (next to one full tree-sitter parse of that file in this
   process), on a realistic app's 50-line sst.config.ts and 600-line infra file (shared
   defaults spread into twenty functions, routes with a transform), and inside a string of a
   member's pyproject.toml in the 500-project workspace. The same edits are then timed in this
   process, on an editor session without the protocol, to show what the protocol adds.
3. Cross-file update: 500-project workspace, sst.config.ts and one infra file open; remove one
   member's [build-system]; time until that pyproject.toml's diagnostics are re-published.
4. Start-up: initialize to the first diagnostics of the open sst.config.ts for the 500-project
   workspace (with the head start: from the second process), and to the server's own analysis of
   that document (the diagnostics carrying its version: the server is ready for edits).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "server"))

from generate import big_config, monorepo, realistic  # noqa: E402


def run_measured(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit status) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent / "server"), env.get("PYTHONPATH", "")) if p)
    return env


def tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def median_of(cmd, runs, cwd=None):
    walls, mems = [], []
    for _ in range(runs):
        wall, mem, _ = run_measured(cmd, cwd)
        walls.append(wall)
        mems.append(mem)
    return statistics.median(walls), max(mems)


def cold_check(root: Path, runs: int) -> dict:
    files = sorted(str(p) for p in root.rglob("pyproject.toml"))
    out = {}
    out["sst-lsp check"] = median_of([sys.executable, "-m", "sst_lsp", "check", str(root), "-q"], runs)
    vp = tool("validate-pyproject")
    out["validate-pyproject"] = median_of([vp, *files], runs) if vp else None
    taplo = tool("taplo")
    out["taplo lint"] = median_of([taplo, "lint", "--no-schema", *files], runs) if taplo else None
    return out


# -- protocol measurements -----------------------------------------------------------------------


class Client:
    """A small LSP client over the server's stdio, recording when each publishDiagnostics arrives."""

    def __init__(self):
        from lsprotocol import types
        from pygls.lsp.client import LanguageClient

        self.types = types
        self.lc = LanguageClient("sst-lsp-bench", "1")
        self.published: list[tuple[float, str, int | None]] = []
        self.event = asyncio.Event()

        @self.lc.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _publish(ls, params):
            self.published.append((time.perf_counter(), params.uri, params.version))
            self.event.set()

        @self.lc.feature(types.WINDOW_LOG_MESSAGE)
        def _log(ls, params):
            pass

    async def start(self, root: Path) -> float:
        t = self.types
        await self.lc.start_io(sys.executable, "-m", "sst_lsp", "serve", env=_env())
        start = time.perf_counter()
        await self.lc.initialize_async(
            t.InitializeParams(
                capabilities=t.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[t.WorkspaceFolder(root.as_uri(), "bench")],
                initialization_options={"debounce-ms": 0},
            )
        )
        self.lc.initialized(t.InitializedParams())
        return start

    async def wait_for(self, pred, timeout=120.0) -> float:
        async def _w():
            while True:
                for entry in self.published:
                    if pred(entry):
                        return entry[0]
                self.event.clear()
                await self.event.wait()

        return await asyncio.wait_for(_w(), timeout)

    def open(self, path: Path, language: str) -> str:
        t = self.types
        uri = path.as_uri()
        self.lc.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, language, 1, path.read_text())))
        return uri

    def warm_up(self, uri: str) -> None:
        """This client's first didChange makes cattrs write the code that serialises it (~3 ms, in
        this process), and its first diagnostic with related places and data the code that reads
        it (~1.5 ms): done before the clock runs, as an editor's client has no such cost."""
        t = self.types
        rng = t.Range(t.Position(0, 0), t.Position(0, 0))
        params = t.DidChangeTextDocumentParams(t.VersionedTextDocumentIdentifier(uri=uri, version=0), [t.TextDocumentContentChangePartial(range=rng, text="")])
        self.lc.protocol._serialize_message(t.DidChangeTextDocumentNotification(method=t.TEXT_DOCUMENT_DID_CHANGE, params=params, jsonrpc="2.0"))
        where = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}
        diagnostic = {
            "range": where, "severity": 1, "code": "SST102", "codeDescription": {"href": "https://example.invalid/"}, "source": "sst-lsp", "message": "",
            "relatedInformation": [{"location": {"uri": uri, "range": where}, "message": ""}], "data": {"fix": {"title": "", "edits": []}},
        }  # fmt: skip
        message = {"jsonrpc": "2.0", "method": t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": {"uri": uri, "version": 0, "diagnostics": [diagnostic]}}
        self.lc.protocol.structure_message(message)

    def change(self, uri: str, version: int, line: int, char: int, text: str, delete: int = 0) -> None:
        t = self.types
        rng = t.Range(t.Position(line, char), t.Position(line, char + delete))
        self.lc.text_document_did_change(
            t.DidChangeTextDocumentParams(t.VersionedTextDocumentIdentifier(uri=uri, version=version), [t.TextDocumentContentChangePartial(range=rng, text=text)])
        )

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.lc.shutdown_async(None), 10)
            self.lc.exit(None)
            await asyncio.wait_for(self.lc.stop(), 10)
        except Exception:
            pass


def edit_script(text: str, edits: int) -> list[tuple[int, int, str, int]]:
    """(line, char, insert, delete) steps: typing bursts in a comment, and edits inside handlers."""
    lines = text.splitlines()
    handler_lines = [i for i, l in enumerate(lines) if "handler:" in l]
    steps = []
    comment_line = len(lines) - 3  # inside run(), before its closing brace
    typed = 0
    i = 0
    while len(steps) < edits:
        if (i // 10) % 2 == 0 or not handler_lines:
            # a burst of typing: characters of a comment at the end of run()
            if typed == 0:
                steps.append((comment_line, 0, "    // ", 0))
                typed = 7
            else:
                steps.append((comment_line, typed, "abcdefghij"[len(steps) % 10], 0))
                typed += 1
        else:
            # inside a handler string: add a letter to the file name, then take it away
            line = handler_lines[(i * 7) % len(handler_lines)]
            col = lines[line].index("api.handler") + 3
            steps.append((line, col, "x", 0))
            steps.append((line, col, "", 1))
        i += 1
    return steps[:edits]


def toml_script(text: str, edits: int) -> list[tuple[int, int, str, int]]:
    """Typing inside the version string of a pyproject.toml: a digit, then taking it away."""
    lines = text.splitlines()
    line = next(i for i, l in enumerate(lines) if l.startswith("version = "))
    col = lines[line].index('"') + 2
    steps = []
    while len(steps) < edits:
        steps.append((line, col, "1", 0))
        steps.append((line, col, "", 1))
    return steps[:edits]


def _summary(latencies: list[float], steps: list[tuple], script) -> dict:
    """p50 and p99, and for ``edit_script`` the same for each of its two kinds of step: typing in
    a comment, and an edit in a handler string (an "x" added, a character taken away)."""
    out = {"p50": statistics.median(latencies), "p99": statistics.quantiles(latencies, n=100)[98], "n": len(latencies)}
    if script is not edit_script:
        return out
    kinds = ["code" if text == "x" or delete else "comment" for _, _, text, delete in steps]
    for kind in ("comment", "code"):
        some = [t for t, k in zip(latencies, kinds) if k == kind]
        if len(some) >= 2 and len(some) < len(latencies):
            out[kind] = (statistics.median(some), statistics.quantiles(some, n=100)[98], len(some))
    return out


def _kinds_line(ks: dict) -> str:
    parts = [f"{label} p50 {ks[k][0] * 1000:.2f}ms, p99 {ks[k][1] * 1000:.2f}ms ({ks[k][2]})" for k, label in (("comment", "typing in a comment:"), ("code", "in a handler string:")) if k in ks]
    return ("\n      " + "; ".join(parts)) if parts else ""


async def keystrokes(root: Path, edits: int, file: str = "sst.config.ts", script=edit_script) -> dict:
    client = Client()
    await client.start(root)
    config = root / file
    uri = client.open(config, "toml" if file.endswith(".toml") else "typescript")
    await client.wait_for(lambda e: e[1] == uri and e[2] == 1)
    client.warm_up(uri)
    latencies = []
    version = 1
    steps = script(config.read_text(), edits)
    for line, char, text, delete in steps:
        version += 1
        sent = time.perf_counter()
        client.change(uri, version, line, char, text, delete)
        got = await client.wait_for(lambda e, v=version: e[1] == uri and e[2] == v and e[0] >= sent)
        latencies.append(got - sent)
    await client.stop()
    return _summary(latencies, steps, script)


def in_process(root: Path, file: str, script, edits: int) -> dict:
    """The same edits applied to an editor session in this process (no protocol, no JSON): an
    analysis per edit, as the server runs it, collections paused the same way."""
    import gc

    from sst_lsp.analysis import collector_paused
    from sst_lsp.engine import typescript
    from sst_lsp.engine.documents import OpenDocument
    from sst_lsp.engine.positions import Position, Range
    from sst_lsp.session import EditorSession

    session = EditorSession(workspace_root=root)
    path = root / file
    doc = OpenDocument(path, path.read_text(), 1)
    doc.parse_full()
    session.docs[path] = doc
    app = session.root_for(path)
    with collector_paused():
        session.analyse(app)
        gc.freeze()
    typescript.warm_up()  # as the server does before its first scan
    session.warm_up()  # and when the user pauses
    latencies = []
    steps = script(doc.text, edits)
    for line, char, text, delete in steps:
        start = time.perf_counter()
        with collector_paused():  # and frozen before the collector is on again, as the server does
            doc.apply_changes([(Range(Position(line, char), Position(line, char + delete)), text)], doc.version + 1)
            session.analyse(app)
            gc.freeze()
        latencies.append(time.perf_counter() - start)
    gc.unfreeze()
    return _summary(latencies, steps, script)


def full_parse_time(path: Path, runs: int = 30) -> float:
    from sst_lsp.engine.typescript import new_parser

    parser = new_parser()
    src = path.read_bytes()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parser.parse(src)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def cross_file_and_startup(mono: Path) -> tuple[float, float, float]:
    client = Client()
    started = await client.start(mono)
    config_uri = client.open(mono / "sst.config.ts", "typescript")
    first = await client.wait_for(lambda e: e[1] == config_uri)
    startup = first - started
    # the server's own analysis of the open document (its version): the server is ready for edits
    ready = await client.wait_for(lambda e: e[1] == config_uri and e[2] == 1) - started
    infra = mono / "infra" / "functions00.ts"
    infra_uri = client.open(infra, "typescript")
    await client.wait_for(lambda e: e[1] == infra_uri)
    member = mono / "fn0000" / "pyproject.toml"
    member_uri = client.open(member, "toml")
    await client.wait_for(lambda e: e[1] == member_uri)
    text = member.read_text()
    start_line = text.splitlines().index("[build-system]")
    t = client.types
    sent = time.perf_counter()
    client.lc.text_document_did_change(
        t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=member_uri, version=2),
            [t.TextDocumentContentChangePartial(range=t.Range(t.Position(start_line, 0), t.Position(start_line + 3, 0)), text="")],
        )
    )
    got = await client.wait_for(lambda e: e[1] == member_uri and e[2] == 2 and e[0] >= sent)
    await client.stop()
    return got - sent, startup, ready


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="repetitions for medians (default 5)")
    ap.add_argument("--edits", type=int, default=200)
    ap.add_argument("--keep", help="generate inputs into this folder and keep them")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sst-lsp-bench-"))
    try:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; medians of {args.runs} runs")
        mono50 = monorepo(work / "mono50", 50)
        mono500 = monorepo(work / "mono500", 500)
        big = big_config(work / "big")
        print("\n1. Cold check (wall time, peak memory)")
        print(f"   {'workspace':<10} {'tool':<20} {'time':>9} {'peak MiB':>9}")
        for label, root in (("50", mono50), ("500", mono500)):
            res = cold_check(root, args.runs)
            for name, value in res.items():
                if value is None:
                    print(f"   {label:<10} {name:<20} {'(not installed)':>19}")
                else:
                    print(f"   {label:<10} {name:<20} {value[0] * 1000:>7.0f}ms {value[1]:>9.1f}")
            if res.get("validate-pyproject"):
                print(f"   {label:<10} {'ratio sst-lsp / validate-pyproject':<30} {res['sst-lsp check'][0] / res['validate-pyproject'][0]:.2f}")
        print("\n2. Keystroke latency, 2,000-line sst.config.ts (200 functions)")
        parse = full_parse_time(big / "sst.config.ts")
        ks = asyncio.run(keystrokes(big, args.edits))
        print(f"   one full tree-sitter parse: {parse * 1000:.2f}ms")
        print(f"   didChange -> publishDiagnostics over {ks['n']} edits: p50 {ks['p50'] * 1000:.2f}ms ({ks['p50'] / parse:.2f}x parse), p99 {ks['p99'] * 1000:.2f}ms ({ks['p99'] / parse:.2f}x parse){_kinds_line(ks)}")
        real = realistic(work / "realistic")
        for label, file in (("50-line sst.config.ts", "sst.config.ts"), ("600-line infra/api.ts", "infra/api.ts")):
            ks = asyncio.run(keystrokes(real, min(args.edits, 100), file))
            print(f"   realistic app, {label}: p50 {ks['p50'] * 1000:.2f}ms, p99 {ks['p99'] * 1000:.2f}ms over {ks['n']} edits{_kinds_line(ks)}")
        ks = asyncio.run(keystrokes(mono500, min(args.edits, 100), "fn0007/pyproject.toml", toml_script))
        print(f"   inside a string of a member's pyproject.toml, 500 members: p50 {ks['p50'] * 1000:.2f}ms, p99 {ks['p99'] * 1000:.2f}ms over {ks['n']} edits")
        print("\n   The same edits in this process (an editor session, no protocol):")
        for label, root, file, script, n in (
            ("2,000-line sst.config.ts", big, "sst.config.ts", edit_script, args.edits),
            ("50-line sst.config.ts", real, "sst.config.ts", edit_script, min(args.edits, 100)),
            ("600-line infra/api.ts", real, "infra/api.ts", edit_script, min(args.edits, 100)),
            ("member's pyproject.toml, 500 members", mono500, "fn0007/pyproject.toml", toml_script, min(args.edits, 100)),
        ):
            ks = in_process(root, file, script, n)
            print(f"   {label}: p50 {ks['p50'] * 1000:.2f}ms, p99 {ks['p99'] * 1000:.2f}ms over {ks['n']} edits{_kinds_line(ks)}")
        print("\n3./4. Cross-file update and start-up, 500-project workspace")
        crosses, starts, readies = [], [], []
        for _ in range(args.runs):
            c, s, r = asyncio.run(cross_file_and_startup(mono500))
            crosses.append(c)
            starts.append(s)
            readies.append(r)
        print(f"   member pyproject.toml edit ([build-system] removed) -> re-published: {statistics.median(crosses) * 1000:.0f}ms")
        print(f"   initialize -> first diagnostics: {statistics.median(starts) * 1000:.0f}ms (runs: {', '.join(f'{x * 1000:.0f}' for x in starts)})")
        print(f"   initialize -> the open sst.config.ts analysed by the server itself (ready for edits): {statistics.median(readies) * 1000:.0f}ms")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
