"""What rules produce: violations with their fixes. Plain data, no LSP types."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from .positions import Range


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1, "hint": 0}[self.value]


class Safety(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class TextEdit:
    path: Path
    range: Range
    new_text: str
    # True when ``path`` does not exist yet: the fix creates it, with ``new_text`` as its whole
    # content (``range`` is then the empty range at 0:0). LSP: a ``CreateFile`` resource operation
    # (overwrite: false, ignoreIfExists: false) followed by this insertion.
    creates: bool = False


@dataclass(frozen=True)
class Fix:
    title: str
    safety: Safety
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True)
class Related:
    path: Path
    range: Range
    message: str


@dataclass
class Violation:
    code: str
    path: Path
    range: Range
    message: str
    severity: Severity | None = None  # None: the rule's default
    fix: Fix | None = None
    related: list[Related] = field(default_factory=list)
    about: object | None = field(default=None, compare=False, repr=False)  # the FunctionDef it judges
