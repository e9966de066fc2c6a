"""Helpers for the runtime rules (SST301–SST303): where a runtime is written, how it is judged.

Dates and version lists come from ``engine/runtimes.py`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ..engine.components import container_option
from ..engine.model import Severity
from ..engine.positions import Position, Range
from ..engine.project import admitted_minors
from ..engine.runtimes import AWS_BLOCKED, AWS_DEPRECATED, SST_RUNTIME_TYPES, newest_accepted, sst_accepted_minors

RUNTIME_RE = re.compile(r"python(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class RuntimeSite:
    """Where the effective runtime of a function is written (an argument or a transform)."""

    value: str
    file: Path
    range: Range  # what a diagnostic underlines
    literal: Range | None  # the string literal with its quotes, to replace; None when not a literal
    quote: str
    origin: str


def runtime_site(project, pf) -> RuntimeSite | None:
    """Where the runtime ``Project.effective_runtime`` picks is written."""
    fd = pf.fd
    t, _ = project.runtime_transform(fd)
    if t is not None:
        return RuntimeSite(t.runtime, t.file, t.range, t.range, t.quote, "transform")
    if fd.runtime is None:
        return None
    pair = fd.pairs.get("runtime")
    lit = pair.string if pair is not None else None
    if pair is not None and pair.file is not None and pair.file != fd.file:
        return RuntimeSite(fd.runtime, pair.file, pair.value_range, lit.full if lit else None, lit.quote if lit else '"', "argument")
    rng = fd.runtime_range or fd.handler_range
    return RuntimeSite(fd.runtime, fd.file, rng, lit.full if lit else None, lit.quote if lit else '"', "argument")


def is_container(pf) -> bool:
    """``python: { container }``: the image's own Python runs the code and installs the wheels (SST403)."""
    opt = container_option(pf.fd.pairs)
    return opt is not None and opt.enabled


def runtime_minor(runtime: str | None) -> tuple[int, int | None] | None:
    m = RUNTIME_RE.fullmatch((runtime or "").strip())
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def first_sst_accepting(minor: str) -> Version | None:
    for start, minors in SST_RUNTIME_TYPES:
        if minor in minors:
            return start
    return None


@dataclass(frozen=True)
class RuntimeProblem:
    severity: Severity
    why: str
    kind: str  # "blocked", "deprecated", "unknown-to-sst"


def runtime_problem(runtime: str, sst_version: Version | None) -> RuntimeProblem | None:
    """What SST302 says about a ``python*`` runtime, or None when it is supported."""
    parsed = runtime_minor(runtime)
    text = runtime.strip()
    if text.startswith("python2") or text in AWS_BLOCKED or (parsed and parsed[0] == 3 and parsed[1] is not None and parsed[1] < 9):
        return RuntimeProblem(
            Severity.ERROR,
            "AWS Lambda blocks this runtime, so creating or updating the function fails and the deploy with it",
            "blocked",
        )
    if text in AWS_DEPRECATED:
        deprecated, blocked = AWS_DEPRECATED[text]
        return RuntimeProblem(
            Severity.WARNING,
            f"AWS Lambda deprecated it on {deprecated}: it gets no more security patches, and creating functions with it "
            f"is blocked from {blocked} (a date AWS has moved before; see AWS's \"Lambda runtimes\" page)",
            "deprecated",
        )
    if parsed and parsed[0] == 3 and parsed[1] is not None and sst_version is not None:
        minor = f"3.{parsed[1]}"
        if minor not in sst_accepted_minors(sst_version):
            since = first_sst_accepting(minor)
            added = f"SST added it in {since}" if since else "no SST release known to sst-lsp lists it"
            return RuntimeProblem(
                Severity.WARNING,
                f"SST {sst_version}'s FunctionArgs.runtime type does not include it ({added}): TypeScript reports an error, "
                f"and the AWS provider bundled with that SST release may reject a runtime it does not know",
                "unknown-to-sst",
            )
    return None


def supported_replacement(project, pf) -> str:
    """The runtime an SST302 fix proposes: the project's own pin when supported, else the newest fitting one."""
    version = project.era_info.version
    accepted = [m for m in sst_accepted_minors(version) if f"python{m}" not in AWS_DEPRECATED]
    minor, _ = project.python_minor(pf.project)
    if minor in accepted:
        return f"python{minor}"
    return f"python{newest_accepted(version, project.admitted_python_minors(pf.project))}"


# -- requires-python / .python-version ------------------------------------------------------


def valid_spec(text) -> SpecifierSet | None:
    if not isinstance(text, str):
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def describe_minors(minors: list[str]) -> str:
    if not minors:
        return "no Python version Lambda offers"
    if len(minors) == 1:
        return f"only Python {minors[0]}"
    return f"Python {minors[0]}–{minors[-1]}"


def spec_for_minor(old: str, minor: str) -> str:
    """``requires-python`` moved to admit ``minor``: the same style when possible, else ``==3.X.*``."""
    target = f"==3.{minor.split('.')[1]}.*"
    spec = valid_spec(old)
    if spec is None:
        return target
    old_minors = admitted_minors(old)
    if len(old_minors) == 1:
        swapped = re.sub(r"3\.\d+", minor, old)
        if admitted_minors(swapped) == [minor]:
            return swapped
        return target
    kept = [s for s in spec if any(s.contains(f"{minor}.{p}") for p in (0, 1, 5, 10))]
    if not any(s.operator in (">=", ">", "~=", "==", "===") for s in kept):
        kept_text = [str(s) for s in kept] + [f">={minor}"]
    else:
        kept_text = [str(s) for s in kept]
    new = ",".join(sorted(kept_text, key=lambda s: (not s.startswith(">"), s)))
    if minor in admitted_minors(new):
        return new
    return target


def python_version_file(project, pf) -> Path | None:
    """The ``.python-version`` ``Project.python_minor`` would read (the project's, else the root's)."""
    where = pf.project.dir if pf.project is not None else None
    return project.derive(("python-version-file", where), lambda: _python_version_file(project, pf))


def _python_version_file(project, pf) -> Path | None:
    dirs = [pf.project.dir] if pf.project is not None else []
    if project.root not in dirs:
        dirs.append(project.root)
    for d in dirs:
        p = d / ".python-version"
        if project.fs.read_text(p):
            return p
    return None


PYVER_RE = re.compile(r"^(\s*)(cpython-)?(3\.\d+)(\.\d+)?")


def python_version_token(text: str) -> tuple[str, Range] | None:
    """The ``3.X`` in the first line of a ``.python-version`` and the range of the whole version."""
    first = text.split("\n", 1)[0].rstrip("\r")
    m = PYVER_RE.match(first)
    if not m:
        return None
    start = m.start(3)
    end = m.end(4) if m.group(4) else m.end(3)
    return m.group(3), Range(Position(0, start), Position(0, end))

