"""Re-run the checker on the public SST apps listed in ``projects.toml`` and compare.

    python realworld/check.py CORPUS        # CORPUS/<local> holds each project's files

The projects are not stored here: bring each one at the recorded commit into CORPUS/<local>
yourself. For every project present the script runs the same engine as ``sst-lsp check`` and
prints a table of errors and warnings then (``before``) and now, with every difference from the
recorded findings (a new finding has no verdict yet: read it against SST's source, then record
it). Exit status: 0 when every present project matches its record, 1 otherwise.

    python realworld/check.py CORPUS --fix-with-uv

also copies each present app to a temporary folder, runs ``uv lock`` there, applies
``sst-lsp check --fix`` (safe fixes) and runs ``uv lock`` again: a project uv accepted before
must still be accepted after, and the files the fixes changed are listed.

    python realworld/check.py CORPUS --edits 30

also opens each app in an editor session (its sst.config.ts, pyproject.toml and Python files,
up to twelve), makes that many random one-character edits (in memory, never on disk) and
compares the diagnostics after every edit with a fresh analysis of the same texts: the
incremental path must agree with a full analysis on real projects too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from sst_lsp.fixer import analyse

HERE = Path(__file__).resolve().parent


def current(app: Path) -> list[tuple[str, str, int, str]]:
    """(code, app-relative path, 1-based line, severity) of each error and warning, sorted."""
    out = []
    for result in analyse([app]):
        for v in result.violations:
            if v.severity.value in ("error", "warning"):
                out.append((v.code, Path(os.path.relpath(v.path, app)).as_posix(), v.range.start.line + 1, v.severity.value))
    return sorted(out)


def _uv_lock(app: Path) -> tuple[bool, str]:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    done = subprocess.run([uv, "lock"], cwd=app, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"})
    last = (done.stderr.strip().splitlines() or [""])[-1]
    return done.returncode == 0, last


def fix_with_uv(app: Path) -> tuple[str, bool]:
    """(what happened, fine) for ``check --fix`` on a copy of ``app`` judged by ``uv lock``."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "app"
        shutil.copytree(app, copy, symlinks=True, ignore=shutil.ignore_patterns(".git", "node_modules", ".venv"))
        before_ok, before_msg = _uv_lock(copy) if (copy / "pyproject.toml").is_file() else (False, "no pyproject.toml")
        snapshot = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file() and not p.is_symlink()}
        subprocess.run([sys.executable, "-m", "sst_lsp", "check", "--fix", "--exit-zero", "-q", "."], cwd=copy, capture_output=True)
        changed = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")
                         if p.is_file() and not p.is_symlink() and snapshot.get(p) != p.read_bytes())
        if not changed:
            return "no fix applied", True
        after_ok, after_msg = _uv_lock(copy)
        fine = after_ok or not before_ok
        verdict = f"uv lock: {'ok' if before_ok else 'failed'} -> {'ok' if after_ok else 'failed: ' + after_msg}"
        return f"fixed {', '.join(changed)}; {verdict}", fine


def _key(by_path: dict) -> list[tuple]:
    return sorted(
        (str(p), v.code, tuple(v.range.start), tuple(v.range.end), v.severity.value, v.message) for p, vs in by_path.items() for v in vs
    )


def session_edits(workspace: Path, app: Path, edits: int, seed: int = 1) -> list[str]:
    """Random edits in an editor session; a description of every step whose diagnostics differ from
    a fresh analysis of the same texts."""
    import random

    from sst_lsp.engine import project as project_module
    from sst_lsp.engine.documents import OpenDocument
    from sst_lsp.engine.positions import LineIndex, Range
    from sst_lsp.session import EditorSession

    def opened(session, path, text, version):
        doc = OpenDocument(path, text, version)
        doc.parse_full()
        session.docs[path] = doc
        return doc

    def fresh(docs) -> list[tuple]:
        session = EditorSession(workspace_root=workspace)
        for path, doc in docs.items():
            opened(session, path, doc.text, doc.version)
        kept = dict(project_module._TS_CACHE)
        project_module._TS_CACHE.clear()  # nothing shared with the incremental side
        try:
            return _key(session.analyse(app).current)
        finally:
            project_module._TS_CACHE.clear()
            project_module._TS_CACHE.update(kept)

    rng = random.Random(seed)
    skip = ("node_modules", ".venv", ".git", ".sst")
    files = [app / "sst.config.ts", *sorted(app.rglob("pyproject.toml")), *sorted(app.rglob("*.py"))]
    files = [f for f in files if f.is_file() and not any(part in skip for part in f.parts)][:12]
    session = EditorSession(workspace_root=workspace)
    docs = {}
    for f in files:
        try:
            docs[f] = opened(session, f, f.read_text(encoding="utf-8"), 1)
        except (OSError, UnicodeDecodeError):
            continue
    session.analyse(app)
    problems = []
    for step in range(edits):
        path = rng.choice(list(docs))
        doc = docs[path]
        start = rng.randrange(len(doc.text) + 1)
        new = rng.choice(["x", "\n", "#", '"', "1", " "]) if rng.random() < 0.7 else ""
        end = start if new else min(len(doc.text), start + rng.randrange(1, 6))
        index = LineIndex(doc.text)
        doc.apply_changes([(Range(index.position_of_offset(start), index.position_of_offset(end)), new)], doc.version + 1)
        incremental = _key(session.analyse(app).current)
        expected = fresh(docs)
        if incremental != expected:
            problems.append(f"step {step}: {path.relative_to(app)} [{start}:{end}] -> {new!r}: {sorted(set(incremental) ^ set(expected))[:2]}")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", type=Path, help="folder holding the projects' local copies")
    p.add_argument("--data", type=Path, default=HERE / "projects.toml")
    p.add_argument("--fix-with-uv", action="store_true", help="also apply the safe fixes to a copy and compare uv lock before and after")
    p.add_argument("--edits", type=int, default=0, help="also make N random edits in an editor session and compare each with a fresh analysis")
    args = p.parse_args(argv)
    data = tomllib.loads(args.data.read_text(encoding="utf-8"))
    mismatches = present = 0
    totals = {"before": [0, 0], "recorded": [0, 0], "now": [0, 0]}
    print(f"{'project':58} {'before':>9} {'now':>9}  status")
    for proj in data["project"]:
        app = args.corpus / proj["local"] / proj["app"]
        label = proj["name"] + ("" if proj["app"] == "." else f" ({proj['app']})")
        if not (app / "sst.config.ts").is_file():
            print(f"{label[:58]:58} {'':>9} {'':>9}  not present")
            continue
        present += 1
        recorded = sorted((f["code"], f["path"], f["line"], f["severity"]) for f in proj.get("finding", []))
        # `skip`: folders holding apps of their own, recorded separately
        now = [f for f in current(app) if not f[1].startswith(tuple(proj.get("skip", ())))]
        before = proj["before"]
        count = lambda fs: (sum(f[3] == "error" for f in fs), sum(f[3] == "warning" for f in fs))  # noqa: E731
        for key, (e, w) in (("before", (before["errors"], before["warnings"])), ("recorded", count(recorded)), ("now", count(now))):
            totals[key][0] += e
            totals[key][1] += w
        status = "as recorded" if now == recorded else "DIFFERS"
        print(f"{label[:58]:58} {before['errors']:>3}E {before['warnings']:>3}W {count(now)[0]:>3}E {count(now)[1]:>3}W  {status}")
        if args.fix_with_uv:
            what, fine = fix_with_uv(app)
            print(f"    --fix: {what}")
            mismatches += 0 if fine else 1
        if args.edits:
            problems = session_edits(args.corpus / proj["local"], app, args.edits)
            print(f"    editor session: {args.edits} edits, {len(problems)} differ from a fresh analysis")
            for problem in problems[:5]:
                print(f"      {problem}")
            mismatches += 1 if problems else 0
        if now != recorded:
            mismatches += 1
            for f in sorted(set(now) - set(recorded)):
                print(f"    new:  {f[0]} {f[1]}:{f[2]} {f[3]} (no verdict yet)")
            for f in sorted(set(recorded) - set(now)):
                print(f"    gone: {f[0]} {f[1]}:{f[2]} {f[3]}")
    b, n = totals["before"], totals["now"]
    print(f"\n{present} projects present; errors {b[0]} -> {n[0]}, warnings {b[1]} -> {n[1]}; {mismatches} differ from the record")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
