"""Differential testing of the incremental path: after every step of a random editing session,
the editor session's diagnostics (incremental reparse, a disk model shared across TypeScript
edits, rule results kept on it) equal those of a fresh analysis of the same texts.

CI runs a few hundred sequences; ``SST_LSP_DIFF_SEQUENCES=10000`` runs more.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from helpers import BROKEN_APP, FIXTURES, copy_app
from sst_lsp.engine.documents import OpenDocument
from sst_lsp.engine.positions import LineIndex, Range
from sst_lsp.engine import memo as memo_module
from sst_lsp.engine import project as project_module
from sst_lsp.engine.project import CONFIG_NAME
from sst_lsp.session import EditorSession

SEQUENCES = int(os.environ.get("SST_LSP_DIFF_SEQUENCES", "240"))
STEPS = 6
APPS = [
    BROKEN_APP,
    FIXTURES / "official" / "aws-python",
    FIXTURES / "SST105" / "clean-spread",
    FIXTURES / "SST202" / "not-member",
    FIXTURES / "SST206" / "nested-and-missing",
]
SNIPPETS = [
    '"functions/src/functions/api.handler"',
    'runtime: "python3.12", ',
    'runtime: "nodejs20.x", ',
    "handler, ",
    "...defaults, ",
    "\n",
    "// 🐍 note\n",
    "}",
    "{",
    'new sst.aws.Function("X", { handler: "functions/src/functions/api.handler" });\n',
    'copyFiles: [{ from: "functions" }], ',
    "copyFiles: [{ from: dir }], ",
    'const dir = "functions";\n',
    "/* a */",
    "x",
    '"',
    'const handler = "functions/src/functions/api.handler";\n',
    "const defaults = { runtime: \"python3.11\" };\n",
    "é",
]
TOML_SNIPPETS = [
    '"functions", ',
    "\n",
    "[build-system]\n",
    "#",
    '"',
    "members = []\n",
    "x",
    'name = "core"\n',
    '"requests", ',
    'dependencies = ["core", "boto3"]\n',
    "[tool.uv]\nmanaged = false\n",
    '[tool.uv.sources]\ncore = { workspace = true }\n',
    'requires-python = ">=3.13"\n',
    'build-backend = "hatchling.build"\n',
]
PYTHON_SNIPPETS = ["import requests\n", "from core import greeting\n", "def main(event, context):\n    return 1\n", "(", "\n", "x", "# é\n", "import core\n"]
JSON_SNIPPETS = ['"sst": "3.0.1", ', '"sst": "^4.17.0", ', "}", "{", '"', "\n"]


def _key(by_path: dict) -> list[tuple]:
    return sorted(
        (str(p), v.code, v.range.start.line, v.range.start.character, v.range.end.line, v.range.end.character, v.severity.value, v.message)
        for p, vs in by_path.items()
        for v in vs
    )


COMMENT_SNIPPETS = ["x", "é", "🐍", " ", "*/", "/*", "\n", "//", " sst-lsp-ignore SST105", ""]
COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
HANDLER_SNIPPETS = ["x", "/", ".", "_v2", "", "é", '"', "src/"]
HANDLER_STRING = re.compile(r'handler:\s*"([^"\n]*)"')
ANY_STRING = re.compile(r'"([^"\n]*)"')


def _random_edit(rng: random.Random, text: str, snippets: list[str]) -> tuple[Range, str]:
    index = LineIndex(text)
    size = len(text)
    start = rng.randrange(size + 1)
    comments = [m.span() for m in COMMENT.finditer(text)] if snippets is SNIPPETS and rng.random() < 0.3 else []
    strings = HANDLER_STRING if rng.random() < 0.5 else ANY_STRING
    handlers = [m.span(1) for m in strings.finditer(text)] if snippets is SNIPPETS and not comments and rng.random() < 0.3 else []
    if handlers:  # typing in a handler's path (the edit a keystroke most often is) or another string, at times its quote
        lo, hi = rng.choice(handlers)
        start = rng.randint(lo, hi)
        end = min(hi + 1, start + rng.choice([0, 0, 1]))
        return Range(index.position_of_offset(start), index.position_of_offset(end)), rng.choice(HANDLER_SNIPPETS)
    if snippets is SNIPPETS and not handlers and rng.random() < 0.1:
        # a comment written at the end of a line (on a blank one, after code, after blanks), at
        # times over code or inside a string that spans lines
        at = text.find("\n", start)
        at = size if at < 0 else at
        at = rng.choice([at, max(0, at - rng.randint(0, 3))])
        return Range(index.position_of_offset(at), index.position_of_offset(at)), rng.choice(["// note", "    // ", "//", " // why: 🐍", "/* x */"])
    if comments:  # inside (or at the edges of) a comment: what an edit there may keep, and may not
        lo, hi = rng.choice(comments)
        start = rng.randint(lo, hi)
        end = min(hi, start + rng.choice([0, 0, 1, 3]))
        return Range(index.position_of_offset(start), index.position_of_offset(end)), rng.choice(COMMENT_SNIPPETS)
    if rng.random() < 0.6:
        end, new = start, rng.choice(snippets)
    else:
        end, new = min(size, start + rng.randrange(1, 12)), rng.choice(["", "", rng.choice(snippets)])
    return Range(index.position_of_offset(start), index.position_of_offset(end)), new


def _fresh(app: Path, docs: dict[Path, OpenDocument]) -> list[tuple]:
    """A fresh analysis: new documents, a new session, and no extraction kept from before."""
    session = EditorSession(workspace_root=app)
    for path, doc in docs.items():
        copy = OpenDocument(path, doc.text, doc.version)
        copy.parse_full()
        session.docs[path] = copy
    kept = dict(project_module._TS_CACHE)
    project_module._TS_CACHE.clear()
    try:
        return _key(session.analyse(app).current)
    finally:
        project_module._TS_CACHE.clear()
        project_module._TS_CACHE.update(kept)


def _editable(app: Path) -> list[Path]:
    """The config, infra files, every pyproject.toml, the handlers' sources, uv.lock, package.json."""
    files = [app / CONFIG_NAME, *sorted((app / "infra").glob("*.ts")), *sorted(app.rglob("pyproject.toml"))]
    files += sorted(p for p in app.rglob("*.py") if p.name != "__init__.py")
    files += [app / "uv.lock", app / "package.json"]
    return [p for p in files if p.is_file()]


def _snippets(path: Path) -> list[str]:
    return {".toml": TOML_SNIPPETS, ".lock": TOML_SNIPPETS, ".py": PYTHON_SNIPPETS, ".json": JSON_SNIPPETS}.get(path.suffix, SNIPPETS)


def _open(session: EditorSession, docs: dict, path: Path) -> OpenDocument:
    doc = docs[path] = OpenDocument(path, path.read_text(encoding="utf-8"), 1)
    doc.parse_full()
    session.docs[path] = doc
    return doc


@pytest.mark.parametrize("chunk", range(8))
def test_incremental_equals_fresh(chunk, tmp_path, monkeypatch):
    rng = random.Random(chunk)
    if chunk % 2:
        # every disk-model value with a dependant is a hub (see Memo._mark): settled before its
        # dependants are marked, at every step, where a real workspace has a few of 64 and more
        monkeypatch.setattr(memo_module, "HUB_DEPENDANTS", 1)
    for n in range(SEQUENCES // 8):
        source = APPS[(chunk + n) % len(APPS)]
        app = copy_app(source, tmp_path / f"s{n}")
        session = EditorSession(workspace_root=app)
        docs: dict[Path, OpenDocument] = {}
        editable = _editable(app)
        if n % 2:  # every file open from the start: each step is an edit of an open document
            for path in editable:
                _open(session, docs, path)
        session.analyse(app)
        for step in range(STEPS):
            path = rng.choice(editable)
            doc = docs.get(path) or _open(session, docs, path)
            edits = [_random_edit(rng, doc.text, _snippets(path))]
            doc.apply_changes(edits, doc.version + 1)
            incremental = _key(session.analyse(app).current)
            fresh = _fresh(app, docs)
            assert incremental == fresh, f"{source.name}, sequence {n}, step {step}: {path.name} edited with {edits!r}"


def test_rule_results_are_kept_for_functions_whose_facts_did_not_change(tmp_path, monkeypatch):
    """A rule of scope "function" runs again only for the function an edit changed; one of scope
    "functions" only when some function changed; the diagnostics are those of a fresh analysis."""
    from dataclasses import replace

    from sst_lsp.rules import registry

    app = copy_app(BROKEN_APP, tmp_path / "app")
    calls: dict[str, list] = {"SST102": [], "SST213": []}
    rules = registry.load_all()
    for code in calls:
        original = rules[code].check

        def counted(project, original=original, code=code):
            calls[code].append([fd.handler for fd in project.functions])
            return original(project)

        monkeypatch.setitem(registry._LOADED, code, replace(rules[code], check=counted))
    assert rules["SST102"].scope == "function" and rules["SST213"].scope == "functions"
    session = EditorSession(workspace_root=app)
    config = app / CONFIG_NAME
    doc = OpenDocument(config, config.read_text(encoding="utf-8"), 1)
    doc.parse_full()
    session.docs[config] = doc
    session.analyse(app)
    functions = len(calls["SST102"])
    assert functions >= 2 and len(calls["SST213"]) == 1

    def edit(old: str, new: str) -> tuple[dict, list[tuple]]:
        for v in calls.values():
            v.clear()
        offset = doc.text.rindex(old)
        index = LineIndex(doc.text)
        doc.apply_changes([(Range(index.position_of_offset(offset), index.position_of_offset(offset + len(old))), new)], doc.version + 1)
        incremental = _key(session.analyse(app).current)
        ran = {code: list(v) for code, v in calls.items()}
        assert incremental == _fresh(app, {config: doc})
        return ran, incremental

    ran, _ = edit("});", "}); // a comment after every function")
    assert ran == {"SST102": [], "SST213": []}  # nothing any function is made of changed
    ran, _ = edit('health.handler"', 'healt.handler"')
    assert ran["SST102"] == [["functions/src/functions/healt.handler"]]  # that function only
    assert len(ran["SST213"]) == 1


def test_a_module_opened_before_it_is_saved_is_followed_by_the_imports_that_name_it(tmp_path):
    """An import's target is kept with the disk model, which stays while only TypeScript documents
    open and close: a new buffer the config imports, not yet on disk, is followed all the same."""
    app = copy_app(FIXTURES / "official" / "aws-python", tmp_path / "app")
    config = app / CONFIG_NAME
    config.write_text('import "./lib/extra";\n' + config.read_text())
    session = EditorSession(workspace_root=app)
    docs: dict = {}

    def open_document(path: Path, text: str) -> None:
        doc = docs[path] = session.docs[path] = OpenDocument(path, text, 1)
        doc.parse_full()

    open_document(config, config.read_text())
    session.analyse(app)
    extra = app / "lib" / "extra.ts"  # an editor's new buffer
    open_document(extra, 'new sst.aws.Function("X", { handler: "functions/src/functions/nope.handler", runtime: "python3.12" });\n')
    incremental = _key(session.analyse(app).current)
    assert incremental == _fresh(app, docs)
    assert any("extra.ts" in str(entry[0]) and "SST102" in entry for entry in incremental)
