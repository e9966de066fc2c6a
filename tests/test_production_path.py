"""The editor's path to diagnostics (EditorSession: disk cache, overlays, a disk model shared
across TypeScript edits) gives what `check` gives, fresh and after a TypeScript-only edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import FIXTURES, copy_app, run_check
from sst_lsp.engine.documents import OpenDocument
from sst_lsp.engine.files import FileSystem
from sst_lsp.engine.project import CONFIG_NAME, DiskModel, find_project_roots
from sst_lsp.session import EditorSession
from test_rules import EXPECTED


def _key(violations) -> list[tuple]:
    return sorted((str(v.path), v.code, v.range.start.line, v.range.start.character, v.severity.value, v.message) for v in violations)


def _session_run(session: EditorSession, root: Path) -> list:
    outcome = session.analyse(root)
    assert outcome.result is not None and not outcome.result.failures
    return [v for vs in outcome.current.values() for v in vs]


def _touch_typescript(session: EditorSession, root: Path, text_change=lambda t: t) -> None:
    """Open sst.config.ts in the 'editor' (text unchanged unless told): only TypeScript changed."""
    config = root / CONFIG_NAME
    doc = OpenDocument(config, text_change(config.read_text(encoding="utf-8")), 1)
    doc.parse_full()
    session.docs[config] = doc


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_fixture_through_the_session_fresh_and_after_a_typescript_edit(case, tmp_path):
    app = copy_app(FIXTURES / case, tmp_path)
    expected = _key(run_check(app))
    for root in find_project_roots(app, FileSystem(workspace=app)):
        session = EditorSession(workspace_root=app)
        fresh = _session_run(session, root)
        _touch_typescript(session, root)
        again = _session_run(session, root)
        assert isinstance(session._last_projects[root][1], DiskModel)
        assert _key(again) == _key(fresh)
    assert sorted(_key(v for root in find_project_roots(app, FileSystem(workspace=app)) for v in _session_run(EditorSession(workspace_root=app), root))) == expected


def test_the_disk_model_is_shared_after_a_typescript_edit(tmp_path):
    app = copy_app(FIXTURES / "SST202" / "not-member", tmp_path)
    session = EditorSession(workspace_root=app)
    session.analyse(app)
    first = session._last_projects[app][1]
    _touch_typescript(session, app, lambda t: t + "\n// edited\n")
    session.analyse(app)
    assert session._last_projects[app][1] is first


def test_no_diagnostic_on_a_broken_pyproject_above_the_app_after_a_typescript_edit(tmp_path):
    """An SST 4.17 app in apps/api/ (its functions/ project beside a root pyproject.toml with no
    workspace) in a monorepo whose top pyproject.toml is broken TOML.

    Looking for an era-C ancestor workspace reads that file; it is not the app's, so nothing is
    reported on it, neither fresh nor after an edit of sst.config.ts.
    """
    mono = tmp_path / "mono"
    app = mono / "apps" / "api"
    (app / "functions").mkdir(parents=True)
    (mono / "pyproject.toml").write_text('[project\nname = "mono"\n', encoding="utf-8")
    (app / "package.json").write_text('{"devDependencies": {"sst": "4.17.0"}}\n', encoding="utf-8")
    (app / "pyproject.toml").write_text('[project]\nname = "api"\nversion = "0.1.0"\nrequires-python = "==3.12.*"\ndependencies = []\n', encoding="utf-8")
    (app / "functions" / "pyproject.toml").write_text('[project]\nname = "functions"\nversion = "0.1.0"\ndependencies = []\n', encoding="utf-8")
    (app / "functions" / "handler.py").write_text("def main(event, context):\n    return {}\n", encoding="utf-8")
    (app / CONFIG_NAME).write_text(
        'export default $config({\n  app() { return { name: "api", home: "aws" }; },\n  async run() {\n'
        '    new sst.aws.Function("Api", { handler: "functions/handler.main", runtime: "python3.12" });\n  },\n});\n',
        encoding="utf-8",
    )
    session = EditorSession(workspace_root=mono)
    outcome = session.analyse(app)
    assert mono / "pyproject.toml" not in outcome.current
    _touch_typescript(session, app, lambda t: t.replace('"Api"', '"Api2"'))
    outcome = session.analyse(app)
    assert isinstance(session._last_projects[app][1], DiskModel)
    assert mono / "pyproject.toml" not in outcome.current, outcome.current.get(mono / "pyproject.toml")
    # the file was read on the way: the check above would be empty if it never was
    assert ("pyproject", mono / "pyproject.toml") in session._last_projects[app][1].memo.nodes
