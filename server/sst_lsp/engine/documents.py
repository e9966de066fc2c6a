"""Open documents: their text, version and (for TypeScript) an incrementally maintained tree."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .positions import LineIndex, Range, parse_text
from .typescript import new_parser

log = logging.getLogger(__name__)


@dataclass
class OpenDocument:
    path: Path
    text: str
    version: int | None
    tree: object | None = None
    _parser: object | None = field(default=None, repr=False)

    @property
    def is_typescript(self) -> bool:
        return self.path.suffix in (".ts", ".tsx", ".mts", ".cts")

    def parse_full(self) -> None:
        if not self.is_typescript:
            return
        if self._parser is None:
            self._parser = new_parser()
        self.tree = self._parser.parse(parse_text(self.text).encode("utf-8"))

    def apply_changes(self, changes: list[tuple[Range | None, str]], version: int | None) -> None:
        """Apply LSP content changes in order; the tree is edited and reparsed incrementally.

        A copy of the tree is edited: the analyses of earlier texts keep theirs as it was (editing
        a tree moves its nodes in place, which would no longer match the text it was parsed from)."""
        tree = self.tree.copy() if self.tree is not None else None
        for rng, new_text in changes:
            if rng is None:
                self.text = new_text
                tree = None
                continue
            index = LineIndex.of(self.text)
            start = index.offset_of_position(rng.start)
            end = max(start, index.offset_of_position(rng.end))
            if start > 0 and self.text[start - 1] == "\r" and tree is not None:
                # text at start can turn a \r before it from a line break (lone) into part of
                # a \r\n and back: the edit covers that \r, so the tree never keeps a stale row
                start -= 1
                new_text = "\r" + new_text
            new_index = index.spliced(start, end, new_text)
            if tree is not None:
                if index.ascii:  # then code points are bytes
                    start_byte, old_end_byte = start, end
                else:
                    start_byte = len(self.text[:start].encode("utf-8"))
                    old_end_byte = start_byte + len(self.text[start:end].encode("utf-8"))
                new_end_byte = start_byte + len(new_text.encode("utf-8"))
                try:
                    tree.edit(start_byte, old_end_byte, new_end_byte, index.point_of_offset(start), index.point_of_offset(end), new_index.point_of_offset(start + len(new_text)))
                except Exception:  # the text is right whatever happens here: parse it afresh
                    log.exception("the tree of %s could not follow an edit; parsing it afresh", self.path)
                    tree = None
            self.text = new_index.text
        self.version = version
        if not self.is_typescript:
            return
        if self._parser is None:
            self._parser = new_parser()
        src = parse_text(self.text).encode("utf-8")
        self.tree = self._parser.parse(src, tree) if tree is not None else self._parser.parse(src)
