"""Where each rule's page lives: ``docs/rules/<CODE>.md`` inside the package."""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "docs" / "rules"


def rule_doc_uri(code: str) -> str:
    """A link to the rule's page shipped inside the package."""
    return (PAGES_DIR / f"{code}.md").as_uri()
