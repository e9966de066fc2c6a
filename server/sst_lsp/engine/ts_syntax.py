"""Public helpers on tree-sitter TypeScript nodes, for every module that reads a tree.

Positions come out as LSP positions (``LineIndex``); string values are unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from .positions import LineIndex, Position, Range


@dataclass(frozen=True)
class StringLit:
    """A string literal: its value, the range of its contents and its quote character."""

    value: str
    range: Range  # the contents, without quotes
    full: Range  # with quotes
    quote: str


def node_text(node, src: bytes) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", errors="replace")


def string_lit(node, src: bytes, index: LineIndex) -> StringLit | None:
    if node is None:
        return None
    if node.type == "string":
        raw = node_text(node, src)
        if len(raw) < 2:
            return None
        quote = raw[0]
        # an escape sequence always starts with a backslash (cheaper than asking for the children)
        value = unescape(raw[1:-1]) if "\\" in raw else raw[1:-1]
        full = index.range_of_node(node)
        inner = Range(Position(full.start.line, full.start.character + 1), Position(full.end.line, full.end.character - 1))
        return StringLit(value, inner, full, quote)
    if node.type == "template_string":
        raw = node_text(node, src)
        if "${" in raw and any(c.type == "template_substitution" for c in node.named_children):
            return None
        full = index.range_of_node(node)
        inner = Range(Position(full.start.line, full.start.character + 1), Position(full.end.line, full.end.character - 1))
        return StringLit(raw[1:-1], inner, full, "`")
    return None


def unescape(s: str) -> str:
    try:
        return s.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except Exception:
        return s


def unwrap(node):
    """Strip parentheses, `as const`, `satisfies`, non-null assertions."""
    while node is not None and node.type in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
        node = node.named_children[0] if node.named_children else None
    return node


def prop_name(key, src: bytes) -> str | None:
    if key.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
        return node_text(key, src)
    if key.type == "string":
        return node_text(key, src)[1:-1]
    return None


@lru_cache(maxsize=None)
def _compiled(language, types: tuple):
    from tree_sitter import Query

    return Query(language, " ".join(f"({t}) @{t}" for t in types))


@lru_cache(maxsize=None)
def _query(language, types: tuple):
    from tree_sitter import QueryCursor

    return QueryCursor(_compiled(language, types))


# The node types the engine looks for: one query finds them all, once per tree (a query's cost is
# its walk of the tree, ~2 ms for a 2,000-line file, whatever it keeps).
SEARCHED = ("variable_declarator", "import_statement", "export_statement", "identifier", "shorthand_property_identifier", "call_expression", "new_expression", "object")
_searched_in: list = []  # [(tree, {type: nodes in document order})], newest last: the trees being read now


def _by_type(tree) -> dict:
    for known, found in _searched_in:
        if known is tree:
            return found
    found = {t: sorted(nodes, key=_preorder) for t, nodes in _query(tree.language, SEARCHED).captures(tree.root_node).items()}
    _searched_in.append((tree, found))
    del _searched_in[:-4]
    return found


def find(tree, node, *types: str) -> list:
    """The nodes of these types under ``node`` of ``tree`` (itself included), in document order.

    Matched by a tree-sitter query, in C: a Python walk of a 2,000-line file visits ~14,000 nodes
    to keep a few hundred. Under the root, for the ``SEARCHED`` types, every caller shares one
    query of the tree."""
    if node == tree.root_node and all(t in SEARCHED for t in types):
        by_type = _by_type(tree)
        if len(types) == 1:
            return list(by_type.get(types[0], ()))
        return sorted((n for t in types for n in by_type.get(t, ())), key=_preorder)
    found = [n for nodes in _query(tree.language, types).captures(node).values() for n in nodes]
    return sorted(found, key=_preorder)


def find_in_bytes(tree, start: int, end: int, *types: str) -> list:
    """The nodes of these types that overlap bytes ``start:end`` of ``tree`` (those that hold them
    included), in document order: a query of a few bytes costs a walk of the nodes over them."""
    from tree_sitter import QueryCursor

    cursor = QueryCursor(_compiled(tree.language, types))  # (its own: the shared cursor reads whole trees)
    cursor.set_byte_range(start, end)
    return sorted((n for nodes in cursor.captures(tree.root_node).values() for n in nodes), key=_preorder)


def of_type(node, node_type: str, span: tuple, span_of):
    """``node`` (the deepest node over ``span``, as ``descendant_for_…_range`` gives it), or the
    ancestor spanning exactly as much, when one is of ``node_type``; else None."""
    while node is not None and node.type != node_type and span_of(node) == span:
        node = node.parent
    return node if node is not None and node.type == node_type and span_of(node) == span else None


def _preorder(node):
    # an ancestor starts where its first descendant does, and ends later: it comes first
    return (node.start_byte, -node.end_byte)


def walk(node) -> Iterator:
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


def line_indent(index: LineIndex, line: int) -> str:
    text = index.line_text(line)
    return text[: len(text) - len(text.lstrip(" \t"))]


