"""The official SST example layouts (facts §11), checked in the era each was written for and in the other.

``tests/fixtures/official/`` holds reconstructions, written from the facts, of:
- ``aws-python`` and ``aws-python-container`` (SST 3.9.3 … 4.17): clean in every era;
- the era-C ``python-layouts`` (SST 4.13+): ``flat-layout``, ``nested-layout``,
  ``monorepo-layout`` and ``python-modern-uv``: clean under SST 4.17, broken under SST 3.17,
  where SST builds a uv workspace at the ``sst.config.ts`` directory and packages each member
  as an sdist unpacked under its normalized name (facts §3).

The ``uv`` tests replay SST 3.17's uv commands on copies of the layouts with the real uv binary.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from helpers import FIXTURES, run_check, summary
from sst_lsp.engine.model import Severity
from sst_lsp.rules.registry import load_all
from uvtools import copy_fixture, describe, run_uv

OFFICIAL = FIXTURES / "official"
SST3 = "3.17.0"  # era B
SST4 = "4.17.0"  # era C

ERA_C_LAYOUTS = ["flat-layout", "nested-layout", "monorepo-layout", "python-modern-uv"]
ERA_B_EXAMPLES = ["aws-python", "aws-python-container"]

# The era-B packaging rules: none of them may fire on a layout SST 4.13+ supports.
# SST201 is checked as soon as a rule registers it (see `_registered`).
ERA_B_PACKAGING_CODES = {"SST106", "SST201", "SST203"}

# What SST 3.17 (era B) does with each era-C layout: (code, path, 1-based line).
ERA_B_EXPECTED = {
    # The root project is the handler's project. It has no [build-system], so `uv build --all
    # --sdist` fails ("Workspace does not contain any buildable packages"); with one, its sdist
    # is unpacked as flat_layout/, so the zip holds flat_layout/handler.py while Lambda imports
    # module "handler".
    "flat-layout": [("SST106", "sst.config.ts", 8), ("SST203", "pyproject.toml", 1)],
    # Buildable (hatch packages = ["app", "shared"]), but the root's sdist is unpacked as
    # nested_layout/: the zip holds nested_layout/app/functions/api/handler.py while Lambda
    # imports app.functions.api.handler.
    "nested-layout": [("SST106", "sst.config.ts", 8)],
    # services/api is not a direct child of the root and is named api-service (unpacked as
    # api_service/); it has no [build-system], so uv build --all --sdist skips it.
    "monorepo-layout": [("SST106", "sst.config.ts", 8), ("SST203", "services/api/pyproject.toml", 1)],
    # packages/api/src/api/ is hoisted to api/ in the zip; the handler is rewritten to
    # packages/api/handler, so Lambda imports packages.api.handler.
    "python-modern-uv": [("SST106", "sst.config.ts", 8)],
}


def _registered(codes: set[str]) -> set[str]:
    return codes & set(load_all())


def test_layout_fixtures_exist():
    for name in ERA_C_LAYOUTS + ERA_B_EXAMPLES:
        assert (OFFICIAL / name / "sst.config.ts").is_file(), name


# -- era C: the python-layouts are supported ------------------------------------------------


@pytest.mark.parametrize("layout", ERA_C_LAYOUTS)
def test_era_c_layout_is_clean_under_sst4(layout):
    violations = run_check(OFFICIAL / layout, era=SST4)
    codes = {v.code for v in violations}
    assert not codes & _registered(ERA_B_PACKAGING_CODES), summary(violations, OFFICIAL / layout)
    assert violations == [], summary(violations, OFFICIAL / layout)


@pytest.mark.parametrize("layout", ERA_C_LAYOUTS)
def test_era_c_layout_pins_sst4_itself(layout):
    """Without an override the fixture's own package.json (sst 4.17.0) decides: era C, clean."""
    assert run_check(OFFICIAL / layout) == []


# -- era B: the same layouts break ----------------------------------------------------------


@pytest.mark.parametrize("layout", ERA_C_LAYOUTS)
def test_era_c_layout_under_sst3(layout):
    violations = run_check(OFFICIAL / layout, era=SST3)
    assert summary(violations, OFFICIAL / layout) == sorted(ERA_B_EXPECTED[layout])
    assert all(v.severity is Severity.ERROR for v in violations)


@pytest.mark.parametrize("layout", ["monorepo-layout", "python-modern-uv"])
def test_workspace_layouts_are_errors_in_era_b(layout):
    """Facts §11: these two are errors in era B and clean in era C."""
    sst3 = run_check(OFFICIAL / layout, era=SST3)
    assert any(v.code == "SST106" and v.severity is Severity.ERROR for v in sst3)
    assert run_check(OFFICIAL / layout, era=SST4) == []


def test_sst106_names_what_lambda_imports_for_the_modern_uv_layout():
    (v,) = [v for v in run_check(OFFICIAL / "python-modern-uv", era=SST3) if v.code == "SST106"]
    assert 'module "packages.api.handler"' in v.message
    assert "api/handler.py" in v.message


# -- aws-python and aws-python-container: clean everywhere -----------------------------------


@pytest.mark.parametrize("era", [SST3, SST4, None])
@pytest.mark.parametrize("example", ERA_B_EXAMPLES)
def test_official_examples_have_no_warning_or_error(example, era):
    violations = run_check(OFFICIAL / example, era=era)
    loud = [v for v in violations if v.severity in (Severity.ERROR, Severity.WARNING)]
    assert loud == [], summary(loud, OFFICIAL / example)


@pytest.mark.parametrize("era", [SST3, SST4])
def test_container_example_with_a_newer_runtime_warns(era, tmp_path):
    """Control: the same container app with runtime python3.12 and no Dockerfile near the handler warns (SST403)."""
    from helpers import copy_app

    app = copy_app(OFFICIAL / "aws-python-container", tmp_path)
    config = app / "sst.config.ts"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('runtime: "python3.11"', 'runtime: "python3.12"', 1), encoding="utf-8")
    for pp in app.rglob("pyproject.toml"):
        pp.write_text(pp.read_text(encoding="utf-8").replace("==3.11.*", ">=3.11"), encoding="utf-8")
    codes = [v.code for v in run_check(app, era=era)]
    # only the first function changed; the second has its own Dockerfile and stays on 3.11
    assert codes.count("SST403") == 1, codes


# -- the real uv: what SST 3.17 runs on the era-C layouts -----------------------------------


def _sdists(root: Path, out: Path):
    return run_uv(root, "build", "--all", "--sdist", "--out-dir", str(out))


@pytest.mark.uv
@pytest.mark.parametrize("layout", ERA_C_LAYOUTS + ERA_B_EXAMPLES)
def test_every_layout_is_a_valid_uv_project(layout, tmp_path):
    root = copy_fixture(f"official/{layout}", tmp_path)
    proc = run_uv(root, "lock")
    assert proc.returncode == 0, describe(proc)


@pytest.mark.uv
def test_flat_layout_has_nothing_for_era_b_to_build(tmp_path):
    root = copy_fixture("official/flat-layout", tmp_path)
    proc = _sdists(root, tmp_path / "dist")
    assert proc.returncode == 2, describe(proc)
    assert "Workspace does not contain any buildable packages" in proc.stderr, describe(proc)


@pytest.mark.uv
def test_monorepo_layout_service_is_not_packaged_in_era_b(tmp_path):
    root = copy_fixture("official/monorepo-layout", tmp_path)
    proc = _sdists(root, tmp_path / "dist")
    assert proc.returncode == 0, describe(proc)
    built = sorted(p.name for p in (tmp_path / "dist").glob("*.tar.gz"))
    assert built == ["shared-0.1.0.tar.gz"], describe(proc)  # api-service (the handler) is skipped


def _members(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as tar:
        return [m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name]


@pytest.mark.uv
def test_nested_layout_sdist_keeps_app_below_the_project_folder(tmp_path):
    """Era B unpacks the root's sdist as nested_layout/: the handler lands at nested_layout/app/…"""
    root = copy_fixture("official/nested-layout", tmp_path)
    proc = _sdists(root, tmp_path / "dist")
    assert proc.returncode == 0, describe(proc)
    files = _members(tmp_path / "dist" / "nested_layout-0.1.0.tar.gz")
    assert "app/functions/api/handler.py" in files, files


@pytest.mark.uv
def test_modern_uv_sdist_holds_src_api(tmp_path):
    """Era B hoists src/api/ to api/: the zip holds api/handler.py, Lambda imports packages.api.handler."""
    root = copy_fixture("official/python-modern-uv", tmp_path)
    proc = _sdists(root, tmp_path / "dist")
    assert proc.returncode == 0, describe(proc)
    files = _members(tmp_path / "dist" / "api-0.1.0.tar.gz")
    assert "src/api/handler.py" in files, files
