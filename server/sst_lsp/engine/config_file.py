"""What SST itself checks in ``sst.config.ts`` before any function is built.

SST evaluates ``sst.config.ts`` with esbuild to call ``app()``; two things stop it right
there (SST's ``pkg/project/project.go`` and ``pkg/js/js.go``):

- the app ``name`` returned by ``app()`` must match ``^[a-zA-Z][a-zA-Z0-9-]*$``
  (``InvalidAppRegex``), and must not be empty;
- since 3.11.0, an ``import`` statement in ``sst.config.ts`` that esbuild keeps is refused
  (``ErrTopLevelImport``). esbuild drops TypeScript imports whose bindings are never used as
  values (they may be types), and always keeps a bare ``import "x"``.

This module walks the tree-sitter tree that ``TsFile`` keeps; rules get plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .positions import Position, Range, utf16_len
from .typescript import TsFile
from .ts_syntax import StringLit, line_indent, node_text, prop_name, string_lit, unwrap, walk

# Subtrees that are types only: identifiers inside them are not value uses (esbuild elides them).
TYPE_NODES = frozenset(
    {
        "type_annotation",
        "type_arguments",
        "type_parameters",
        "type_alias_declaration",
        "interface_declaration",
        "nested_type_identifier",
        "type_query",
        "implements_clause",
        "ambient_declaration",
        "import_statement",
    }
)
# tsconfig options under which esbuild keeps every import, used or not
_KEEP_IMPORTS = re.compile(r'"(verbatimModuleSyntax|preserveValueImports)"\s*:\s*true|"importsNotUsedAsValues"\s*:\s*"preserve"')


@dataclass
class ImportSpec:
    imported: str  # name exported by the module ("default" for a default import)
    local: str
    is_type: bool = False


@dataclass
class TopLevelImport:
    range: Range  # the whole statement
    line_range: Range  # what removing the statement deletes (its whole line when it is alone there)
    source_text: str  # the module specifier as written, with its quotes
    source: str
    default: str | None = None
    namespace: str | None = None
    named: list[ImportSpec] = field(default_factory=list)
    type_only: bool = False  # `import type …` or every specifier is `type X`
    is_reexport: bool = False  # `export … from "x"`
    used_as_value: bool = False  # some binding is read as a value (so esbuild keeps the import)
    used_outside_run: bool = False  # …somewhere other than inside run()

    @property
    def side_effect(self) -> bool:
        return not self.is_reexport and self.default is None and self.namespace is None and not self.named

    @property
    def value_names(self) -> list[str]:
        out = [s.local for s in self.named if not s.is_type]
        if self.default:
            out.append(self.default)
        if self.namespace:
            out.append(self.namespace)
        return out


@dataclass
class RunBody:
    insert_at: Position  # where a new first statement goes
    indent: str  # the indentation of run()'s statements
    same_line: bool  # the first statement shares its line with `{`
    is_async: bool
    empty: bool = False  # `{}`: insert_at is right after the brace


@dataclass
class ConfigFile:
    tf: TsFile
    config_call: Range | None = None  # the `$config` callee
    app_name: StringLit | None = None
    app_name_range: Range | None = None  # the value as written (may be a const elsewhere)
    imports: list[TopLevelImport] = field(default_factory=list)
    run: RunBody | None = None


def analyse_config(tf: TsFile) -> ConfigFile:
    """The config file's $config, app name, top-level imports and run() body (computed once per TsFile)."""
    return tf.derive("config", lambda: _analyse_config(tf))


def _analyse_config(tf: TsFile) -> ConfigFile:
    out = ConfigFile(tf)
    tree = tf.tree
    if tree is None:
        return out
    src, index = tf.src, tf.index
    root = tree.root_node
    consts = {}
    for stmt in root.named_children:
        decl = stmt.named_children[0] if stmt.type == "export_statement" and stmt.named_children else stmt
        if decl.type in ("lexical_declaration", "variable_declaration"):
            for d in decl.named_children:
                if d.type == "variable_declarator" and d.child_by_field_name("name") is not None:
                    consts.setdefault(node_text(d.child_by_field_name("name"), src), d.child_by_field_name("value"))

    # the $config({...}) call
    config_obj = run_fn = None
    for node in walk(root):
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "identifier" and node_text(fn, src) == "$config":
                out.config_call = index.range_of_node(fn)
                args = node.child_by_field_name("arguments")
                if args is not None and args.named_children:
                    obj = unwrap(args.named_children[0])
                    if obj is not None and obj.type == "object":
                        config_obj = obj
                break
    if config_obj is not None:
        app_fn = _member_function(config_obj, "app", src)
        if app_fn is not None:
            _find_app_name(out, app_fn, consts)
        run_fn = _member_function(config_obj, "run", src)
        if run_fn is not None:
            out.run = _run_body(tf, run_fn)
    run_body = run_fn.child_by_field_name("body") if run_fn is not None else None

    # top-level import statements (and re-exports, which esbuild resolves the same way)
    imports: list[tuple[TopLevelImport, object]] = []
    for stmt in root.named_children:
        imp = _import(tf, stmt)
        if imp is not None:
            imports.append((imp, stmt))
    if imports:
        names: dict[str, list[TopLevelImport]] = {}
        for imp, _ in imports:
            for n in imp.value_names:
                names.setdefault(n, []).append(imp)
        for ident, inside_run in _value_identifiers(root, run_body, src):
            for imp in names.get(ident, ()):
                imp.used_as_value = True
                if not inside_run:
                    imp.used_outside_run = True
        out.imports = [imp for imp, _ in imports]
    return out


def keeps_unused_imports(tsconfig_text: str | None) -> bool:
    """Whether a tsconfig tells esbuild to keep imports that are never used as values."""
    return bool(tsconfig_text and _KEEP_IMPORTS.search(tsconfig_text))


# -- helpers -------------------------------------------------------------------------------


def _member_function(obj, name: str, src: bytes):
    """``name() {…}`` or ``name: (…) => …`` / ``name: function () {…}`` in an object literal."""
    for child in obj.named_children:
        if child.type == "method_definition":
            key = child.child_by_field_name("name")
            if key is not None and prop_name(key, src) == name:
                return child
        elif child.type == "pair":
            key = child.child_by_field_name("key")
            if key is not None and prop_name(key, src) == name:
                value = unwrap(child.child_by_field_name("value"))
                if value is not None and value.type in ("arrow_function", "function_expression", "function"):
                    return value
    return None


def _is_async(fn) -> bool:
    return any(c.type == "async" for c in fn.children)


def _returned_objects(fn):
    body = fn.child_by_field_name("body")
    if body is None:
        return
    body = unwrap(body)
    if body is not None and body.type == "object":
        yield body
        return
    if body is None or body.type != "statement_block":
        return
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in ("arrow_function", "function_expression", "function", "function_declaration", "method_definition", "class_body"):
            continue  # a nested function's return is not app()'s
        if node.type == "return_statement":
            value = unwrap(node.named_children[0]) if node.named_children else None
            if value is not None and value.type == "object":
                yield value
            continue
        stack.extend(node.named_children)


def _find_app_name(out: ConfigFile, app_fn, consts) -> None:
    tf = out.tf
    src, index = tf.src, tf.index
    for obj in _returned_objects(app_fn):
        for child in obj.named_children:
            if child.type == "pair" and prop_name(child.child_by_field_name("key"), src) == "name":
                value = child.child_by_field_name("value")
            elif child.type == "shorthand_property_identifier" and node_text(child, src) == "name":
                value = child
            else:
                continue
            node, depth = unwrap(value), 0
            while node is not None and node.type in ("identifier", "shorthand_property_identifier") and depth < 4:
                node, depth = unwrap(consts.get(node_text(node, src))), depth + 1
            lit = string_lit(node, src, index)
            if lit is not None:
                out.app_name = lit
                out.app_name_range = lit.range if value.type in ("string", "template_string") else index.range_of_node(value)
                return


def _run_body(tf: TsFile, fn) -> RunBody | None:
    body = fn.child_by_field_name("body")
    if body is None or body.type != "statement_block":
        return None
    index = tf.index
    open_brace = index.range_of_node(body).start
    first = body.named_children[0] if body.named_children else None
    if first is not None:
        start = index.range_of_node(first).start
        if start.line != open_brace.line:
            return RunBody(start, line_indent(index, start.line), False, _is_async(fn))
        return RunBody(start, "", True, _is_async(fn))
    # an empty body: right after `{`, one level deeper than the line holding run()
    fn_indent = line_indent(index, index.range_of_node(fn).start.line)
    pos = Position(open_brace.line, open_brace.character + 1)
    return RunBody(pos, fn_indent + "  ", True, _is_async(fn), empty=True)


def _import(tf: TsFile, stmt) -> TopLevelImport | None:
    src, index = tf.src, tf.index
    if stmt.type not in ("import_statement", "export_statement"):
        return None
    source = stmt.child_by_field_name("source")
    if source is None or source.type != "string":
        return None  # `import x = require("y")` is a require call to esbuild; `export const …`
    lit = string_lit(source, src, index)
    if lit is None:
        return None
    type_kw = any(c.type == "type" for c in stmt.children)
    rng = index.range_of_node(stmt)
    imp = TopLevelImport(rng, _line_range(tf, rng), node_text(source, src), lit.value, type_only=type_kw)
    if stmt.type == "export_statement":
        imp.is_reexport = True
        clause = next((c for c in stmt.named_children if c.type == "export_clause"), None)
        if clause is not None:
            specs = [c for c in clause.named_children if c.type == "export_specifier"]
            if specs and all(any(k.type == "type" for k in s.children) for s in specs):
                imp.type_only = True
        imp.used_as_value = True  # a re-export is kept whatever the file does with it
        return imp
    clause = next((c for c in stmt.named_children if c.type == "import_clause"), None)
    if clause is None:
        return imp  # a bare `import "x"`: always kept
    for part in clause.named_children:
        if part.type == "identifier":
            imp.default = node_text(part, src)
        elif part.type == "namespace_import":
            ident = next((c for c in part.named_children if c.type == "identifier"), None)
            if ident is not None:
                imp.namespace = node_text(ident, src)
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type != "import_specifier":
                    continue
                name = spec.child_by_field_name("name")
                alias = spec.child_by_field_name("alias")
                if name is None:
                    continue
                imported = node_text(name, src)
                imp.named.append(ImportSpec(imported, node_text(alias, src) if alias is not None else imported, any(k.type == "type" for k in spec.children)))
    if imp.named and all(s.is_type for s in imp.named) and imp.default is None and imp.namespace is None:
        imp.type_only = True
    return imp


def _line_range(tf: TsFile, rng: Range) -> Range:
    """The statement's whole lines (with the line break) when nothing else shares them."""
    index = tf.index
    first, last = index.line_text(rng.start.line), index.line_text(rng.end.line)
    before = first[: _char_index(first, rng.start.character)]
    after = last[_char_index(last, rng.end.character):]
    if before.strip() == "" and after.strip() in ("", ";"):
        if rng.end.line + 1 < len(index.line_starts):
            return Range(Position(rng.start.line, 0), Position(rng.end.line + 1, 0))
        if rng.start.line > 0:
            prev = index.line_text(rng.start.line - 1)
            return Range(Position(rng.start.line - 1, utf16_len(prev)), Position(rng.end.line, utf16_len(last)))
    return rng


def _char_index(line: str, utf16_col: int) -> int:
    n = 0
    for i, ch in enumerate(line):
        if n >= utf16_col:
            return i
        n += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def _value_identifiers(root, run_body, src: bytes):
    """(name, inside run()) for every identifier read as a value outside type positions."""
    run_span = (run_body.start_byte, run_body.end_byte) if run_body is not None else None
    stack = [root]
    while stack:
        node = stack.pop()
        t = node.type
        if t in TYPE_NODES:
            continue
        if t in ("as_expression", "satisfies_expression"):
            # `x as T`: only the expression is a value
            if node.named_children:
                stack.append(node.named_children[0])
            continue
        if t in ("identifier", "shorthand_property_identifier"):
            inside = run_span is not None and run_span[0] <= node.start_byte < run_span[1]
            yield node_text(node, src), inside
            continue
        stack.extend(node.children)
