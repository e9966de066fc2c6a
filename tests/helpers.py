"""Helpers for rule, fix and CLI tests: run the engine on an app, read results simply."""

from __future__ import annotations

import ast
import os
import shutil
import sys
from collections import defaultdict
from pathlib import Path

from sst_lsp.analysis import analyse_path
from sst_lsp.engine.model import Violation
from sst_lsp.engine.positions import LineIndex, apply_text_edits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
EXAMPLES = REPO / "examples"
BROKEN_APP = EXAMPLES / "broken-app"


def run_check(path: Path, era: str | None = None) -> list[Violation]:
    """Every violation in every app under ``path`` (``era``: an SST version to assume)."""
    results = analyse_path(Path(path), era_override=era)
    failures = [f for r in results for f in r.failures]
    assert not failures, f"rules raised: {failures}"
    return [v for r in results for v in r.violations]


def summary(violations: list[Violation], root: Path) -> list[tuple[str, str, int]]:
    """(code, root-relative posix path, 1-based line) for each violation, sorted."""
    out = []
    for v in violations:
        rel = Path(os.path.relpath(v.path, root)).as_posix()
        out.append((v.code, rel, v.range.start.line + 1))
    return sorted(out)


def place(v: Violation, root: Path) -> tuple[str, str, int, int]:
    rel = Path(os.path.relpath(v.path, root)).as_posix()
    return (v.code, rel, v.range.start.line, v.range.start.character)


def copy_app(src: Path, tmp_path: Path) -> Path:
    dest = tmp_path / src.name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".venv", "node_modules"))
    return dest


def rebase(path: Path, old_root: Path, new_root: Path) -> Path:
    return new_root / os.path.relpath(path, old_root)


def apply_edits(edits, old_root: Path, new_root: Path) -> dict[Path, tuple[str, str, list]]:
    """Apply edits (grouped per file) to the copy at ``new_root``; return {file: (before, after, spans)}.

    ``spans`` are the (start, end) code-point offsets of each edit in the original text.
    """
    grouped = defaultdict(list)
    for e in edits:
        grouped[rebase(e.path, old_root, new_root)].append(e)
    changed = {}
    for path, group in grouped.items():
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        after = apply_text_edits(before, [(e.range, e.new_text) for e in group])
        index = LineIndex(before)
        spans = sorted((index.offset_of_position(e.range.start), index.offset_of_position(e.range.end), e.new_text) for e in group)
        path.write_text(after, encoding="utf-8")
        changed[path] = (before, after, spans)
    return changed


def splice(before: str, spans) -> str:
    """The text ``before`` with each (start, end, new) span replaced, computed independently."""
    out, last = [], 0
    for start, end, new in spans:
        out.append(before[last:start])
        out.append(new)
        last = end
    out.append(before[last:])
    return "".join(out)


def parse_error(path: Path, text: str) -> str | None:
    """Why ``text`` does not parse as what ``path`` is, or None when it parses."""
    name = path.name
    if name.endswith(".toml") or name == "uv.lock":
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return str(exc)
        return None
    if name.endswith((".ts", ".tsx", ".mts", ".cts")):
        from sst_lsp.engine.typescript import parse

        tree = parse(text)
        return "tree-sitter ERROR/MISSING node" if tree.root_node.has_error else None
    if name.endswith(".py"):
        try:
            ast.parse(text)
        except SyntaxError as exc:
            return str(exc)
        return None
    return None


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


# Every planted mistake of examples/broken-app: (code, path, 1-based line). See its README.
BROKEN_APP_EXPECTED = [
    ("SST001", "reports/pyproject.toml", 4),
    ("SST101", "sst.config.ts", 35),
    ("SST102", "infra/api.ts", 9),
    ("SST103", "infra/api.ts", 14),
    ("SST104", "infra/api.ts", 24),
    ("SST105", "sst.config.ts", 18),
    ("SST106", "infra/api.ts", 19),
    ("SST112", "functions/src/functions/status.py", 4),
    ("SST202", "pyproject.toml", 9),
    ("SST203", "ingest/pyproject.toml", 1),
    ("SST210", "pyproject.toml", 8),
    ("SST213", "exports/src/exports/orders_csv.py", 6),
    ("SST401", "infra/jobs.ts", 33),
]
