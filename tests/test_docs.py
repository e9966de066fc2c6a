"""The rule pages are generated from the rule docstrings; a stale page fails here."""

from sst_lsp.docs import PAGES_DIR, render_page
from sst_lsp.rules.registry import load_all


def test_rule_pages_are_fresh():
    rules = load_all()
    pages = {p.stem for p in PAGES_DIR.glob("*.md")}
    assert pages == set(rules), "run `python -m sst_lsp.docs` to regenerate docs/rules/"
    for code, r in rules.items():
        assert (PAGES_DIR / f"{code}.md").read_text(encoding="utf-8") == render_page(r), f"{code}.md is stale: run `python -m sst_lsp.docs`"


def test_readme_rules_table_is_fresh():
    from helpers import REPO
    from sst_lsp.docs import README_END, README_START, render_readme_table

    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text[text.index(README_START) + len(README_START) : text.index(README_END)].strip()
    assert table == render_readme_table(), "run `python -m sst_lsp.docs` to regenerate the README's rule table"
