"""A fix whose edit creates a file (``TextEdit.creates``, used by SST201): ``check --fix`` writes
the new file, and never overwrites one that appeared after the analysis."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from helpers import FIXTURES
from sst_lsp import fixer
from sst_lsp.analysis import analyse_path

APP = FIXTURES / "SST201" / "no-root-pyproject"


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "app"
    shutil.copytree(APP, dest)
    return dest


def test_sst201_fix_is_a_file_creation(tmp_path):
    app = _copy(tmp_path)
    (v,) = [v for r in analyse_path(app, select={"SST201"}) for v in r.violations]
    (edit,) = v.fix.edits
    assert edit.creates and not edit.path.exists()
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.line, edit.range.end.character) == (0, 0, 0, 0)


def test_check_fix_creates_the_file(tmp_path):
    app = _copy(tmp_path)
    plan = fixer.plan_fixes([app], select={"SST201"})
    assert plan.created == {app / "pyproject.toml"}
    written = fixer.write_fixes(plan)
    assert written == {app / "pyproject.toml"}
    text = (app / "pyproject.toml").read_text()
    assert 'members = ["core", "functions"]' in text
    assert [v for r in analyse_path(app, select={"SST201"}) for v in r.violations] == []


def test_check_fix_never_overwrites_a_file_created_meanwhile(tmp_path):
    app = _copy(tmp_path)
    plan = fixer.plan_fixes([app], select={"SST201"})
    (app / "pyproject.toml").write_text("# written by someone else\n")
    err = io.StringIO()
    written = fixer.write_fixes(plan, err=err)
    assert written == set()
    assert (app / "pyproject.toml").read_text() == "# written by someone else\n"
    assert "not fixed" in err.getvalue()
