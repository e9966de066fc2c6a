"""What SST will evaluate in a TypeScript file: function definitions, transforms, imports.

Parsed with tree-sitter (incrementally when an editor sends changes). The result is a plain
``TsFile`` with ranges already converted to LSP positions: rules never see tree-sitter nodes.
"""

from __future__ import annotations

import re
from bisect import insort
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import NamedTuple
from pathlib import Path

from .positions import LineIndex, Position, Range, common_ends, parse_text
from .ts_syntax import StringLit, find, find_in_bytes, line_indent, node_text, of_type, prop_name, string_lit, unwrap, walk

# `path/file.function`; a URL (e.g. `router.route("/", "https://example.com")`) is not a handler
HANDLER_SHAPE = re.compile(r"^(?!.*://)(\./)?[^\s.'\"`][^\s'\"`]*\.[A-Za-z_][A-Za-z0-9_]*$")
SUBSCRIBE_METHODS = frozenset({"route", "subscribe", "addRoute", "addSubscriber", "subscribeQueue", "subscribeTopic", "notify", "addFunction"})
STRING_HANDLER_KEYS = frozenset({"function", "job", "subscriber"})
# function arguments some rule reads: a spread that cannot set one of them hides nothing
ANALYSED_ARGUMENTS = frozenset({"handler", "runtime", "bundle", "copyFiles", "python", "layers", "vpc", "live", "dev"})


@lru_cache(maxsize=1)
def _parser_language():
    import tree_sitter_typescript
    from tree_sitter import Language

    return Language(tree_sitter_typescript.language_typescript())


def new_parser():
    from tree_sitter import Parser

    return Parser(_parser_language())


NOT_EVALUATED = object()
# arguments whose static value rules ask for (``Project.argument_value``): evaluated when read, so
# that a FunctionDef reused for a later text keeps it (the names it read are then bound the same)
EVALUATED_KEYS = frozenset({"copyFiles", "environment"})


@dataclass(frozen=True)
class Pair:
    key: str
    key_range: Range
    value_range: Range
    value_text: str
    string: StringLit | None = None  # when the value is (or names) a string
    object_pairs: tuple = ()  # when the value is (or names) an object: its pairs
    file: Path | None = None  # where the pair is written when not in the function's own file
    # the value's syntax node type: the node is found again by ``value_range`` in the tree of the
    # text it is evaluated in (a reused FunctionDef keeps no node of an older tree)
    node_type: str | None = field(default=None, compare=False, repr=False)
    evaluated: object = field(default=NOT_EVALUATED, compare=False, repr=False)  # ``Extractor.evaluate`` of it (EVALUATED_KEYS)


@dataclass(frozen=True)
class Ref:
    """A value another module exports: ``spec``'s export ``name`` ("*": the module itself), then ``path``."""

    spec: str
    name: str
    path: tuple = ()
    type = "ref"  # never a tree-sitter node type

    def member(self, key: str) -> "Ref":
        if self.name == "*" and not self.path:
            return Ref(self.spec, key)
        return Ref(self.spec, self.name, self.path + (key,))


@dataclass(frozen=True)
class Unknown:
    """Something an argument depends on that the analysis could not evaluate."""

    kind: str  # "context", "spread", "handler", "copyFiles", "layers", "bundle"
    text: str  # what it is, for messages: the expression as written, or the reason
    keys: frozenset | None = None  # a spread: the argument keys it may set (None: any)

    def describe(self) -> str:
        if self.kind == "spread":
            return f"the spread ...{self.text}" + (f" (may set {', '.join(sorted(self.keys))})" if self.keys else "")
        if self.kind == "context":
            return self.text
        return f"{self.kind} {self.text}"


@dataclass(frozen=True)
class RuntimeTransform:
    runtime: str
    mode: str  # "fill" (??=) or "override" (=)
    range: Range
    file: Path
    quote: str = '"'  # of the string literal (a fix rewrites it in the same style)


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
    lit_file: Path | None = None  # where handler_lit is written, when not in ``file``
    unknowns: list[Unknown] = field(default_factory=list)  # what the analysis could not see
    pending: list = field(default_factory=list)  # (what, Ref, extra) to resolve across files
    runtime_unresolved: str | None = None  # a runtime expression the analysis could not evaluate
    use_file: Path | None = None  # where the value was handed to the component, when not in ``file``
    use_range: Range | None = None

    @property
    def has_bundle(self) -> bool:
        return "bundle" in self.pairs

    @property
    def lit_path(self) -> Path:
        """The file that holds ``handler_lit``."""
        return self.lit_file or self.file

    @property
    def site_range(self) -> Range:
        """Where a problem of the handler string is shown, in ``lit_path``."""
        return self.handler_lit.range if self.lit_file is not None and self.handler_lit is not None else self.handler_range

    @property
    def has_layers(self) -> bool:
        """``layers`` is set to something other than an empty list (their content is never visible)."""
        layers = self.pairs.get("layers")
        return layers is not None and layers.value_text.replace(" ", "") not in ("[]", "undefined")


@dataclass
class TsFile:
    path: Path
    text: str
    index: LineIndex
    functions: list[FunctionDef] = field(default_factory=list)
    function_transforms: list[RuntimeTransform] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)  # relative module specifiers it loads
    extractor: object | None = field(default=None, repr=False)  # evaluates exports for other files
    _derived: dict = field(default_factory=dict, repr=False)
    has_errors: bool = False
    tree: object | None = field(default=None, repr=False)  # the tree-sitter tree, for rules that walk it
    # what was extracted, as an identity: shared by the analyses of texts that differ only inside
    # a comment (see ``analyse``), so that what was computed from one stands for the other
    content: object = field(default_factory=object, repr=False, compare=False)
    # this text is the earlier one with one line edited inside a string literal (``_string_edit``):
    # an ``_EditedLine``
    edit_of: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def src(self) -> bytes:
        """The text as UTF-8 (the extractor's: encoded once, not at every look)."""
        ex = self.extractor
        return ex.src if ex is not None and ex.text is self.text else self.text.encode("utf-8")

    def derive(self, key: str, compute):
        """A fact derived from this file's text (its components, its config), computed once."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def nodewise(self, key: str, node_type: str, compute_one) -> list:
        """``compute_one(node)`` (a list) for each node of ``node_type``, in document order, once per
        text. After an edit of one line inside a string literal, the earlier text's results stand
        for the nodes off that line (their positions did not move) that read no name whose value
        holds the edited string: only the others are read again, the nodes over the line found by
        a query of its bytes, not of the whole tree."""
        ex = self.extractor

        def one(node) -> tuple:
            found, reads = ex.reading(lambda: compute_one(node))
            return (ex.index.range_of_node(node), found, (node.start_byte, node.end_byte), reads)

        def compute() -> list:
            hint = self.edit_of
            earlier = hint.derived.get(("nodewise", key)) if hint is not None else None
            if earlier is None:
                return [one(n) for n in find(ex.tree, ex.tree.root_node, node_type)]
            row, changed, edit_start, delta = hint.row, hint.changed, hint.edit_start, hint.delta
            again = [one(n) for n in find_in_bytes(ex.tree, max(0, hint.start - 1), hint.end + 1, node_type) if _spans_row(ex.index.range_of_node(n), row)]
            kept = []  # in document order, as ``earlier`` is: none of them spans the row
            for entry in earlier:
                r, span = entry[0], entry[2]
                if _spans_row(r, row):
                    continue
                if changed and not entry[3].isdisjoint(changed):
                    # it read a name whose value holds the string: read again, its node found in the new tree
                    span = span if span[1] <= edit_start else (span[0] + delta, span[1] + delta)
                    node = of_type(ex.tree.root_node.descendant_for_byte_range(*span), node_type, span, lambda n: (n.start_byte, n.end_byte))
                    if node is None:
                        return [one(n) for n in find(ex.tree, ex.tree.root_node, node_type)]
                    again.append(one(node))
                    continue
                kept.append(entry if span[1] <= edit_start else (r, entry[1], (span[0] + delta, span[1] + delta), entry[3]))
            for entry in again:  # each in its place (after the equal ones: as a stable sort of both)
                insort(kept, entry, key=_document_order)
            return kept

        return list(chain.from_iterable(map(itemgetter(1), self.derive(("nodewise", key), compute))))


def _spans_row(r: Range, row: int) -> bool:
    return r.start.line <= row <= r.end.line


def _document_order(entry: tuple) -> tuple:
    r = entry[0]
    return (r.start, -r.end.line, -r.end.character)


DEFINING = ("call_expression", "new_expression", "object")  # the nodes pass 2 reads, in document order


def warm_up() -> None:
    """Compile the queries that the first edit inside a string would compile (a few ms each)."""
    from .ts_syntax import _compiled

    language = _parser_language()
    for types in (DEFINING, ("new_expression",), ("call_expression",)):  # (``TsFile.nodewise``'s node types)
        _compiled(language, types)


_WRAPPERS = ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression", "await_expression")


class NameRef:
    """A stand-in node for a name bound by an import or destructuring (looked up again by name)."""

    type = "identifier"

    def __init__(self, name: str):
        self.name = name


class Extractor:
    """Reads one file's tree in two passes: the names it binds, then the definitions.

    ``previous`` (the extraction of an earlier text of the same file) lets an edit cost what it
    changed: an arguments object whose bytes, line and line prefix are the same, read in the
    names bound the same way (every name its reading looked up), gives the same ``FunctionDef``:
    it is copied, not read again. Its bytes may have moved (an edit earlier in the file that
    adds no line moves what follows it): it holds positions, never syntax nodes.
    """

    def __init__(self, path: Path, text: str, tree, previous: "Extractor | None" = None):
        self.path = path
        self.text = text
        self.src = text.encode("utf-8")
        self.tree = tree
        self.index = LineIndex.of(text)
        self.out = TsFile(path, text, self.index, has_errors=tree.root_node.has_error, tree=tree)
        self.consts: dict[str, object] = {}  # name -> value node (file-wide, first wins)
        self.members: dict[str, tuple] = {}  # `const { key: name } = value`: name -> (value node, key)
        self.import_names: dict[str, tuple[str, str]] = {}  # local name -> (module specifier, export or "*")
        self.exports: dict[str, tuple] = {}  # export name -> ("local", name) | ("node", node) | ("ref", spec, name)
        self.star_exports: list[str] = []  # `export * from "./x"`
        self.indirect: dict[int, frozenset] = {}  # id of a function whose handler string came through names -> those names
        self._uses: dict[str, list] | None = None  # name -> identifier nodes that read it (see ``uses``)
        self.aws_aliases = {"aws"}
        self.route_transforms: dict[str, list[RuntimeTransform]] = {}
        self.seen_objects: set[int] = set()
        self.out.extractor = self
        self.previous = previous
        self.memo: dict = {}  # function_from_object's results: key -> (names read and their bindings, result)
        self._reads: set | None = None  # names looked up while reading one arguments object
        self._bindings: dict = {}
        self.reused = 0  # how many came from ``previous`` (for tests and benchmarks)

    # -- pass 1: names ------------------------------------------------------------------
    @property
    def uses(self) -> dict[str, list]:
        """name -> the identifier nodes that read it, in document order. Made when first asked for
        (only an object kept in a ``const`` asks where the name goes): a big file has thousands."""
        if self._uses is None:
            uses: dict[str, list] = {}
            for node in find(self.tree, self.tree.root_node, "identifier", "shorthand_property_identifier"):
                parent = node.parent
                if parent is not None and parent.type == "variable_declarator" and parent.child_by_field_name("name") == node:
                    continue
                uses.setdefault(node_text(node, self.src), []).append(node)
            self._uses = uses
        return self._uses

    def collect_names(self) -> None:
        for node in find(self.tree, self.tree.root_node, "variable_declarator", "import_statement", "export_statement"):
            t = node.type
            if t == "variable_declarator":
                name = node.child_by_field_name("name")
                value = unwrap(node.child_by_field_name("value"))
                if name is None or value is None:
                    continue
                if name.type == "identifier":
                    self.consts.setdefault(node_text(name, self.src), value)
                    if value.type == "await_expression":
                        value = unwrap(value.named_children[0]) if value.named_children else None
                    if value is not None and value.type == "call_expression" and self._import_source(value) == "@pulumi/aws":
                        self.aws_aliases.add(node_text(name, self.src))
                    if value is not None and value.type == "new_expression":
                        self._component_transforms(node_text(name, self.src), value)
                elif name.type == "object_pattern":
                    self._destructure(name, value)
            elif t == "import_statement":
                source = node.child_by_field_name("source")
                spec = string_lit(source, self.src, self.index)
                if spec is None:
                    continue
                if spec.value == "@pulumi/aws":
                    for sub in walk(node):
                        if sub.type in ("namespace_import", "import_clause"):
                            for ident in sub.named_children:
                                if ident.type == "identifier":
                                    self.aws_aliases.add(node_text(ident, self.src))
                if spec.value.startswith("."):
                    self.out.imports.append(spec.value)
                    self._import_bindings(node, spec.value)
            elif t == "export_statement":
                self._export(node)

    def _destructure(self, pattern, value) -> None:
        """``const { a: b, c } = value``: b and c stand for members of ``value``."""
        for child in pattern.named_children:
            if child.type == "shorthand_property_identifier_pattern":
                key = node_text(child, self.src)
                self.members.setdefault(key, (value, key))
            elif child.type == "pair_pattern":
                key = prop_name(child.child_by_field_name("key"), self.src)
                target = child.child_by_field_name("value")
                if key is not None and target is not None and target.type == "identifier":
                    self.members.setdefault(node_text(target, self.src), (value, key))

    def _import_bindings(self, node, spec: str) -> None:
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None or any(c.type == "type" for c in node.children):
            return
        for part in clause.named_children:
            if part.type == "identifier":
                self.import_names[node_text(part, self.src)] = (spec, "default")
            elif part.type == "namespace_import":
                for ident in part.named_children:
                    if ident.type == "identifier":
                        self.import_names[node_text(ident, self.src)] = (spec, "*")
            elif part.type == "named_imports":
                for item in part.named_children:
                    if item.type != "import_specifier":
                        continue
                    name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                    if name is not None:
                        self.import_names[node_text(alias or name, self.src)] = (spec, node_text(name, self.src))

    def _export(self, node) -> None:
        source = string_lit(node.child_by_field_name("source"), self.src, self.index)
        decl = node.child_by_field_name("declaration")
        if decl is not None:
            for d in decl.named_children if decl.type in ("lexical_declaration", "variable_declaration") else ():
                name = d.child_by_field_name("name") if d.type == "variable_declarator" else None
                if name is not None and name.type == "identifier":
                    self.exports[node_text(name, self.src)] = ("local", node_text(name, self.src))
            return
        value = node.child_by_field_name("value")
        if value is not None:
            self.exports["default"] = ("node", value)
            return
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is None:
            if source is not None and source.value.startswith("."):
                self.star_exports.append(source.value)
                self.out.imports.append(source.value)
            return
        if source is not None and source.value.startswith("."):
            self.out.imports.append(source.value)
        for item in clause.named_children:
            if item.type != "export_specifier":
                continue
            name, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
            if name is None:
                continue
            exported = node_text(alias or name, self.src)
            if source is not None:
                self.exports[exported] = ("ref", source.value, node_text(name, self.src))
            else:
                self.exports[exported] = ("local", node_text(name, self.src))

    def _import_source(self, call) -> str | None:
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "import":
            return None
        args = call.child_by_field_name("arguments")
        if args is None or not args.named_children:
            return None
        lit = string_lit(args.named_children[0], self.src, self.index)
        return lit.value if lit else None

    def resolve(self, node, depth: int = 0):
        """Follow an identifier to the value of a same-file `const` (a syntax node, never a ``Ref``)."""
        value = self.lookup(node, depth)
        return node if isinstance(value, Ref) else value

    def lookup(self, node, depth: int = 0):
        """The value ``node`` stands for: a syntax node of this file, or a ``Ref`` into another module.

        Follows same-file ``const`` names, ``const { a: b } = …`` destructuring, property access
        on objects (``defaults.runtime``), imports (named, aliased, default, namespace) and
        ``await import("./x")``. Anything else is returned as it is.
        """
        node = unwrap(node)
        while node is not None and depth < 12:
            depth += 1
            t = node.type
            if t == "await_expression":
                node = unwrap(node.named_children[0]) if node.named_children else None
                continue
            if t in ("identifier", "shorthand_property_identifier"):
                name = node.name if isinstance(node, NameRef) else node_text(node, self.src)
                if self._reads is not None:
                    self._reads.add(name)
                if name in self.consts:
                    node = unwrap(self.consts[name])
                    continue
                if name in self.members:
                    base, key = self.members[name]
                    found = self._member(self.lookup(base, depth), key, depth)
                    return node if found is None else found
                if name in self.import_names:
                    return Ref(*self.import_names[name])
                return node
            if t == "member_expression":
                prop = node.child_by_field_name("property")
                obj = node.child_by_field_name("object")
                if prop is None or obj is None or prop.type != "property_identifier":
                    return node
                found = self._member(self.lookup(obj, depth), node_text(prop, self.src), depth)
                return node if found is None else found
            if t == "call_expression":
                spec = self._import_source(node)
                if spec is not None and spec.startswith("."):
                    return Ref(spec, "*")
            return node
        return node

    def _member(self, value, key: str, depth: int):
        """Property ``key`` of ``value`` (an object node or a ``Ref``); None when not found."""
        if isinstance(value, Ref):
            return value.member(key)
        if value is None or value.type != "object":
            return None
        found = None
        for child in value.named_children:
            if child.type == "pair" and prop_name(child.child_by_field_name("key"), self.src) == key:
                found = self.lookup(child.child_by_field_name("value"), depth)
            elif child.type == "shorthand_property_identifier" and node_text(child, self.src) == key:
                found = self.lookup(child, depth)
            elif child.type == "spread_element" and child.named_children:
                inner = self._member(self.lookup(child.named_children[0], depth), key, depth)
                found = inner if inner is not None else found
        return found

    def export_value(self, name: str, depth: int = 0):
        """The value this module exports as ``name``: a node of this file, a ``Ref``, or None."""
        entry = self.exports.get(name)
        if entry is None:
            return None  # the caller looks through ``star_exports``
        if entry[0] == "local":
            return self.lookup(self._local_node(entry[1]), depth)
        if entry[0] == "node":
            return self.lookup(entry[1], depth)
        return Ref(entry[1], entry[2])

    def _local_node(self, name: str):
        if name in self.consts:
            return self.consts[name]
        if name in self.import_names or name in self.members:
            return NameRef(name)
        return None

    def context(self, node, depth: int = 0) -> str:
        """Does the value at ``node`` reach an SST component?

        "component": it is an argument of a constructor or of a component method (``route``,
        ``subscribe`` …), directly or through object keys, arrays, spreads and same-file
        ``const`` names; "exported": it is only exported (the importing file decides);
        "uncertain": it goes where the analysis does not follow (a helper function's argument,
        a return value); "none": it never reaches one.
        """
        if depth > 8:
            return "uncertain"
        parent = node.parent
        while parent is not None and parent.type in _WRAPPERS:
            node, parent = parent, parent.parent
        if parent is None:
            return "none"
        t = parent.type
        if t == "arguments":
            call = parent.parent
            if call is not None and call.type == "new_expression":
                return "component"
            fn = call.child_by_field_name("function") if call is not None else None
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                # `api.route(…)` hands it over; `list.push(…)`, `Object.assign(…)` and the like do not
                return "component" if prop is not None and node_text(prop, self.src) in SUBSCRIBE_METHODS else "none"
            if fn is not None and fn.type == "identifier" and node_text(fn, self.src) in ("$transform", "$config"):
                return "none"
            return "uncertain"  # a helper function: what it does with the value is not followed
        if t == "pair":
            if parent.child_by_field_name("value") != node:
                return "none"
            return self.context(parent.parent, depth + 1) if parent.parent is not None else "none"
        if t in ("array", "spread_element"):
            return self.context(parent, depth + 1)
        if t == "object":  # a shorthand property
            return self.context(parent, depth + 1)
        if t == "variable_declarator":
            name = parent.child_by_field_name("name")
            if name is None or name.type != "identifier":
                return "uncertain"
            ident = node_text(name, self.src)
            best = "none"
            for use in self.uses.get(ident, ()):
                c = self.context(use, depth + 1)
                if c == "component":
                    return c
                if c == "uncertain" or (c == "exported" and best == "none"):
                    best = c
            exported = any(e == ("local", ident) for e in self.exports.values())
            return "exported" if (best == "none" and exported) else best
        if t == "export_statement":
            return "exported"
        if t in ("ternary_expression", "binary_expression") and parent.child_by_field_name("condition") != node:
            return self.context(parent, depth + 1)  # `cond ? a : b`, `a ?? b`
        if t in ("return_statement", "arrow_function", "assignment_expression"):
            return "uncertain"  # returned or stored: where it goes next is not followed
        return "none"  # read (`x.a`, `typeof x`), compared, or thrown away

    # -- pass 2: definitions --------------------------------------------------------------
    def extract(self) -> TsFile:
        self.collect_names()
        self._definitions(find(self.tree, self.tree.root_node, *DEFINING))
        self.previous = None  # keep no chain of old extractions alive
        return self.out

    def _definitions(self, nodes) -> None:
        for node in nodes:
            t = node.type
            if t == "call_expression":
                self._call(node)
            elif t == "new_expression":
                self._new(node)
            elif t == "object":
                self._object(node)

    def _node_key(self, node) -> tuple:
        """What a node's reading depends on besides the names: its bytes and the line they start
        on, with the text before them there (positions are lines and UTF-16 columns). Where the
        bytes sit in the file is not part of it: an edit that adds no line moves what follows it."""
        line_start = self.src.rfind(b"\n", 0, node.start_byte) + 1
        return (node.start_point[0], self.src[line_start:node.end_byte])

    def node_at(self, rng: Range, node_type: str):
        """The node of ``node_type`` that spans ``rng`` in this file's tree, if any."""
        span = (self.index.point_of_position(rng.start), self.index.point_of_position(rng.end))
        return of_type(self.tree.root_node.descendant_for_point_range(*span), node_type, span, lambda n: (n.start_point, n.end_point))

    def binding(self, name: str):
        """What pass 1 bound ``name`` to, as a comparable key (computed once per extraction)."""
        found = self._bindings.get(name)
        if found is None:
            if name in self.consts:
                found = ("const", self._node_key(self.consts[name]))
            elif name in self.members:
                base, key = self.members[name]
                found = ("member", self._node_key(base) if not isinstance(base, (Ref, NameRef)) else repr(base), key)
            elif name in self.import_names:
                found = ("import", self.import_names[name])
            else:
                found = ("free",)
            self._bindings[name] = found
        return found

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
        if fn.type == "identifier" and node_text(fn, self.src) == "$transform":
            self._function_transform(args)
            return
        if fn.type != "member_expression":
            return
        prop = fn.child_by_field_name("property")
        if prop is None or node_text(prop, self.src) not in SUBSCRIBE_METHODS:
            return
        method = node_text(prop, self.src)
        obj = fn.child_by_field_name("object")
        owner = node_text(obj, self.src) if obj is not None else ""
        transforms = self.route_transforms.get(owner, [])
        for arg in args.named_children:
            value, reads = self._lookup_reading(arg)
            if isinstance(value, Ref):
                self._ref_def(arg, value, method, transforms)
                continue
            lit = string_lit(value, self.src, self.index)
            if lit is not None and HANDLER_SHAPE.match(lit.value):
                self._string_def(arg, lit, method, transforms, reads)
            elif value is not None and value.type == "object" and transforms:
                # the object is extracted by _object; remember the owner's transforms for it
                self._object(value, kind=method, transforms=transforms)

    def _ref_def(self, node, ref: Ref, kind: str, transforms: list) -> None:
        """A handler string or function arguments object that another module exports."""
        rng = self.index.range_of_node(node)
        self.out.functions.append(
            FunctionDef(
                file=self.path,
                kind=kind,
                handler=None,
                handler_range=rng,
                handler_lit=None,
                unresolved=node_text(node, self.src),
                transforms=list(transforms),
                pending=[("value", ref)],
                indent=line_indent(self.index, rng.start.line),
            )
        )

    def _function_transform(self, args) -> None:
        children = args.named_children
        if len(children) < 2 or node_text(children[0], self.src).replace(" ", "") not in ("sst.aws.Function",):
            return
        cb = children[1]
        for node in walk(cb):
            if node.type in ("assignment_expression", "augmented_assignment_expression"):
                self._runtime_assignment(node, self.out.function_transforms)
            elif node.type == "object" and node.parent is not None and node.parent.type in ("arrow_function", "parenthesized_expression", "return_statement"):
                self._object_transform_defaults(node, self.out.function_transforms)

    def _runtime_assignment(self, node, sink: list) -> None:
        left = node.child_by_field_name("left")
        right = self.resolve(node.child_by_field_name("right"))
        if left is None or right is None or not node_text(left, self.src).replace(" ", "").endswith(".runtime"):
            return
        op = node.child_by_field_name("operator")
        op_text = node_text(op, self.src) if op is not None else "="
        lit = string_lit(right, self.src, self.index)
        mode = "fill" if op_text in ("??=", "||=") else "override"
        if lit is None and right.type == "binary_expression":
            # args.runtime = args.runtime ?? "python3.12"
            r = self.resolve(right.child_by_field_name("right"))
            lit = string_lit(r, self.src, self.index)
            mode = "fill"
        if lit is not None:
            sink.append(RuntimeTransform(lit.value, mode, lit.full, self.path, lit.quote))

    def _object_transform_defaults(self, obj, sink: list) -> None:
        for child in obj.named_children:
            if child.type == "pair" and prop_name(child.child_by_field_name("key"), self.src) == "runtime":
                lit = string_lit(self.resolve(child.child_by_field_name("value")), self.src, self.index)
                if lit is not None:
                    sink.append(RuntimeTransform(lit.value, "override", lit.full, self.path, lit.quote))

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
                    for n in walk(cb):
                        if n.type in ("assignment_expression", "augmented_assignment_expression"):
                            self._runtime_assignment(n, sink)
        if sink:
            self.route_transforms[var] = sink

    def _pair_value(self, obj, key: str):
        for child in obj.named_children:
            if child.type == "pair" and prop_name(child.child_by_field_name("key"), self.src) == key:
                return self.resolve(child.child_by_field_name("value"))
        return None

    def _new(self, node) -> None:
        ctor = node.child_by_field_name("constructor")
        if ctor is None:
            return
        parts = node_text(ctor, self.src).replace(" ", "").split(".")
        if len(parts) == 3 and parts[0] in self.aws_aliases and parts[1] == "lambda" and parts[2] == "Function":
            # @pulumi/aws's own Function (SST101 reads it): its `handler` is not an SST function's
            args = node.child_by_field_name("arguments")
            obj = self.resolve(args.named_children[1]) if args is not None and len(args.named_children) >= 2 else None
            if obj is not None and obj.type == "object":
                self.seen_objects.add(obj.id)
            return
        args = node.child_by_field_name("arguments")
        if args is not None and len(args.named_children) >= 2:
            value = self.lookup(args.named_children[1])
            if isinstance(value, Ref):
                self._ref_def(args.named_children[1], value, ".".join(parts), [])

    # -- function argument objects ---------------------------------------------------------
    def _pairs(self, obj, depth: int = 0, sink: list | None = None, nodes: dict | None = None) -> dict[str, Pair]:
        """Pairs of an object, spreads of same-file consts resolved (later keys win).

        Spreads that cannot be resolved here go to ``sink``: ``("ref", Ref, keys set before
        it)`` for a value another module exports, ``("unknown", text)`` for anything else.
        ``nodes`` receives each key's value node.
        """
        out: dict[str, Pair] = {}
        for child in obj.named_children:
            if child.type == "spread_element" and depth < 4:
                inner = child.named_children[0] if child.named_children else None
                target = self.lookup(inner) if inner is not None else None
                if isinstance(target, Ref):
                    if sink is not None:
                        sink.append(("ref", target, frozenset(out)))
                elif target is not None and target.type == "object":
                    out.update(self._pairs(target, depth + 1, sink, nodes))
                elif sink is not None and inner is not None:
                    sink.append(("unknown", node_text(inner, self.src), self._spread_keys(target)))
            elif child.type == "pair":
                key_node = child.child_by_field_name("key")
                key = prop_name(key_node, self.src)
                value = child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                out[key] = self._pair(key, key_node, value, depth)
                if nodes is not None:
                    nodes[key] = value
            elif child.type == "shorthand_property_identifier":
                key = node_text(child, self.src)
                out[key] = self._pair(key, child, child, depth)
                if nodes is not None:
                    nodes[key] = child
        return out

    def _spread_keys(self, node) -> frozenset | None:
        """Keys a conditional spread may set (``...(c ? { a } : {})``, ``...(c && { a })``); None: any."""
        node = unwrap(node)
        if node is None:
            return None
        if node.type == "object":
            return frozenset(self._pairs(node, 4))
        if node.type in ("undefined", "null", "false"):
            return frozenset()
        if node.type == "ternary_expression":
            parts = [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")]
        elif node.type == "binary_expression":
            parts = [node.child_by_field_name("right")]
        else:
            return None
        keys: set = set()
        for part in parts:
            found = self._spread_keys(self.resolve(part)) if part is not None else None
            if found is None:
                return None
            keys |= found
        return frozenset(keys)

    def _pair(self, key: str, key_node, value_node, depth: int = 0) -> Pair:
        resolved = self.resolve(value_node)
        lit = string_lit(resolved, self.src, self.index)
        obj_pairs: tuple = ()
        if resolved is not None and resolved.type == "object" and depth < 4:
            # nested objects are read a few levels deep: `const a = { b: a }` must end
            obj_pairs = tuple(self._pairs(resolved, depth + 1).items())
        return Pair(
            key,
            self.index.range_of_node(key_node),
            self.index.range_of_node(value_node),
            node_text(value_node, self.src),
            lit,
            obj_pairs,
            node_type=value_node.type,
            evaluated=self.evaluate(value_node) if key in EVALUATED_KEYS else NOT_EVALUATED,
        )

    def evaluate(self, node, depth: int = 0):
        """The static value of an expression: str, bool, number, list, dict, a ``Ref``, or ``Unknown``."""
        value = self.lookup(node)
        if isinstance(value, Ref):
            return value
        if value is None or isinstance(value, NameRef) or depth > 8:
            return Unknown("value", "?")
        t = value.type
        if t in ("string", "template_string"):
            lit = string_lit(value, self.src, self.index)
            return lit.value if lit is not None else Unknown("value", node_text(value, self.src))
        if t in ("true", "false"):
            return t == "true"
        if t == "number":
            return node_text(value, self.src)
        if t == "array":
            items: list = []
            for child in value.named_children:
                if child.type == "spread_element" and child.named_children:
                    inner = self.evaluate(child.named_children[0], depth + 1)
                    items.extend(inner) if isinstance(inner, list) else items.append(inner)
                elif child.type != "comment":
                    items.append(self.evaluate(child, depth + 1))
            return items
        if t == "object":
            out: dict = {}
            for child in value.named_children:
                if child.type == "pair":
                    key = prop_name(child.child_by_field_name("key"), self.src)
                    if key is not None:
                        out[key] = self.evaluate(child.child_by_field_name("value"), depth + 1)
                elif child.type == "shorthand_property_identifier":
                    out[node_text(child, self.src)] = self.evaluate(child, depth + 1)
                elif child.type == "spread_element" and child.named_children:
                    inner = self.evaluate(child.named_children[0], depth + 1)
                    if isinstance(inner, dict):
                        out.update(inner)
                    else:
                        out.setdefault("...", []).append(inner)
            return out
        return Unknown("value", node_text(value, self.src))

    def handler_pair(self, obj):
        """The ``handler: …`` pair (or ``handler`` shorthand) written in an object literal, if any."""
        found = None
        for child in obj.named_children:
            if (child.type == "pair" and prop_name(child.child_by_field_name("key"), self.src) == "handler") or (
                child.type == "shorthand_property_identifier" and node_text(child, self.src) == "handler"
            ):
                found = child
        return found

    def _object(self, obj, kind: str | None = None, transforms: list | None = None) -> None:
        if obj.id in self.seen_objects:
            return
        # one look at its keys: the ``handler`` pair (the last one written), and the keys whose
        # string names a handler of another kind (see ``handler_pair`` for the first)
        handler_pair = None
        string_keys = []
        for child in obj.named_children:
            ct = child.type
            if ct == "pair":
                key = prop_name(child.child_by_field_name("key"), self.src)
                if key == "handler":
                    handler_pair = child
                if key in STRING_HANDLER_KEYS:
                    string_keys.append((child, key))
            elif ct == "shorthand_property_identifier" and node_text(child, self.src) == "handler":
                handler_pair = child
        for child, key in string_keys:
            value = child.child_by_field_name("value")
            looked, reads = self._lookup_reading(value)
            if isinstance(looked, Ref):
                if self.context(obj) == "component":
                    self._ref_def(value, looked, f"{key}", self._enclosing_transforms(obj))
                continue
            lit = string_lit(looked, self.src, self.index)
            if lit is not None and HANDLER_SHAPE.match(lit.value) and self.context(obj) == "component":
                self._string_def(value, lit, f"{key}", self._enclosing_transforms(obj), reads)
        if handler_pair is None:
            return
        value_node = handler_pair if handler_pair.type == "shorthand_property_identifier" else handler_pair.child_by_field_name("value")
        resolved = self.resolve(value_node)
        if resolved is not None and resolved.type in ("arrow_function", "function_expression", "function", "object"):
            return  # a transform callback, not a handler string
        context = "component" if kind is not None else self.context(obj)
        if context in ("none", "exported"):
            return  # never handed to a component here (an importing file may hand it over)
        self.seen_objects.add(obj.id)
        fd = self._function_from_object_memo(obj, kind or self._kind_of(obj), self._enclosing_transforms(obj) if transforms is None else transforms)
        if context == "uncertain":
            fd = copy_function(fd)
            fd.unknowns.append(Unknown("context", self._context_text(obj)))
        self.out.functions.append(fd)

    def _context_text(self, obj) -> str:
        node = obj
        while node.parent is not None and node.parent.type not in ("arguments", "return_statement", "arrow_function", "program"):
            node = node.parent
        parent = node.parent
        if parent is not None and parent.type == "arguments" and parent.parent is not None:
            fn = parent.parent.child_by_field_name("function")
            if fn is not None:
                return f"these arguments are passed to {node_text(fn, self.src)}(…), which the analysis does not follow into an SST component"
        return "these arguments are built where the analysis cannot see whether they reach an SST component"

    def _function_from_object_memo(self, obj, kind: str, transforms: list) -> FunctionDef:
        key = (self._node_key(obj), kind, tuple(transforms))
        entry = self.previous.memo.get(key) if self.previous is not None else None
        if entry is not None and all(self.binding(n) == b for n, b in entry[0]):
            self.reused += 1
        else:
            fd, reads = self.reading(lambda: self.function_from_object(obj, kind, transforms))
            entry = (tuple((n, self.binding(n)) for n in sorted(reads)), fd)
        self.memo[key] = entry
        return entry[1]  # the same object while reused: what follows from it is kept by identity (never changed in place)

    def function_from_object(self, obj, kind: str, transforms: list) -> FunctionDef:
        """The FunctionDef for an arguments object with a ``handler`` (the caller decides it is one)."""
        handler_pair = self.handler_pair(obj)
        sink: list = []
        nodes: dict = {}
        pairs = self._pairs(obj, sink=sink, nodes=nodes)
        fd = FunctionDef(
            file=self.path,
            kind=kind,
            handler=None,
            handler_range=self.index.range_of_node(obj),
            handler_lit=None,
            pairs=pairs,
            object_range=self.index.range_of_node(obj),
            transforms=list(transforms),
        )
        for item in sink:
            if item[0] == "ref":
                fd.pending.append(("spread", item[1], item[2]))
            elif item[2] != frozenset():
                fd.unknowns.append(Unknown("spread", item[1], item[2]))
        if handler_pair is not None:
            value_node = handler_pair if handler_pair.type == "shorthand_property_identifier" else handler_pair.child_by_field_name("value")
            looked = self.lookup(value_node)
            lit = string_lit(looked, self.src, self.index) if not isinstance(looked, Ref) else None
            fd.handler = lit.value if lit else None
            fd.handler_lit = lit
            fd.handler_range = self.index.range_of_node(value_node)
            fd.unresolved = None if lit else node_text(value_node, self.src)
            if lit is not None and value_node.type == "string":
                fd.handler_range = lit.range
            if isinstance(looked, Ref):
                fd.pending.append(("handler", looked))
            fd.runtime_insert, fd.indent = self._insertion_point(obj, handler_pair)
        elif "handler" in pairs:  # from a spread
            p = pairs["handler"]
            fd.handler = p.string.value if p.string else None
            fd.handler_lit = p.string
            fd.handler_range = p.string.range if p.string else p.value_range
            fd.unresolved = None if p.string else p.value_text
        for key in ("runtime", "bundle"):
            p = pairs.get(key)
            if p is not None and p.string is None and key in nodes:
                looked = self.lookup(nodes[key])
                if isinstance(looked, Ref):
                    fd.pending.append(("pair", looked, key))
        apply_runtime(fd)
        return fd

    def _enclosing_transforms(self, obj) -> list:
        # `api.route("GET /", { handler })` — the owner's transform applies
        parent = obj.parent
        if parent is not None and parent.type == "arguments":
            call = parent.parent
            if call is not None and call.type == "call_expression":
                fn = call.child_by_field_name("function")
                if fn is not None and fn.type == "member_expression":
                    owner = fn.child_by_field_name("object")
                    return self.route_transforms.get(node_text(owner, self.src), []) if owner is not None else []
        return []

    def _kind_of(self, obj) -> str:
        node = obj.parent
        while node is not None and node.type in ("arguments", "pair", "parenthesized_expression", "array", "object", "variable_declarator", "lexical_declaration"):
            if node.type == "pair":
                key = prop_name(node.child_by_field_name("key"), self.src)
                node = node.parent
                return f"{key}"
            node = node.parent
        if node is not None and node.type == "new_expression":
            ctor = node.child_by_field_name("constructor")
            return node_text(ctor, self.src).replace(" ", "") if ctor is not None else "function"
        if node is not None and node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                return node_text(prop, self.src) if prop is not None else "function"
        return "function arguments"

    def _insertion_point(self, obj, after) -> tuple[tuple[Position, str] | None, str]:
        """Where a new pair goes after ``after`` in ``obj``, in the object's own style."""
        after_range = self.index.range_of_node(after)
        obj_range = self.index.range_of_node(obj)
        multiline = obj_range.start.line != obj_range.end.line
        nxt = after.next_sibling
        has_comma = nxt is not None and nxt.type == ","
        indent = line_indent(self.index, after_range.start.line)
        if multiline and after_range.start.line != obj_range.start.line:
            if has_comma:
                pos = self.index.range_of_node(nxt).end
                return (pos, "\n" + indent + "{},"), indent
            return (after_range.end, ",\n" + indent + "{}"), indent
        if has_comma:
            pos = self.index.range_of_node(nxt).end
            return (pos, " {},"), indent
        return (after_range.end, ", {}"), indent

    def reading(self, compute, *, shared: bool = False) -> tuple:
        """``compute()`` and the names it looked up; ``shared``: they count as read by whoever
        records reads now too."""
        outer, self._reads = self._reads, set()
        try:
            value = compute()
        finally:
            reads, self._reads = self._reads, outer
        if shared and outer is not None:
            outer |= reads
        return value, frozenset(reads)

    def _lookup_reading(self, node) -> tuple:
        """``lookup(node)`` and the names it read (also recorded for whoever records reads now)."""
        return self.reading(lambda: self.lookup(node), shared=True)

    def _string_def(self, node, lit: StringLit, kind: str, transforms: list, reads: frozenset = frozenset()) -> None:
        direct = unwrap(node) is not None and unwrap(node).type in ("string", "template_string")
        rng = lit.range if direct else self.index.range_of_node(node)
        fd = FunctionDef(
            file=self.path,
            kind=kind,
            handler=lit.value,
            handler_range=rng,
            handler_lit=lit,
            transforms=list(transforms),
            indent=line_indent(self.index, rng.start.line),
        )
        if not direct:
            self.indirect[id(fd)] = reads  # (read through names: see ``_string_edit``)
        self.out.functions.append(fd)


def copy_function(fd: FunctionDef) -> FunctionDef:
    """A copy whose lists and dicts can be changed without touching ``fd``."""
    return replace(fd, pairs=dict(fd.pairs), unknowns=list(fd.unknowns), pending=list(fd.pending), transforms=list(fd.transforms))


def apply_runtime(fd: FunctionDef) -> None:
    """Set ``fd.runtime`` (and where it is written) from its ``runtime`` argument."""
    rt = fd.pairs.get("runtime")
    fd.runtime_unresolved = None
    if rt is None:
        fd.runtime = fd.runtime_range = fd.runtime_source = None
        return
    fd.runtime = rt.string.value if rt.string else None
    fd.runtime_range = rt.value_range if rt.file is None or rt.file == fd.file else None
    fd.runtime_source = "argument"
    if fd.runtime is None:
        m = re.search(r"Runtime\.(?:Python|NodeJS)(\d+)d(\w+)$", rt.value_text.replace(" ", ""))
        if m and "Python" in m.group(0):
            fd.runtime = f"python{m.group(1)}.{m.group(2)}"
        elif m:
            fd.runtime = f"nodejs{m.group(1)}.{m.group(2)}"
        else:
            fd.runtime_unresolved = rt.value_text


def parse(text: str, old_tree=None, parser=None):
    parser = parser or new_parser()
    src = parse_text(text).encode("utf-8")  # rows are then the LSP's lines, even with a lone \r
    return parser.parse(src, old_tree) if old_tree is not None else parser.parse(src)


def analyse(path: Path, text: str, tree=None, previous: TsFile | None = None) -> TsFile:
    """Extract what SST will see in one TypeScript file (``previous``: an earlier text's result,
    whose unchanged arguments objects are reused).

    When the text differs from ``previous``'s only inside one comment, and no position outside
    that comment moved, the extraction is ``previous``'s: same functions, same ``content``. When
    it differs only inside one string literal, only that line is read again (``_string_edit``).
    Either way the new ``TsFile``'s extractor reads its own text and tree: the names the earlier
    one bound are found again in it (``_rebased``)."""
    if tree is None:
        tree = parse(text)
    if previous is not None and previous.extractor is not None and previous.tree is not None and previous.extractor.text is previous.text:
        edit = _Edit.between(previous.extractor.src, text.encode("utf-8"))
        if edit.one_line and tree.root_node.has_error == previous.tree.root_node.has_error:
            if _inside_one_comment(previous, edit, tree) or (not tree.root_node.has_error and _comment_added(edit, tree)):
                ex = _rebased(path, previous, text, tree, edit)
                if ex is not None:
                    out = ex.out
                    out.functions, out.function_transforms, out.has_errors, out.content = previous.functions, previous.function_transforms, previous.has_errors, previous.content
                    ex.indirect = previous.extractor.indirect
                    out._derived.update(_nodewise_of(previous, edit))  # no node moved: what was read node by node stands
                    return out
            else:
                quick = _string_edit(path, previous, text, tree, edit)
                if quick is not None:
                    return quick
    return Extractor(path, text, tree, previous.extractor if previous is not None else None).extract()


class _Edit(NamedTuple):
    """How a text differs from an earlier one (UTF-8 bytes): ``old[start:old_end]`` became
    ``new[start:new_end]``, the longest common start and then end (``common_ends``)."""

    old: bytes
    new: bytes
    start: int
    old_end: int
    new_end: int

    @staticmethod
    def between(old: bytes, new: bytes) -> "_Edit":
        return _Edit(old, new, *common_ends(old, new))

    @property
    def delta(self) -> int:
        return self.new_end - self.old_end

    @property
    def one_line(self) -> bool:
        """No line break taken away or added (every line keeps its number)."""
        return not any(c in self.old[self.start:self.old_end] or c in self.new[self.start:self.new_end] for c in (b"\n", b"\r"))


def _nodewise_of(tf: TsFile, edit: _Edit | None = None) -> dict:
    """What ``tf`` read node by node; with ``edit`` (inside a comment: no node's position moved),
    each node's bytes as they are after it."""
    found = {k: v for k, v in tf._derived.items() if isinstance(k, tuple) and k[0] == "nodewise"}
    if edit is None or not edit.delta:
        return found
    at, delta = edit.start, edit.delta
    moved = lambda b: b + delta if b > at else b  # noqa: E731
    return {k: [(r, f, (moved(s), moved(e)), reads) for r, f, (s, e), reads in v] for k, v in found.items()}


def _rebased(path: Path, previous: TsFile, text: str, tree, edit: _Edit) -> "Extractor | None":
    """An extractor of ``text`` (parsed as ``tree``) that knows the names ``previous``'s bound:
    ``edit`` holds none of them (or holds them whole). Each name's node is found again in the new
    tree, moved by the edit; what ``previous`` read of its arguments objects is carried over. None
    when a node cannot be told."""
    before = previous.extractor
    p, old_end, delta = edit.start, edit.old_end, edit.delta
    root = tree.root_node

    def shifted(b: int):
        if b < p:
            return b
        if b > old_end or (b == old_end and old_end > p):
            return b + delta
        return None  # where text was inserted, or inside what was replaced

    def moved(node):
        span = (shifted(node.start_byte), shifted(node.end_byte))
        return None if None in span else of_type(root.descendant_for_byte_range(*span), node.type, span, lambda n: (n.start_byte, n.end_byte))

    ex = Extractor(path, text, tree, None)
    for name, value in before.consts.items():
        if (found := moved(value)) is None:
            return None
        ex.consts[name] = found
    for name, (base, key) in before.members.items():
        if (found := base if isinstance(base, (Ref, NameRef)) else moved(base)) is None:
            return None
        ex.members[name] = (found, key)
    for name, entry in before.exports.items():
        if entry[0] == "node":
            if (found := moved(entry[1])) is None:
                return None
            entry = ("node", found)
        ex.exports[name] = entry
    ex.import_names = dict(before.import_names)
    ex.star_exports = list(before.star_exports)
    ex.aws_aliases = set(before.aws_aliases)
    ex.route_transforms = dict(before.route_transforms)
    ex.out.imports = list(previous.imports)
    ex.memo = dict(before.memo)  # what its objects read, for the edits to come
    return ex


def _string_edit(path: Path, previous: TsFile, text: str, tree, edit: _Edit) -> TsFile | None:
    """The extraction of ``text`` when ``edit`` (one line, see ``analyse``) is inside one string
    literal (typing a handler's path, a runtime, a name), else None.

    Only the line of the edit is read again: the definitions that touch it (found by a query of
    that line's bytes) replace those of ``previous``, in place; every other function is the same
    object. Anything else (a quote typed, a module's name, a name whose value holds the string
    read by another function, a transform on that line) is extracted in full."""
    p, old_end, new_end, new = edit.start, edit.old_end, edit.new_end, edit.new
    before, after = _string_around(previous.tree, p, old_end), _string_around(tree, p, new_end)
    if before is None or after is None or before.start_byte != after.start_byte or after.end_byte != before.end_byte + edit.delta:
        return None  # not inside the same string literal
    if not (before.start_byte < p and old_end < before.end_byte):
        return None
    ex_before = previous.extractor
    node = before.parent
    while node is not None:  # a module's name (an import's, an export's source) binds names: read in full
        if node.type in ("import_statement", "export_statement") and node.child_by_field_name("source") is not None:
            return None
        if node.type == "call_expression" and (fn := node.child_by_field_name("function")) is not None and fn.type == "import":
            return None
        node = node.parent
    row = before.start_point[0]

    def spans_row(r) -> bool:
        return r is not None and _spans_row(r, row)

    redo = [i for i, fd in enumerate(previous.functions) if spans_row(fd.object_range or fd.handler_range) and fd.file == path]  # (a path compares in Python: last)
    if any(spans_row(t.range) for t in previous.function_transforms) or any(spans_row(t.range) for ts in ex_before.route_transforms.values() for t in ts):
        return None
    # names whose value holds the string, or lies on the edited line after it (its columns move):
    # another function that read one is read again (in full)
    old_line_end = _line_end(edit.old, old_end)
    moved = lambda node: node.end_byte > p and node.start_byte < old_line_end or node.start_byte <= p and node.end_byte >= old_end  # noqa: E731
    changed = {n for n, v in ex_before.consts.items() if moved(v)} | {n for n, (b, _) in ex_before.members.items() if not isinstance(b, (Ref, NameRef)) and moved(b)}
    if changed:
        redone = {id(previous.functions[i]) for i in redo}
        if changed & set(ex_before.route_transforms) or any(id(fd) not in redone and any(n in changed for n, _ in reads) for reads, fd in ex_before.memo.values()):
            return None
        if any(id(fd) not in redone and ex_before.indirect.get(id(fd), frozenset()) & changed for fd in previous.functions):
            return None  # a handler string read through such a name (``api.route("GET /", h)``)
    ex = _rebased(path, previous, text, tree, edit)
    if ex is None:
        return None
    ex.previous = ex_before  # (an object of the edited line that did not change is reused)
    line_start = new.rfind(b"\n", 0, p) + 1
    line_end = _line_end(new, new_end)
    ex._definitions(find_in_bytes(tree, line_start, line_end, *DEFINING))
    ex.previous = None
    again = ex.out.functions
    if ex.out.function_transforms or len(again) != len(redo) or any(fd.kind != previous.functions[i].kind for i, fd in zip(redo, again)):
        return None
    functions = list(previous.functions)
    for i, fd in zip(redo, again):
        functions[i] = fd
    gone = {id(previous.functions[i]) for i in redo}
    ex.indirect.update((i, names) for i, names in ex_before.indirect.items() if i not in gone)
    ex.out.functions = functions
    ex.out.function_transforms = list(previous.function_transforms)
    ex.out.edit_of = _EditedLine(row, line_start, line_end, _nodewise_of(previous), frozenset(changed), p, edit.delta)
    return ex.out


class _EditedLine(NamedTuple):
    """How a text came from an earlier one by an edit inside a string literal (``_string_edit``),
    for what is read node by node (``TsFile.nodewise``)."""

    row: int
    start: int  # the line's bytes in the new text
    end: int
    derived: dict  # the earlier text's ``nodewise`` facts
    changed: frozenset  # names whose value holds the string
    edit_start: int  # where the edit began (bytes; what lies after it moved by ``delta``)
    delta: int


def _string_around(tree, start: int, end: int):
    """The string literal whose content holds bytes ``start:end`` (an empty range: between two bytes)."""
    node = tree.root_node.descendant_for_byte_range(start, end)
    for _ in range(3):
        if node is None or node.type == "string":
            return node
        node = node.parent
    return None


def _inside_one_comment(previous: TsFile, edit: _Edit, tree) -> bool:
    """Whether ``edit`` (one line, see ``analyse``; ``tree`` is its new text's) is inside one
    comment that stays the same comment (its start and its end marker), on a line that it ends."""
    same, tail, new_tail = edit.start, edit.old_end, edit.new_end
    before, after = _covering(previous.tree, same, tail), _covering(tree, same, new_tail)
    if before is None or after is None or before.type != "comment" or after.type != "comment":
        return False
    if before.start_byte != after.start_byte or after.end_byte - before.end_byte != edit.delta:
        return False  # not the same comment: its opening or its end moved
    opener = edit.old[before.start_byte:before.start_byte + 2]
    if same < before.start_byte + 2 or (opener == b"/*" and tail > before.end_byte - 2):
        return False  # the edit touches `//`, `/*` or `*/`
    rest = edit.new[after.end_byte:after.end_byte + 1]
    return rest in (b"", b"\n", b"\r")  # else what follows the comment on its line moved (columns changed)


def _comment_added(edit: _Edit, tree) -> bool:
    """Whether ``edit`` (one line) only wrote a ``//`` comment where the line held nothing but
    blanks from there on: every node of the old text stands where it was."""
    old, new = edit.old, edit.new
    old_eol = _line_end(old, edit.old_end)
    if old[edit.start:old_eol].strip():
        return False  # text the edit replaced, or that follows it on the line, was code
    new_eol = _line_end(new, edit.new_end)
    written = new[edit.start:new_eol]
    first = edit.start + len(written) - len(written.lstrip())
    if not new.startswith(b"//", first):
        return False
    node = tree.root_node.descendant_for_byte_range(first, first + 2)
    return node is not None and node.type == "comment" and node.start_byte == first and node.end_byte <= new_eol and not new[node.end_byte:new_eol].strip()


def _line_end(src: bytes, at: int) -> int:
    ends = [i for i in (src.find(b"\n", at), src.find(b"\r", at)) if i >= 0]
    return min(ends) if ends else len(src)


def _covering(tree, start: int, end: int):
    """The smallest node holding bytes ``start:end`` (an empty range: the byte before it)."""
    if start == end and start > 0:
        start -= 1
    return tree.root_node.descendant_for_byte_range(start, end)
