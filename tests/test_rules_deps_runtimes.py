"""Details of SST208–SST211 and SST301–SST304 beyond their fixtures."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from helpers import FIXTURES, run_check, summary
from sst_lsp.engine.requirements_file import read_requirements_txt
from sst_lsp.engine.uv_lock import lock_requirement_keys, requirement_key
from sst_lsp.engine.runtimes import AWS_DEPRECATED
from sst_lsp.rules._runtime_util import spec_for_minor
from sst_lsp.rules.sst304_node_version_masks_errors import _engines_range, _nvmrc_version


def _copy(case: str, tmp_path: Path) -> Path:
    dest = tmp_path / case.replace("/", "_")
    shutil.copytree(FIXTURES / case, dest)
    return dest


def _codes(root: Path, code: str):
    return [s for s in summary(run_check(root), root) if s[0] == code]


# -- SST208 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pin,fires",
    [('branch = "dev"', True), ('tag = "v4.15.0"', True), ('tag = "v3.17.0"', False), ('rev = "0123abc"', False)],
)
def test_sst208_git_source_pins(tmp_path, pin, fires):
    root = _copy("SST208/git-source", tmp_path)
    fn = root / "functions" / "pyproject.toml"
    fn.write_text(fn.read_text(encoding="utf-8").replace('branch = "dev"', pin), encoding="utf-8")
    assert bool(_codes(root, "SST208")) is fires


def test_sst208_other_sources_are_the_users_choice(tmp_path):
    root = _copy("SST208/git-source", tmp_path)
    fn = root / "functions" / "pyproject.toml"
    text = re.sub(r"^sst = .*$", 'sst = { path = "../vendor/sst" }', fn.read_text(encoding="utf-8"), flags=re.M)
    fn.write_text(text, encoding="utf-8")
    assert _codes(root, "SST208") == []


def test_sst208_messages_name_both_failures():
    (git,) = [v for v in run_check(FIXTURES / "SST208/git-source") if v.code == "SST208"]
    assert "Package metadata name `sst-sdk` does not match given name `sst`" in git.message
    assert "from sst import Resource" in git.message
    (pypi,) = [v for v in run_check(FIXTURES / "SST208/no-source") if v.code == "SST208"]
    assert "2013" in pypi.message and "sst-sdk" in pypi.message


# -- SST209 --------------------------------------------------------------------------------------


def test_requirements_txt_parsing_skips_options_comments_and_urls():
    text = (
        "# comment\n"
        "-r base.txt\n"
        "-e ./local\n"
        "--index-url https://example.com/simple\n"
        "Requests[socks] >= 2.31 ; python_version >= '3.8'  # inline\n"
        "boto3 \\\n"
        "    >=1.34\n"
        "\n"
        "./wheels/thing.whl\n"
        "pydantic==2.*\n"
    )
    reqs = read_requirements_txt(text)
    assert [(r.name, r.line) for r in reqs] == [("requests", 4), ("boto3", 5), ("pydantic", 9)]
    assert str(reqs[1].req.specifier) == ">=1.34"


def test_sst209_counts_dependencies_of_workspace_members(tmp_path):
    """core's own dependencies reach the function through `core`: not reported as missing."""
    root = _copy("SST209/missing", tmp_path)
    core = root / "core" / "pyproject.toml"
    core.write_text(core.read_text(encoding="utf-8").replace("dependencies = []", 'dependencies = ["requests>=2"]'), encoding="utf-8")
    assert _codes(root, "SST209") == [("SST209", "functions/requirements.txt", 1)]


def test_sst209_never_claims_sst_reads_requirements():
    for case in ("SST209/missing", "SST209/nothing-missing"):
        for v in run_check(FIXTURES / case):
            assert "SST never reads" in v.message


# -- SST210 --------------------------------------------------------------------------------------


def test_lock_keys_tolerate_uvs_marker_and_source_rewrites():
    """uv writes python_version as python_full_version and drops versions of sourced packages."""
    entry = {
        "metadata": {
            "requires-dist": [
                {"name": "core", "editable": "core"},
                {"name": "utils", "extras": ["fast"], "marker": "python_full_version < '3.12'", "editable": "utils"},
                {"name": "requests", "specifier": ">=2.31"},
                {"name": "attrs", "marker": "sys_platform == 'linux' and extra == 'speed'"},
            ]
        }
    }
    declared = {
        requirement_key("core", (), ">=0.1", None, has_source=True),
        requirement_key("Utils", ("fast",), "", 'python_version < "3.12"', has_source=True),
        requirement_key("requests", (), ">=2.31"),
        requirement_key("attrs", (), "", 'sys_platform == "linux"', extra="speed"),
    }
    assert lock_requirement_keys(entry) == declared
    assert requirement_key("requests", (), ">=2.32") not in lock_requirement_keys(entry)


def test_sst210_no_lock_needs_outside_dependencies():
    """A workspace whose dependencies are all its own members has nothing to pin."""
    assert _codes(FIXTURES / "SST209/missing", "SST210") == []


def test_sst210_member_missing_from_lock(tmp_path):
    root = _copy("SST210/fresh", tmp_path)
    (root / "extra/src/extra").mkdir(parents=True)
    (root / "extra/pyproject.toml").write_text('[project]\nname = "extra"\nversion = "0.1.0"\ndependencies = []\n', encoding="utf-8")
    rp = root / "pyproject.toml"
    rp.write_text(rp.read_text(encoding="utf-8").replace('"utils"]', '"utils", "extra"]'), encoding="utf-8")
    hits = [v for v in run_check(root) if v.code == "SST210"]
    assert len(hits) == 1 and "no entry" in hits[0].message and hits[0].path.name == "pyproject.toml"


# -- SST211 --------------------------------------------------------------------------------------


def test_sst211_says_venv_is_safe_to_delete():
    (v,) = run_check(FIXTURES / "SST211/venv-in-member")
    assert "safe" in v.message and "sdist" in v.message
    assert not re.search(r"cannot be deleted|virtual drive|dangerous", v.message, re.I)


def test_sst211_is_era_b_only():
    assert run_check(FIXTURES / "SST211/venv-in-member", era="4.17.0") == []


# -- SST301 / SST302 / SST303 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "old,minor,new",
    [
        ("==3.11.*", "3.12", "==3.12.*"),
        ("~=3.11.0", "3.12", "~=3.12.0"),
        (">=3.12", "3.11", ">=3.11"),
        (">=3.12,<3.14", "3.11", ">=3.11,<3.14"),
        (">=3.10,<3.12", "3.12", ">=3.10"),
    ],
)
def test_requires_python_moved_to_the_runtime(old, minor, new):
    assert spec_for_minor(old, minor) == new


def test_sst301_skips_container_functions(tmp_path):
    root = _copy("SST301/requires-python", tmp_path)
    cfg = root / "sst.config.ts"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('runtime: "python3.12",', 'runtime: "python3.12",\n      python: { container: true },'), encoding="utf-8")
    assert _codes(root, "SST301") == []


def test_sst301_and_sst302_do_not_both_fire_on_a_blocked_runtime(tmp_path):
    root = _copy("SST302/blocked", tmp_path)
    fn = root / "functions" / "pyproject.toml"
    fn.write_text(fn.read_text(encoding="utf-8").replace('">=3.10"', '"==3.11.*"'), encoding="utf-8")
    codes = {c for c, _, _ in summary(run_check(root), root)}
    assert codes == {"SST302"}
    (v,) = run_check(root)
    assert v.fix is not None and '"python3.11"' in v.fix.edits[0].new_text  # the project's own version


def test_sst302_dates_come_from_the_runtime_table():
    (v,) = run_check(FIXTURES / "SST302/deprecated")
    deprecated, blocked = AWS_DEPRECATED["python3.9"]
    assert deprecated in v.message and blocked in v.message
    assert v.severity.value == "warning"
    (e,) = run_check(FIXTURES / "SST302/blocked")
    assert e.severity.value == "error"


def test_sst302_runtime_unknown_to_the_sst_version(tmp_path):
    (v,) = run_check(FIXTURES / "SST302/newer-than-sst")
    assert "4.1.1" in v.message
    assert run_check(FIXTURES / "SST302/newer-than-sst", era="4.17.0") == []
    # with no SST version known, nothing is said about its types
    root = _copy("SST302/newer-than-sst", tmp_path)
    (root / "package.json").write_text('{ "name": "x", "private": true }\n', encoding="utf-8")
    assert _codes(root, "SST302") == []


def test_sst303_is_era_b_only_and_needs_outside_dependencies(tmp_path):
    assert _codes(FIXTURES / "SST303/not-pinned", "SST303") == [("SST303", "functions/pyproject.toml", 4)]
    assert [v for v in run_check(FIXTURES / "SST303/not-pinned", era="4.17.0") if v.code == "SST303"] == []
    root = _copy("SST303/not-pinned", tmp_path)
    fn = root / "functions" / "pyproject.toml"
    fn.write_text(fn.read_text(encoding="utf-8").replace('dependencies = ["six>=1.16"]', "dependencies = []"), encoding="utf-8")
    (root / "uv.lock").unlink()
    assert _codes(root, "SST303") == []


# -- SST304 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,fires",
    [("24", True), ("v24.6.1", False), ("24.7", True), ("v24.10.0", True), ("22", False), ("lts/*", True), ("lts/iron", False), ("node", True)],
)
def test_nvmrc_specs(spec, fires):
    assert bool(_nvmrc_version(spec)) is fires


@pytest.mark.parametrize("spec,fires", [(">=24.7.0", True), ("^24.8.0", True), ("24.x", True), (">=18", False), (">=24", False), ("^22", False)])
def test_engines_ranges(spec, fires):
    assert _engines_range(spec) is fires


def test_sst304_says_upgrade_sst_and_never_blames_vpc_or_a_node_pin():
    for case in ("SST304/nvmrc", "SST304/engines"):
        (v,) = run_check(FIXTURES / case)
        assert "RangeError: Invalid string length" in v.message and "3.17.27" in v.message
        assert not re.search(r"24\.5\.0|required|VPC", v.message)
