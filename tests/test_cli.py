"""The command line, run as a subprocess exactly as a user (or CI) runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import server_env
from helpers import BROKEN_APP, BROKEN_APP_EXPECTED, FIXTURES, REPO

LSP_SEVERITIES = {"error", "warning", "info", "hint"}


def sst_lsp(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sst_lsp", *args],
        cwd=cwd,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _is_position(p) -> bool:
    return isinstance(p, dict) and set(p) == {"line", "character"} and all(isinstance(p[k], int) and p[k] >= 0 for k in p)


def test_check_json_on_broken_app():
    proc = sst_lsp("check", "examples/broken-app", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"diagnostics"}
    diags = data["diagnostics"]
    assert isinstance(diags, list) and diags
    for d in diags:
        assert set(d) == {"path", "code", "severity", "message", "range", "fix"}
        assert isinstance(d["path"], str) and not d["path"].startswith("/") and "\\" not in d["path"]
        assert (BROKEN_APP / d["path"]).is_file(), d["path"]
        assert re.fullmatch(r"SST\d{3}", d["code"])
        assert d["severity"] in LSP_SEVERITIES
        assert isinstance(d["message"], str) and d["message"]
        assert set(d["range"]) == {"start", "end"}
        assert _is_position(d["range"]["start"]) and _is_position(d["range"]["end"])
        start, end = d["range"]["start"], d["range"]["end"]
        assert (start["line"], start["character"]) <= (end["line"], end["character"])
        fix = d["fix"]
        assert fix is None or (set(fix) == {"title", "safety"} and fix["safety"] in ("safe", "unsafe") and fix["title"])
    got = sorted((d["code"], d["path"], d["range"]["start"]["line"] + 1) for d in diags)
    assert got == sorted(BROKEN_APP_EXPECTED)


def test_check_text_format():
    proc = sst_lsp("check", "examples/broken-app")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    found = set()
    for line in lines:
        m = re.match(r"^([^\s:]+):(\d+):(\d+): (SST\d{3})\b", line)
        if m:
            found.add((m.group(4), m.group(1), int(m.group(2))))
    assert found == set(BROKEN_APP_EXPECTED)
    assert re.match(rf"^Found {len(BROKEN_APP_EXPECTED)} problems \(.*\)", lines[-1]), lines[-1]


def test_check_paths_are_relative_to_the_argument():
    proc = sst_lsp("check", "broken-app", "--format", "json", cwd=REPO / "examples")
    assert proc.returncode == 1
    paths = {d["path"] for d in json.loads(proc.stdout)["diagnostics"]}
    assert "broken-app/sst.config.ts" not in paths and "sst.config.ts" in paths


def test_check_clean_fixture_exits_0():
    proc = sst_lsp("check", str(FIXTURES / "official" / "aws-python"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed" in proc.stdout
    proc = sst_lsp("check", str(FIXTURES / "official" / "aws-python"), "--format", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"diagnostics": []}


def test_check_sst_version_option_changes_the_era():
    case = FIXTURES / "SST106" / "nested-member-sst3"
    assert sst_lsp("check", str(case)).returncode == 1
    proc = sst_lsp("check", str(case), "--sst-version", "4.17.0", "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout) == {"diagnostics": []}


def test_check_nonexistent_path_exits_2():
    proc = sst_lsp("check", "does/not/exist")
    assert proc.returncode == 2
    assert "does/not/exist" in proc.stderr


def test_rules_lists_every_code():
    proc = sst_lsp("rules")
    assert proc.returncode == 0
    for code in ("SST001", "SST101", "SST102", "SST103", "SST104", "SST105", "SST106", "SST202", "SST203", "SST401"):
        assert re.search(rf"^{code}\s+[a-z-]+", proc.stdout, re.M), code
    proc = sst_lsp("rules", "--format", "json")
    assert proc.returncode == 0
    assert "SST106" in {r["code"] for r in json.loads(proc.stdout)}


def test_rule_prints_its_page():
    proc = sst_lsp("rule", "SST106")
    assert proc.returncode == 0
    assert proc.stdout.startswith("# SST106 handler-package-mismatch")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix safety"):
        assert section in proc.stdout
    assert sst_lsp("rule", "SST999").returncode == 2
