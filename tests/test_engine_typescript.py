"""TypeScript extraction: every place SST is given a handler, runtimes, transforms, imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from sst_lsp.engine.files import FileSystem
from sst_lsp.engine.positions import LineIndex, Range
from sst_lsp.engine.project import Project
from sst_lsp.engine.ts_findings import raw_lambdas, vpc_subnets
from sst_lsp.engine.typescript import analyse


def ts(text: str, name: str = "sst.config.ts"):
    return analyse(Path("/virtual") / name, text)


def by_handler(tf) -> dict:
    return {f.handler: f for f in tf.functions if f.handler is not None}


def range_of(text: str, needle: str, nth: int = 0) -> Range:
    """The LSP range of the ``nth`` occurrence of ``needle`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return LineIndex(text).range_of_offsets(start, start + len(needle))


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def project(root: Path) -> Project:
    return Project(root, root / "sst.config.ts", FileSystem(workspace=root))


CONFIG = """\
export default $config({
  app(input) { return { name: "app", home: "aws" }; },
  async run() {
%s
  },
});
"""


# -- sst.aws.Function ----------------------------------------------------------------------


def test_function_handler_and_runtime():
    text = 'new sst.aws.Function("Api", { handler: "functions/api.handler", runtime: "python3.12" });\n'
    tf = ts(text)
    assert not tf.has_errors
    (fd,) = tf.functions
    assert fd.kind == "sst.aws.Function"
    assert fd.handler == "functions/api.handler"
    assert fd.handler_range == range_of(text, "functions/api.handler")
    assert fd.handler_lit.quote == '"'
    assert fd.handler_lit.full == range_of(text, '"functions/api.handler"')
    assert fd.runtime == "python3.12" and fd.runtime_source == "argument"
    assert fd.runtime_range == range_of(text, '"python3.12"')
    assert set(fd.pairs) == {"handler", "runtime"}
    assert fd.object_range is not None
    assert not fd.has_bundle


def test_function_without_runtime_has_insertion_point():
    text = 'new sst.aws.Function("Api", {\n  handler: "functions/api.handler",\n  memory: "512 MB",\n});\n'
    (fd,) = ts(text).functions
    assert fd.runtime is None
    pos, template = fd.runtime_insert
    assert fd.indent == "  "
    assert "{}" in template
    idx = LineIndex(text)
    off = idx.offset_of_position(pos)
    new = text[:off] + template.format('runtime: "python3.12"') + text[off:]
    assert new == 'new sst.aws.Function("Api", {\n  handler: "functions/api.handler",\n  runtime: "python3.12",\n  memory: "512 MB",\n});\n'


def test_single_line_insertion_point():
    text = 'new sst.aws.Function("Api", { handler: "a/b.handler" });\n'
    (fd,) = ts(text).functions
    pos, template = fd.runtime_insert
    off = LineIndex(text).offset_of_position(pos)
    new = text[:off] + template.format('runtime: "python3.12"') + text[off:]
    assert new == 'new sst.aws.Function("Api", { handler: "a/b.handler", runtime: "python3.12" });\n'


def test_runtime_enum_member():
    text = 'new sst.aws.Function("F", { handler: "a/b.handler", runtime: aws.lambda.Runtime.Python3d12 });\n'
    (fd,) = ts(text).functions
    assert fd.runtime == "python3.12"


def test_bundle_and_template_string_handler():
    text = "new sst.aws.Function(\"F\", { handler: `src/app.main`, bundle: \"dist\", runtime: 'python3.11' });\n"
    (fd,) = ts(text).functions
    assert fd.handler == "src/app.main" and fd.handler_lit.quote == "`"
    assert fd.has_bundle
    assert fd.runtime == "python3.11"


def test_template_string_with_substitution_is_unresolved():
    text = 'new sst.aws.Function("F", { handler: `src/${name}.handler`, runtime: "python3.12" });\n'
    (fd,) = ts(text).functions
    assert fd.handler is None
    assert fd.unresolved == "`src/${name}.handler`"


# -- routes, crons, subscribers, notifications ---------------------------------------------


def test_route_string_and_object():
    text = """\
const api = new sst.aws.ApiGatewayV2("Api");
api.route("GET /", "functions/get.handler");
api.route("POST /", { handler: "functions/post.handler", runtime: "python3.12" });
api.route("GET /docs", "https://example.com");
"""
    tf = ts(text)
    fns = by_handler(tf)
    assert set(fns) == {"functions/get.handler", "functions/post.handler"}
    assert fns["functions/get.handler"].kind == "route"
    assert fns["functions/get.handler"].handler_range == range_of(text, "functions/get.handler")
    assert fns["functions/get.handler"].object_range is None
    post = fns["functions/post.handler"]
    assert post.kind == "route" and post.runtime == "python3.12"


def test_route_path_is_not_a_handler():
    text = 'api.route("GET /items/{id}", "functions/items.get");\n'
    tf = ts(text)
    assert [f.handler for f in tf.functions] == ["functions/items.get"]


@pytest.mark.parametrize("key", ["function", "job"])
def test_cron_string(key):
    text = f'new sst.aws.Cron("C", {{ schedule: "rate(1 minute)", {key}: "functions/cron.handler" }});\n'
    (fd,) = ts(text).functions
    assert fd.handler == "functions/cron.handler"
    assert fd.kind == key
    assert fd.handler_range == range_of(text, "functions/cron.handler")


def test_cron_function_object():
    text = 'new sst.aws.Cron("C", { schedule: "rate(1 day)", function: { handler: "functions/cron.handler", runtime: "python3.12" } });\n'
    (fd,) = ts(text).functions
    assert fd.handler == "functions/cron.handler"
    assert fd.kind == "function"
    assert fd.runtime == "python3.12"


def test_queue_subscribe_and_bucket_notify():
    text = """\
const queue = new sst.aws.Queue("Q");
queue.subscribe("functions/q.handler");
queue.subscribe({ handler: "functions/q2.handler", runtime: "python3.12" }, { batch: { size: 5 } });
const bucket = new sst.aws.Bucket("B");
bucket.notify({ notifications: [{ name: "N", function: "functions/n.handler", events: ["s3:ObjectCreated:*"] }] });
topic.subscribe("Sub", "functions/t.handler");
"""
    fns = by_handler(ts(text))
    assert set(fns) == {"functions/q.handler", "functions/q2.handler", "functions/n.handler", "functions/t.handler"}
    assert fns["functions/q.handler"].kind == "subscribe"
    assert fns["functions/q2.handler"].runtime == "python3.12"
    assert fns["functions/n.handler"].handler_range == range_of(text, "functions/n.handler")


# -- variables, shorthand, spreads ---------------------------------------------------------


def test_handler_through_const():
    text = 'const h = "functions/a.handler";\nnew sst.aws.Function("F", { handler: h, runtime: "python3.12" });\n'
    (fd,) = ts(text).functions
    assert fd.handler == "functions/a.handler"
    off = text.index("handler: h") + len("handler: ")
    assert fd.handler_range == LineIndex(text).range_of_offsets(off, off + 1)  # the identifier at the use site
    assert fd.handler_lit.range == range_of(text, "functions/a.handler")  # the literal to edit


def test_handler_shorthand_property():
    text = 'const handler = "functions/a.handler";\nconst runtime = "python3.12";\nnew sst.aws.Function("F", { handler, runtime });\n'
    (fd,) = ts(text).functions
    assert fd.handler == "functions/a.handler"
    assert fd.unresolved is None
    assert fd.runtime == "python3.12"
    assert fd.handler_lit.range == range_of(text, "functions/a.handler")


def test_route_with_const_string_handler():
    text = 'const h = "functions/r.handler";\napi.route("GET /", h);\n'
    (fd,) = ts(text).functions
    assert fd.handler == "functions/r.handler"


def test_unresolvable_handler_is_kept_as_text():
    text = 'import { h } from "./handlers";\nnew sst.aws.Function("F", { handler: h, runtime: "python3.12" });\n'
    (fd,) = ts(text).functions
    assert fd.handler is None and fd.unresolved == "h"


def test_spread_defaults_provide_runtime():
    text = """\
const pythonDefaults = { runtime: "python3.12", timeout: "30 seconds" } as const;
const more = { ...pythonDefaults, memory: "1 GB" };
new sst.aws.Function("A", { handler: "functions/a.handler", ...pythonDefaults });
new sst.aws.Function("B", { ...more, handler: "functions/b.handler" });
new sst.aws.Function("C", { ...pythonDefaults, handler: "functions/c.handler", runtime: "python3.11" });
"""
    fns = by_handler(ts(text))
    assert fns["functions/a.handler"].runtime == "python3.12"
    assert fns["functions/a.handler"].runtime_source == "argument"
    assert {"timeout", "runtime", "handler"} <= set(fns["functions/a.handler"].pairs)
    assert fns["functions/b.handler"].runtime == "python3.12"
    assert "memory" in fns["functions/b.handler"].pairs
    assert fns["functions/c.handler"].runtime == "python3.11"  # later keys win


def test_args_object_through_const():
    text = 'const args = { handler: "functions/a.handler", runtime: "python3.12" };\nnew sst.aws.Function("F", args);\n'
    fns = by_handler(ts(text))
    assert fns["functions/a.handler"].runtime == "python3.12"
    assert len(ts(text).functions) == 1


# -- transforms ----------------------------------------------------------------------------


def test_global_function_transform_fill_and_override():
    tf = ts('$transform(sst.aws.Function, (args) => { args.runtime ??= "python3.12"; });\n')
    assert [(t.runtime, t.mode) for t in tf.function_transforms] == [("python3.12", "fill")]
    tf = ts('$transform(sst.aws.Function, (args) => {\n  args.runtime = "python3.13";\n});\n')
    assert [(t.runtime, t.mode) for t in tf.function_transforms] == [("python3.13", "override")]
    tf = ts('$transform(sst.aws.Function, (args) => { args.runtime = args.runtime ?? "python3.11"; });\n')
    assert [(t.runtime, t.mode) for t in tf.function_transforms] == [("python3.11", "fill")]
    tf = ts('$transform(sst.aws.Bucket, (args) => { args.runtime = "python3.13"; });\n')
    assert tf.function_transforms == []


def test_transform_is_not_a_handler():
    text = 'new sst.aws.Function("F", { handler: "a/b.handler", transform: { function: (args) => { args.memorySize = 512; } } });\n'
    tf = ts(text)
    assert [f.handler for f in tf.functions] == ["a/b.handler"]


def test_component_route_transform_applies_to_its_routes_only():
    text = """\
const api = new sst.aws.ApiGatewayV2("Api", {
  transform: {
    route: {
      handler: (args) => {
        args.runtime ??= "python3.11";
      },
    },
  },
});
const other = new sst.aws.ApiGatewayV2("Other");
api.route("GET /", "functions/a.handler");
api.route("POST /", { handler: "functions/b.handler" });
api.route("PUT /", { handler: "functions/c.handler", runtime: "python3.13" });
other.route("GET /", "functions/d.handler");
"""
    tf = ts(text)
    fns = by_handler(tf)
    assert set(fns) == {"functions/a.handler", "functions/b.handler", "functions/c.handler", "functions/d.handler"}
    for h in ("a", "b", "c"):
        assert [(t.runtime, t.mode) for t in fns[f"functions/{h}.handler"].transforms] == [("python3.11", "fill")]
    assert fns["functions/d.handler"].transforms == []
    assert fns["functions/c.handler"].runtime == "python3.13"
    # the transform's callback itself is not a function definition
    assert all(f.handler for f in tf.functions)


def test_component_route_transform_object_form():
    text = """\
const api = new sst.aws.ApiGatewayV2("Api", { transform: { route: { handler: { runtime: "python3.12" } } } });
api.route("GET /", "functions/a.handler");
"""
    (fd,) = ts(text).functions
    assert [(t.runtime, t.mode) for t in fd.transforms] == [("python3.12", "override")]


def _effective(tmp_path: Path, body: str) -> dict:
    write(tmp_path, "sst.config.ts", CONFIG % body)
    p = project(tmp_path)
    return {pf.fd.handler: (pf.runtime, pf.runtime_origin) for pf in p.python_functions}


def test_project_effective_runtime_fill(tmp_path):
    got = _effective(
        tmp_path,
        """
    $transform(sst.aws.Function, (args) => { args.runtime ??= "python3.12"; });
    new sst.aws.Function("A", { handler: "functions/a.handler" });
    new sst.aws.Function("B", { handler: "functions/b.handler", runtime: "python3.11" });
    new sst.aws.Function("N", { handler: "web/index.handler", runtime: "nodejs20.x" });
""",
    )
    assert got["functions/a.handler"] == ("python3.12", "$transform(sst.aws.Function)")
    assert got["functions/b.handler"] == ("python3.11", "argument")  # ??= only fills
    assert "web/index.handler" not in got  # a Node function


def test_project_effective_runtime_override(tmp_path):
    got = _effective(
        tmp_path,
        """
    $transform(sst.aws.Function, (args) => { args.runtime = "python3.13"; });
    new sst.aws.Function("B", { handler: "functions/b.handler", runtime: "python3.11" });
""",
    )
    assert got["functions/b.handler"] == ("python3.13", "$transform(sst.aws.Function)")


def test_project_node_override_does_not_invent_python(tmp_path):
    write(tmp_path, "functions/b.py", "def handler(e, c):\n    return 1\n")
    got = _effective(
        tmp_path,
        """
    $transform(sst.aws.Function, (args) => { args.runtime ??= "nodejs20.x"; });
    new sst.aws.Function("B", { handler: "functions/b.handler", runtime: "python3.12" });
""",
    )
    assert got["functions/b.handler"] == ("python3.12", "argument")


def test_project_route_transform_runtime(tmp_path):
    got = _effective(
        tmp_path,
        """
    const api = new sst.aws.ApiGatewayV2("Api", {
      transform: { route: { handler: (args) => { args.runtime ??= "python3.11"; } } },
    });
    api.route("GET /", "functions/a.handler");
    api.route("GET /b", { handler: "functions/b.handler", runtime: "python3.12" });
""",
    )
    assert got["functions/a.handler"] == ("python3.11", "the component's transform")
    assert got["functions/b.handler"] == ("python3.12", "argument")


def test_project_transform_in_imported_file_applies_everywhere(tmp_path):
    write(tmp_path, "infra/defaults.ts", '$transform(sst.aws.Function, (args) => { args.runtime ??= "python3.12"; });\n')
    write(tmp_path, "deploy/api.ts", 'export const f = new sst.aws.Function("A", { handler: "functions/a.handler" });\n')
    got = _effective(tmp_path, '    await import("./deploy/api");')
    assert got["functions/a.handler"][0] == "python3.12"


# -- raw Pulumi lambdas, vpc -----------------------------------------------------------------


def test_raw_lambda_default_alias():
    text = """\
const fn = new aws.lambda.Function("Raw", {
  runtime: aws.lambda.Runtime.Python3d12,
  handler: "index.handler",
  role: role.arn,
  code: new $util.asset.FileArchive("./dist/raw"),
});
"""
    tf = ts(text)
    (raw,) = raw_lambdas(tf)
    assert raw.runtime == "python3.12"
    assert raw.handler == "index.handler"
    assert raw.archive_dir == "./dist/raw"
    assert raw.name_text == '"Raw"'
    assert raw.ctor_range == range_of(text, "aws.lambda.Function")
    assert tf.functions == []  # not an SST function definition


def test_raw_lambda_renamed_namespace_import():
    text = 'import * as awsx from "@pulumi/aws";\nnew awsx.lambda.Function("Raw", { runtime: "python3.11", handler: "main.handler", role: r.arn });\n'
    tf = ts(text)
    (raw,) = raw_lambdas(tf)
    assert raw.runtime == "python3.11" and raw.python_evidence == 'runtime "python3.11"'
    assert tf.functions == []


def test_raw_lambda_dynamic_import_alias():
    text = 'const pulumiAws = await import("@pulumi/aws");\nnew pulumiAws.lambda.Function("Raw", { runtime: "nodejs20.x", handler: "index.handler" });\n'
    (raw,) = raw_lambdas(ts(text))
    assert raw.runtime is None and raw.python_evidence is None


def test_unrelated_lambda_function_is_not_raw():
    text = 'new other.lambda.Function("X", { handler: "a/b.handler", runtime: "python3.12" });\n'
    tf = ts(text)
    assert raw_lambdas(tf) == []


def test_vpc_subnets_pair_and_shorthand():
    text = """\
const subnets = ["subnet-1"];
new sst.aws.Function("A", { handler: "a/a.handler", runtime: "python3.12", vpc: { securityGroups: ["sg"], subnets: ["s"] } });
new sst.aws.Function("B", { handler: "a/b.handler", runtime: "python3.12", vpc: { subnets } });
new sst.aws.Function("C", { handler: "a/c.handler", runtime: "python3.12", vpc: { privateSubnets: ["s"], securityGroups: [] } });
"""
    tf = ts(text)
    assert [(v.key_range, v.shorthand) for v in vpc_subnets(tf)] == [
        (range_of(text, "subnets", 1), False),
        (range_of(text, "subnets", 2), True),
    ]


def test_vpc_subnets_in_function_transform():
    text = '$transform(sst.aws.Function, (args) => { args.vpc = { subnets: ["s"], securityGroups: [] }; });\n'
    (v,) = vpc_subnets(ts(text))
    assert v.where == "$transform(sst.aws.Function)"
    assert v.key_range == range_of(text, "subnets")


# -- imports -----------------------------------------------------------------------------------


def test_imports_static_and_dynamic():
    text = """\
import { api } from "./infra/api";
import * as fs from "node:fs";
export default $config({
  async run() {
    await import("./infra/storage");
    const { web } = await import("./deploy/web.js");
    await import("@pulumi/aws");
  },
});
"""
    tf = ts(text)
    assert tf.imports == ["./infra/api", "./infra/storage", "./deploy/web.js"]


def test_project_follows_dynamic_imports(tmp_path):
    write(tmp_path, "stacks/api.ts", 'import "./shared";\nnew sst.aws.Function("A", { handler: "functions/a.handler", runtime: "python3.12" });\n')
    write(tmp_path, "stacks/shared.ts", 'new sst.aws.Function("S", { handler: "functions/s.handler", runtime: "python3.12" });\n')
    write(tmp_path, "stacks/index.ts", 'new sst.aws.Function("I", { handler: "functions/i.handler", runtime: "python3.12" });\n')
    write(tmp_path, "unused/x.ts", 'new sst.aws.Function("X", { handler: "functions/x.handler", runtime: "python3.12" });\n')
    write(tmp_path, "sst.config.ts", CONFIG % '    await import("./stacks/api");\n    await import("./stacks");')
    p = project(tmp_path)
    handlers = {fd.handler for fd in p.functions}
    assert handlers == {"functions/a.handler", "functions/s.handler", "functions/i.handler"}


def test_project_reads_infra_folder_and_ignores_outside_imports(tmp_path):
    write(tmp_path, "infra/api.ts", 'new sst.aws.Function("A", { handler: "functions/a.handler", runtime: "python3.12" });\n')
    write(tmp_path.parent, "outside.ts", 'new sst.aws.Function("O", { handler: "functions/o.handler", runtime: "python3.12" });\n')
    write(tmp_path, "sst.config.ts", CONFIG % '    await import("../outside");')
    p = project(tmp_path)
    assert {fd.handler for fd in p.functions} == {"functions/a.handler"}


# -- robustness ----------------------------------------------------------------------------------


def test_half_typed_file_keeps_parsed_parts():
    text = """\
new sst.aws.Function("A", { handler: "functions/a.handler", runtime: "python3.12" });
new sst.aws.Function("B", {
  handler: "functions/b.handler",
  runtime: "python3.12",
});
new sst.aws.Function("C", { handler: "functions/c.handler", runtime:
new sst.aws.Function("D", { handler: "functions/d.handler", runtime: "python3.12" });
"""
    tf = ts(text)
    assert tf.has_errors
    fns = by_handler(tf)
    assert {"functions/a.handler", "functions/b.handler", "functions/d.handler"} <= set(fns)
    assert fns["functions/b.handler"].handler_range == range_of(text, "functions/b.handler")


def test_file_truncated_mid_string():
    full = 'new sst.aws.Function("A", { handler: "functions/a.handler", runtime: "python3.12" });\nnew sst.aws.Function("B", { handler: "functions/b.handler", runtime: "pyth'
    tf = ts(full)
    assert tf.has_errors
    assert "functions/a.handler" in by_handler(tf)


@pytest.mark.parametrize("cut", range(0, 200, 7))
def test_any_truncation_gives_what_is_written_so_far(cut):
    text = CONFIG % '    new sst.aws.Function("A", { handler: "functions/a.handler", runtime: "python3.12", vpc: { subnets } });'
    part = text[:cut]
    tf = ts(part)
    lines = part.split("\n")
    for fd in tf.functions:
        # a handler is only what the text holds so far, and its range is inside the text
        assert fd.handler is None or fd.handler in part
        r = fd.handler_range
        assert 0 <= r.start.line <= r.end.line < len(lines)
        assert r.end.character <= len(lines[r.end.line])
        if fd.handler_lit is not None:
            assert fd.handler_lit.value == fd.handler
    # never a half-typed handler: the string is complete or not taken at all
    assert {fd.handler for fd in tf.functions} <= {"functions/a.handler", None}
    if 'handler: "functions/a.handler"' not in part:
        assert all(fd.handler is None for fd in tf.functions)


def test_handler_range_after_emoji_on_same_line():
    text = '/* 🐍 */ const x = "🐍中"; new sst.aws.Function("F🐍", { handler: "functions/a.handler", runtime: "python3.12" });\n'
    (fd,) = ts(text).functions
    assert fd.handler_range == range_of(text, "functions/a.handler")
    prefix = text[: text.index("functions/a.handler")]
    assert fd.handler_range.start.character == len(prefix.encode("utf-16-le")) // 2
    assert fd.runtime_range == range_of(text, '"python3.12"')


def test_crlf_file_ranges():
    text = 'new sst.aws.Function("F", {\r\n  handler: "functions/a.handler",\r\n});\r\n'
    (fd,) = ts(text).functions
    assert fd.handler_range == Range.of(1, 12, 1, 31)


def test_empty_and_comment_only_files():
    assert ts("").functions == []
    assert ts("// nothing here\n").functions == []


def test_exported_component_route_transform():
    text = """\
export const api = new sst.aws.ApiGatewayV2("Api", { transform: { route: { handler: (args) => { args.runtime = "python3.12"; } } } });
api.route("GET /", { handler: "functions/a.handler" });
"""
    (fd,) = ts(text).functions
    assert [(t.runtime, t.mode) for t in fd.transforms] == [("python3.12", "override")]


def test_router_url_is_not_a_handler():
    text = 'const router = new sst.aws.Router("R");\nrouter.route("/", "https://example.com");\nrouter.route("/api", api.url);\n'
    assert ts(text).functions == []


def test_self_referencing_objects_end():
    """Found by the differential editing sessions: an object whose value names itself."""
    text = CONFIG % (
        "    const defaults = { runtime: \"python3.12\", nested: defaults, more: { again: defaults } };\n"
        "    const loop = { ...loop, handler: \"functions/a.handler\", inner: loop };\n"
        '    new sst.aws.Function("A", { ...defaults, handler: "functions/a.handler", self: loop });'
    )
    (fd,) = [f for f in ts(text).functions if f.kind == "sst.aws.Function"]
    assert fd.handler == "functions/a.handler" and fd.runtime == "python3.12"


# -- reuse of an earlier extraction ----------------------------------------------------------------

REUSE_SOURCE = """const shared = { runtime: "python3.12" };
export default $config({
  async run() {
    new sst.aws.Function("A", { handler: "a/api.handler", ...shared });
    new sst.aws.Function("B", { handler: "b/api.handler", runtime: "python3.11" });
    new sst.aws.Function("C", { handler: "c/api.handler", runtime: "python3.11" });
    // end
  },
});
"""


def _facts(tf) -> list[tuple]:
    return [(f.handler, f.runtime, f.handler_range, f.object_range, sorted(f.pairs)) for f in tf.functions]


def _reuse(before: str, after: str) -> tuple[int, object]:
    first = analyse(Path("/app/sst.config.ts"), before)
    second = analyse(Path("/app/sst.config.ts"), after, previous=first)
    fresh = analyse(Path("/app/sst.config.ts"), after)
    assert _facts(second) == _facts(fresh)
    return second.extractor.reused, second


def test_an_edit_after_every_function_reuses_all_of_them():
    reused, tf = _reuse(REUSE_SOURCE, REUSE_SOURCE.replace("// end", "const end = 1;"))
    assert reused == 3 and len(tf.functions) == 3


def test_an_edit_inside_one_function_reads_it_and_the_ones_it_moved():
    reused, tf = _reuse(REUSE_SOURCE, REUSE_SOURCE.replace('"b/api.handler", runtime: "python3.11"', '"b/api.handler", memory: "1 GB", runtime: "python3.11"'))
    assert reused == 2  # A is before the edit; B changed; C's bytes moved, on the same line
    assert [f.pairs.get("memory") is not None for f in tf.functions] == [False, True, False]


def test_typing_in_a_handler_string_reads_that_line_only():
    """The edit is inside a function's ``handler`` string: only its line is read again (nothing
    there is reused: B changed), and the other functions are the same objects as before."""
    first = analyse(Path("/app/sst.config.ts"), REUSE_SOURCE)
    reused, tf = _reuse(REUSE_SOURCE, REUSE_SOURCE.replace('"b/api.handler"', '"b/apix.handler"'))
    assert reused == 0
    assert [f.handler for f in tf.functions] == ["a/api.handler", "b/apix.handler", "c/api.handler"]
    second = analyse(Path("/app/sst.config.ts"), REUSE_SOURCE.replace('"b/api.handler"', '"b/apix.handler"'), previous=first)
    assert [a is b for a, b in zip(first.functions, second.functions)] == [True, False, True]


@pytest.mark.parametrize(
    "before, after",
    [
        # the string is a const's value that a function reads: read in full
        ('const h = "a/api.handler";\nnew sst.aws.Function("A", { handler: h });\nnew sst.aws.Function("B", { handler: "b/api.handler" });\n', "a/apix.handler"),
        # a quote typed: not the same string any more
        ('new sst.aws.Function("A", { handler: "a/api.handler" });\n', 'a/api".handler'),
        # two functions on the edited line, the one after it moved
        ('new sst.aws.Function("A", { handler: "a/api.handler" }); new sst.aws.Function("B", { handler: "b/api.handler", runtime: "python3.11" });\n', "a/apixyz.handler"),
        # a spread object holding the handler, read by another function
        ('const base = { handler: "a/api.handler" };\nnew sst.aws.Function("A", { ...base });\nnew sst.aws.Function("B", { ...base, runtime: "python3.12" });\n', "a/apix.handler"),
        # a module's name: the names it binds change
        ('import { h } from "./a/api.handler";\nnew sst.aws.Function("A", { handler: h });\n', "./a/apix.handler"),
        # a runtime typed in, and a component's name: only the line is read again
        ('new sst.aws.Function("A", { handler: "b/x.handler", runtime: "python3.a/api.handler" });\n', "python3.12"),
        ('new sst.aws.Cron("a/api.handler", { schedule: "rate(1 day)", function: "b/x.handler" });\n', "Nightly"),
    ],
)
def test_edits_in_handler_strings_extract_what_a_fresh_reading_does(before, after):
    edited = before.replace("a/api.handler", after, 1)
    first = analyse(Path("/app/sst.config.ts"), before)
    second = analyse(Path("/app/sst.config.ts"), edited, previous=first)
    fresh = analyse(Path("/app/sst.config.ts"), edited)
    assert _facts(second) == _facts(fresh)
    assert [(f.kind, f.unresolved, f.pending, f.unknowns) for f in second.functions] == [(f.kind, f.unresolved, f.pending, f.unknowns) for f in fresh.functions]


def test_a_reused_function_is_the_same_object():
    # what follows from a function (its facts, whether it is Python) is kept by its identity
    first = analyse(Path("/app/sst.config.ts"), REUSE_SOURCE)
    second = analyse(Path("/app/sst.config.ts"), REUSE_SOURCE.replace('"b/api.handler"', '"b/apix.handler"'), previous=first)
    same = [a is b for a, b in zip(first.functions, second.functions)]
    assert same == [True, False, True]
    assert first.functions[1].handler == "b/api.handler"  # the earlier text's function is left as it was


def test_an_uncertain_function_is_not_changed_in_the_earlier_extraction():
    # a reused object handed to something the analysis cannot follow gets a note of its own copy
    text = 'const args = { handler: "a/api.handler", runtime: "python3.12" };\nwrap(args);\n// x\n'
    first = analyse(Path("/app/infra/api.ts"), text)
    second = analyse(Path("/app/infra/api.ts"), text.replace("// x", "// y z"), previous=first)
    third = analyse(Path("/app/infra/api.ts"), text.replace("// x", "const q = 1;"), previous=second)
    assert [len(f.unknowns) for f in first.functions] == [len(f.unknowns) for f in third.functions] == [1]


def test_the_shared_tree_query_finds_what_a_walk_finds():
    from sst_lsp.engine.ts_syntax import SEARCHED, find, walk

    tf = analyse(Path("/app/sst.config.ts"), REUSE_SOURCE + 'import { x } from "./x";\nexport const y = { z: [new A(), f({ q })] };\n')
    tree = tf.extractor.tree
    walked = list(walk(tree.root_node))
    for types in [(t,) for t in SEARCHED] + [SEARCHED[:5], ("call_expression", "new_expression", "object")]:
        assert [n.id for n in find(tree, tree.root_node, *types)] == [n.id for n in walked if n.type in types], types
    inner = next(n for n in walked if n.type == "object")  # under another node: a query of its own
    assert [n.id for n in find(tree, inner, "identifier")] == [n.id for n in walk(inner) if n.type == "identifier"]


@pytest.mark.parametrize(
    "old, new, reused",
    [
        ('"b/api.handler"', '"b/api_v2.handler"', 0),  # typing in a handler string: only B's line is read
        ('"b/api.handler", runtime: "python3.11"', '"b/api.handler", memory: "1 GB", runtime: "python3.11"', 2),  # read in full
    ],
)
def test_a_moved_function_reads_its_arguments_in_the_new_text(old, new, reused):
    before = REUSE_SOURCE.replace('runtime: "python3.11" });\n    // end', 'runtime: "python3.11", copyFiles: [{ from: dir }] });\n    // end')
    before = 'const dir = "assets";\n' + before
    after = before.replace(old, new)
    first = analyse(Path("/app/sst.config.ts"), before)
    second = analyse(Path("/app/sst.config.ts"), after, previous=first)
    assert second.extractor.reused == reused
    moved = second.functions[2].pairs["copyFiles"]
    # a kept pair holds positions, no syntax node: its node is found in the new tree, moved
    node = second.extractor.node_at(moved.value_range, moved.node_type)
    assert node.start_byte == after.encode().index(b"[{ from: dir }]") != before.encode().index(b"[{ from: dir }]")
    assert second.extractor.evaluate(node) == [{"from": "assets"}]


def test_a_changed_const_is_seen_by_the_function_that_spreads_it():
    reused, tf = _reuse(REUSE_SOURCE, REUSE_SOURCE.replace('runtime: "python3.12" }', 'runtime: "python3.13" }'))
    assert tf.functions[0].runtime == "python3.13"
    assert reused == 2  # B and C do not read `shared`, and their bytes did not move


def test_a_name_bound_differently_is_read_again():
    before = REUSE_SOURCE.replace("// end", "")
    after = before.replace('const shared = { runtime: "python3.12" };', 'const shared = { runtime: "python3.12", memory: "1 GB" };')
    reused, tf = _reuse(before, after)
    assert tf.functions[0].runtime == "python3.12" and "memory" in tf.functions[0].pairs
    # A's object has the same bytes, but `shared` is bound to another value; B and C only moved
    assert reused == 2


def test_a_new_line_above_an_object_reads_it_again():
    reused, tf = _reuse(REUSE_SOURCE, REUSE_SOURCE.replace("export default", "// the app\nexport default"))
    assert reused == 0 and tf.functions[0].handler_range.start.line == 4


def test_a_character_of_another_width_before_an_object_on_its_line_changes_its_columns():
    before = 'new sst.aws.Function("ab", { handler: "a/api.handler", runtime: "python3.11" });\n'
    # "é" has the bytes of "ab" (the object does not move) but is one UTF-16 unit, not two
    reused, tf = _reuse(before, before.replace('"ab"', '"é"'))
    assert reused == 0 and tf.functions[0].handler_range.start.character == before.index("a/api") - 1


# -- edits inside a comment ------------------------------------------------------------------------

COMMENTED = """const a = 1; // note
new sst.aws.Function("A", { handler: "a/api.handler", runtime: "python3.12" }); /* block */ const b = 2;
new sst.aws.Function("B", { handler: "b/api.handler" }); /* last */
"""


@pytest.mark.parametrize(
    "before, after",
    [
        ("// note", "// notes"),  # typing at the end of a line comment
        ("// note", "//"),  # clearing it
        ("// note", "// a note"),
        ("/* last */", "/* the last */"),  # a block comment that ends its line
    ],
)
def test_an_edit_inside_a_comment_keeps_the_extraction(before, after):
    first = analyse(Path("/app/sst.config.ts"), COMMENTED)
    text = COMMENTED.replace(before, after)
    second = analyse(Path("/app/sst.config.ts"), text, previous=first)
    assert second.content is first.content and second.functions is first.functions
    assert second.text == text and second.tree.root_node.end_byte == len(text.encode())
    assert _facts(second) == _facts(analyse(Path("/app/sst.config.ts"), text))


@pytest.mark.parametrize(
    "before, after",
    [
        ("// note", "/x/ note"),  # the comment's opening
        ("// note", "// no\nte"),  # a new line
        ("/* block */", "/* blocks */"),  # code follows it on its line: its columns move
        ("/* last */", "/* last *x/"),  # its end
        ("/* last */", "/* last */ x"),  # after it
        ("1; // note", "12; // note"),  # code before it
    ],
)
def test_an_edit_that_is_not_only_inside_a_comment_extracts_again(before, after):
    first = analyse(Path("/app/sst.config.ts"), COMMENTED)
    text = COMMENTED.replace(before, after)
    second = analyse(Path("/app/sst.config.ts"), text, previous=first)
    assert second.content is not first.content
    assert _facts(second) == _facts(analyse(Path("/app/sst.config.ts"), text))


ADDED = """const a = 1;
new sst.aws.Function("A", { handler: "a/api.handler", runtime: "python3.12" });

const t = `line
  `;
new sst.aws.Function("B", { handler: "b/api.handler" });   
"""


@pytest.mark.parametrize(
    "before, after",
    [
        ("12\" });\n\n", "12\" });\n    // a note\n"),  # on an empty line
        ("12\" });\n\n", "12\" });\n//\n"),
        ("handler\" });   \n", "handler\" });   // why\n"),  # after code, where blanks ended the line
        ("handler\" });   \n", "handler\" });// why \n"),
    ],
)
def test_a_comment_written_where_the_line_was_blank_keeps_the_extraction(before, after):
    first = analyse(Path("/app/sst.config.ts"), ADDED)
    assert before in ADDED
    text = ADDED.replace(before, after)
    second = analyse(Path("/app/sst.config.ts"), text, previous=first)
    assert second.content is first.content and second.functions is first.functions
    assert _facts(second) == _facts(analyse(Path("/app/sst.config.ts"), text))


@pytest.mark.parametrize(
    "before, after",
    [
        ("const a = 1;", "// const a = 1;"),  # code commented out
        ("const a = 1;", "const a = 1; //"),  # blanks did not end the line: code does
        ("`line\n  `", "`line\n  // `"),  # inside a template string
        ("12\" });\n\n", "12\" });\n    /* x */\n"),  # not a line comment
        ("12\" });\n\n", "12\" });\n  x // a\n"),  # code before it
    ],
)
def test_a_comment_written_over_code_or_in_a_string_extracts_again(before, after):
    first = analyse(Path("/app/sst.config.ts"), ADDED)
    assert before in ADDED
    text = ADDED.replace(before, after)
    second = analyse(Path("/app/sst.config.ts"), text, previous=first)
    if after.startswith("const a = 1; //"):
        # a comment after code on that line is inside-a-comment territory only once it exists
        assert _facts(second) == _facts(analyse(Path("/app/sst.config.ts"), text))
        return
    assert second.content is not first.content
    assert _facts(second) == _facts(analyse(Path("/app/sst.config.ts"), text))


NODEWISE_SOURCE = """import * as aws from "@pulumi/aws";
export default $config({
  async run() {
    new aws.lambda.Function("Raw", { runtime: "python3.12", handler: "raw.handler", code: new $util.asset.FileArchive("raw") });
    const q = new sst.aws.Queue("Q"); q.subscribe({ handler: "q/api.handler" });
    new sst.aws.Function("A", { handler: "a/api.handler", vpc: { subnets: ["s"] } });
    new sst.aws.Cron("C", { schedule: "rate(1 day)", function: { handler: "c/api.handler" } });
    $transform(sst.aws.Function, (args) => { args.vpc = { subnets: ["t"] }; });
    new sst.aws.Function("B", {
      handler: "b/api.handler",
    });
  },
});
"""


SHARED_SOURCE = """export default $config({
  async run() {
    const nightly = { handler: "n/api.handler", runtime: "python3.12" };
    const wrapped = { ...nightly, memory: "512 MB" };
    const fn = new sst.aws.Function("F", { handler: "f/api.handler", vpc: { subnets: ["s"] } });
    new sst.aws.Cron("Nightly", { schedule: "rate(1 day)", function: wrapped });
    new sst.aws.Cron("Other", { schedule: "rate(1 hour)", function: { handler: "o/api.handler" } });
    new aws.lambda.Function("Raw", { runtime: "python3.12", handler: "raw.handler", code: new $util.asset.FileArchive("raw") });
    workers.push(fn);
  },
});
"""


@pytest.mark.parametrize("old, new", [('"n/api.handler"', '"n/apix.handler"'), ('"python3.12" }', '"python3.13" }'), ('"f/api.handler"', '"f/x.handler"'), ('"o/api.handler"', '"o/y.handler"')])
def test_a_name_whose_value_holds_the_string_is_read_again_wherever_it_is_read(old, new):
    """A string held by a name (``nightly``, read through ``wrapped`` by the Cron two lines down):
    the nodes that read it are read again, whatever their line, the others stand."""
    from sst_lsp.engine.components import components

    path = Path("/app/sst.config.ts")
    first = analyse(path, SHARED_SOURCE)
    for read in (components, raw_lambdas, vpc_subnets):
        read(first)
    assert SHARED_SOURCE.count(old) == 1
    edited = SHARED_SOURCE.replace(old, new)
    second = analyse(path, edited, previous=first)
    assert second.edit_of is not None
    fresh = analyse(path, edited)
    for read in (components, raw_lambdas, vpc_subnets):
        assert read(second) == read(fresh), read.__name__
    # then a comment typed (every node after it moves by its bytes), then the string again
    commented = edited.replace("  async run() {", "  async run() { // the app")
    third = analyse(path, commented, previous=second)
    for read in (components, raw_lambdas, vpc_subnets):
        read(third)
    again = commented.replace(new, old)
    fourth = analyse(path, again, previous=third)
    for read in (components, raw_lambdas, vpc_subnets):
        assert read(fourth) == read(analyse(path, again)), read.__name__


def _every_reading(tf) -> tuple:
    from sst_lsp.engine.components import components

    fds = [(f.kind, f.handler, f.runtime, f.handler_range, f.runtime_range, f.object_range, {k: (p.key_range, p.value_range) for k, p in f.pairs.items()}, f.unresolved, f.pending) for f in tf.functions]
    return fds, components(tf), raw_lambdas(tf), vpc_subnets(tf)


@pytest.mark.parametrize(
    "before, old, new",
    [
        # a comment where error recovery reads the rest differently once it is there
        ('new sst.aws.Function("I", {\nconst fn = new sst.aws.Function("G", { handler: h, runtime: "python3.11" });\nconst cfg = { job: { handler: "src/j.handler" } };\n',
         'runtime: "python3.11" });\n', 'runtime: "python3.11" }); //\n'),
        # names after the edit on its line move: what read them elsewhere moves with them
        ('const name = "Nightly"; const b = { cluster, publicIp: true };\nnew sst.aws.Task(name, b);\n', "Nightly", "Nightly2"),
        ('new sst.aws.Function("F", { handler: "src/f.handler" }); const d = { runtime: "python3.12" };\nnew sst.aws.Function("G", { handler: "src/g.handler", ...d });\n',
         "src/f.handler", "src/ff.handler"),
        # a handler string read through a name by a route, a Cron, a subscriber
        ('const api = new sst.aws.ApiGatewayV2("Api");\nconst h = "src/a.handler";\napi.route("GET /", h);\n', "src/a.handler", "src/ab.handler"),
        ('const h = "src/a.handler";\nnew sst.aws.Cron("C", { schedule: "rate(1 day)", function: h });\n', "src/a.handler", "src/ab.handler"),
        ('const q = new sst.aws.Queue("Q");\nconst h = "src/a.handler";\nq.subscribe(h);\n', "src/a.handler", "src/ab.handler"),
    ],
)
def test_an_edit_that_moves_or_changes_what_a_name_holds_reads_as_a_fresh_reading(before, old, new):
    path = Path("/app/sst.config.ts")
    first = analyse(path, before)
    _every_reading(first)
    assert before.count(old) == 1
    edited = before.replace(old, new)
    assert _every_reading(analyse(path, edited, previous=first)) == _every_reading(analyse(path, edited))


@pytest.mark.parametrize("old, new", [('"a/api.handler"', '"a/apix.handler"'), ('"b/api.handler"', '"b/api_v2.handler"'), ('"q/api.handler"', '"q/x.handler"'), ('"c/api.handler"', '"c/api2.handler"')])
def test_what_is_read_node_by_node_after_a_handler_edit_is_what_a_fresh_reading_finds(old, new):
    """After typing in a handler string, components, raw Lambdas and vpc subnets are the earlier
    text's for the nodes off the edited line, read again for those over it: as a fresh reading."""
    from sst_lsp.engine.components import components

    path = Path("/app/sst.config.ts")
    first = analyse(path, NODEWISE_SOURCE)
    for read in (components, raw_lambdas, vpc_subnets):
        read(first)
    edited = NODEWISE_SOURCE.replace(old, new)
    second = analyse(path, edited, previous=first)
    assert second.edit_of is not None  # the edit took the handler-string path
    fresh = analyse(path, edited)
    for read in (components, raw_lambdas, vpc_subnets):
        assert read(second) == read(fresh), read.__name__


def test_a_route_that_reads_another_name_does_not_stop_the_quick_reading():
    """A handler string read through a name (``api.route("GET /", h)``) records that name: an edit
    of a string another name holds still reads only its line; an edit of ``h`` reads all."""
    source = (
        'const api = new sst.aws.ApiGatewayV2("Api");\nconst h = "src/a.handler";\napi.route("GET /", h);\n'
        'const fn = new sst.aws.Function("F", { handler: "src/f.handler" });\nworkers.push(fn);\n'
    )
    path = Path("/app/sst.config.ts")
    first = analyse(path, source)
    _every_reading(first)
    for old, new, quick in (("src/f.handler", "src/ff.handler", True), ("src/a.handler", "src/ab.handler", False)):
        edited = source.replace(old, new)
        second = analyse(path, edited, previous=first)
        assert (second.edit_of is not None) == quick, old
        assert _every_reading(second) == _every_reading(analyse(path, edited))
