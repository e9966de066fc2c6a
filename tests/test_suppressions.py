"""Suppression comments and settings, on the engine (the editor round trip is in test_lsp_workspace)."""

from __future__ import annotations

import shutil

from helpers import FIXTURES, run_check, summary
from sst_lsp.engine.model import Severity
from sst_lsp.engine.positions import apply_text_edits


def test_suppressions_silence_their_line_and_file(tmp_path):
    app = FIXTURES / "SST902" / "suppressed"
    codes = {v.code for v in run_check(app)}
    # SST105 (next line), SST202 (same line in TOML) are silenced; only the unused ones are hinted
    assert codes == {"SST902"}


def test_removing_a_suppression_brings_the_diagnostic_back(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "SST902" / "suppressed", app)
    config = app / "sst.config.ts"
    config.write_text(config.read_text().replace("// sst-lsp-ignore SST105", "// sst-lsp-ignore SST104"))
    got = summary(run_check(app), app)
    assert ("SST105", "sst.config.ts", 10) in got
    assert ("SST902", "sst.config.ts", 9) in got  # SST104 silenced nothing there


def test_unused_suppression_fix_removes_only_the_comment(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "SST902" / "suppressed", app)
    for v in run_check(app):
        if v.code != "SST902":
            continue
        text = v.path.read_text()
        new = apply_text_edits(text, [(e.range, e.new_text) for e in v.fix.edits])
        assert "sst-lsp-ignore-file" not in new.split("\n")[0] or "ignore-file[" not in new
        assert len(new.splitlines()) == len(text.splitlines()) - 1
        v.path.write_text(new)
    assert [v.code for v in run_check(app)] == []


def test_suppression_of_a_rule_that_did_not_run_is_not_unused(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "SST902" / "suppressed", app)
    # under SST 4.17 SST203 does not run: its file-level suppression is not reported for it
    msgs = [v.message for v in run_check(app, era="4.17.0") if v.code == "SST902" and "functions" in str(v.path)]
    assert msgs and all("SST203" not in m for m in msgs)


def test_severity_and_ignore_settings(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "SST202" / "not-member", app)
    pp = app / "pyproject.toml"
    pp.write_text(pp.read_text() + '\n[tool.sst-lsp]\nseverity = { SST202 = "warning" }\n')
    (v,) = run_check(app)
    assert v.code == "SST202" and v.severity == Severity.WARNING
    pp.write_text(pp.read_text() + 'ignore = ["SST2"]\n')
    assert run_check(app) == []
