"""Python runtimes: which ones SST's types accept and which ones AWS lets you deploy.

All dates and version boundaries live here, with their source, so rules never hard-code them.
Sources: SST's ``FunctionArgs.runtime`` union per release (facts §7) and AWS's
"Lambda runtimes" documentation (deprecation table).
"""

from __future__ import annotations

from packaging.version import Version

# (first SST version, Python minors its FunctionArgs.runtime type accepts)
SST_RUNTIME_TYPES = [
    (Version("3.0.0"), ("3.11",)),
    (Version("3.1.37"), ("3.9", "3.10", "3.11", "3.12")),
    (Version("4.1.1"), ("3.9", "3.10", "3.11", "3.12", "3.13")),
    (Version("4.13.0"), ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")),
]

# AWS: blocked runtimes cannot be created or updated; deprecated ones get no security patches.
AWS_BLOCKED = {"python2.7": None, "python3.6": None, "python3.7": None, "python3.8": None}
AWS_DEPRECATED = {"python3.9": ("2025-12-15", "2027-02-01")}  # (deprecated on, creation blocked from; AWS has moved this date)

# The runtime a fix proposes when the project pins nothing and the SST version is unknown.
FALLBACK_MINOR = "3.12"


def sst_accepted_minors(version: Version | None) -> tuple[str, ...]:
    if version is None:
        return SST_RUNTIME_TYPES[1][1]
    accepted = SST_RUNTIME_TYPES[0][1]
    for start, minors in SST_RUNTIME_TYPES:
        if version >= start:
            accepted = minors
    return accepted


def newest_accepted(version: Version | None, admitted: list[str] | None = None) -> str:
    """The newest Python minor the SST version accepts (and ``admitted`` allows, when given)."""
    if version is None and not admitted:
        return FALLBACK_MINOR
    minors = [m for m in sst_accepted_minors(version) if f"python{m}" not in AWS_DEPRECATED]
    if admitted:
        both = [m for m in minors if m in admitted]
        if both:
            minors = both
    return minors[-1] if minors else FALLBACK_MINOR
