"""engine/navigation.py: handler under a position, hover text, definition, links, completion."""

from __future__ import annotations

import json
from pathlib import Path

from sst_lsp.engine import navigation as nav
from sst_lsp.engine.files import FileSystem
from sst_lsp.engine.positions import LineIndex, Position
from sst_lsp.engine.project import Project, PythonFunction
from sst_lsp.engine.typescript import FunctionDef

API_PY = '''"""The API."""
import json


def helper():
    return 1


def handler(event, context) -> dict:
    """Answer the API request."""
    return {"statusCode": 200}


def _private():
    pass


app_handler = object()
'''


def write(root: Path, rel: str, text: str = "") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def config(body: str) -> str:
    return "export default $config({\n  async run() {\n" + body + "  },\n});\n"


def era_b_app(root: Path, body: str, name: str = "functions") -> Project:
    write(root, "package.json", json.dumps({"devDependencies": {"sst": "3.17.0"}}))
    write(root, "pyproject.toml", '[project]\nname = "app"\nversion = "0"\n\n[tool.uv.workspace]\nmembers = ["functions"]\n')
    write(root, "functions/pyproject.toml", f'[project]\nname = "{name}"\nversion = "0"\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    write(root, "functions/src/functions/__init__.py")
    write(root, "functions/src/functions/api.py", API_PY)
    write(root, "functions/src/functions/jobs/nightly.py", "def run(event, context):\n    pass\n")
    write(root, "node_modules/sst/index.py", "def not_a_handler(): pass\n")
    write(root, "sst.config.ts", config(body))
    return Project(root, root / "sst.config.ts", FileSystem(workspace=root))


def era_c_app(root: Path, body: str) -> Project:
    write(root, "package.json", json.dumps({"devDependencies": {"sst": "^4"}}))
    write(root, "pyproject.toml", '[project]\nname = "app"\nversion = "0"\n')
    write(root, "src/api.py", API_PY)
    write(root, "sst.config.ts", config(body))
    return Project(root, root / "sst.config.ts", FileSystem(workspace=root))


def pos_of(project: Project, needle: str, delta: int = 0, path: Path | None = None) -> Position:
    """The position ``delta`` characters after the start of ``needle`` in the file."""
    text = (path or project.config).read_text(encoding="utf-8")
    off = text.index(needle) + delta
    return LineIndex(text).position_of_offset(off)


FN = '    new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.11" });\n'


# -- handler_at ---------------------------------------------------------------------------------


def test_handler_at_string(tmp_path):
    p = era_b_app(tmp_path, FN)
    hit = nav.handler_at(p, p.config, pos_of(p, "functions/src/functions/api.handler", 5))
    assert hit is not None
    fn, target = hit
    assert isinstance(fn, PythonFunction)
    assert target.py_path == tmp_path / "functions/src/functions/api.py"
    assert target.function == "handler"
    # both ends of the string contents count; the key does not
    assert nav.handler_at(p, p.config, pos_of(p, "functions/src/functions/api.handler")) is not None
    assert nav.handler_at(p, p.config, pos_of(p, "functions/src/functions/api.handler", len("functions/src/functions/api.handler"))) is not None
    assert nav.handler_at(p, p.config, pos_of(p, "handler:")) is None
    assert nav.handler_at(p, p.config, pos_of(p, "python3.11", 2)) is None


def test_handler_at_const_usage_and_literal(tmp_path):
    body = '    const h = "functions/src/functions/api.handler";\n    new sst.aws.Function("Api", { handler: h, runtime: "python3.11" });\n'
    p = era_b_app(tmp_path, body)
    at_literal = nav.handler_at(p, p.config, pos_of(p, "functions/src/functions/api.handler", 3))
    at_usage = nav.handler_at(p, p.config, pos_of(p, "handler: h", len("handler: ")))
    assert at_literal is not None and at_usage is not None
    assert at_literal[1].py_path == at_usage[1].py_path == tmp_path / "functions/src/functions/api.py"


def test_handler_at_shorthand_and_route(tmp_path):
    body = (
        '    const handler = "functions/src/functions/api.handler";\n'
        '    new sst.aws.Function("A", { handler, runtime: "python3.11" });\n'
        '    const api = new sst.aws.ApiGatewayV2("Api");\n'
        '    api.route("GET /", "functions/src/functions/jobs/nightly.run");\n'
    )
    p = era_b_app(tmp_path, body)
    hit = nav.handler_at(p, p.config, pos_of(p, "{ handler,", 3))
    assert hit is not None and hit[1].function == "handler"
    hit = nav.handler_at(p, p.config, pos_of(p, "jobs/nightly.run", 2))
    assert hit is not None and hit[1].py_path == tmp_path / "functions/src/functions/jobs/nightly.py"
    assert nav.handler_at(p, p.config, pos_of(p, "GET /", 1)) is None


def test_handler_at_non_python_handler_is_a_function_def(tmp_path):
    body = '    new sst.aws.Function("Node", { handler: "web/index.handler" });\n'
    p = era_b_app(tmp_path, body)
    write(tmp_path, "web/index.ts", "export const handler = 1;\n")
    hit = nav.handler_at(p, p.config, pos_of(p, "web/index", 1))
    assert hit is not None and isinstance(hit[0], FunctionDef)
    assert hit[1].other_language == tmp_path / "web/index.ts"
    assert "not a Python handler" in nav.hover_markdown(p, *hit)


# -- hover ---------------------------------------------------------------------------------------


def test_hover_era_b(tmp_path):
    p = era_b_app(tmp_path, FN)
    md, rng = nav.hover(p, p.config, pos_of(p, "api.handler"))
    assert "`functions/src/functions/api.py`" in md
    assert "def handler(event, context) -> dict" in md
    assert "Answer the API request." in md
    assert "Lambda handler: `functions/api.handler`" in md and "X/src/X/" in md and "imports module `functions.api`" in md
    assert "Project: `functions` in `functions/`, a workspace member" in md
    assert "In the zip: `functions/api.py`" in md and "SST106" not in md
    assert "SST 3.17.0 (era B, from package.json" in md
    line = p.config.read_text().splitlines()[rng.start.line]
    assert line[rng.start.character:rng.end.character] == "functions/src/functions/api.handler"


def test_hover_era_b_name_mismatch_shows_zip_path(tmp_path):
    p = era_b_app(tmp_path, FN, name="my-functions")
    md, _ = nav.hover(p, p.config, pos_of(p, "api.handler"))
    assert "Project: `my-functions` in `functions/`" in md
    assert "In the zip: `my_functions/src/functions/api.py` ⚠ not where Lambda will look (SST106)" in md


def test_hover_era_c_fallback_folder(tmp_path):
    p = era_c_app(tmp_path, '    new sst.aws.Function("Api", { handler: "api.handler", runtime: "python3.12" });\n')
    md, _ = nav.hover(p, p.config, pos_of(p, "api.handler", 1))
    assert "`src/api.py` (found under the `src/` fallback folder)" in md
    assert "Lambda handler: `src/api.handler`" in md
    assert "In the zip" not in md  # only predicted in era B
    assert "Project: `app` in the app root" in md
    assert "era C" in md and "package.json" in md


def test_hover_missing_function_and_missing_file(tmp_path):
    body = (
        '    new sst.aws.Function("A", { handler: "functions/src/functions/api.nope", runtime: "python3.11" });\n'
        '    new sst.aws.Function("B", { handler: "functions/src/functions/gone.handler", runtime: "python3.11" });\n'
    )
    p = era_b_app(tmp_path, body)
    md, _ = nav.hover(p, p.config, pos_of(p, "api.nope"))
    assert "No top-level `nope`" in md
    md, _ = nav.hover(p, p.config, pos_of(p, "gone.handler"))
    assert "File not found: `functions/src/functions/gone.py`" in md


def test_hover_unknown_era_says_as_written(tmp_path):
    write(tmp_path, "fn/api.py", API_PY)
    write(tmp_path, "sst.config.ts", config('    new sst.aws.Function("A", { handler: "fn/api.handler", runtime: "python3.11" });\n'))
    p = Project(tmp_path, tmp_path / "sst.config.ts", FileSystem(workspace=tmp_path))
    md, _ = nav.hover(p, p.config, pos_of(p, "fn/api"))
    assert "Lambda handler: `fn/api.handler` — as written (SST version unknown)" in md
    assert "SST version unknown" in md


# -- definition and links ------------------------------------------------------------------------


def test_definition(tmp_path):
    body = FN + '    new sst.aws.Function("B", { handler: "functions/src/functions/api.nope", runtime: "python3.11" });\n'
    p = era_b_app(tmp_path, body)
    py = tmp_path / "functions/src/functions/api.py"
    assert nav.definition(p, p.config, pos_of(p, "api.handler")) == (py, API_PY.splitlines().index("def handler(event, context) -> dict:"), 0)
    assert nav.definition(p, p.config, pos_of(p, "api.nope")) == (py, 0, 0)  # missing function: the file
    assert nav.definition(p, p.config, pos_of(p, "python3.11")) is None


def test_definition_era_c_and_assignment_binding(tmp_path):
    p = era_c_app(tmp_path, '    new sst.aws.Function("Api", { handler: "api.app_handler", runtime: "python3.12" });\n')
    assert nav.definition(p, p.config, pos_of(p, "api.app")) == (tmp_path / "src/api.py", API_PY.splitlines().index("app_handler = object()"), 0)


def test_document_links(tmp_path):
    body = (
        '    const h = "functions/src/functions/api.handler";\n'
        '    new sst.aws.Function("A", { handler: h, runtime: "python3.11" });\n'
        '    new sst.aws.Function("B", { handler: h, runtime: "python3.11" });\n'
        '    new sst.aws.Function("C", { handler: "functions/src/functions/jobs/nightly.run", runtime: "python3.11" });\n'
        '    new sst.aws.Function("D", { handler: "functions/missing.handler", runtime: "python3.11" });\n'
    )
    p = era_b_app(tmp_path, body)
    links = nav.document_links(p, p.config)
    lines = p.config.read_text().splitlines()
    got = [(lines[r.start.line][r.start.character:r.end.character], path.relative_to(tmp_path).as_posix(), line) for r, path, line in links]
    assert got == [
        ("functions/src/functions/api.handler", "functions/src/functions/api.py", API_PY.splitlines().index("def handler(event, context) -> dict:")),
        ("functions/src/functions/jobs/nightly.run", "functions/src/functions/jobs/nightly.py", 0),
    ]


# -- completion ----------------------------------------------------------------------------------


def _complete(p: Project, text: str, cursor_marker: str = "|"):
    """Write the config with ``|`` as the cursor and complete there."""
    body = text.replace(cursor_marker, "")
    p.config.write_text(config(body), encoding="utf-8")
    p2 = Project(p.root, p.config, FileSystem(workspace=p.root))
    full = config(text)
    pos = LineIndex(full).position_of_offset(full.index(cursor_marker))
    return nav.completions(p2, p2.config, pos)


def test_complete_folders_and_files(tmp_path):
    p = era_b_app(tmp_path, "")
    items = _complete(p, '    new sst.aws.Function("A", { handler: "|", runtime: "python3.11" });\n')
    labels = [c.label for c in items]
    assert labels == ["functions/"]  # node_modules and folders without Python are not offered
    assert items[0].kind == "folder" and items[0].insert_text == "functions/" and items[0].retrigger
    items = _complete(p, '    new sst.aws.Function("A", { handler: "functions/src/functions/|", runtime: "python3.11" });\n')
    assert [(c.label, c.kind) for c in items] == [("jobs/", "folder"), ("__init__", "file"), ("api", "file")]
    api = next(c for c in items if c.label == "api")
    assert api.insert_text == "api." and api.detail == "functions/src/functions/api.py"
    assert api.range.start == api.range.end  # nothing typed in this segment yet


def test_complete_filters_on_typed_prefix_and_range(tmp_path):
    p = era_b_app(tmp_path, "")
    items = _complete(p, '    new sst.aws.Function("A", { handler: "./functions/src/functions/a|", runtime: "python3.11" });\n')
    assert [c.label for c in items] == ["api"]
    assert items[0].range.end.character - items[0].range.start.character == 1  # replaces the typed "a"


def test_complete_function_names(tmp_path):
    p = era_b_app(tmp_path, "")
    items = _complete(p, '    new sst.aws.Function("A", { handler: "functions/src/functions/api.|", runtime: "python3.11" });\n')
    labels = [c.label for c in items]
    assert labels == ["helper", "handler", "app_handler"]  # imports and _private left out
    h = next(c for c in items if c.label == "handler")
    assert h.kind == "function" and "def handler(event, context) -> dict" in h.detail
    items = _complete(p, '    new sst.aws.Function("A", { handler: "functions/src/functions/api.ha|", runtime: "python3.11" });\n')
    assert [c.label for c in items] == ["handler"]
    assert items[0].range.end.character - items[0].range.start.character == 2


def test_complete_era_c_fallback_function_names(tmp_path):
    p = era_c_app(tmp_path, "")
    items = _complete(p, '    new sst.aws.Function("A", { handler: "api.|", runtime: "python3.12" });\n')
    assert "handler" in [c.label for c in items]


def test_complete_contexts(tmp_path):
    p = era_b_app(tmp_path, "")
    # a Cron `function`, a `job`, a route's handler argument, a const named like a handler
    for text in (
        '    new sst.aws.Cron("C", { schedule: "rate(1 day)", function: "functions/|" });\n',
        '    new sst.aws.Cron("C", { schedule: "rate(1 day)", job: { handler: "functions/|" } });\n',
        '    const api = new sst.aws.ApiGatewayV2("Api");\n    api.route("GET /", "functions/|");\n',
        '    const queue = new sst.aws.Queue("Q");\n    queue.subscribe("functions/|");\n',
        '    const myHandler = "functions/|";\n',
        '    const h = "functions/|";\n    new sst.aws.Function("A", { handler: h });\n',
    ):
        assert [c.label for c in _complete(p, text)] == ["src/"], text
    # not handler strings: a route key, a name, a runtime, an unrelated const
    for text in (
        '    const api = new sst.aws.ApiGatewayV2("Api");\n    api.route("GET /|", "functions/src/functions/api.handler");\n',
        '    new sst.aws.Function("|A", { handler: "functions/src/functions/api.handler" });\n',
        '    new sst.aws.Function("A", { handler: "functions/src/functions/api.handler", runtime: "python3|" });\n',
        '    const other = "functions/|";\n',
        '    const topic = new sst.aws.SnsTopic("T");\n    topic.subscribe("f|", "functions/src/functions/api.handler");\n',
    ):
        assert _complete(p, text) == [], text


def test_complete_half_typed_unterminated_string(tmp_path):
    p = era_b_app(tmp_path, "")
    items = _complete(p, '    new sst.aws.Function("A", {\n      handler: "functions/s|\n      runtime: "python3.11",\n    });\n')
    assert [c.label for c in items] == ["src/"]


def test_definition_column_counts_utf16_after_non_ascii(tmp_path):
    """ast reports byte columns: a binding after non-ASCII text on its line lands on the right UTF-16 column."""
    from sst_lsp.engine.navigation import _utf16_column
    from sst_lsp.engine.files import FileSystem
    from sst_lsp.engine.project import Project

    (tmp_path / "sst.config.ts").write_text("export default $config({});\n")
    py = tmp_path / "h.py"
    py.write_text("é = 1; handler = lambda e, c: \"🐍\"\n")
    project = Project(tmp_path, tmp_path / "sst.config.ts", FileSystem(workspace=tmp_path))
    import ast

    node = ast.parse(py.read_text()).body[1]
    assert _utf16_column(project, py, 0, node.targets[0].col_offset) == len("é = 1; ")
