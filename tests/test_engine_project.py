"""Project: handler resolution, handler projects, uv workspace members, Python versions, bindings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sst_lsp.engine.era import Era
from sst_lsp.engine.files import FileSystem
from sst_lsp.engine.project import Project, admitted_minors, dist_dir_name, find_project_roots, find_root_for
from sst_lsp.engine.python_source import read_module


def write(root: Path, rel: str, text: str = "") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def make(root: Path, era: str | None = None, files: dict | None = None) -> Project:
    write(root, "sst.config.ts", "export default $config({ async run() {} });\n")
    for rel, text in (files or {}).items():
        write(root, rel, text)
    return Project(root, root / "sst.config.ts", FileSystem(workspace=root), era_override=era)


HANDLER_PY = "def handler(event, context):\n    return {}\n"


# -- resolve_handler -----------------------------------------------------------------------


def test_resolve_plain_and_leading_dot_slash(tmp_path):
    p = make(tmp_path, "3.17.0", {"functions/src/api.py": HANDLER_PY})
    for text in ("functions/src/api.handler", "./functions/src/api.handler", "  functions/src/api.handler "):
        t = p.resolve_handler(text)
        assert t.file_part == "functions/src/api"
        assert t.function == "handler"
        assert t.exists and t.py_path == tmp_path / "functions/src/api.py"
        assert not t.outside and not t.dotted and t.via_fallback is None


def test_resolve_missing_file(tmp_path):
    p = make(tmp_path, "3.17.0")
    t = p.resolve_handler("functions/nope.handler")
    assert not t.exists and t.py_path is None and t.other_language is None


def test_resolve_function_is_after_last_dot(tmp_path):
    p = make(tmp_path, "3.17.0", {"functions/v1.2/api.py": HANDLER_PY})
    t = p.resolve_handler("functions/v1.2/api.main")
    assert (t.file_part, t.function) == ("functions/v1.2/api", "main")
    assert t.exists and not t.dotted  # it has a "/", so it is a path


def test_resolve_without_dot(tmp_path):
    p = make(tmp_path, "3.17.0")
    t = p.resolve_handler("handler")
    assert t.file_part == "" and t.function == "handler"
    assert not t.exists and not t.outside


@pytest.mark.parametrize("handler", ["../other/api.handler", "functions/../../x.handler", "/abs/path/api.handler"])
def test_resolve_outside_root(tmp_path, handler):
    root = tmp_path / "app"
    p = make(root, "3.17.0")
    write(tmp_path, "other/api.py", HANDLER_PY)
    t = p.resolve_handler(handler)
    assert t.outside
    assert not t.exists


def test_resolve_inside_after_dotdot(tmp_path):
    p = make(tmp_path, "3.17.0", {"functions/api.py": HANDLER_PY})
    t = p.resolve_handler("functions/../functions/api.handler")
    assert not t.outside and t.exists


def test_era_c_fallback_folders(tmp_path):
    files = {"src/api.py": HANDLER_PY, "lambda/jobs/run.py": HANDLER_PY}
    c = make(tmp_path, "4.13.0", files)
    assert c.era == Era.C
    t = c.resolve_handler("api.handler")
    assert t.exists and t.via_fallback == "src" and t.py_path == tmp_path / "src/api.py"
    t = c.resolve_handler("jobs/run.handler")
    assert t.exists and t.via_fallback == "lambda"


def test_era_c_prefers_the_direct_path(tmp_path):
    c = make(tmp_path, "4.13.0", {"api.py": HANDLER_PY, "src/api.py": HANDLER_PY})
    t = c.resolve_handler("api.handler")
    assert t.py_path == tmp_path / "api.py" and t.via_fallback is None


@pytest.mark.parametrize("era", ["3.9.2", "3.17.0", None])
def test_no_fallback_before_era_c(tmp_path, era):
    p = make(tmp_path, era, {"src/api.py": HANDLER_PY})
    t = p.resolve_handler("api.handler")
    assert not t.exists


def test_dotted_handler_detection(tmp_path):
    p = make(tmp_path, "3.17.0", {"my_functions/src/handlers/my_handler.py": HANDLER_PY})
    t = p.resolve_handler("my_functions.src.handlers.my_handler.handler")
    assert t.dotted and not t.exists
    assert t.file_part == "my_functions.src.handlers.my_handler"
    assert p.dotted_candidates(t) == ["my_functions/src/handlers/my_handler"]
    assert not p.resolve_handler("functions/api.handler").dotted
    assert not p.resolve_handler("api.handler").dotted


def test_dotted_candidates_through_project_name(tmp_path):
    files = {
        "pyproject.toml": '[project]\nname = "root"\nversion = "0"\n[tool.uv.workspace]\nmembers = ["functions"]\n',
        "functions/pyproject.toml": '[project]\nname = "my-functions"\nversion = "0"\n',
        "functions/src/my_functions/api.py": HANDLER_PY,
    }
    p = make(tmp_path, "3.17.0", files)
    t = p.resolve_handler("my_functions.api.handler")
    assert t.dotted
    assert p.dotted_candidates(t) == ["functions/src/my_functions/api"]


def test_node_handler_with_ts_file_is_not_python(tmp_path):
    p = make(tmp_path, "3.17.0", {"packages/web/index.ts": "export const handler = async () => {};\n"})
    t = p.resolve_handler("packages/web/index.handler")
    assert not t.exists
    assert t.other_language == tmp_path / "packages/web/index.ts"


def test_python_functions_filter(tmp_path):
    config = """\
export default $config({
  async run() {
    new sst.aws.Function("Node", { handler: "packages/web/index.handler" });
    new sst.aws.Function("NodeRuntime", { handler: "packages/web/other.handler", runtime: "nodejs20.x" });
    new sst.aws.Function("Py", { handler: "functions/api.handler", runtime: "python3.12" });
    new sst.aws.Function("PyNoRuntime", { handler: "functions/api.handler" });
    new sst.aws.Function("Dotted", { handler: "functions.api.handler", runtime: "python3.12" });
  },
});
"""
    files = {"packages/web/index.ts": "export const handler = 1;\n", "functions/api.py": HANDLER_PY}
    p = make(tmp_path, "3.17.0", files)
    write(tmp_path, "sst.config.ts", config)
    pfs = p.python_functions
    kinds = [(pf.fd.handler, pf.runtime) for pf in pfs]
    assert ("functions/api.handler", "python3.12") in kinds
    assert ("functions/api.handler", None) in kinds  # the file is Python: SST105's business
    assert ("functions.api.handler", "python3.12") in kinds
    assert all(not h.startswith("packages/web") for h, _ in kinds)


def test_dotted_handler_without_runtime_is_python_when_candidates_exist(tmp_path):
    config = 'export default $config({ async run() { new sst.aws.Function("D", { handler: "functions.api.handler" }); new sst.aws.Function("E", { handler: "nothing.here.handler" }); } });\n'
    p = make(tmp_path, "3.17.0", {"functions/api.py": HANDLER_PY})
    write(tmp_path, "sst.config.ts", config)
    assert [pf.fd.handler for pf in p.python_functions] == ["functions.api.handler"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_inside_workspace_is_followed(tmp_path):
    p = make(tmp_path, "3.17.0", {"packages/functions/api.py": HANDLER_PY})
    os.symlink(tmp_path / "packages/functions", tmp_path / "functions")
    assert p.resolve_handler("functions/api.handler").exists


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_out_of_workspace_is_not_followed(tmp_path):
    root = tmp_path / "app"
    p = make(root, "3.17.0")
    write(tmp_path, "elsewhere/api.py", HANDLER_PY)
    os.symlink(tmp_path / "elsewhere", root / "functions")
    assert not p.resolve_handler("functions/api.handler").exists


# -- handler_project -------------------------------------------------------------------------


def test_handler_project_walks_up(tmp_path):
    files = {
        "pyproject.toml": '[project]\nname = "root"\nversion = "0"\n',
        "functions/pyproject.toml": '[project]\nname = "functions"\nversion = "0"\n',
        "functions/src/functions/api.py": HANDLER_PY,
        "scripts/tool.py": HANDLER_PY,
    }
    p = make(tmp_path, "3.17.0", files)
    pp = p.handler_project(tmp_path / "functions/src/functions/api.py")
    assert pp is not None and pp.name == "functions" and pp.dir == tmp_path / "functions"
    assert p.handler_project(tmp_path / "scripts/tool.py").name == "root"


def test_handler_project_never_above_root(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "outer"\nversion = "0"\n')
    root = tmp_path / "app"
    p = make(root, "3.17.0", {"functions/api.py": HANDLER_PY})
    assert p.handler_project(root / "functions/api.py") is None


def test_handler_project_broken_toml_is_returned(tmp_path):
    p = make(tmp_path, "3.17.0", {"functions/pyproject.toml": "[project\n", "functions/api.py": HANDLER_PY})
    pp = p.handler_project(tmp_path / "functions/api.py")
    assert pp is not None and not pp.ok and pp.name is None


def test_python_function_carries_its_project(tmp_path):
    files = {"functions/pyproject.toml": '[project]\nname = "fns"\nversion = "0"\n', "functions/api.py": HANDLER_PY}
    p = make(tmp_path, "3.17.0", files)
    write(tmp_path, "sst.config.ts", 'new sst.aws.Function("F", { handler: "functions/api.handler", runtime: "python3.12" });\n')
    (pf,) = p.python_functions
    assert pf.project is not None and pf.project.name == "fns"


# -- workspace members -------------------------------------------------------------------------


def _pkg(name: str) -> str:
    return f'[project]\nname = "{name}"\nversion = "0.1.0"\n'


def test_workspace_members_globs_and_exclude(tmp_path):
    files = {
        "pyproject.toml": '[project]\nname = "root"\nversion = "0"\n[tool.uv.workspace]\nmembers = ["packages/*", "functions"]\nexclude = ["packages/legacy"]\n',
        "packages/a/pyproject.toml": _pkg("a"),
        "packages/b/pyproject.toml": _pkg("b"),
        "packages/legacy/pyproject.toml": _pkg("legacy"),
        "packages/notes/README.md": "no pyproject here",
        "functions/pyproject.toml": _pkg("functions"),
        "other/pyproject.toml": _pkg("other"),
    }
    p = make(tmp_path, "3.17.0", files)
    assert p.member_patterns == ["packages/*", "functions"]
    assert p.exclude_patterns == ["packages/legacy"]
    assert p.workspace_members == [tmp_path / "packages/a", tmp_path / "packages/b", tmp_path / "functions"]
    assert p.is_member(tmp_path)  # the workspace root itself
    assert p.is_member(tmp_path / "packages/a")
    assert not p.is_member(tmp_path / "packages/legacy")
    assert not p.is_member(tmp_path / "other")


def test_workspace_members_recursive_glob_and_trailing_slash(tmp_path):
    files = {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["services/**/", "libs/*/"]\n',
        "services/x/api/pyproject.toml": _pkg("api"),
        "libs/core/pyproject.toml": _pkg("core"),
        "libs/core/node_modules/junk/pyproject.toml": _pkg("junk"),
    }
    p = make(tmp_path, "3.17.0", files)
    members = p.workspace_members
    assert tmp_path / "services/x/api" in members
    assert tmp_path / "libs/core" in members
    assert all("node_modules" not in str(m) for m in members)


def test_workspace_members_reject_escaping_patterns(tmp_path):
    write(tmp_path, "sibling/pyproject.toml", _pkg("sibling"))
    root = tmp_path / "app"
    p = make(root, "3.17.0", {"pyproject.toml": '[tool.uv.workspace]\nmembers = ["../sibling", "/etc"]\n'})
    assert p.workspace_members == []


def test_no_workspace(tmp_path):
    p = make(tmp_path, "3.17.0", {"pyproject.toml": _pkg("root")})
    assert p.workspace_table is None
    assert p.workspace_members == []
    assert not p.is_member(tmp_path)


def test_broken_root_pyproject_means_no_workspace(tmp_path):
    p = make(tmp_path, "3.17.0", {"pyproject.toml": "[tool.uv.workspace\nmembers = ['a']\n"})
    assert p.workspace_table is None and p.settings == {}


def test_era_c_workspace_root(tmp_path):
    files = {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["services/*"]\n',
        "services/api/pyproject.toml": _pkg("api"),
    }
    p = make(tmp_path, "4.13.0", files)
    assert p.era_c_workspace_root(tmp_path / "services/api") == tmp_path


def test_dist_dir_name():
    assert dist_dir_name("My.Functions-Pkg") == "my_functions_pkg"
    assert dist_dir_name("check_csv") == "check_csv"


# -- python versions -------------------------------------------------------------------------


def test_python_minor_from_project_python_version(tmp_path):
    files = {
        "functions/pyproject.toml": _pkg("fns") + 'requires-python = ">=3.10"\n',
        "functions/.python-version": "3.11.4\n",
        ".python-version": "3.13\n",
    }
    p = make(tmp_path, "3.17.0", files)
    minor, source = p.python_minor(p.pyproject(tmp_path / "functions/pyproject.toml"))
    assert (minor, source) == ("3.11", "functions/.python-version")


def test_python_minor_from_root_python_version(tmp_path):
    p = make(tmp_path, "3.17.0", {"functions/pyproject.toml": _pkg("fns"), ".python-version": "cpython-3.12\n"})
    assert p.python_minor(p.pyproject(tmp_path / "functions/pyproject.toml")) == ("3.12", ".python-version")
    assert p.python_minor(None) == ("3.12", ".python-version")


@pytest.mark.parametrize(
    "requires, minor",
    [
        ("==3.12.*", "3.12"),
        (">=3.11,<3.12", "3.11"),
        ("~=3.13.0", "3.13"),
        (">=3.11", None),  # several admitted: no single pin
        ("not a spec", None),
    ],
)
def test_python_minor_from_requires_python(tmp_path, requires, minor):
    p = make(tmp_path, "3.17.0", {"functions/pyproject.toml": _pkg("fns") + f'requires-python = "{requires}"\n'})
    got, source = p.python_minor(p.pyproject(tmp_path / "functions/pyproject.toml"))
    assert got == minor
    if minor:
        assert source == "requires-python in functions/pyproject.toml"


def test_python_minor_falls_back_to_root_requires_python(tmp_path):
    p = make(tmp_path, "3.17.0", {"pyproject.toml": _pkg("root") + 'requires-python = "==3.12.*"\n', "functions/pyproject.toml": _pkg("fns")})
    assert p.python_minor(p.pyproject(tmp_path / "functions/pyproject.toml")) == ("3.12", "requires-python in pyproject.toml")


def test_python_minor_unknown(tmp_path):
    p = make(tmp_path, "3.17.0", {".python-version": "pypy3\n"})
    assert p.python_minor(None) == (None, "")


def test_admitted_minors():
    assert admitted_minors(">=3.11") == ["3.11", "3.12", "3.13", "3.14"]
    assert admitted_minors(">=3.9,<3.11") == ["3.9", "3.10"]
    assert admitted_minors(">3.12.1,<3.13") == ["3.12"]
    assert admitted_minors("garbage") == []


# -- roots -----------------------------------------------------------------------------------


def test_find_project_roots_and_root_for(tmp_path):
    write(tmp_path, "a/sst.config.ts")
    write(tmp_path, "b/c/sst.config.ts")
    write(tmp_path, "node_modules/x/sst.config.ts")
    write(tmp_path, "a/functions/api.py", HANDLER_PY)
    assert find_project_roots(tmp_path, FileSystem(workspace=tmp_path)) == [tmp_path / "a", tmp_path / "b/c"]
    (tmp_path / "b" / "loop").symlink_to(tmp_path / "b")  # a link loop ends
    assert find_project_roots(tmp_path, FileSystem(workspace=tmp_path)) == [tmp_path / "a", tmp_path / "b/c"]
    assert find_root_for(tmp_path / "a/functions/api.py") == tmp_path / "a"
    assert find_root_for(tmp_path / "z.py", workspace=tmp_path) is None


def test_python_file_index_skips_nested_apps_and_tool_dirs(tmp_path):
    files = {
        "functions/api.py": HANDLER_PY,
        ".venv/lib/site.py": "",
        "node_modules/x/y.py": "",
        "nested/sst.config.ts": "",
        "nested/functions/n.py": "",
    }
    p = make(tmp_path, "3.17.0", files)
    assert p.python_file_index == ["functions/api.py"]


# -- python source bindings --------------------------------------------------------------------


def test_bindings_def_async_class():
    mod = read_module('"""doc"""\ndef handler(event, context) -> dict:\n    """Handle it."""\n    return {}\n\nasync def main(event, context):\n    pass\n\nclass Handler:\n    """A class."""\n')
    assert mod.syntax_error is None
    h = mod.bindings["handler"]
    assert (h.kind, h.line, h.column) == ("function", 1, 0)
    assert h.signature == "def handler(event, context) -> dict"
    assert h.docstring == "Handle it."
    assert mod.bindings["main"].signature == "async def main(event, context)"
    assert mod.bindings["Handler"].kind == "class" and mod.bindings["Handler"].docstring == "A class."


def test_bindings_assignments_and_imports():
    text = """\
from mangum import Mangum
from .app import handler as api_handler, other
import os.path
import json as j
from x import *
app = object()
handler = Mangum(app)
a, (b, c) = 1, (2, 3)
typed: int = 5
counter += 1
"""
    b = read_module(text).bindings
    assert b["handler"].kind == "assignment" and b["handler"].line == 6
    assert b["api_handler"].kind == "import" and b["other"].kind == "import"
    assert b["os"].kind == "import" and b["j"].kind == "import"
    assert {"a", "b", "c", "typed", "counter", "app", "Mangum"} <= set(b)
    assert "*" not in b and "x" not in b


def test_bindings_relative_import_of_handler():
    b = read_module("from .app import handler\n").bindings
    assert b["handler"].kind == "import"


def test_bindings_under_if_try_with():
    text = """\
import os
if os.environ.get("X"):
    def handler(event, context):
        return 1
else:
    handler2 = None
try:
    from fast import handler3
except ImportError:
    def handler4(e, c):
        pass
finally:
    done = True
with open(__file__) as f:
    handler5 = f.name
"""
    b = read_module(text).bindings
    assert {"handler", "handler2", "handler3", "handler4", "done", "handler5"} <= set(b)


def test_bindings_not_from_nested_scopes():
    b = read_module("def outer():\n    def handler(e, c):\n        pass\n    x = 1\nclass K:\n    y = 2\n").bindings
    assert set(b) == {"outer", "K"}


def test_last_binding_wins_and_unicode_column():
    b = read_module("handler = None\ndef handler(e, c):\n    pass\n").bindings
    assert b["handler"].kind == "function" and b["handler"].line == 1


def test_syntax_error_is_reported():
    mod = read_module("def handler(:\n")
    assert mod.bindings == {} and mod.syntax_error and mod.syntax_error.startswith("SyntaxError")


def test_python_module_via_project(tmp_path):
    p = make(tmp_path, "3.17.0", {"functions/api.py": "handler = lambda e, c: 1\n"})
    mod = p.python_module(tmp_path / "functions/api.py")
    assert mod is not None and "handler" in mod.bindings
    assert p.python_module(tmp_path / "functions/missing.py") is None
