"""Prove, with real uv and a fresh interpreter, what SST213, SST209, SST109, SST112 and SST215 predict.

Each test builds the function's artifact the way SST 3.9.3–4.12 (era B, the fixtures' era) does:
``uv export --package=functions --no-emit-workspace --no-dev``, the workspace members' source
packages laid out at the artifact's root (an sdist's ``src/<name>/`` hoisted to ``<name>/``), and
``uv pip install -r requirements.txt --target <artifact>``. Then it imports the handler's module
the way Lambda does, in ``python -I -S`` with only the artifact on ``sys.path`` — no
site-packages, no user code outside the artifact — and, where the rule is about the call,
calls ``handler(event, context)``.

The packages installed are small pure-Python wheels (PyJWT, attrs, toml, sst-sdk); uv needs
the package index the first time and its cache afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import apply_edits, run_check
from sst_lsp.engine.model import Severity
from uvtools import copy_fixture, describe, run_uv

pytestmark = pytest.mark.uv

LINUX = "x86_64-unknown-linux-gnu"


def build_artifact(root: Path, out: Path, package: str = "functions") -> Path:
    """The zip's content for ``package``, as era B builds it, in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    req = out.parent / f"{out.name}-requirements.txt"
    export = run_uv(root, "export", f"--package={package}", "--no-emit-workspace", "--no-dev", f"--output-file={req}")
    assert export.returncode == 0, describe(export)
    for member in sorted(p.parent for p in root.glob("*/pyproject.toml")):
        src = member / "src"
        for pkg in sorted(src.iterdir()) if src.is_dir() else []:
            if pkg.is_dir():
                shutil.copytree(pkg, out / pkg.name, ignore=shutil.ignore_patterns("__pycache__"))
    if any(line.strip() and not line.lstrip().startswith(("#", "-")) for line in req.read_text(encoding="utf-8").splitlines()):
        install = run_uv(root, "pip", "install", "-r", str(req), "--target", str(out), "--python-platform", LINUX, "--python", sys.executable)
        assert install.returncode == 0, describe(install)
    return out


def lambda_import(artifact: Path, module: str, function: str = "handler", call: bool = False) -> subprocess.CompletedProcess[str]:
    """Import ``module`` (and look up, optionally call, ``function``) with only ``artifact`` on sys.path."""
    code = (
        "import sys, json, importlib\n"
        f"sys.path.insert(0, {str(artifact)!r})\n"
        f"m = importlib.import_module({module!r})\n"
        f"h = getattr(m, {function!r})\n"
        + ("print(json.dumps(h({}, None)))\n" if call else "")
    )
    return subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=120, cwd=artifact)


def _only(root: Path, code: str):
    return [v for v in run_check(root) if v.code == code]


# -- SST213 --------------------------------------------------------------------------------------


def test_sst213_undeclared_module_level_import_fails_as_predicted(tmp_path: Path) -> None:
    root = copy_fixture("SST213/undeclared", tmp_path)
    errors = [v for v in _only(root, "SST213") if v.severity is Severity.ERROR]
    (v,) = errors
    assert v.path.name == "helpers.py" and "No module named 'jwt'" in v.message
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api")
    assert proc.returncode != 0
    assert "ModuleNotFoundError: No module named 'jwt'" in proc.stderr, proc.stderr


def test_sst213_fix_then_lock_makes_the_handler_import(tmp_path: Path) -> None:
    root = copy_fixture("SST213/undeclared", tmp_path)
    for _ in range(3):  # one fix at a time: each edits functions/pyproject.toml
        found = _only(root, "SST213")
        if not found:
            break
        apply_edits(found[0].fix.edits, root, root)
    assert _only(root, "SST213") == []
    deps = (root / "functions/pyproject.toml").read_text(encoding="utf-8")
    assert '"pyjwt"' in deps and '"attrs"' in deps
    lock = run_uv(root, "lock")
    assert lock.returncode == 0, describe(lock)
    assert _only(root, "SST213") == []
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api", call=True)
    assert proc.returncode == 0, proc.stderr


def test_sst213_clean_variant_imports_and_runs(tmp_path: Path) -> None:
    root = copy_fixture("SST213/clean", tmp_path)
    assert _only(root, "SST213") == []
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api", call=True)
    assert proc.returncode == 0, proc.stderr
    assert '"statusCode": 200' in proc.stdout


def test_sst213_guessed_mapping_still_names_the_real_failure(tmp_path: Path) -> None:
    """Only a warning (toml's modules are guessed), but what it names is what fails."""
    root = copy_fixture("SST213/guessed-mapping", tmp_path)
    (v,) = _only(root, "SST213")
    assert v.severity is Severity.WARNING and "No module named 'yaml'" in v.message
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api")
    assert "ModuleNotFoundError: No module named 'yaml'" in proc.stderr, proc.stderr


# -- SST209 --------------------------------------------------------------------------------------


def test_sst209_requirement_only_in_requirements_txt_is_missing_at_import(tmp_path: Path) -> None:
    root = copy_fixture("SST209/imported", tmp_path)
    (v,) = _only(root, "SST209")
    assert v.severity is Severity.ERROR
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api")
    assert "ModuleNotFoundError: No module named 'jwt'" in proc.stderr, proc.stderr
    # the fix moves PyJWT into pyproject.toml: after uv lock, the artifact has it
    apply_edits(v.fix.edits, root, root)
    assert run_uv(root, "lock").returncode == 0
    assert [x.severity for x in _only(root, "SST209")] == [Severity.INFO]
    assert _only(root, "SST213") == []
    proc = lambda_import(build_artifact(root, tmp_path / "zip2"), "functions.api", call=True)
    assert proc.returncode == 0, proc.stderr


# -- SST109 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case,file", [("SST109/syntax-error", "api.py"), ("SST109/imported-module", "render.py")])
def test_sst109_syntax_error_fails_the_import(tmp_path: Path, case: str, file: str) -> None:
    root = copy_fixture(case, tmp_path)
    (in_file,) = [v for v in _only(root, "SST109") if v.path.suffix == ".py"]
    assert in_file.severity is Severity.ERROR and in_file.path.name == file
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api")
    assert proc.returncode != 0
    assert "SyntaxError" in proc.stderr and file in proc.stderr, proc.stderr
    assert f'line {in_file.range.start.line + 1}' in proc.stderr


def test_sst109_clean_variant_imports_despite_broken_scripts(tmp_path: Path) -> None:
    root = copy_fixture("SST109/clean", tmp_path)
    assert _only(root, "SST109") == []
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api", call=True)
    assert proc.returncode == 0, proc.stderr


# -- SST112 --------------------------------------------------------------------------------------


def test_sst112_one_parameter_fails_the_call_and_the_fix_repairs_it(tmp_path: Path) -> None:
    root = copy_fixture("SST112/one-parameter", tmp_path)
    (v,) = _only(root, "SST112")
    artifact = build_artifact(root, tmp_path / "zip")
    proc = lambda_import(artifact, "functions.api", call=True)
    assert "TypeError: handler() takes 1 positional argument but 2 were given" in proc.stderr, proc.stderr
    apply_edits(v.fix.edits, root, root)
    assert _only(root, "SST112") == []
    proc = lambda_import(build_artifact(root, tmp_path / "zip2"), "functions.api", call=True)
    assert proc.returncode == 0, proc.stderr


def test_sst112_async_handler_returns_what_lambda_cannot_serialise(tmp_path: Path) -> None:
    root = copy_fixture("SST112/async-handler", tmp_path)
    (v,) = _only(root, "SST112")
    assert "not JSON serializable" in v.message
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api", call=True)
    assert "TypeError: Object of type coroutine is not JSON serializable" in proc.stderr, proc.stderr


def test_sst112_clean_variants_take_event_and_context(tmp_path: Path) -> None:
    root = copy_fixture("SST112/clean", tmp_path)
    assert _only(root, "SST112") == []
    artifact = build_artifact(root, tmp_path / "zip")
    for fn in ("handler", "jobs", "batch", "proxy"):
        proc = lambda_import(artifact, "functions.api", fn, call=True)
        assert proc.returncode == 0, (fn, proc.stderr)


# -- SST215 --------------------------------------------------------------------------------------


def test_sst215_sdk_4_14_1_has_no_sst_module(tmp_path: Path) -> None:
    root = copy_fixture("SST215/pinned-4-14-1", tmp_path)
    (v,) = _only(root, "SST215")
    assert v.severity is Severity.ERROR
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api")
    assert "ModuleNotFoundError: No module named 'sst'" in proc.stderr, proc.stderr


def test_sst215_clean_sdk_imports(tmp_path: Path) -> None:
    root = copy_fixture("SST215/clean", tmp_path)
    assert _only(root, "SST215") == []
    proc = lambda_import(build_artifact(root, tmp_path / "zip"), "functions.api")
    assert proc.returncode == 0, proc.stderr
