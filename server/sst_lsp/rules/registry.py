"""The rule registry: metadata and documentation for every code, and the runner.

A rule is one module: a ruff-style docstring (its documentation page) and one function
decorated with ``@rule(...)`` that yields ``Violation``s from a ``Project``.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import compress
from pathlib import Path
from typing import Callable, Iterable

from ..engine.era import ALL_ERAS, Era
from ..engine.model import Safety, Severity, Violation
from ..engine.memo import new_serial, serial_of
from ..engine.project import Latest, Project
from ..engine.typescript import EVALUATED_KEYS
from ..rule_docs import rule_doc_uri

log = logging.getLogger(__name__)

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Fix safety")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    eras: frozenset
    fix: Safety | None
    check: Callable[[Project], Iterable[Violation]]
    module: str
    enabled_by_default: bool = True
    severity_label: str | None = None  # when a rule reports different severities per case
    relies_on: frozenset = frozenset()  # function arguments its verdict depends on (see lowered)
    scope: str = "files"  # what it reads besides the disk model: see ``rule``

    @property
    def severity_text(self) -> str:
        return self.severity_label or self.severity.value

    @property
    def doc(self) -> str:
        return (sys.modules[self.module].__doc__ or "").strip()

    @property
    def summary(self) -> str:
        doc = self.doc
        marker = "## What it does"
        if marker in doc:
            body = doc.split(marker, 1)[1].strip().split("\n\n", 1)[0]
            return " ".join(body.split())
        return self.name

    @property
    def eras_label(self) -> str:
        if self.eras == ALL_ERAS:
            return "all"
        return ", ".join(sorted(str(e) for e in self.eras))

    def applies_to(self, era: Era | None) -> bool:
        if era is None:
            return self.eras == ALL_ERAS
        return era in self.eras

    @property
    def url(self) -> str:
        return rule_doc_uri(self.code)


RULES: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    severity: Severity,
    *,
    eras=ALL_ERAS,
    fix: Safety | None = None,
    enabled: bool = True,
    severity_label: str | None = None,
    relies_on=(),
    scope: str = "files",
):
    """Register a rule. ``relies_on``: the function arguments (``runtime``, ``copyFiles``, …) whose
    absence or value its verdict depends on; a violation ``about`` a function whose arguments the
    analysis could not fully see is then lowered (see ``lowered``).

    ``scope`` says what a rule reads besides the disk model, so that its results can be kept
    while what it reads is unchanged (with the same disk model):

    - ``"disk"``: nothing else (no TypeScript); kept while what it read on disk and in open
      documents is unchanged (see ``Memo``);
    - ``"function"``: each function on its own (its findings about one function never depend on
      another); rerun only for the functions whose facts changed;
    - ``"functions"``: the functions' facts together (it compares functions, or reports a file
      once for all of them); rerun when any function's facts change;
    - ``"files"``: the TypeScript files themselves (their text, components other than functions);
      rerun whenever a TypeScript file changes.

    Every scope's results are also recomputed when what they read of the disk model changed.
    """
    if scope not in ("disk", "function", "functions", "files"):
        raise ValueError(f"unknown scope {scope!r}")

    def register(fn):
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        RULES[code] = Rule(code, name, severity, frozenset(eras), fix, fn, fn.__module__, enabled, severity_label, frozenset(relies_on), scope)
        return fn

    return register


def lowered(r: Rule, v: Violation) -> Violation:
    """The severity contract: an error is a certainty, so one that depends on what the analysis
    could not see (whether the arguments reach a component at all, a spread that may set an
    argument the rule relies on) becomes a warning that says what was not seen."""
    fd = v.about
    if fd is None or v.severity is not Severity.ERROR:
        return v
    unseen = [
        u
        for u in getattr(fd, "unknowns", ())
        if u.kind == "context" or (u.kind == "spread" and r.relies_on and (u.keys is None or u.keys & r.relies_on))
    ]
    if not unseen:
        return v
    v.severity = Severity.WARNING
    v.message += " (Reported as a warning: the analysis could not see " + "; ".join(u.describe() for u in unseen[:3]) + ".)"
    return v


_LOADED: dict[str, Rule] = {}


def load_all() -> dict[str, Rule]:
    """Every rule, by code (the rule modules are imported once)."""
    if not _LOADED or len(_LOADED) != len(RULES):
        for info in pkgutil.iter_modules([str(Path(__file__).resolve().parent)]):
            if info.name.startswith("sst"):
                importlib.import_module(f"{__package__}.{info.name}")
        _LOADED.clear()
        _LOADED.update(sorted(RULES.items()))
    return dict(_LOADED)


class Facts:
    """A hashable stand-in for what rules may read of one function (or of all of them).

    Equal facts are kept as one object (``project.disk.kept(("facts", facts), …)``), whose
    ``serial`` (never given twice) stands for them in memo keys: an int hashes in C, where a key
    holding the object would call ``__hash__`` at every look-up."""

    __slots__ = ("value", "_hash", "serial")

    def __init__(self, value: tuple):
        self.value = value
        self._hash = hash(value)
        self.serial = new_serial()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, Facts) and self._hash == other._hash and self.value == other.value


@dataclass
class FunctionFacts:
    each: list  # (FunctionDef, Facts, its PythonFunctions), in the order of ``project.functions``
    together: Facts

    @cached_property
    def by_id(self) -> dict:
        """id of a ``FunctionDef`` -> its Facts."""
        return {id(fd): f for fd, f, _ in self.each}

    @cached_property
    def serials(self) -> list[int]:
        """Each function's facts' serial, in order: the keys of every rule's parts for this analysis."""
        return [f.serial for _, f, _ in self.each]

    @cached_property
    def by_facts(self) -> dict:
        """Facts -> (the ``FunctionDef``, its Python functions) of this analysis."""
        return {f: (fd, pfs) for fd, f, pfs in self.each}


GONE = object()  # what a kept part reran to when its function was not in the newest analysis


def _kept_part(project: Project, key, compute):
    """``compute()`` kept under ``key`` (reran after edits); made again when a rerun found its
    function gone (a value nothing should have read, but a key can come back: type, then undo)."""
    memo = project.disk.memo
    value = memo.peek(key, GONE)  # (an edit changes few parts: the others are current as they are)
    if value is not GONE:
        return value
    value = memo.fetch(key, compute, reexec=True, transient=True)
    if value is GONE:
        memo.forget(key)
        value = memo.fetch(key, compute, reexec=True, transient=True)
    return value


def function_now(project: Project, facts: Facts) -> tuple | None:
    """(FunctionDef, Python functions) with these facts in the newest analysis, None when gone.

    A kept part reruns after an edit (to learn whether its value changed), possibly in a later
    analysis than the one it was made in: it must read that analysis's objects, never the ones
    it was made with (their syntax nodes belong to an older tree). Asking depends on nothing: the
    caller depends on the function's facts (its key) and on what decided its Python functions."""
    memo = project.disk.memo
    current, _, _ = memo.capture(lambda: function_facts(project))
    return current.by_facts.get(facts)


def function_facts(project: Project) -> FunctionFacts:
    """Every function's facts, once per analysis: the ``FunctionDef``'s fields (positions included),
    the values read lazily from the syntax (``copyFiles``, ``environment``), and the transforms
    that apply to every function. They depend on the TypeScript only: kept while it is unchanged."""

    def compute() -> FunctionFacts:
        python = project.python_by_function()
        facts, together = project.disk.kept(("function-facts", project.ts_key), lambda: _facts(project))
        return FunctionFacts([(fd, f, python.get(id(fd), [])) for fd, f in zip(project.functions, facts)], together)

    return project.once("function-facts", compute)


def _facts(project: Project) -> tuple[list, Facts]:
    app = project.app_transforms
    # a FunctionDef the extraction reused (the same object, see ``Extractor``) under the same
    # app-wide transforms has the facts it had: only the functions an edit re-read are hashed again
    fds, app_serial = project.functions, serial_of(app)
    # asked for as one group (``Memo.fetch_all``): an edit costs the functions it re-read
    out = project.disk.memo.fetch_all(
        ("function-facts-of", app_serial), [serial_of(fd) for fd in fds], lambda i: lambda fd=fds[i]: _function_facts(project, fd, app), reexec=False, prefix=("facts-of", app_serial)
    )
    together = Facts(tuple(out))
    return out, project.disk.kept(("facts", together), lambda: together)


def _function_facts(project: Project, fd, app: tuple) -> Facts:
    lazy = tuple(repr(project.argument_value(fd, k)) if k in fd.pairs else None for k in LAZY_ARGUMENTS)
    facts = Facts((fd_fields(fd), lazy, app))
    # the equal Facts of an earlier analysis, if any: compared in depth once, then by identity
    return project.disk.kept(("facts", facts), lambda: facts)


LAZY_ARGUMENTS = tuple(sorted(EVALUATED_KEYS))  # values read from the syntax (Project.argument_value)


def fd_fields(fd) -> tuple:
    return (
        fd.file, fd.kind, fd.handler, fd.handler_range, fd.handler_lit, fd.unresolved, fd.runtime, fd.runtime_range,
        fd.runtime_source, tuple(fd.pairs.items()), fd.object_range, fd.runtime_insert, fd.indent, tuple(fd.transforms),
        fd.lit_file, tuple(fd.unknowns), tuple(fd.pending), fd.runtime_unresolved, fd.use_file, fd.use_range,
    )  # fmt: skip


class OneFunction:
    """The project as a rule of scope ``"function"`` sees it when asked about one function."""

    def __init__(self, project: Project, fd, pfs: list):
        self._project = project
        self.functions = [fd]
        self.python_functions = pfs

    def __getattr__(self, name):
        return getattr(self._project, name)


def function_results(project: Project, r: Rule) -> list[Violation]:
    """A rule of scope ``"function"``, run for the functions whose facts changed; the others' results are kept."""
    memo = project.disk.memo
    facts = function_facts(project)

    latest = Latest(project.disk)

    def check(f) -> list[Violation]:
        now = function_now(latest, f)  # the function as it is when this runs (again)
        if now is None:
            return GONE  # not in the newest analysis: nothing asks for this result now
        fd, pfs = now
        memo.replay(*latest.python_deps(fd))  # what deciding its Python functions read
        return list(r.check(OneFunction(latest, fd, pfs)))

    def every() -> list[Violation]:
        # each function's result reruns when what it read changed, to learn whether it did: its
        # inputs are the function's facts (its key) and the disk model, which any analysis with
        # that key shares. Asked for as one group: an edit costs the functions it changed
        each = facts.each
        found = memo.fetch_all(("rule-parts", r.code), facts.serials, lambda i: lambda f=each[i][1]: check(f), GONE, prefix=("rule", r.code))
        return [v for vs in found if vs for v in vs]

    return memo.fetch(("rule", r.code, facts.together.serial), every, transient=True)


def part(project: Project, code: str, key, compute):
    """One item's share of a rule's work (a file, a function), memoised apart: after an edit it is
    recomputed only when what it read changed, and when its value is the same the rule's result
    stands. ``compute()`` may read the disk model and what ``key`` names, nothing else."""
    return _kept_part(project, ("part", code, key), compute)


def per_function(project: Project, code: str, compute) -> list[tuple]:
    """``[(pf, compute(project, pf))]`` for the Python functions whose value is not empty (None,
    ``[]``: nothing found), in order. Each value is a ``part`` keyed by its function's facts
    (``compute`` may read the function, its TypeScript facts and the disk), asked for as one
    group: an edit costs the functions it changed, and the empty values are left out in C."""
    pfs = project.python_functions
    if not project.disk.keeps_results:
        found = [compute(project, pf) for pf in pfs]
    else:
        facts, serials = _python_function_facts(project)
        found = project.disk.memo.fetch_all(("parts", code), serials, lambda i: _group_part(project, (facts[i],), lambda group: compute(project, group[0])), GONE, prefix=("function-part", code))
    return list(compress(zip(pfs, found), found))


def _python_function_facts(project: Project) -> tuple[list, list]:
    """(each Python function's Facts, their serials), once per analysis: the keys of every
    ``per_function`` rule's parts."""

    def compute():
        by_id = function_facts(project).by_id
        facts = [by_id[id(pf.fd)] for pf in project.python_functions]
        return facts, [f.serial for f in facts]

    return project.once("python-function-facts", compute)


def per_groups(project: Project, code: str, groups: dict, compute):
    """The findings of ``compute(key, pfs)`` for each ``key -> Python functions`` of ``groups``
    (those of one project …), in order. Each is a part keyed by ``key`` and the functions' facts,
    all asked for as one group (``Memo.fetch_all``: an edit costs the groups it changed).
    ``compute`` may read ``key``, the functions it is given (those of the analysis it runs in) and
    the disk. (A FunctionDef has at most one Python function: its facts name it.)"""
    if not project.disk.keeps_results:
        for key, pfs in groups.items():
            yield from compute(key, pfs)
        return
    by_id = function_facts(project).by_id
    items = list(groups.items())
    facts = [tuple(by_id[id(pf.fd)] for pf in pfs) for _, pfs in items]
    # (the serials first: keys that differ are told apart by them, in C, before a path's __eq__ runs)
    keys = [("part", code, (tuple(f.serial for f in fs), key)) for (key, _), fs in zip(items, facts)]
    for found in project.disk.memo.fetch_all(("groups", code), keys, lambda i: _group_part(project, facts[i], lambda now, key=items[i][0]: compute(key, now)), GONE):
        yield from found


def parts(project: Project, code: str, keys: list, compute_for) -> list:
    """``part`` for many keys (``compute_for(i)`` computes ``keys[i]``'s part), asked for as one
    group: an edit costs the parts whose key is new or whose inputs changed."""
    return project.disk.memo.fetch_all(("parts-of", code), keys, compute_for, GONE, prefix=("part", code))


def _group_part(project: Project, facts: tuple, compute):
    """The computation of a part for the functions with these facts (see ``per_groups``)."""
    memo = project.disk.memo

    def one():
        group = []
        for f in facts:
            now = function_now(project, f)  # as they are when this runs (again)
            if now is None or not now[1]:
                return GONE  # not in the newest analysis: nothing asks for this part now
            memo.replay(*project.python_deps(now[0]))  # what deciding they are Python functions read
            group.extend(now[1])
        return compute(group)

    return one


@dataclass
class RunResult:
    violations: list[Violation]
    failures: list[tuple[str, str]]  # (code, error) for rules that raised
    ran: set[str] = field(default_factory=set)  # codes that ran (selected and applicable to the era)


def run_rules(project: Project, *, select: set[str] | None = None, ignore: set[str] | None = None) -> RunResult:
    """Run every applicable rule; a rule that raises is logged and skipped, the others still run."""
    rules = load_all()
    out: list[Violation] = []
    failures: list[tuple[str, str]] = []
    ran: set[str] = set()
    era = project.era
    kept = project if not project.disk.keeps_results else Latest(project.disk)  # what kept results may rerun with
    for code, r in rules.items():
        if select is not None:
            if not any(code.startswith(s) for s in select):
                continue
        elif not r.enabled_by_default:
            continue
        if ignore and any(code.startswith(s) for s in ignore):
            continue
        if not r.applies_to(era):
            continue
        ran.add(code)
        try:
            if r.scope == "disk":  # the same disk model gives the same result: computed once, copied out
                found = [replace(v) for v in project.derive(("rule", code), lambda r=r: list(r.check(kept)), reexec=True)]
            elif not project.disk.keeps_results:  # (check analyses once: nothing to keep)
                found = list(r.check(project))
            elif r.scope == "files":  # kept while the TypeScript analyses and what it read are unchanged
                found = [replace(v) for v in project.disk.kept(("rule", code, project.ts_key), lambda r=r: list(r.check(kept)))]
            elif r.scope == "function":
                found = [replace(v) for v in function_results(project, r)]
            else:
                key = ("rule", code, function_facts(project).together.serial)
                found = [replace(v) for v in project.disk.kept(key, lambda r=r: list(r.check(kept)))]
            for v in found:
                if v.severity is None:
                    v.severity = r.severity
                out.append(lowered(r, v))
        except Exception as exc:  # isolate a faulty rule
            log.exception("rule %s failed on %s", code, project.root)
            failures.append((code, f"{type(exc).__name__}: {exc}"))
    out.sort(key=lambda v: (str(v.path), v.range.start.line, v.range.start.character, v.code))
    return RunResult(out, failures, ran)
