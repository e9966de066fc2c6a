"""Settings: ``[tool.sst-lsp]`` in the app's root pyproject.toml, and the same keys from an editor.

Keys: ``select``, ``ignore`` (lists of codes or prefixes), ``severity`` (``{CODE = "warning"}``),
``sst-version`` and ``debounce-ms``. The project file wins over the editor, so the editor and
CI judge the same way. Every unknown key, code or severity is reported — never ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .era import newest_admitted
from .model import Severity

KEYS = ("select", "ignore", "severity", "sst-version", "debounce-ms")
# editors often spell keys in camelCase
_ALIASES = {"sstVersion": "sst-version", "debounceMs": "debounce-ms"}


@dataclass
class Settings:
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    sst_version: str | None = None
    debounce_ms: int | None = None

    def merged_over(self, base: "Settings") -> "Settings":
        """These settings, falling back to ``base`` for what they do not set."""
        return Settings(
            select=self.select if self.select is not None else base.select,
            ignore=self.ignore | base.ignore,
            severity={**base.severity, **self.severity},
            sst_version=self.sst_version or base.sst_version,
            debounce_ms=self.debounce_ms if self.debounce_ms is not None else base.debounce_ms,
        )


@dataclass(frozen=True)
class Problem:
    key: tuple  # path inside the settings table, e.g. ("severity", "SST999")
    message: str


def _code_ok(code: str, codes) -> bool:
    return any(c.startswith(code) for c in codes) and len(code) >= 3


def parse_settings(raw, codes) -> tuple[Settings, list[Problem]]:
    """Validate a settings mapping against the known rule ``codes``."""
    s = Settings()
    problems: list[Problem] = []
    if raw is None:
        return s, problems
    if not isinstance(raw, dict):
        return s, [Problem((), "settings must be a table")]
    for key, value in raw.items():
        name = _ALIASES.get(key, key)
        if name not in KEYS:
            problems.append(Problem((key,), f'unknown setting "{key}" (known: {", ".join(KEYS)})'))
            continue
        if name in ("select", "ignore"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(Problem((key,), f'"{key}" must be a list of rule codes or prefixes, e.g. ["SST1", "SST202"]'))
                continue
            good = set()
            for i, v in enumerate(value):
                code = v.strip().upper()
                if _code_ok(code, codes):
                    good.add(code)
                else:
                    problems.append(Problem((key, i), f'unknown rule code or prefix "{v}" in "{key}"'))
            if name == "select":
                s.select = good
            else:
                s.ignore = good
        elif name == "severity":
            if not isinstance(value, dict):
                problems.append(Problem((key,), '"severity" must be a table, e.g. { SST303 = "warning" }'))
                continue
            for code, sev in value.items():
                if code.upper() not in codes:
                    problems.append(Problem((key, code), f'unknown rule code "{code}" in "severity"'))
                    continue
                try:
                    s.severity[code.upper()] = Severity(str(sev).lower())
                except ValueError:
                    problems.append(Problem((key, code), f'unknown severity "{sev}" for {code} (use error, warning, info or hint)'))
        elif name == "sst-version":
            if not isinstance(value, str) or newest_admitted(value) is None:
                problems.append(Problem((key,), f'"sst-version" must be an SST version or npm range such as "3.17.0" or "^4", not {value!r}'))
            else:
                s.sst_version = value
        elif name == "debounce-ms":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
                problems.append(Problem((key,), '"debounce-ms" must be an integer number of milliseconds between 0 and 10000'))
            else:
                s.debounce_ms = value
    return s, problems
