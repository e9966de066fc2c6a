"""The composite GitHub Action (action.yml): its inputs reach the shell only through ``env:``,
and its steps, run here the way a runner runs them, install the checker with uv, annotate
examples/broken-app and write SARIF."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def test_action_is_composite_and_every_input_is_documented_and_used():
    assert ACTION["runs"]["using"] == "composite"
    used = {m for step in STEPS for value in (step.get("env") or {}).values() for m in re.findall(r"inputs\.([\w-]+)", str(value))}
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert name in used, f"input {name} is declared but reaches no step"
    assert "version" in ACTION["inputs"], "the checker version must be pinnable"


def test_no_expression_inside_a_run_script():
    """`${{ inputs.x }}` inside `run:` would be pasted into the script before bash parses it."""
    for step in STEPS:
        if "run" in step:
            assert step.get("shell") == "bash", step.get("name")
            assert not EXPR.search(step["run"]), f"{step.get('name')}: an expression inside run: {EXPR.findall(step['run'])}"
    referenced = {e for step in STEPS for e in EXPR.findall(yaml.safe_dump({k: v for k, v in step.items() if k != "env"}))}
    assert not [e for e in referenced if "inputs." in e], f"inputs used outside env: {referenced}"


def _run_steps(tmp_path: Path, inputs: dict, cwd: Path, path: str | None = None) -> tuple[list[subprocess.CompletedProcess], dict]:
    """Runs the action's steps as a runner would: `bash --noprofile --norc -eo pipefail`, each
    step's env with its expressions evaluated, $GITHUB_OUTPUT read back between steps."""
    values = {name: str(inputs.get(name, spec.get("default", ""))) for name, spec in ACTION["inputs"].items()}
    outputs: dict[str, dict[str, str]] = {}
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    procs = []

    def evaluate(expr: str) -> str:
        if m := re.fullmatch(r"inputs\.([\w-]+)", expr):
            return values[m.group(1)]
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            return outputs.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"expression the test does not know: {expr}")

    for step in STEPS:
        output_file = tmp_path / f"output-{step['id']}"
        output_file.write_text("")
        script = tmp_path / f"step-{step['id']}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(
            {
                "GITHUB_ACTION_PATH": str(REPO),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_WORKSPACE": str(cwd),
                "RUNNER_TEMP": str(runner_temp),
                **({"PATH": path} if path else {}),
            }
        )
        env.update({k: EXPR.sub(lambda m: evaluate(m.group(1)), str(v)) for k, v in (step.get("env") or {}).items()})
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        procs.append(proc)
        outputs[step["id"]] = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if proc.returncode != 0:
            break
    return procs, outputs


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A repository checkout holding examples/broken-app."""
    ws = tmp_path / "workspace"
    shutil.copytree(REPO / "examples" / "broken-app", ws / "apps" / "broken-app", ignore=shutil.ignore_patterns("node_modules", ".sst"))
    return ws


def test_action_annotates_an_app_and_writes_sarif(tmp_path, workspace):
    """No version: the checker is installed with uv from the action's own source."""
    procs, outputs = _run_steps(tmp_path, {"path": "apps/broken-app", "sarif-file": "reports/sst-lsp.sarif"}, workspace)
    install, check = procs
    assert install.returncode == 0, install.stdout + install.stderr
    assert re.search(r"sst-lsp \d", install.stdout), install.stdout
    assert check.returncode == 1, check.stdout + check.stderr  # the example app has errors
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::error ")]
    assert any("file=apps/broken-app/infra/jobs.ts" in a and "title=SST401" in a for a in annotations), check.stdout
    sarif_path = workspace / outputs["check"]["sarif-file"]
    sarif = json.loads(sarif_path.read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert {"SST401", "SST102", "SST202"} <= {r["ruleId"] for r in results}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "apps/broken-app/infra/jobs.ts" in uris, uris


def test_action_inputs_are_never_evaluated_by_the_shell(tmp_path, workspace):
    marker = tmp_path / "injected"
    procs, _ = _run_steps(
        tmp_path,
        {"path": f"apps/broken-app $(touch {marker}) `touch {marker}`", "args": f"--exit-zero;touch {marker}", "fail-on": "warning"},
        workspace,
    )
    assert procs[0].returncode == 0, procs[0].stderr
    check = procs[1]
    assert not marker.exists(), "an input was run as a command"
    assert check.returncode == 2, check.stdout + check.stderr  # the odd words are arguments, refused as such
    assert "no such file or directory" in check.stderr or "unrecognized arguments" in check.stderr, check.stderr


def test_action_refuses_a_version_that_is_not_one(tmp_path, workspace):
    procs, _ = _run_steps(tmp_path, {"version": "0.1.0 ; touch x"}, workspace)
    assert len(procs) == 1 and procs[0].returncode == 2
    assert "::error title=sst-lsp::the version input must be a version" in procs[0].stdout
    assert not (workspace / "x").exists()


def test_action_installs_uv_with_pip_when_the_runner_has_none(tmp_path, workspace):
    """A runner with Python but no uv: the first step makes a venv, pip-installs uv into it."""
    only_python = tmp_path / "only-python"
    only_python.mkdir()
    (only_python / "python3").symlink_to(sys.executable)
    path = os.pathsep.join([str(only_python), "/usr/bin", "/bin"])
    assert shutil.which("uv", path=path) is None
    procs, outputs = _run_steps(tmp_path, {"path": "apps/broken-app", "fail-on": "info", "args": "--exit-zero"}, workspace, path=path)
    install, check = procs
    assert install.returncode == 0, install.stdout + install.stderr
    assert (tmp_path / "runner-temp" / "sst-lsp-action" / "uv" / "bin" / "uv").is_file()
    assert Path(outputs["install"]["sst-lsp"]).is_file()
    assert check.returncode == 0 and "::error " in check.stdout, check.stdout + check.stderr
