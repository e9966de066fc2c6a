"""Our SARIF, checked by Microsoft's own validator (`sarif-multitool validate`, npm package
@microsoft/sarif-multitool, installed by .ci/editors.sh; it runs offline)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import REPO
from sst_lsp import cli

ENV_FILE = Path(os.environ.get("SST_LSP_EDITORS_CACHE", Path.home() / ".cache" / "sst-lsp-editors")) / "env.sh"


def _multitool() -> str:
    tool = os.environ.get("SARIF_MULTITOOL")
    if not tool and ENV_FILE.is_file():
        for line in ENV_FILE.read_text().splitlines():
            if line.startswith("export SARIF_MULTITOOL="):
                tool = line.split("=", 1)[1].strip().strip('"')
    if not tool or not Path(tool).exists():
        pytest.fail("sarif-multitool is not installed: run .ci/editors.sh (it installs @microsoft/sarif-multitool)")
    return tool


def test_sarif_of_the_example_app_has_no_validation_errors(tmp_path, capsys):
    app = tmp_path / "app"
    shutil.copytree(REPO / "examples" / "broken-app", app)
    assert cli.main(["check", str(app), "--format", "sarif"]) == 1
    log = tmp_path / "check.sarif"
    log.write_text(capsys.readouterr().out)
    assert json.loads(log.read_text())["runs"][0]["results"], "the example produces results to validate"
    report = tmp_path / "validation.sarif"
    proc = subprocess.run([_multitool(), "validate", str(log), "-o", str(report)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(report.read_text())["runs"][0]["results"]
    errors = [r for r in results if r.get("level", "warning") == "error"]
    assert errors == [], json.dumps(errors, indent=2)
