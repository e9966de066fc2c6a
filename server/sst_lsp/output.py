"""Output formats of ``sst-lsp check``: text, json, sarif (2.1.0) and github (workflow commands).

Every formatter takes ``Item``s: a violation with its path relative to PATH (``rel``: text, json
and diffs) and relative to the current directory (``cwd_rel``: sarif and github, whose consumers
resolve paths from the repository root where CI runs).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from .engine.model import Severity, Violation
from .engine.positions import LineIndex, Position

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.HINT: "note"}
GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.HINT: "notice"}


@dataclass
class Item:
    rel: str
    cwd_rel: str
    v: Violation
    text: str | None = None  # the text the analysis read for v.path (for the source excerpt)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# -- text ------------------------------------------------------------------------------------

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_CYAN = "\x1b[36m"
_SEVERITY_COLOR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.INFO: "\x1b[1;34m", Severity.HINT: "\x1b[1;36m"}


def _paint(s: str, code: str, color: bool) -> str:
    return f"{code}{s}{_RESET}" if color and s else s


def _printable(ch: str) -> str:
    if ch == "\t":
        return ch
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
        return "?"
    return ch


def _pad(prefix: str) -> str:
    """Whitespace as wide on a terminal as ``prefix`` (tabs kept, wide characters doubled)."""
    out = []
    for ch in prefix:
        if ch == "\t":
            out.append("\t")
        elif unicodedata.combining(ch):
            continue
        else:
            out.append("  " if unicodedata.east_asian_width(ch) in ("W", "F") else " ")
    return "".join(out)


def excerpt(text: str | None, start: Position, end: Position) -> tuple[int, str, str] | None:
    """(1-based line number, source line, caret line under the range) or None."""
    if text is None:
        return None
    index = LineIndex.of(text)
    if start.line >= len(index.line_starts):
        return None
    line = index.line_text(start.line).rstrip("\r")
    line_start = index.line_starts[start.line]
    a = index.offset_of_position(start) - line_start
    b = index.offset_of_position(end) - line_start if end.line == start.line else len(line)
    a = max(0, min(a, len(line)))
    b = max(a, min(b, len(line)))
    shown = "".join(_printable(ch) for ch in line)
    width = max(1, len(_pad(line[a:b]).expandtabs(4)))
    return start.line + 1, shown, _pad(line[:a]) + "^" * width


def text_diagnostic(item: Item, *, color: bool = False, source: bool = True) -> list[str]:
    v = item.v
    sev = v.severity or Severity.ERROR
    mark = " " + _paint("[*]", _CYAN, color) if v.fix else ""
    head = f"{_paint(item.rel, _BOLD, color)}:{v.range.start.line + 1}:{v.range.start.character + 1}: {_paint(v.code, _SEVERITY_COLOR[sev], color)}{mark} {v.message}"
    lines = [head]
    if not source:
        return lines
    ex = excerpt(item.text, v.range.start, v.range.end)
    if ex is not None:
        number, src, carets = ex
        gutter = " " * len(str(number))
        bar = _paint("|", _DIM, color)
        lines.append(f" {_paint(str(number), _DIM, color)} {bar} {src}".rstrip())
        lines.append(f" {gutter} {bar} {_paint(carets, _SEVERITY_COLOR[sev], color)}")
    lines.append("")
    return lines


def text_summary(items: list[Item], n_apps: int, where: str) -> str:
    """The last line of the text output (unchanged from the first release)."""
    if not n_apps:
        return f"No sst.config.ts found under {where}."
    if not items:
        return f"All checks passed ({_plural(n_apps, 'app')})."
    counts = {s: sum(1 for it in items if it.v.severity == s) for s in Severity}
    fixable = sum(1 for it in items if it.v.fix)
    parts = [f"{n} {s.value}{'s' if n != 1 and s.value != 'info' else ''}" for s, n in counts.items() if n]
    return f"Found {_plural(len(items), 'problem')} ({', '.join(parts)}); {fixable} with a fix ([*])."


# -- json ------------------------------------------------------------------------------------


def format_json(items: list[Item]) -> str:
    out = {
        "diagnostics": [
            {
                "path": it.rel,
                "code": it.v.code,
                "severity": it.v.severity.value,
                "message": it.v.message,
                "range": it.v.range.to_json(),
                "fix": {"title": it.v.fix.title, "safety": it.v.fix.safety.value} if it.v.fix else None,
            }
            for it in items
        ]
    }
    return json.dumps(out, indent=2) + "\n"


# -- sarif -----------------------------------------------------------------------------------


def _uri(rel: str) -> str:
    return quote(rel, safe="/")


def _region(rng) -> dict:
    """SARIF region: 1-based lines and columns; columns are UTF-16 code units like our ranges."""
    return {
        "startLine": rng.start.line + 1,
        "startColumn": rng.start.character + 1,
        "endLine": rng.end.line + 1,
        "endColumn": rng.end.character + 1,
    }


def _location(uri_rel: str, rng) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(uri_rel), "uriBaseId": "%SRCROOT%"}, "region": _region(rng)}}


def format_sarif(items: list[Item], rules: dict, *, relpath, failures: list[tuple[str, str]] = ()) -> str:
    """One SARIF 2.1.0 log. ``rules``: code -> registry Rule; ``relpath``: absolute path -> cwd-relative posix path."""
    from . import __version__

    codes = list(rules)
    for it in items:  # a code the registry does not know still needs a rule entry
        if it.v.code not in rules and it.v.code not in codes:
            codes.append(it.v.code)
    index = {code: i for i, code in enumerate(codes)}
    descriptors = []
    for code in codes:
        r = rules.get(code)
        if r is None:
            descriptors.append({"id": code, "shortDescription": {"text": code}, "defaultConfiguration": {"level": "error"}})
            continue
        d = {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "helpUri": r.url,
            "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
            "properties": {"eras": r.eras_label, **({"fix": r.fix.value} if r.fix else {})},
        }
        if r.doc:
            d["help"] = {"text": r.doc, "markdown": r.doc}
        descriptors.append(d)
    results = []
    for it in items:
        v = it.v
        res = {
            "ruleId": v.code,
            "ruleIndex": index[v.code],
            "level": SARIF_LEVEL[v.severity or Severity.ERROR],
            "message": {"text": v.message},
            "locations": [_location(it.cwd_rel, v.range)],
        }
        if v.related:
            res["relatedLocations"] = [
                {"id": i, **_location(relpath(r.path), r.range), "message": {"text": r.message}} for i, r in enumerate(v.related)
            ]
        if v.fix:
            changes: dict[str, list] = {}
            for e in v.fix.edits:
                changes.setdefault(relpath(e.path), []).append({"deletedRegion": _region(e.range), "insertedContent": {"text": e.new_text}})
            res["fixes"] = [
                {
                    "description": {"text": v.fix.title},
                    "artifactChanges": [{"artifactLocation": {"uri": _uri(p), "uriBaseId": "%SRCROOT%"}, "replacements": reps} for p, reps in changes.items()],
                }
            ]
            res["properties"] = {"fixSafety": v.fix.safety.value}
        results.append(res)
    run = {
        "tool": {"driver": {"name": "sst-lsp", "version": __version__, "semanticVersion": __version__, "rules": descriptors}},
        "columnKind": "utf16CodeUnits",
        "invocations": [
            {
                "executionSuccessful": not failures,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": f"internal error in rule {code}: {err}"}, "associatedRule": {"id": code}} for code, err in failures
                ],
            }
        ],
        "results": results,
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


# -- github ----------------------------------------------------------------------------------


def github_escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(s: str) -> str:
    return github_escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github_line(item: Item) -> str:
    v = item.v
    r = v.range
    props = [
        f"file={github_escape_property(item.cwd_rel)}",
        f"line={r.start.line + 1}",
        f"col={r.start.character + 1}",
        f"endLine={r.end.line + 1}",
        f"endColumn={r.end.character + 1}",
        f"title={github_escape_property(v.code)}",
    ]
    return f"::{GITHUB_LEVEL[v.severity or Severity.ERROR]} {','.join(props)}::{github_escape_data(v.message)}"


def format_github(items: list[Item]) -> str:
    return "".join(github_line(it) + "\n" for it in items)
