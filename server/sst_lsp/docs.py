"""Rule pages generated from the rule docstrings (``docs/rules/<CODE>.md``)."""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "docs" / "rules"


def render_page(r) -> str:
    fix = {None: "none", "safe": "safe", "unsafe": "unsafe"}[r.fix.value if r.fix else None]
    eras = {"all": "every SST version (eras A, B and C)", "B": "SST 3.9.3 – 4.12.x (era B)"}.get(r.eras_label, f"eras {r.eras_label}")
    head = [
        f"# {r.code} {r.name}",
        "",
        f"- Default severity: **{r.severity.value}**",
        f"- Applies to SST versions: {eras}",
        f"- Fix: {fix}",
        "" if r.enabled_by_default else "- Off unless selected (`--select " + r.code + "`)\n",
    ]
    return "\n".join(head).rstrip() + "\n\n" + r.doc.strip() + "\n"


def write_pages(directory: Path = PAGES_DIR) -> list[Path]:
    from .rules.registry import load_all

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for r in load_all().values():
        page = directory / f"{r.code}.md"
        page.write_text(render_page(r), encoding="utf-8")
        written.append(page)
    return written


if __name__ == "__main__":
    for p in write_pages():
        print(p)
