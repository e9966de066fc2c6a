"""What SST will evaluate in a TypeScript file: function definitions, transforms, imports.

Parsed with tree-sitter (incrementally when an editor sends changes). The result is a plain
``TsFile`` with ranges already converted to LSP positions: rules never see tree-sitter nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from .positions import LineIndex, Position, Range, parse_text

# `path/file.function`; a URL (e.g. `router.route("/", "https://example.com")`) is not a handler
HANDLER_SHAPE = re.compile(r"^(?!.*://)(\./)?[^\s.'\"`][^\s'\"`]*\.[A-Za-z_][A-Za-z0-9_]*$")
SUBSCRIBE_METHODS = frozenset({"route", "subscribe", "addRoute", "addSubscriber", "subscribeQueue", "subscribeTopic", "notify", "addFunction"})
STRING_HANDLER_KEYS = frozenset({"function", "job", "subscriber"})


@lru_cache(maxsize=1)
def _parser_language():
    import tree_sitter_typescript
    from tree_sitter import Language

    return Language(tree_sitter_typescript.language_typescript())


def new_parser():
    from tree_sitter import Parser

    return Parser(_parser_language())


@dataclass(frozen=True)
class StringLit:
    """A string literal: its value, the range of its contents and its quote character."""

    value: str
    range: Range  # the contents, without quotes
    full: Range  # with quotes
    quote: str


@dataclass(frozen=True)
class Pair:
    key: str
    key_range: Range
    value_range: Range
    value_text: str
    string: StringLit | None = None  # when the value is (or names) a string
    object_pairs: tuple = ()  # when the value is (or names) an object: its pairs


@dataclass(frozen=True)
class RuntimeTransform:
    runtime: str
    mode: str  # "fill" (??=) or "override" (=)
    range: Range
    file: Path


@dataclass
class FunctionDef:
    """One place where SST is given a function: a handler plus what is known of its arguments."""

    file: Path
    kind: str  # e.g. "sst.aws.Function", "route", "Cron function", "subscribe"
    handler: str | None
    handler_range: Range  # where a diagnostic on the handler is shown
    handler_lit: StringLit | None  # the literal to edit (may sit in a `const` elsewhere in the file)
    unresolved: str | None = None  # expression text when the handler cannot be evaluated
    runtime: str | None = None
    runtime_range: Range | None = None  # the runtime value written in the arguments, if any
    runtime_source: str | None = None
    pairs: dict[str, Pair] = field(default_factory=dict)  # the arguments object, spreads resolved
    object_range: Range | None = None  # None for a string shorthand
    runtime_insert: tuple[Position, str] | None = None  # where and how to add a pair: template with {}
    indent: str = "  "
    transforms: list[RuntimeTransform] = field(default_factory=list)

    @property
    def has_bundle(self) -> bool:
        return "bundle" in self.pairs


@dataclass
class RawLambda:
    """``new aws.lambda.Function(...)`` from @pulumi/aws (SST101)."""

    file: Path
    range: Range
    ctor_range: Range
    name_text: str
    runtime: str | None
    handler: str | None
    archive_dir: str | None
    python_evidence: str | None
    indent: str


@dataclass
class VpcSubnets:
    """``vpc: { subnets }`` in Function arguments (SST401)."""

    file: Path
    key_range: Range
    where: str
    shorthand: bool = False  # `{ subnets }`: the fix must keep the value


@dataclass
class TsFile:
    path: Path
    text: str
    index: LineIndex
    functions: list[FunctionDef] = field(default_factory=list)
    raw_lambdas: list[RawLambda] = field(default_factory=list)
    vpc_subnets: list[VpcSubnets] = field(default_factory=list)
    function_transforms: list[RuntimeTransform] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)  # relative module specifiers it loads
    has_errors: bool = False
    tree: object | None = field(default=None, repr=False)  # the tree-sitter tree, for rules that walk it

    @property
    def src(self) -> bytes:
        return self.text.encode("utf-8")


# -- helpers on nodes --------------------------------------------------------------------


def _text(node, src: bytes) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", errors="replace")


def _string_lit(node, src: bytes, index: LineIndex) -> StringLit | None:
    if node is None:
        return None
    if node.type == "string":
        raw = _text(node, src)
        if len(raw) < 2:
            return None
        quote = raw[0]
        frags = [c for c in node.named_children]
        if any(c.type == "escape_sequence" for c in frags):
            value = _unescape(raw[1:-1])
        else:
            value = raw[1:-1]
        full = index.range_of_node(node)
        inner = Range(Position(full.start.line, full.start.character + 1), Position(full.end.line, full.end.character - 1))
        return StringLit(value, inner, full, quote)
    if node.type == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            return None
        raw = _text(node, src)
        full = index.range_of_node(node)
        inner = Range(Position(full.start.line, full.start.character + 1), Position(full.end.line, full.end.character - 1))
        return StringLit(raw[1:-1], inner, full, "`")
    return None


def _unescape(s: str) -> str:
    try:
        return s.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except Exception:
        return s


def _unwrap(node):
    """Strip parentheses, `as const`, `satisfies`, non-null assertions."""
    while node is not None and node.type in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
        node = node.named_children[0] if node.named_children else None
    return node


def _prop_name(key, src: bytes) -> str | None:
    if key.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
        return _text(key, src)
    if key.type == "string":
        return _text(key, src)[1:-1]
    return None


def _walk(node) -> Iterator:
    cursor = node.walk()
    reached_root = False
    while not reached_root:
        yield cursor.node
        if cursor.goto_first_child():
            continue
        if cursor.goto_next_sibling():
            continue
        retracing = True
        while retracing:
            if not cursor.goto_parent():
                retracing = False
                reached_root = True
            elif cursor.goto_next_sibling():
                retracing = False


def _line_indent(index: LineIndex, line: int) -> str:
    text = index.line_text(line)
    return text[: len(text) - len(text.lstrip(" \t"))]


class _Extractor:
    def __init__(self, path: Path, text: str, tree):
        self.path = path
        self.text = text
        self.src = text.encode("utf-8")
        self.tree = tree
        self.index = LineIndex(text)
        self.out = TsFile(path, text, self.index, has_errors=tree.root_node.has_error, tree=tree)
        self.consts: dict[str, object] = {}  # name -> value node (file-wide, first wins)
        self.aws_aliases = {"aws"}
        self.route_transforms: dict[str, list[RuntimeTransform]] = {}
        self.seen_objects: set[int] = set()

    # -- pass 1: names ------------------------------------------------------------------
    def collect_names(self) -> None:
        for node in _walk(self.tree.root_node):
            if node.type == "variable_declarator":
                name = node.child_by_field_name("name")
                value = _unwrap(node.child_by_field_name("value"))
                if name is None or value is None:
                    continue
                if name.type == "identifier":
                    self.consts.setdefault(_text(name, self.src), value)
                    if value.type == "await_expression":
                        value = _unwrap(value.named_children[0]) if value.named_children else None
                    if value is not None and value.type == "call_expression" and self._import_source(value) == "@pulumi/aws":
                        self.aws_aliases.add(_text(name, self.src))
                    if value is not None and value.type == "new_expression":
                        self._component_transforms(_text(name, self.src), value)
            elif node.type == "import_statement":
                source = node.child_by_field_name("source")
                spec = _string_lit(source, self.src, self.index)
                if spec is None:
                    continue
                if spec.value == "@pulumi/aws":
                    for sub in _walk(node):
                        if sub.type in ("namespace_import", "import_clause"):
                            for ident in sub.named_children:
                                if ident.type == "identifier":
                                    self.aws_aliases.add(_text(ident, self.src))
                if spec.value.startswith("."):
                    self.out.imports.append(spec.value)

    def _import_source(self, call) -> str | None:
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "import":
            return None
        args = call.child_by_field_name("arguments")
        if args is None or not args.named_children:
            return None
        lit = _string_lit(args.named_children[0], self.src, self.index)
        return lit.value if lit else None

    def resolve(self, node, depth: int = 0):
        """Follow an identifier to the value of a same-file `const`."""
        node = _unwrap(node)
        while node is not None and node.type in ("identifier", "shorthand_property_identifier") and depth < 8:
            target = self.consts.get(_text(node, self.src))
            if target is None:
                return node
            node = _unwrap(target)
            depth += 1
        return node

    # -- pass 2: definitions --------------------------------------------------------------
    def extract(self) -> TsFile:
        self.collect_names()
        for node in _walk(self.tree.root_node):
            t = node.type
            if t == "call_expression":
                self._call(node)
            elif t == "new_expression":
                self._new(node)
            elif t == "object":
                self._object(node)
        return self.out

    def _call(self, node) -> None:
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None:
            return
        if fn.type == "import":
            src = self._import_source(node)
            if src and src.startswith("."):
                self.out.imports.append(src)
            return
        if fn.type == "identifier" and _text(fn, self.src) == "$transform":
            self._function_transform(args)
            return
        if fn.type != "member_expression":
            return
        prop = fn.child_by_field_name("property")
        if prop is None or _text(prop, self.src) not in SUBSCRIBE_METHODS:
            return
        method = _text(prop, self.src)
        obj = fn.child_by_field_name("object")
        owner = _text(obj, self.src) if obj is not None else ""
        transforms = self.route_transforms.get(owner, [])
        for arg in args.named_children:
            value = self.resolve(arg)
            lit = _string_lit(value, self.src, self.index)
            if lit is not None and HANDLER_SHAPE.match(lit.value):
                self._string_def(arg, lit, method, transforms)
            elif value is not None and value.type == "object" and transforms:
                # the object is extracted by _object; remember the owner's transforms for it
                self._object(value, kind=method, transforms=transforms)

    def _function_transform(self, args) -> None:
        children = args.named_children
        if len(children) < 2 or _text(children[0], self.src).replace(" ", "") not in ("sst.aws.Function",):
            return
        cb = children[1]
        for node in _walk(cb):
            if node.type in ("assignment_expression", "augmented_assignment_expression"):
                self._runtime_assignment(node, self.out.function_transforms)
                left = node.child_by_field_name("left")
                right = self.resolve(node.child_by_field_name("right"))
                if left is not None and _text(left, self.src).replace(" ", "") == "args.vpc" and right is not None and right.type == "object":
                    self._vpc_object(right, "$transform(sst.aws.Function)")
            elif node.type == "object" and node.parent is not None and node.parent.type in ("arrow_function", "parenthesized_expression", "return_statement"):
                self._object_transform_defaults(node, self.out.function_transforms)

    def _runtime_assignment(self, node, sink: list) -> None:
        left = node.child_by_field_name("left")
        right = self.resolve(node.child_by_field_name("right"))
        if left is None or right is None or not _text(left, self.src).replace(" ", "").endswith(".runtime"):
            return
        op = node.child_by_field_name("operator")
        op_text = _text(op, self.src) if op is not None else "="
        lit = _string_lit(right, self.src, self.index)
        mode = "fill" if op_text in ("??=", "||=") else "override"
        if lit is None and right.type == "binary_expression":
            # args.runtime = args.runtime ?? "python3.12"
            r = self.resolve(right.child_by_field_name("right"))
            lit = _string_lit(r, self.src, self.index)
            mode = "fill"
        if lit is not None:
            sink.append(RuntimeTransform(lit.value, mode, lit.full, self.path))

    def _object_transform_defaults(self, obj, sink: list) -> None:
        for child in obj.named_children:
            if child.type == "pair" and _prop_name(child.child_by_field_name("key"), self.src) == "runtime":
                lit = _string_lit(self.resolve(child.child_by_field_name("value")), self.src, self.index)
                if lit is not None:
                    sink.append(RuntimeTransform(lit.value, "override", lit.full, self.path))

    def _component_transforms(self, var: str, new_node) -> None:
        args = new_node.child_by_field_name("arguments")
        if args is None or len(args.named_children) < 2:
            return
        obj = self.resolve(args.named_children[1])
        if obj is None or obj.type != "object":
            return
        transform = self._pair_value(obj, "transform")
        if transform is None or transform.type != "object":
            return
        sink: list[RuntimeTransform] = []
        for outer in ("route", "subscriber"):
            inner = self._pair_value(transform, outer)
            if inner is None or inner.type != "object":
                continue
            for key in ("handler", "function"):
                cb = self._pair_value(inner, key)
                if cb is None:
                    continue
                if cb.type == "object":
                    self._object_transform_defaults(cb, sink)
                else:
                    for n in _walk(cb):
                        if n.type in ("assignment_expression", "augmented_assignment_expression"):
                            self._runtime_assignment(n, sink)
        if sink:
            self.route_transforms[var] = sink

    def _pair_value(self, obj, key: str):
        for child in obj.named_children:
            if child.type == "pair" and _prop_name(child.child_by_field_name("key"), self.src) == key:
                return self.resolve(child.child_by_field_name("value"))
        return None

    def _new(self, node) -> None:
        ctor = node.child_by_field_name("constructor")
        if ctor is None:
            return
        parts = _text(ctor, self.src).replace(" ", "").split(".")
        if len(parts) == 3 and parts[0] in self.aws_aliases and parts[1] == "lambda" and parts[2] == "Function":
            self._raw_lambda(node, ctor)

    def _raw_lambda(self, node, ctor) -> None:
        args = node.child_by_field_name("arguments")
        if args is None or len(args.named_children) < 2:
            return
        name_node, obj = args.named_children[0], self.resolve(args.named_children[1])
        if obj is None or obj.type != "object":
            return
        self.seen_objects.add(obj.id)
        runtime = handler = archive = evidence = None
        for child in obj.named_children:
            if child.type != "pair":
                continue
            key = _prop_name(child.child_by_field_name("key"), self.src)
            value = self.resolve(child.child_by_field_name("value"))
            if value is None:
                continue
            vtext = _text(value, self.src)
            if key == "runtime":
                lit = _string_lit(value, self.src, self.index)
                if lit is not None and lit.value.startswith("python"):
                    runtime, evidence = lit.value, f'runtime "{lit.value}"'
                m = re.search(r"Runtime\.Python(\d)d(\d+)$", vtext.replace(" ", ""))
                if m:
                    runtime, evidence = f"python{m.group(1)}.{m.group(2)}", vtext
            elif key == "handler":
                lit = _string_lit(value, self.src, self.index)
                handler = lit.value if lit else None
            elif key == "code" and value.type == "new_expression":
                cargs = value.child_by_field_name("arguments")
                if cargs is not None and cargs.named_children:
                    lit = _string_lit(self.resolve(cargs.named_children[0]), self.src, self.index)
                    if lit is not None:
                        archive = lit.value
        indent = _line_indent(self.index, self.index.range_of_node(node).start.line)
        self.out.raw_lambdas.append(
            RawLambda(
                self.path,
                self.index.range_of_node(node),
                self.index.range_of_node(ctor),
                _text(name_node, self.src),
                runtime,
                handler,
                archive,
                evidence,
                indent,
            )
        )

    # -- function argument objects ---------------------------------------------------------
    def _pairs(self, obj, depth: int = 0) -> dict[str, Pair]:
        """Pairs of an object, spreads of same-file consts resolved (later keys win)."""
        out: dict[str, Pair] = {}
        for child in obj.named_children:
            if child.type == "spread_element" and depth < 4:
                target = self.resolve(child.named_children[0]) if child.named_children else None
                if target is not None and target.type == "object":
                    out.update(self._pairs(target, depth + 1))
            elif child.type == "pair":
                key_node = child.child_by_field_name("key")
                key = _prop_name(key_node, self.src)
                value = child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                out[key] = self._pair(key, key_node, value)
            elif child.type == "shorthand_property_identifier":
                key = _text(child, self.src)
                out[key] = self._pair(key, child, child)
        return out

    def _pair(self, key: str, key_node, value_node) -> Pair:
        resolved = self.resolve(value_node)
        lit = _string_lit(resolved, self.src, self.index)
        obj_pairs: tuple = ()
        if resolved is not None and resolved.type == "object":
            obj_pairs = tuple(self._pairs(resolved, 1).items())
        return Pair(
            key,
            self.index.range_of_node(key_node),
            self.index.range_of_node(value_node),
            _text(value_node, self.src),
            lit,
            obj_pairs,
        )

    def _object(self, obj, kind: str | None = None, transforms: list | None = None) -> None:
        if obj.id in self.seen_objects:
            return
        handler_pair = None
        for child in obj.named_children:
            if child.type == "pair" and _prop_name(child.child_by_field_name("key"), self.src) == "handler":
                handler_pair = child
            elif child.type == "shorthand_property_identifier" and _text(child, self.src) == "handler":
                handler_pair = child
            elif child.type == "pair" and _prop_name(child.child_by_field_name("key"), self.src) in STRING_HANDLER_KEYS:
                value = child.child_by_field_name("value")
                lit = _string_lit(self.resolve(value), self.src, self.index)
                if lit is not None and HANDLER_SHAPE.match(lit.value):
                    key = _prop_name(child.child_by_field_name("key"), self.src)
                    self._string_def(value, lit, f"{key}", self._enclosing_transforms(obj))
        if handler_pair is None:
            return
        value_node = handler_pair if handler_pair.type == "shorthand_property_identifier" else handler_pair.child_by_field_name("value")
        resolved = self.resolve(value_node)
        if resolved is not None and resolved.type in ("arrow_function", "function_expression", "function", "object"):
            return  # a transform callback, not a handler string
        self.seen_objects.add(obj.id)
        kind = kind or self._kind_of(obj)
        if transforms is None:
            transforms = self._enclosing_transforms(obj)
        lit = _string_lit(resolved, self.src, self.index)
        pairs = self._pairs(obj)
        fd = FunctionDef(
            file=self.path,
            kind=kind,
            handler=lit.value if lit else None,
            handler_range=self.index.range_of_node(value_node),
            handler_lit=lit,
            unresolved=None if lit else _text(value_node, self.src),
            pairs=pairs,
            object_range=self.index.range_of_node(obj),
            transforms=list(transforms),
        )
        if lit is not None and value_node.type == "string":
            fd.handler_range = lit.range
        rt = pairs.get("runtime")
        if rt is not None:
            fd.runtime = rt.string.value if rt.string else None
            fd.runtime_range = rt.value_range
            fd.runtime_source = "argument"
            if fd.runtime is None:
                m = re.search(r"Runtime\.Python(\d)d(\d+)$", rt.value_text.replace(" ", ""))
                fd.runtime = f"python{m.group(1)}.{m.group(2)}" if m else rt.value_text
        fd.runtime_insert, fd.indent = self._insertion_point(obj, handler_pair)
        self.out.functions.append(fd)
        vpc = pairs.get("vpc")
        if vpc is not None:
            for key, p in vpc.object_pairs:
                if key == "subnets":
                    self.out.vpc_subnets.append(VpcSubnets(self.path, p.key_range, kind, p.key_range == p.value_range))

    def _vpc_object(self, obj, where: str) -> None:
        for child in obj.named_children:
            key_node = child.child_by_field_name("key") if child.type == "pair" else (child if child.type == "shorthand_property_identifier" else None)
            if key_node is not None and _prop_name(key_node, self.src) == "subnets":
                self.out.vpc_subnets.append(VpcSubnets(self.path, self.index.range_of_node(key_node), where, child.type == "shorthand_property_identifier"))

    def _enclosing_transforms(self, obj) -> list:
        # `api.route("GET /", { handler })` — the owner's transform applies
        parent = obj.parent
        if parent is not None and parent.type == "arguments":
            call = parent.parent
            if call is not None and call.type == "call_expression":
                fn = call.child_by_field_name("function")
                if fn is not None and fn.type == "member_expression":
                    owner = fn.child_by_field_name("object")
                    return self.route_transforms.get(_text(owner, self.src), []) if owner is not None else []
        return []

    def _kind_of(self, obj) -> str:
        node = obj.parent
        while node is not None and node.type in ("arguments", "pair", "parenthesized_expression", "array", "object", "variable_declarator", "lexical_declaration"):
            if node.type == "pair":
                key = _prop_name(node.child_by_field_name("key"), self.src)
                node = node.parent
                return f"{key}"
            node = node.parent
        if node is not None and node.type == "new_expression":
            ctor = node.child_by_field_name("constructor")
            return _text(ctor, self.src).replace(" ", "") if ctor is not None else "function"
        if node is not None and node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                return _text(prop, self.src) if prop is not None else "function"
        return "function arguments"

    def _insertion_point(self, obj, after) -> tuple[tuple[Position, str] | None, str]:
        """Where a new pair goes after ``after`` in ``obj``, in the object's own style."""
        after_range = self.index.range_of_node(after)
        obj_range = self.index.range_of_node(obj)
        multiline = obj_range.start.line != obj_range.end.line
        nxt = after.next_sibling
        has_comma = nxt is not None and nxt.type == ","
        indent = _line_indent(self.index, after_range.start.line)
        if multiline and after_range.start.line != obj_range.start.line:
            if has_comma:
                pos = self.index.range_of_node(nxt).end
                return (pos, "\n" + indent + "{},"), indent
            return (after_range.end, ",\n" + indent + "{}"), indent
        if has_comma:
            pos = self.index.range_of_node(nxt).end
            return (pos, " {},"), indent
        return (after_range.end, ", {}"), indent

    def _string_def(self, node, lit: StringLit, kind: str, transforms: list) -> None:
        rng = lit.range if _unwrap(node) is not None and _unwrap(node).type in ("string", "template_string") else self.index.range_of_node(node)
        self.out.functions.append(
            FunctionDef(
                file=self.path,
                kind=kind,
                handler=lit.value,
                handler_range=rng,
                handler_lit=lit,
                transforms=list(transforms),
                indent=_line_indent(self.index, rng.start.line),
            )
        )


def parse(text: str, old_tree=None, parser=None):
    parser = parser or new_parser()
    src = parse_text(text).encode("utf-8")  # rows are then the LSP's lines, even with a lone \r
    return parser.parse(src, old_tree) if old_tree is not None else parser.parse(src)


def analyse(path: Path, text: str, tree=None) -> TsFile:
    """Extract what SST will see in one TypeScript file."""
    if tree is None:
        tree = parse(text)
    return _Extractor(path, text, tree).extract()
