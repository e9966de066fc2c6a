"""The malformed-input corpus (tests/malformed_corpus.py): the checker and the server survive all of it.

For each case ``sst-lsp check`` (in-process through ``sst_lsp.cli.main``, text and JSON; a case of
each kind also as a subprocess) exits 0 or 1 — never 2, never a traceback — and reports what the
case must produce (SST001, SST002, SST107) when those rules exist. One server is then opened on
the whole corpus: every case's files are opened and changed, and it keeps answering.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

import test_fuzz_sessions as fuzz
from conftest import server_env
from lsp_helpers import wait_for_diagnostics
from malformed_corpus import build_corpus, materialise, restore_permissions
from sst_lsp import cli
from sst_lsp.engine import files
from sst_lsp.rules.registry import load_all

CORPUS = build_corpus()
BY_ID = {c.id: c for c in CORPUS}
RULES = load_all()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("malformed")
    ws, outside = base / "workspace", base / "outside"
    ws.mkdir()
    apps = {c.id: materialise(c, ws, outside) for c in CORPUS}
    yield ws, apps
    restore_permissions(base)
    shutil.rmtree(base, ignore_errors=True)


def _really_unreadable(path: Path) -> bool:
    """chmod 000 does not stop root: find out whether it stops this process."""
    try:
        with open(path, "rb"):
            return False
    except OSError:
        return True


def _check(app: Path, capsys, caplog, *args) -> tuple[int, str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        rc = cli.main(["check", str(app), *args])
    out, err = capsys.readouterr()
    assert rc in (0, 1), f"exit {rc}\nstdout:\n{out}\nstderr:\n{err}"
    assert "Traceback" not in out + err and "internal error" not in err, err
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]
    return rc, out


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 200
    kinds = {c.kind for c in CORPUS}
    assert {"toml", "truncated", "binary", "not-utf8", "huge", "link-loop", "link-out", "unreadable", "handler-out"} <= kinds


@pytest.mark.parametrize("case_id", [c.id for c in CORPUS])
def test_check_survives(case_id, corpus, capsys, caplog):
    case = BY_ID[case_id]
    ws, apps = corpus
    app = apps[case_id]
    _check(app, capsys, caplog)  # the text format shows each diagnostic's source line
    _, out = _check(app, capsys, caplog, "--format", "json")
    found = {d["code"] for d in json.loads(out)["diagnostics"]}
    for d in json.loads(out)["diagnostics"]:
        r = d["range"]
        assert (r["start"]["line"], r["start"]["character"]) <= (r["end"]["line"], r["end"]["character"]), d
    expected = {code for code in case.expect if code in RULES}
    assert expected <= found, f"{case_id}: expected {sorted(expected)}, found {sorted(found)}"


def test_sizes_and_encodings_are_reported(corpus, capsys, caplog):
    """The 10 MB pyproject.toml is over the size cap: SST002 says so (when the rule exists), nothing crashes."""
    ws, apps = corpus
    _, out = _check(apps["huge:pyproject.toml-10MB"], capsys, caplog, "--format", "json")
    diags = json.loads(out)["diagnostics"]
    if "SST002" in RULES:
        assert any(d["code"] == "SST002" and d["path"] == "pyproject.toml" and "limit" in d["message"] for d in diags), diags
    _, out = _check(apps["latin1:pyproject.toml"], capsys, caplog, "--format", "json")
    if "SST002" in RULES:
        assert any(d["code"] == "SST002" and "UTF-8" in d["message"] for d in json.loads(out)["diagnostics"])


UNREADABLE = {
    "unreadable:root-pyproject": "pyproject.toml",
    "unreadable:member-pyproject": "functions/pyproject.toml",
    "unreadable:handler": "functions/src/functions/api.py",
}


@pytest.mark.parametrize("case_id", sorted(UNREADABLE))
def test_unreadable_files(case_id, corpus, capsys, caplog, monkeypatch):
    """A file without read permission is reported by SST002, not a crash.

    As root, mode 000 does not stop reading: the file is then checked like any other, and the
    permission error is produced instead by making reads of that one file fail.
    """
    ws, apps = corpus
    app = apps[case_id]
    target = app / UNREADABLE[case_id]
    if not _really_unreadable(target):
        _, out = _check(app, capsys, caplog, "--format", "json")
        assert not any("cannot be read" in d["message"] for d in json.loads(out)["diagnostics"]), "root reads a mode-000 file"
        def refusing_open(file, *args, **kwargs):
            if os.path.abspath(file) == str(target):
                raise PermissionError(13, "Permission denied", str(file))
            return open(file, *args, **kwargs)

        monkeypatch.setattr(files, "open", refusing_open, raising=False)  # how the engine opens a file
    _, out = _check(app, capsys, caplog, "--format", "json")
    if "SST002" in RULES:
        diags = json.loads(out)["diagnostics"]
        assert any(d["code"] == "SST002" and "Permission denied" in d["message"] for d in diags), diags


def _one_per_kind() -> list[str]:
    seen, out = set(), []
    for c in CORPUS:
        if c.kind not in seen:
            seen.add(c.kind)
            out.append(c.id)
    return out + ["huge:pyproject.toml-10MB", "toml:pyproject.toml:deep-array-10000", "link-out:member-dir", "symlink-loop:dir-to-parent"]


@pytest.mark.parametrize("case_id", _one_per_kind())
def test_check_subprocess(case_id, corpus):
    ws, apps = corpus
    for args in ([], ["--format", "sarif"]):
        proc = subprocess.run([sys.executable, "-m", "sst_lsp", "check", str(apps[case_id]), *args], capture_output=True, text=True, env=server_env(), timeout=120)
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


def _editor_text(path: Path) -> str | None:
    """What an editor shows for ``path`` (None: it cannot be opened as a text file)."""
    try:
        if not path.is_file():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data.decode("utf-8-sig", errors="replace")


def test_server_survives_the_corpus(corpus):
    """One server over the whole corpus: it scans it, then every case's files are opened and changed."""
    ws, apps = corpus
    server = fuzz.SharedServer(ws)
    try:
        client = server.ensure()  # includes the start-up scan of every app in the corpus
        n = 0
        for case in CORPUS:
            app = apps[case.id]
            for rel in case.opened or ["sst.config.ts", "pyproject.toml"]:
                path = app / rel
                text = _editor_text(path)
                if text is None:
                    continue
                uri = path.as_uri()
                n += 1
                v = server.versions = server.versions + 1
                lang = fuzz.LANGUAGE.get(path.suffix, "plaintext")
                client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, lang, v, text)))
                server.run(wait_for_diagnostics(client, uri, version=v))
                half = text[: len(text) // 2]
                v = server.versions = server.versions + 1
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=v), [types.TextDocumentContentChangeWholeDocument(text=half + "\n🐍\r")])
                )
                server.run(wait_for_diagnostics(client, uri, version=v))
                for d in client.diagnostics[uri]:
                    fuzz.check_range(half + "\n🐍\r", d.range, f"{case.id}: {d.code}")
                server.run(client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))))
                client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
            assert server.healthy(), f"after {case.id}:\n" + "".join(server.stderr)
        assert n >= 200
        # still answering at the end
        server.run(client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier((ws / "x.ts").as_uri()), types.Position(0, 0))))
        assert server.healthy(), "".join(server.stderr)
    finally:
        server.close()
