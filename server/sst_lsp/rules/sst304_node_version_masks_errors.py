"""## What it does
Finds an app that uses an SST version older than 3.17.27 while its Node version, as written in
`.nvmrc`, `.node-version`, `package.json` `engines.node` or `volta.node`, is 24.7 or later.

## Why is this bad?
With Node 24.7 and later, the Pulumi version bundled with those SST releases crashes while
formatting a large AWS error object and prints only `RangeError: Invalid string length`: the real
deploy error is hidden (SST issues #6141, #6300, #6363). Nothing ties this to VPCs or to any one
resource. SST 3.17.27 upgraded Pulumi and fixed it.

## Example
```text
# .nvmrc
24
```
```json
{ "devDependencies": { "sst": "3.17.0" } }
```

## Use instead
Upgrade SST to 3.17.27 or later (`"sst": "^3.17.27"`). Until then, the real error is in the
deploy's event log, `.sst/pulumi/<update>/eventlog.json` (run with `SST_NO_CLEANUP=1` to keep
it): look at its `diagnosticEvent` entries with `severity: "error"`.

## Fix safety
No fix: upgrading SST is a dependency change to make and test deliberately. A Node version given
by a name (`node`, `latest`, `lts/*`) counts as the current release line.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from packaging.version import Version

from ..engine.era import ALL_ERAS
from ..engine.model import Related, Severity, Violation
from ..engine.positions import LineIndex, Position, Range, ZERO_RANGE
from .registry import rule

FIXED_IN = Version("3.17.27")
NODE_FIRST_BAD = (24, 7)
# names nvm / fnm / volta resolve to a release line that is 24.7 or newer today
CURRENT_NAMES = {"node", "latest", "current", "stable", "lts/*", "lts/krypton"}


def _nvmrc_version(text: str) -> str | None:
    """The newest Node an ``.nvmrc`` / ``.node-version`` spec selects, described, when ≥ 24.7."""
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    spec = first.lower()
    if spec in CURRENT_NAMES:
        return f'"{first}"'
    m = re.fullmatch(r"v?(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?", spec)
    if not m:
        return None
    major = int(m.group(1))
    minor = m.group(2)
    if minor is None or minor == "x":
        ok = major >= NODE_FIRST_BAD[0]  # the newest 24.x is past 24.7
    else:
        ok = (major, int(minor)) >= NODE_FIRST_BAD
    return f'"{first}"' if ok else None


@lru_cache(maxsize=1)
def _node_candidates():
    import semantic_version as sv

    return [sv.Version(f"{M}.{m}.{p}") for M in range(10, 31) for m in range(0, 25) for p in range(0, 12)]


def _engines_range(spec: str) -> bool:
    """An ``engines.node`` range that only admits Node 24.7+, or one 24+ release line that reaches it."""
    import semantic_version as sv

    try:
        npm = sv.NpmSpec(spec)
    except ValueError:
        return False
    admitted = [v for v in _node_candidates() if v in npm]
    if not admitted:
        return False
    low, high = min(admitted), max(admitted)
    bad = sv.Version(f"{NODE_FIRST_BAD[0]}.{NODE_FIRST_BAD[1]}.0")
    if low >= bad:
        return True
    bounded = sv.Version("99.0.0") not in npm
    return bounded and low.major >= NODE_FIRST_BAD[0] and high >= bad


def _json_value_range(text: str, *keys: str) -> Range:
    """Range of the string value of ``keys`` (nested) in a JSON text, found by scanning."""
    index = LineIndex.of(text)
    pos = 0
    for key in keys[:-1]:
        m = re.compile(rf'"{re.escape(key)}"\s*:\s*\{{').search(text, pos)
        if not m:
            return ZERO_RANGE
        pos = m.end()
    m = re.compile(rf'"{re.escape(keys[-1])}"\s*:\s*"([^"]*)"').search(text, pos)
    if not m:
        return ZERO_RANGE
    return index.range_of_offsets(m.start(1) - 1, m.end(1) + 1)


@rule("SST304", "node-version-masks-errors", Severity.INFO, eras=ALL_ERAS, scope="disk")
def check(project):
    info = project.era_info
    if info.version is None or info.version >= FIXED_IN or info.version.major < 3:
        return
    found = []  # (path, range, description)
    for name in (".nvmrc", ".node-version"):
        path = project.root / name
        text = project.fs.read_text(path)
        if text is None:
            continue
        desc = _nvmrc_version(text)
        if desc:
            line = next((i for i, ln in enumerate(text.split("\n")) if ln.strip() and not ln.strip().startswith("#")), 0)
            raw = text.split("\n")[line].rstrip("\r")
            start = len(raw) - len(raw.lstrip())
            found.append((path, Range(Position(line, start), Position(line, len(raw.rstrip()))), f"{desc} in {name}"))
    pkg_path = project.root / "package.json"
    text = project.fs.read_text(pkg_path)
    if text is not None:
        try:
            pkg = json.loads(text)
        except ValueError:
            pkg = None
        if isinstance(pkg, dict):
            engines = pkg.get("engines")
            node = engines.get("node") if isinstance(engines, dict) else None
            if isinstance(node, str) and _engines_range(node):
                found.append((pkg_path, _json_value_range(text, "engines", "node"), f'"{node}" in package.json engines.node'))
            volta = pkg.get("volta")
            vnode = volta.get("node") if isinstance(volta, dict) else None
            if isinstance(vnode, str) and _nvmrc_version(vnode):
                found.append((pkg_path, _json_value_range(text, "volta", "node"), f'"{vnode}" in package.json volta.node'))
    if not found:
        return
    path, rng, desc = found[0]
    yield Violation(
        "SST304",
        path,
        rng,
        f"This app uses SST {info.version} (from {info.source}) with Node {desc}. With Node 24.7 and later, SST releases before "
        f"3.17.27 bundle a Pulumi version whose error formatter crashes on large AWS error objects: a failing deploy then shows only "
        f"`RangeError: Invalid string length` and hides the real error (SST issues #6141, #6300, #6363). Upgrade SST to 3.17.27 or "
        f"later, which upgraded Pulumi. Until then, the real error is in .sst/pulumi/<update>/eventlog.json (set SST_NO_CLEANUP=1 to keep it).",
        related=[Related(p, r, d) for p, r, d in found[1:]],
    )
