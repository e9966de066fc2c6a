"""Which SST build era a project is in (facts §1), and where that answer came from."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .files import FileSystem


class Era(str, Enum):
    A = "A"  # 3.0.126 – 3.9.2: uv sync next to the handler
    B = "B"  # 3.9.3 – 4.12.x: uv workspace at the sst.config.ts dir
    C = "C"  # 4.13.0 and later: flexible layouts

    def __str__(self) -> str:
        return self.value


ALL_ERAS = frozenset(Era)

# The newest release of each major line known to the catalogue; a range stands for the newest
# release it admits (facts §1, item 4), so it is resolved against these.
NEWEST_KNOWN = {3: Version("3.19.3"), 4: Version("4.17.0")}

_B_START = Version("3.9.3")
_C_START = Version("4.13.0")


def era_of(version: Version) -> Era:
    if version < _B_START:
        return Era.A
    if version < _C_START:
        return Era.B
    return Era.C


@dataclass(frozen=True)
class EraInfo:
    version: Version | None
    era: Era | None
    source: str  # which file / setting said so, for hover and `check -v`

    def describe(self) -> str:
        if self.era is None:
            return f"SST version unknown ({self.source}); only rules that hold in every era ran"
        shown = f"{self.version.major}.{self.version.minor}.x" if self.version.micro >= _UNKNOWN_PATCH else str(self.version)
        return f"SST {shown} (era {self.era}, from {self.source})"


UNKNOWN = EraInfo(None, None, "no SST version found")


# patch releases are not all known: a range is resolved against x.y.0 … x.y.250 and shown as x.y.x
_UNKNOWN_PATCH = 250


@lru_cache(maxsize=1)
def _candidates() -> list:
    """Versions to resolve npm ranges against: every x.y.z up to the newest known of each major."""
    import semantic_version as sv

    out = []
    for major, newest in NEWEST_KNOWN.items():
        for minor in range(0, newest.minor + 1):
            top = newest.micro if minor == newest.minor else _UNKNOWN_PATCH
            out.extend(sv.Version(f"{major}.{minor}.{patch}") for patch in range(0, top + 1))
    return out


def newest_admitted(spec: str) -> Version | None:
    """The newest release an npm range admits (``^3`` → 3.19.3), or None."""
    spec = spec.strip()
    if not spec:
        return None
    if spec in ("latest", "*", "x", "next"):
        return max(NEWEST_KNOWN.values())
    if re.fullmatch(r"v?\d+\.\d+\.\d+", spec):
        return Version(spec.lstrip("v"))
    import semantic_version as sv

    try:
        npm = sv.NpmSpec(spec)
    except ValueError:
        return None
    best = npm.select(_candidates())
    if best is None:
        # a range above everything known: e.g. ">=5" — take its own lower bound
        m = re.search(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", spec)
        if m and int(m.group(1)) > max(NEWEST_KNOWN):
            return Version(".".join(g or "0" for g in m.groups()))
        return None
    return Version(str(best))


def _parse_version(text: str) -> Version | None:
    try:
        return Version(text.strip().lstrip("v"))
    except (InvalidVersion, AttributeError):
        return None


def _json(fs: FileSystem, path: Path):
    text = fs.read_text(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        # bun.lock is JSON with trailing commas
        try:
            return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
        except ValueError:
            return None


def _from_lockfiles(fs: FileSystem, root: Path) -> tuple[Version, str] | None:
    lock = _json(fs, root / "package-lock.json")
    if isinstance(lock, dict):
        pkg = (lock.get("packages") or {}).get("node_modules/sst") or (lock.get("dependencies") or {}).get("sst")
        if isinstance(pkg, dict) and (v := _parse_version(pkg.get("version", ""))):
            return v, "package-lock.json"
    text = fs.read_text(root / "pnpm-lock.yaml")
    if text:
        m = re.search(r"^\s+'?sst'?:\s*\n\s+specifier:.*\n\s+version:\s*'?([0-9][^\s'(]*)", text, re.M) or re.search(
            r"^\s+/?'?sst@([0-9][^\s:'(]*)", text, re.M
        )
        if m and (v := _parse_version(m.group(1))):
            return v, "pnpm-lock.yaml"
    bun = _json(fs, root / "bun.lock")
    if isinstance(bun, dict):
        entry = (bun.get("packages") or {}).get("sst")
        if isinstance(entry, list) and entry and isinstance(entry[0], str) and entry[0].startswith("sst@"):
            if v := _parse_version(entry[0][4:]):
                return v, "bun.lock"
    text = fs.read_text(root / "yarn.lock")
    if text:
        m = re.search(r'^"?sst@[^\n]*:\n(?:\s+[^\n]*\n)*?\s+version:?\s+"?([0-9][^"\s]*)', text, re.M)
        if m and (v := _parse_version(m.group(1))):
            return v, "yarn.lock"
    return None


def _catalog_range(fs: FileSystem, root: Path, ref: str) -> str | None:
    text = None
    for d in [root, *root.parents]:
        text = fs.read_text(d / "pnpm-workspace.yaml")
        if text is not None:
            break
    if not text:
        return None
    name = ref.split(":", 1)[1].strip()
    block = text
    if name and name != "default":
        m = re.search(rf"^catalogs:\s*\n(?:.*\n)*?\s+{re.escape(name)}:\s*\n((?:\s{{4,}}.*\n?)*)", text, re.M)
        block = m.group(1) if m else ""
    else:
        m = re.search(r"^catalog:\s*\n((?:\s+.*\n?)*)", text, re.M)
        block = m.group(1) if m else ""
    m = re.search(r"^\s+'?sst'?:\s*['\"]?([^'\"\n]+)", block, re.M)
    return m.group(1).strip() if m else None


def stated_version(cli: str | None, project_file: object, editor: str | None) -> tuple[str | None, str]:
    """The SST version someone stated, which wins over detection, and who stated it.

    The one place that decides: the ``--sst-version`` option, then ``[tool.sst-lsp] sst-version``
    in the app's pyproject.toml (so that the editor and CI judge alike), then the editor's
    ``sstVersion`` setting.
    """
    if cli:
        return cli, "the --sst-version option"
    if isinstance(project_file, str) and project_file:
        return project_file, "[tool.sst-lsp] sst-version"
    if editor:
        return editor, "the editor setting sstVersion"
    return None, ""


def detect_era(fs: FileSystem, root: Path, override: str | None = None, override_source: str = "[tool.sst-lsp] sst-version") -> EraInfo:
    """Detect the SST version in the order of facts §1; ``override`` (``[tool.sst-lsp]``) wins."""
    if override:
        # an exact x.y.z is taken as is; anything else ("4", "^3") like a package.json range
        v = newest_admitted(override)
        if v is not None:
            return EraInfo(v, era_of(v), override_source)
    installed = _json(fs, root / "node_modules" / "sst" / "package.json")
    if isinstance(installed, dict) and (v := _parse_version(str(installed.get("version", "")))):
        return EraInfo(v, era_of(v), "node_modules/sst/package.json")
    found = _from_lockfiles(fs, root)
    if found:
        return EraInfo(found[0], era_of(found[0]), found[1])
    text = fs.read_text(root / ".sst" / "platform" / "version")
    if text and (v := _parse_version(text)):
        return EraInfo(v, era_of(v), ".sst/platform/version")
    pkg = _json(fs, root / "package.json")
    if isinstance(pkg, dict):
        for section in ("dependencies", "devDependencies"):
            spec = (pkg.get(section) or {}).get("sst")
            if not isinstance(spec, str):
                continue
            if spec.startswith("catalog:"):
                spec = _catalog_range(fs, root, spec) or ""
            if spec.startswith(("workspace:", "file:", "link:")):
                continue
            spec = spec.removeprefix("npm:sst@")
            if v := newest_admitted(spec):
                return EraInfo(v, era_of(v), f'package.json {section} "sst": "{spec}"')
    return UNKNOWN
