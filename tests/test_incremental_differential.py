"""Differential testing of the incremental path: after every step of a random editing session,
the editor session's diagnostics (incremental reparse, a disk model shared across TypeScript
edits, rule results kept on it) equal those of a fresh analysis of the same texts.

CI runs a few hundred sequences; ``SST_LSP_DIFF_SEQUENCES=10000`` runs more.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from helpers import BROKEN_APP, FIXTURES, copy_app
from sst_lsp.engine.documents import OpenDocument
from sst_lsp.engine.positions import LineIndex, Range
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
    "x",
    '"',
]
TOML_SNIPPETS = ['"functions", ', "\n", "[build-system]\n", "#", '"', "members = []\n", "x"]


def _key(by_path: dict) -> list[tuple]:
    return sorted(
        (str(p), v.code, v.range.start.line, v.range.start.character, v.range.end.line, v.range.end.character, v.severity.value, v.message)
        for p, vs in by_path.items()
        for v in vs
    )


def _random_edit(rng: random.Random, text: str, snippets: list[str]) -> tuple[Range, str]:
    index = LineIndex(text)
    size = len(text)
    start = rng.randrange(size + 1)
    if rng.random() < 0.6:
        end, new = start, rng.choice(snippets)
    else:
        end, new = min(size, start + rng.randrange(1, 12)), rng.choice(["", "", rng.choice(snippets)])
    return Range(index.position_of_offset(start), index.position_of_offset(end)), new


def _fresh(app: Path, docs: dict[Path, OpenDocument]) -> list[tuple]:
    session = EditorSession(workspace_root=app)
    for path, doc in docs.items():
        copy = OpenDocument(path, doc.text, doc.version)
        copy.parse_full()
        session.docs[path] = copy
    return _key(session.analyse(app).current)


def _editable(app: Path) -> list[Path]:
    files = [app / CONFIG_NAME, *sorted((app / "infra").glob("*.ts")), app / "pyproject.toml"]
    return [p for p in files if p.is_file()]


@pytest.mark.parametrize("chunk", range(8))
def test_incremental_equals_fresh(chunk, tmp_path):
    rng = random.Random(chunk)
    for n in range(SEQUENCES // 8):
        source = APPS[(chunk + n) % len(APPS)]
        app = copy_app(source, tmp_path / f"s{n}")
        session = EditorSession(workspace_root=app)
        docs: dict[Path, OpenDocument] = {}
        session.analyse(app)
        for step in range(STEPS):
            path = rng.choice(_editable(app))
            doc = docs.get(path)
            if doc is None:
                doc = docs[path] = OpenDocument(path, path.read_text(encoding="utf-8"), 1)
                doc.parse_full()
                session.docs[path] = doc
            snippets = TOML_SNIPPETS if path.suffix == ".toml" else SNIPPETS
            edits = [_random_edit(rng, doc.text, snippets) for _ in range(rng.choice([1, 1, 2]))][:1]
            doc.apply_changes(edits, doc.version + 1)
            incremental = _key(session.analyse(app).current)
            fresh = _fresh(app, docs)
            assert incremental == fresh, f"{source.name}, sequence {n}, step {step}: {path.name} edited with {edits!r}"
