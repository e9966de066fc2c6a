"""What each Python function's code imports, and where in the artifact each import comes from.

For a function SST builds with its Python builder, ``handler_imports(project, pf)`` follows the
handler module's imports through the project's own files (``pyimports``) and classifies every
external top-level name:

- ``stdlib``: the standard library of the function's Python minor;
- ``runtime``: the Lambda runtime (``boto3``, ``botocore`` and their dependencies);
- ``project``: a file or package of the app (the handler's project, a workspace member);
- ``copyFiles``: placed into the zip by the function's ``copyFiles``;
- ``dependency``: a distribution the artifact holds (``distributions``), with the source of the
  module names;
- ``resembles``: not mapped, but a distribution whose modules are guessed has a similar name;
- nothing: the import fails in Lambda unless something the analysis cannot see provides it.

The result is memoised per handler inputs; parses are cached by file content, so a keystroke in
TypeScript costs a dictionary look-up per function.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from .components import container_option
from .distributions import ArtifactDistributions, artifact_distributions_at, stdlib_modules, table
from .positions import LineIndex, Range
from .project import PythonFunction
from .era import Era
from .uv_workspace import member_projects
from .zip_layout import copy_files, dist_dir_name, pythonpath_dirs
from .pyimports import MODULE, ExternalImport, ImportGraph, Resolver, build_graph


@dataclass(frozen=True)
class Provision:
    kind: str  # "stdlib" | "runtime" | "project" | "copyFiles" | "dependency" | "resembles"
    detail: str = ""
    dist: str | None = None


@dataclass
class Need:
    """One external top-level name the handler's code imports."""

    top: str
    strongest: ExternalImport
    sites: list[ExternalImport]
    provision: Provision | None


@dataclass
class HandlerImports:
    pf: PythonFunction
    minor: int | None
    minor_source: str
    graph: ImportGraph
    deps_of: object  # () -> ArtifactDistributions | None, computed when first asked (memoised)
    needs: dict[str, Need] = field(default_factory=dict)
    copy_targets: list[tuple[str, str]] | None = field(default_factory=list)
    project: object = None

    @property
    def not_visible(self) -> list[str]:
        """What could still provide a missing import out of the analysis' sight (errors become warnings)."""
        return _not_visible(self.project, self.pf, self)

    @property
    def deps(self) -> ArtifactDistributions | None:
        """What uv installs for the function's project (None when its pyproject.toml cannot be read)."""
        return self.deps_of()

    @property
    def missing(self) -> list[Need]:
        return [n for n in self.needs.values() if n.provision is None]


# -- copyFiles ---------------------------------------------------------------------------------


def copy_file_targets(project, fd) -> list[tuple[str, str]] | None:
    """``copyFiles`` of a function as (from, to) paths relative to the app root.

    [] when there is none; None when some of it cannot be evaluated statically (then what it
    copies is unknown, and no import can be called certainly missing). Values are followed
    through consts, spreads and imports (``zip_layout.copy_files``).
    """
    copied = copy_files(project, fd)
    if copied is None:
        return []
    if copied.unknown:
        return None
    return [(e.source, e.dest) for e in copied.entries]


def copied_top_names(project, targets: list[tuple[str, str]], pythonpath: list[str] = ()) -> dict[str, str]:
    """Top-level names ``copyFiles`` makes importable -> the entry that puts it there.

    At the zip's root, and in the folders ``PYTHONPATH`` adds (``/var/task/backend``).
    """
    out: dict[str, str] = {}
    for folder in (d for d in pythonpath if d != "."):
        for frm, to in targets:
            dest = (to.strip().lstrip("./") or ".").rstrip("/")
            if folder != dest and not folder.startswith(dest + "/") and dest != ".":
                continue
            inner = folder if dest == "." else folder[len(dest):].lstrip("/")
            label = f'copyFiles {{ from: "{frm}" }} on PYTHONPATH /var/task/{folder}'
            for e in project.fs.listdir(project.root / frm / inner):
                out.setdefault(e.name[:-3] if e.name.endswith(".py") else e.name, label)
    for frm, to in targets:
        dest = PurePosixPath(to.strip().lstrip("./") or ".")
        label = f'copyFiles {{ from: "{frm}"' + (f', to: "{to}"' if to != frm else "") + " }"
        if str(dest) in ("", "."):
            src = project.root / frm
            for e in project.fs.listdir(src):
                n = e.name
                out.setdefault(n[:-3] if n.endswith(".py") else n, label)
            continue
        head = dest.parts[0]
        out.setdefault(head[:-3] if len(dest.parts) == 1 and head.endswith(".py") else head, label)
    return out


# -- the analysis ------------------------------------------------------------------------------


def function_minor(project, pf: PythonFunction) -> tuple[int | None, str]:
    """The Python minor a function runs (runtime, else the project's pin)."""
    runtime = pf.runtime or ""
    if runtime.startswith("python3."):
        try:
            return int(runtime.split(".")[1]), f'runtime "{runtime}"'
        except ValueError:
            pass
    minor, where = project.python_minor(pf.project)
    if minor:
        return int(minor.split(".")[1]), where
    return None, ""


def lambda_module(project, pf: PythonFunction) -> str:
    """The module Lambda imports for this handler in the detected era (``functions.api``).

    SST 3.9.3–4.12 collapses a ``X/src/X/`` run of folders to ``X/``; SST 4.13+ prefixes the era-C
    fallback folder that found the file; otherwise the handler's path is the module's.
    """
    parts = [p for p in pf.target.file_part.split("/") if p not in ("", ".")]
    if pf.fd.has_bundle:
        return ".".join(parts)
    if project.era == Era.B:
        out, i = [], 0
        while i < len(parts):
            collapse = i + 3 < len(parts) and parts[i + 1] == "src" and parts[i] == parts[i + 2]
            out.append(parts[i])
            i += 3 if collapse else 1
        parts = out
    elif project.era == Era.C and pf.target.via_fallback:
        parts = [pf.target.via_fallback, *parts]
    return ".".join(parts)


def _module_root(project, pf: PythonFunction, module: str) -> Path | None:
    """The folder that plays the zip's root for the handler's own package."""
    d = pf.target.py_path.parent
    for _ in range(module.count(".")):
        d = d.parent
    root = str(project.root)
    return d if str(d) == root or str(d).startswith(root + os.sep) else None


def _roots(project, pf: PythonFunction, module_root: Path | None, deps_of) -> list[Path]:
    """Folders that act as the artifact's root for absolute imports of project code."""
    roots = [r for r in (module_root, project.root) if r is not None]
    pp = pf.project
    if pp is not None:
        deps = deps_of()
        for d in [pp.dir, *(deps.member_dirs if deps is not None else [])]:
            roots += [d / "src", d]
    return roots


def _start_files(project, pf: PythonFunction, module: str, module_root: Path | None) -> list[Path]:
    out = []
    if module_root is not None:
        cur = module_root
        for part in module.split(".")[:-1]:
            cur = cur / part
            if project.fs.is_file(cur / "__init__.py"):
                out.append(cur / "__init__.py")
    out.append(pf.target.py_path)
    return out


def handler_imports(project, pf: PythonFunction) -> HandlerImports | None:
    """The import analysis of one function (None when its handler file is unknown or ``bundle`` is set).

    Computed once for each function (several rules and the hover ask) and kept while what it read
    stands; its import graph is kept per inputs.
    """
    # kept while what it read stands; never rerun on its own (it holds this analysis's function):
    # what asked for it asks again
    return project.disk.memo.fetch(("handler-imports", id(pf)), lambda: _handler_imports(project, pf), transient=True)


def _handler_imports(project, pf: PythonFunction) -> HandlerImports | None:
    if pf.target.py_path is None or pf.fd.has_bundle:
        return None
    minor, minor_source = function_minor(project, pf)
    module = lambda_module(project, pf)
    copy = copy_file_targets(project, pf.fd)
    paths = pythonpath_dirs(project, pf.fd)
    key = (pf.target.py_path, module, minor, tuple(copy) if copy is not None else None, pf.project.path if pf.project else None, tuple(paths) if paths is not None else None)
    # the analysis kept per inputs holds no function, project or analysis: only what follows from the inputs
    compute = lambda: replace(_analyse(project, pf, minor, minor_source, module, copy, paths), pf=None, deps_of=None, project=None)  # noqa: E731
    hit = project.derive(("handler_imports", key), compute, transient=True)
    return HandlerImports(pf, hit.minor, minor_source, hit.graph, _lazy_deps(project, pf.project), hit.needs, hit.copy_targets, project)


def _parses(project, path: Path) -> bool:
    """Does the file parse with this interpreter's grammar? (The bindings read for SST103 already say.)"""
    module = project.python_module(path)
    return module is not None and module.syntax_error is None


def _lazy_deps(project, pp):
    """What uv installs for ``pp``, asked for when needed (and then a dependency of whoever asks)."""
    if pp is None or not pp.ok:
        return lambda: None
    path = pp.path
    return lambda: artifact_distributions_at(project, path)


def _analyse(project, pf, minor, minor_source, module, copy, paths) -> HandlerImports:
    module_root = _module_root(project, pf, module)
    deps_of = _lazy_deps(project, pf.project)
    resolver = Resolver(project.fs, lambda: _roots(project, pf, module_root, deps_of))
    graph = build_graph(project.fs, _start_files(project, pf, module, module_root), resolver, minor, lambda path: _parses(project, path))
    result = HandlerImports(pf, minor, minor_source, graph, deps_of, copy_targets=copy, project=project)
    externals = graph.strongest_external()
    if not externals:
        return result
    copied = copied_top_names(project, copy or [], paths or [])
    member_modules = project.derive("member_modules", lambda: {dist_dir_name(n): n for n in member_projects(project)}, reexec=True)
    std = stdlib_modules(minor)
    rt = table().runtime_modules
    for top, strongest in externals.items():
        sites = [e for e in graph.externals if e.site.top == top]
        result.needs[top] = Need(top, strongest, sites, _classify(top, std, rt, copied, member_modules, deps_of, minor))
    return result


def _classify(top, std, rt, copied, member_modules, deps_of, minor) -> Provision | None:
    if top in std:
        return Provision("stdlib", f"the standard library of Python 3.{minor}" if minor else "the standard library")
    if top in copied:
        return Provision("copyFiles", copied[top])
    if top in member_modules:
        return Provision("project", f'the workspace member "{member_modules[top]}"')
    deps = deps_of()
    if deps is not None:
        for p in deps.providers_of(top):
            via = deps.closure.get(p.dist)
            how = "declared" if via is None else f"pulled in by {via}"
            return Provision("dependency", f"{p.dist} ({how}; {p.describe()})", p.dist)
    if top in rt:
        return Provision("runtime", "the Lambda runtime (boto3, botocore and their dependencies ship with it)")
    if deps is not None:
        like = deps.resembling(top)
        if like:
            return Provision("resembles", f"probably {like[0]} (its module names are guessed: no .venv, not in sst-lsp's table)", like[0])
    return None


def _not_visible(project, pf: PythonFunction, hi: HandlerImports) -> list[str]:
    out = []
    if pf.fd.has_layers:
        out.append("the function has layers, whose content is not visible here")
    if hi.copy_targets is None:
        out.append("its copyFiles could not be read statically")
    if pythonpath_dirs(project, pf.fd) is None:
        out.append("its environment could not be evaluated, and a PYTHONPATH there may add folders")
    opt = container_option(pf.fd.pairs)
    if opt is not None and opt.enabled:
        out.append("it is a container image, whose Dockerfile may install more")
    if hi.graph.changes_sys_path:
        out.append(f"{project.rel(hi.graph.changes_sys_path[0])} changes sys.path")
    if hi.deps is None:
        out.append("its project's dependencies cannot be read")
    elif hi.deps.dynamic:
        out.append("its [project].dependencies are dynamic")
    elif not hi.deps.closure_known:
        out.append(hi.deps.unknown_reason or "what its dependencies pull in is not known")
    return out


def severity_is_certain(hi: HandlerImports, need: Need) -> bool:
    """An error is due only when the import runs at module level and nothing unseen could provide it."""
    return need.strongest.context == MODULE and not hi.not_visible and not (hi.deps and hi.deps.guessed())


def site_range(project, path: Path, site) -> Range:
    """The LSP range of an import statement (its first line when it spans several)."""
    index = LineIndex.of(project.fs.read_text(path) or "")
    start = index.position_of_point((site.line, site.col))
    if site.end_line == site.line:
        return Range(start, index.position_of_point((site.end_line, site.end_col)))
    return Range(start, index.position_of_point((site.line, len(index.line_text(site.line).rstrip("\r").encode("utf-8")))))


# -- words for hover and check -v --------------------------------------------------------------

KIND_WORDS = {
    "stdlib": "standard library",
    "runtime": "Lambda runtime",
    "project": "project",
    "copyFiles": "copyFiles",
    "dependency": "dependency",
    "resembles": "probably a dependency",
}


def describe(project, hi: HandlerImports) -> list[str]:
    """One line per imported top-level name: where it comes from in the artifact."""
    lines = []
    for need in sorted(hi.needs.values(), key=lambda n: (n.provision is None, n.provision.kind if n.provision else "", n.top)):
        p = need.provision
        where = f"{project.rel(need.strongest.file)}:{need.strongest.site.line + 1}"
        if p is None:
            lines.append(f"`{need.top}` — ⚠ nothing in the artifact provides it ({where})")
        elif p.kind in ("stdlib", "runtime"):
            continue
        else:
            lines.append(f"`{need.top}` — {KIND_WORDS[p.kind]}: {p.detail}")
    std = sorted(n.top for n in hi.needs.values() if n.provision and n.provision.kind == "stdlib")
    rt = sorted(n.top for n in hi.needs.values() if n.provision and n.provision.kind == "runtime")
    if rt:
        lines.append(f"{', '.join(f'`{t}`' for t in rt)} — Lambda runtime")
    if std:
        lines.append(f"{len(std)} standard-library module{'s' if len(std) != 1 else ''} ({', '.join(std[:6])}{', …' if len(std) > 6 else ''})")
    if hi.deps is not None and hi.deps.guessed():
        lines.append(f"module names guessed (no .venv, not in sst-lsp's table): {', '.join(hi.deps.guessed())}")
    for note in hi.not_visible:
        lines.append(f"not visible: {note}")
    return lines


def verbose_lines(project) -> list[str]:
    """For ``check -v``: each handler's imports and the source of every distribution mapping."""
    out = []
    for pf in project.python_functions:
        hi = handler_imports(project, pf)
        if hi is None:
            continue
        out.append(f"  {pf.target.text} imports:" if hi.needs else f"  {pf.target.text} imports nothing outside the project")
        out += [f"    {line.replace('`', '')}" for line in describe(project, hi)]
    return out

