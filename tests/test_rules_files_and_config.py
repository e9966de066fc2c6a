"""SST002, SST107, SST108, SST110, SST111, SST501: the cases fixtures cannot hold on disk.

(Over-size and binary files, links out of the workspace, permission errors, files that must
never be opened, rules that are off by default, event logs larger than the size cap.)
"""

from __future__ import annotations

import builtins
import io
import os
import shutil
from pathlib import Path

import pytest

from helpers import FIXTURES, apply_edits, copy_app, parse_error, place, run_check, summary
from sst_lsp.analysis import analyse_path
from sst_lsp.engine import files
from sst_lsp.engine.files import MAX_FILE_BYTES
from sst_lsp.engine.typescript import analyse
from sst_lsp.engine.config_file import analyse_config
from sst_lsp.rules.sst501_failed_deploy_event import clean, short_urn
from uvtools import describe, run_uv


def _codes(violations, code):
    return [v for v in violations if v.code == code]


def _app(tmp_path: Path, case: str) -> Path:
    return copy_app(FIXTURES / case, tmp_path)


# -- SST002 unreadable-file -------------------------------------------------------------


def test_sst002_oversize_pyproject(tmp_path):
    app = _app(tmp_path, "SST002/clean")
    pp = app / "core" / "pyproject.toml"
    pp.write_text(pp.read_text() + "# padding\n" * (MAX_FILE_BYTES // 10 + 10))
    (v,) = run_check(app)
    assert (v.code, v.path, v.range.start.line) == ("SST002", pp, 0)
    assert "over the 2,097,152-byte limit" in v.message


def test_sst002_link_out_of_the_workspace(tmp_path):
    app = _app(tmp_path, "SST002/clean")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pp = app / "core" / "pyproject.toml"
    shutil.move(pp, elsewhere / "pyproject.toml")
    pp.symlink_to(elsewhere / "pyproject.toml")
    (v,) = run_check(app)
    assert (v.code, v.path) == ("SST002", pp)
    assert "link that points outside the workspace" in v.message


def test_sst002_permission_denied(tmp_path, monkeypatch):
    app = _app(tmp_path, "SST002/clean")
    pp = app / "core" / "pyproject.toml"
    def refusing_open(file, *args, **kwargs):
        if os.path.abspath(file) == str(pp):
            raise PermissionError(13, "Permission denied")
        return open(file, *args, **kwargs)

    monkeypatch.setattr(files, "open", refusing_open, raising=False)  # how the engine opens a file
    (v,) = run_check(app)
    assert (v.code, v.path) == ("SST002", pp)
    assert "cannot be read (Permission denied)" in v.message


def test_sst002_binary_python_version_and_package_json(tmp_path):
    app = _app(tmp_path, "SST002/clean")
    (app / ".python-version").write_bytes(b"3.11\x00\x00")
    (app / "package.json").write_bytes('{"devDependencies": {"sst": "3.17.0"}, "description": "caf\xe9"}'.encode("latin-1"))
    found = summary(run_check(app), app)
    assert found == [("SST002", ".python-version", 1), ("SST002", "package.json", 1)]
    msgs = {Path(v.path).name: v.message for v in run_check(app)}
    assert "is binary" in msgs[".python-version"]
    assert "SST version" in msgs["package.json"]


def test_sst002_handler_file_is_reported_on_the_handler_string(tmp_path):
    app = _app(tmp_path, "SST002/clean")
    api = app / "functions" / "src" / "functions" / "api.py"
    api.write_bytes(api.read_bytes() + "# caf\xe9\n".encode("latin-1"))
    # SST002 alone: the rule reads what it needs itself (no other rule ran first)
    results = analyse_path(app, select={"SST002"})
    (v,) = [v for r in results for v in r.violations]
    assert (v.code, Path(v.path).name, v.range.start.line) == ("SST002", "sst.config.ts", 7)
    assert v.related and v.related[0].path == api
    assert '"handler"' in v.message and "PEP 263" in v.message


def test_sst002_handler_link_out_of_the_workspace(tmp_path):
    app = _app(tmp_path, "SST002/clean")
    api = app / "functions" / "src" / "functions" / "api.py"
    outside = tmp_path / "outside.py"
    shutil.move(api, outside)
    api.symlink_to(outside)
    found = _codes(run_check(app), "SST002")
    assert [(Path(v.path).name, v.range.start.line) for v in found] == [("sst.config.ts", 7)]
    assert "link that points outside the workspace" in found[0].message


def test_sst002_messages_for_committed_fixtures():
    (v,) = run_check(FIXTURES / "SST002" / "not-utf8-member")
    assert "not valid UTF-8" in v.message and "failed to run uv sync" in v.message


@pytest.mark.uv
def test_sst002_uv_refuses_a_member_pyproject_that_is_not_utf8(tmp_path):
    app = _app(tmp_path, "SST002/not-utf8-member")
    proc = run_uv(app, "lock")
    assert proc.returncode == 2, describe(proc)
    assert "stream did not contain valid UTF-8" in proc.stderr, describe(proc)
    assert "core/pyproject.toml" in proc.stderr, describe(proc)
    # the same file saved as UTF-8 locks
    pp = app / "core" / "pyproject.toml"
    pp.write_text(pp.read_bytes().decode("latin-1"), encoding="utf-8")
    proc = run_uv(app, "lock")
    assert proc.returncode == 0, describe(proc)
    assert run_check(app) == []


# -- SST107 handler-outside-project -----------------------------------------------------


def test_sst107_never_opens_or_examines_the_target(tmp_path, monkeypatch):
    app = tmp_path / "a" / "b" / "app"
    shutil.copytree(FIXTURES / "SST107" / "clean", app)
    # real files where the handlers point, so that a read would succeed if one were attempted
    (tmp_path / "a" / "etc").mkdir()
    (tmp_path / "a" / "etc" / "passwd.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.py").write_text("def handler(e, c):\n    return 1\n")
    config = app / "sst.config.ts"
    text = config.read_text()
    absolute = (tmp_path / "outside" / "secret").as_posix() + ".handler"
    text = text.replace('handler: "./functions/src/functions/api.handler"', 'handler: "../../etc/passwd.handler"')
    text = text.replace("  },\n});", f'    new sst.aws.Function("Secret", {{ handler: "{absolute}", runtime: "python3.11" }});\n  }},\n}});')
    config.write_text(text)

    guarded = (str(tmp_path / "a" / "etc"), str(tmp_path / "outside"))
    touched: list[str] = []

    def guard(path):
        try:
            p = os.path.abspath(os.fsdecode(path)) if not isinstance(path, int) else ""
        except TypeError:
            return
        if p.startswith(guarded):
            touched.append(p)
            raise AssertionError(f"touched {p}")

    def wrap(fn):
        def inner(path, *args, **kwargs):
            guard(path)
            return fn(path, *args, **kwargs)

        return inner

    monkeypatch.setattr(builtins, "open", wrap(builtins.open))
    monkeypatch.setattr(io, "open", wrap(io.open))
    monkeypatch.setattr(os, "stat", wrap(os.stat))
    monkeypatch.setattr(os, "lstat", wrap(os.lstat))
    monkeypatch.setattr(os, "scandir", wrap(os.scandir))
    for name in ("read_bytes", "read_text", "stat", "exists", "is_file", "is_dir", "open"):
        monkeypatch.setattr(Path, name, wrap(getattr(Path, name)))

    # the guard works
    with pytest.raises(AssertionError):
        (tmp_path / "a" / "etc" / "passwd.py").is_file()
    with pytest.raises(AssertionError):
        open(tmp_path / "outside" / "secret.py")
    touched.clear()

    violations = run_check(app)
    assert touched == []
    assert summary(violations, app) == [("SST107", "sst.config.ts", 12), ("SST107", "sst.config.ts", 15)]
    rel, absv = sorted(violations, key=lambda v: v.range.start.line)
    assert "../" in rel.message and "is not within the project root" in rel.message
    assert "absolute path" in absv.message


# -- SST108 handler-not-resolvable ------------------------------------------------------


def test_sst108_is_off_unless_selected(tmp_path):
    app = _app(tmp_path, "SST108/expression-handler")
    pp = app / "pyproject.toml"
    pp.write_text(pp.read_text().split("\n[tool.sst-lsp]")[0] + "\n")
    assert run_check(app) == []  # off by default, and no other rule fires on the app
    results = analyse_path(app, select={"SST108"})
    found = [v for r in results for v in r.violations]
    assert summary(found, app) == [("SST108", "sst.config.ts", 10), ("SST108", "sst.config.ts", 14)]
    assert all(v.severity.value == "info" for v in found)
    assert 'handlerFor("api")' in found[0].message
    # a prefix selects it too
    results = analyse_path(app, select={"SST1"})
    assert len([v for r in results for v in r.violations if v.code == "SST108"]) == 2


# -- SST110 top-level-import-in-config ---------------------------------------------------

CONFIG_WITH = """/// <reference path="./.sst/platform/config.d.ts" />
{imports}
export default $config({{
  app(input) {{
    return {{ name: "imports", home: "aws" }};
  }},
  async run() {{{body}}},
}});
"""


def _config_app(tmp_path, imports: str, body: str, tsconfig: str | None = None, sst: str | None = "3.17.0") -> Path:
    app = _app(tmp_path, "SST110/clean")
    (app / "sst.config.ts").write_text(CONFIG_WITH.format(imports=imports, body=body))
    if tsconfig is not None:
        (app / "tsconfig.json").write_text(tsconfig)
    if sst is None:
        (app / "package.json").write_text('{"name": "imports", "private": true}\n')
    return app


def _apply_fix(v, app, tmp_path):
    copy = copy_app(app, tmp_path / "fixed")
    changed = apply_edits(v.fix.edits, app, copy)
    ((path, (_, after, _)),) = changed.items()
    assert parse_error(path, after) is None, after
    assert place(v, app) not in {place(x, copy) for x in run_check(copy)}
    return after


def test_sst110_unused_import_is_dropped_by_esbuild_unless_tsconfig_keeps_it(tmp_path):
    app = _config_app(tmp_path, 'import { Tags } from "./infra/tags";\n', "\n    const t: Tags = {};\n  ")
    assert _codes(run_check(app), "SST110") == []
    (app / "tsconfig.json").write_text('{\n  // keep imports\n  "compilerOptions": { "verbatimModuleSyntax": true }\n}\n')
    assert [v.range.start.line for v in _codes(run_check(app), "SST110")] == [1]


def test_sst110_require_import_and_unknown_version(tmp_path):
    app = _config_app(tmp_path, 'import fs = require("node:fs");\nimport * as path from "node:path";\n', "\n    path.join('a');\n  ", sst=None)
    # era unknown: the rule still runs; `import x = require()` is a require call to esbuild
    assert [v.range.start.line for v in _codes(run_check(app), "SST110")] == [2]


@pytest.mark.parametrize(
    "body,expected",
    [
        ("", '  async run() { const { tagsFor } = await import("./infra/tags"); },'),
        (" tagsFor('x'); ", '  async run() { const { tagsFor } = await import("./infra/tags"); tagsFor(\'x\'); },'),
        ("\n    tagsFor('x');\n  ", '    const { tagsFor } = await import("./infra/tags");\n    tagsFor(\'x\');'),
    ],
)
def test_sst110_fix_inserts_into_run_in_its_style(tmp_path, body, expected):
    imports = 'import { tagsFor } from "./infra/tags";\n'
    app = _config_app(tmp_path, imports, body, tsconfig='{"compilerOptions": {"verbatimModuleSyntax": true}}')
    (v,) = _codes(run_check(app), "SST110")
    assert v.fix is not None and v.fix.safety.value == "unsafe"
    after = _apply_fix(v, app, tmp_path)
    assert expected in after
    assert "import { tagsFor }" not in after


def test_sst110_default_and_namespace_forms(tmp_path):
    app = _config_app(tmp_path, 'import tags from "./infra/tags";\n', "\n    tags;\n  ")
    (v,) = _codes(run_check(app), "SST110")
    assert 'const tags = (await import("./infra/tags")).default;' in _apply_fix(v, app, tmp_path)


def test_sst110_no_fix_when_run_is_not_async(tmp_path):
    app = _config_app(tmp_path, 'import * as path from "node:path";\n', "\n    path.join('a');\n  ")
    cfg = app / "sst.config.ts"
    cfg.write_text(cfg.read_text().replace("async run()", "run()"))
    (v,) = _codes(run_check(app), "SST110")
    assert v.fix is None


def test_config_file_extraction():
    text = """import type { A } from "a";
import { type B, c as d } from "b";
import "side";
export { e } from "./e";
const NAME = "x_y";
export default $config({
  app: async (input) => {
    const inner = () => ({ name: "nope" });
    return { name: NAME, home: "aws" };
  },
  async run() {
    d();
  },
});
"""
    cfg = analyse_config(analyse(Path("/x/sst.config.ts"), text))
    assert cfg.app_name.value == "x_y"
    assert cfg.app_name_range.start.line == 8
    assert [(i.source, i.type_only, i.side_effect, i.is_reexport, i.used_as_value) for i in cfg.imports] == [
        ("a", True, False, False, False),
        ("b", False, False, False, True),
        ("side", False, True, False, False),
        ("./e", False, False, True, True),
    ]
    assert cfg.run is not None and cfg.run.is_async and cfg.run.indent == "    "
    assert cfg.config_call.start.line == 5


# -- SST111 invalid-app-name ------------------------------------------------------------


@pytest.mark.parametrize("name,ok", [("my-app", True), ("App2", True), ("my_app", False), ("-app", False), ("my app", False), ("", False), ("app.v2", False)])
def test_sst111_names(tmp_path, name, ok):
    app = _app(tmp_path, "SST111/clean")
    cfg = app / "sst.config.ts"
    cfg.write_text(cfg.read_text().replace('name: "order-service-2"', f'name: "{name}"'))
    found = _codes(run_check(app), "SST111")
    assert (found == []) is ok
    if name == "":
        assert "Project name is required" in found[0].message


# -- SST501 failed-deploy-event ---------------------------------------------------------


def test_sst501_helpers():
    urn = "urn:pulumi:dev::app::sst:aws:Function$aws:lambda/function:Function::MyFunc"
    assert short_urn(urn) == "aws:lambda/function:Function MyFunc"
    assert short_urn("urn:pulumi:dev::app::pulumi:pulumi:Stack::app-dev") == "pulumi:pulumi:Stack app-dev"
    assert clean("\x1b[31merror:\x1b[0m  bad\n\n  thing ") == "error: bad thing"
    assert len(clean("x" * 2000)) == 500


def test_sst501_fixture_messages():
    found = run_check(FIXTURES / "SST501" / "failed-create")
    assert [v.message.split(":", 2)[:2] for v in found][0] == ["aws", "lambda/function"]
    assert "Unzipped size must be smaller than 262144000 bytes" in found[0].message
    assert found[1].message.startswith("aws:s3/bucketV2:BucketV2 UploadsBucket: the update operation failed")
    assert all(v.severity.value == "info" for v in found)
    assert not any("update failed" in v.message.split(" (from")[0] for v in found)


def test_sst501_large_log_is_read_from_its_end(tmp_path):
    app = _app(tmp_path, "SST501/clean")
    log = app / ".sst" / "pulumi" / "999" / "eventlog.json"
    log.parent.mkdir(parents=True)
    filler = '{"sequence":1,"timestamp":1,"stdoutEvent":{"message":"' + "x" * 200 + '","color":"never"}}\n'
    error = '{"sequence":2,"timestamp":2,"diagnosticEvent":{"urn":"urn:pulumi:dev::shop::aws:s3/bucketV2:BucketV2::Uploads","message":"BucketAlreadyExists","color":"never","severity":"error"}}\n'
    log.write_text(filler * (MAX_FILE_BYTES // len(filler) + 100) + error)
    assert log.stat().st_size > MAX_FILE_BYTES
    (v,) = run_check(app)
    assert v.code == "SST501" and v.message.startswith("aws:s3/bucketV2:BucketV2 Uploads: BucketAlreadyExists")


def test_sst501_log_linked_out_of_the_workspace_is_not_read(tmp_path):
    app = _app(tmp_path, "SST501/clean")
    src = FIXTURES / "SST501" / "failed-create" / ".sst" / "pulumi" / "1718000000000" / "eventlog.json"
    outside = tmp_path / "outside.json"
    shutil.copy(src, outside)
    log = app / ".sst" / "pulumi" / "1" / "eventlog.json"
    log.parent.mkdir(parents=True)
    log.symlink_to(outside)
    assert run_check(app) == []
