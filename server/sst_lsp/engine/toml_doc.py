"""TOML files: values from ``tomllib``, exact positions from tree-sitter-toml, edits with tomlkit.

``TomlDocument.data`` is the parsed value (None when the file does not parse, with
``error`` and ``error_range`` set). ``key_range`` / ``value_range`` / ``element_range`` give the
source range of any key path, so diagnostics point at the key or array element itself.
``edit`` runs a tomlkit transformation and returns the minimal text edit.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from .positions import LineIndex, Position, Range, ZERO_RANGE, common_ends, utf16_len

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@lru_cache(maxsize=1)
def _parser():
    import tree_sitter_toml
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_toml.language()))


_ERR_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_ERR_EOF = re.compile(r"\(at end of document\)")


def _unquote(node, src: bytes) -> str:
    raw = src[node.start_byte:node.end_byte].decode("utf-8", errors="replace")
    if node.type == "bare_key":
        return raw
    try:
        return tomllib.loads(f"k = {raw}")["k"]
    except Exception:
        return raw.strip("\"'")


def _key_path(node, src: bytes) -> tuple[str, ...]:
    if node.type == "dotted_key":
        out: list[str] = []
        for child in node.named_children:
            out.extend(_key_path(child, src))
        return tuple(out)
    return (_unquote(node, src),)


@dataclass
class Located:
    key: Any  # tree-sitter node of the key (or table header key)
    value: Any  # tree-sitter node of the value (or the whole table)


@dataclass
class TomlDocument:
    text: str
    data: dict | None = None
    error: str | None = None
    error_range: Range = ZERO_RANGE
    index: LineIndex = field(init=False)
    _locs: dict[tuple, Located] = field(default_factory=dict)
    _tables: dict[tuple, Any] = field(default_factory=dict)
    _tree: Any = None
    _indexed: bool = True  # False: positions not found yet (``_positioned``)

    def __post_init__(self):
        self.index = LineIndex.of(self.text)

    @classmethod
    def parse(cls, text: str) -> "TomlDocument":
        doc = cls(text)
        try:
            doc.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            doc.error = str(exc)
            doc.error_range = doc._error_range(str(exc))
            return doc
        except RecursionError:
            doc.error = "nesting too deep to parse"
            return doc
        doc._indexed = False  # found when first asked for: most documents never report a position
        return doc

    def _error_range(self, msg: str) -> Range:
        m = _ERR_POS.search(msg)
        if m:
            line, col = int(m.group(1)) - 1, int(m.group(2)) - 1
            # tomllib counts lines at \n only (a lone \r, a line break for the LSP, is its error)
            offset, n = 0, 0
            while n < line and (nl := self.text.find("\n", offset)) != -1:
                offset, n = nl + 1, n + 1
            offset = min(offset + max(col, 0), len(self.text))
            end = offset + 1 if offset < len(self.text) and self.text[offset] not in "\r\n" else offset
            return self.index.range_of_offsets(offset, end)
        if _ERR_EOF.search(msg):
            end = self.index.end_position()
            return Range(end, end)
        return ZERO_RANGE

    def _positioned(self) -> "TomlDocument":
        if not self._indexed:
            self._indexed = True
            self._index_positions()
        return self

    def _index_positions(self) -> None:
        src = self.text.encode("utf-8")
        try:
            tree = _parser().parse(src)
        except Exception:  # pragma: no cover - tree-sitter never raises on text
            return
        self._tree = tree
        prefix: tuple[str, ...] = ()
        aot_counts: dict[tuple, int] = {}
        for top in tree.root_node.named_children:
            if top.type in ("table", "table_array_element"):
                keynode = next((c for c in top.named_children if c.type in ("bare_key", "quoted_key", "dotted_key")), None)
                if keynode is None:
                    continue
                prefix = _key_path(keynode, src)
                if top.type == "table_array_element":
                    n = aot_counts.get(prefix, 0)
                    aot_counts[prefix] = n + 1
                    prefix = prefix + (n,)
                self._tables[prefix] = top
                self._locs.setdefault(prefix, Located(keynode, top))
                for pair in top.named_children:
                    if pair.type == "pair":
                        self._index_pair(pair, prefix, src)
            elif top.type == "pair":
                self._index_pair(top, (), src)

    def _index_pair(self, pair, prefix: tuple, src: bytes) -> None:
        children = [c for c in pair.named_children if c.type != "comment"]  # a trailing comment is inside the pair
        if len(children) < 2:
            return
        key, value = children[0], children[-1]
        path = prefix + _key_path(key, src)
        self._locs[path] = Located(key, value)
        self._index_value(value, path, src)

    def _index_value(self, value, path: tuple, src: bytes) -> None:
        if value.type == "array":
            i = 0
            for child in value.named_children:
                if child.type == "comment":
                    continue
                self._locs[path + (i,)] = Located(child, child)
                self._index_value(child, path + (i,), src)
                i += 1
        elif value.type == "inline_table":
            for pair in value.named_children:
                if pair.type == "pair":
                    self._index_pair(pair, path, src)

    # -- queries -----------------------------------------------------------------------
    def get(self, *path, default=None):
        cur: Any = self.data
        for p in path:
            if isinstance(cur, dict) and isinstance(p, str) and p in cur:
                cur = cur[p]
            elif isinstance(cur, list) and isinstance(p, int) and 0 <= p < len(cur):
                cur = cur[p]
            else:
                return default
        return cur

    def has_table(self, *path) -> bool:
        return isinstance(self.get(*path), dict)

    def key_range(self, *path) -> Range | None:
        loc = self._positioned()._locs.get(tuple(path))
        return self.index.range_of_node(loc.key) if loc else None

    def value_range(self, *path) -> Range | None:
        loc = self._positioned()._locs.get(tuple(path))
        return self.index.range_of_node(loc.value) if loc else None

    def table_header_range(self, *path) -> Range | None:
        """Range of the ``[a.b]`` header line of a table, if written as a header."""
        node = self._positioned()._tables.get(tuple(path))
        if node is None:
            return None
        line = node.start_point[0]
        text = self.index.line_text(line).rstrip("\r")
        return Range(Position(line, 0), Position(line, utf16_len(text)))

    def best_range(self, *path) -> Range:
        """The most precise range known for ``path`` or one of its ancestors."""
        p = tuple(path)
        while p:
            r = self.key_range(*p)
            if r is not None:
                return r
            p = p[:-1]
        return ZERO_RANGE

    # -- edits -------------------------------------------------------------------------
    def edit(self, change: Callable[[Any], None]) -> tuple[Range, str] | None:
        """Apply ``change`` to a tomlkit document and return one minimal (range, text) edit.

        None when there is nothing to change, or when the document's shape does not allow the
        change (``members = "x"``, ``tool = 1`` …): a fix is then not offered, the diagnostic is.
        """
        import tomlkit

        try:
            doc = tomlkit.parse(self.text)
            change(doc)
            new = tomlkit.dumps(doc)
        except Exception as exc:  # a value of an unexpected type where the fix edits
            logging.getLogger(__name__).debug("no fix: the edit does not apply to this document (%s: %s)", type(exc).__name__, exc)
            return None
        return minimal_edit(self.text, new, self.index)


def minimal_edit(old: str, new: str, index: LineIndex | None = None) -> tuple[Range, str] | None:
    """The single replacement that turns ``old`` into ``new`` (common prefix and suffix kept)."""
    if old == new:
        return None
    index = index or LineIndex.of(old)
    start, end_old, end_new = common_ends(old, new)
    # never split a CRLF pair
    return index.range_of_offsets(start, end_old), new[start:end_new]


def close_matches(word: str, options, n: int = 1, cutoff: float = 0.6) -> list[str]:
    import difflib  # lazily: start-up does not need it
    return difflib.get_close_matches(word, list(options), n=n, cutoff=cutoff)
