"""## What it does
Reports a file the analysis needs but cannot read, and why: a symbolic link that points out of
the workspace, a file over the size limit (2 MiB), a file that is not UTF-8 or is binary, or one
that cannot be opened (permission denied). The files it looks at are every `pyproject.toml` of the
app, `sst.config.ts` and the TypeScript files it loads (`infra/**/*.ts` and followed imports),
each handler's `.py` file, the `.python-version` files next to the root and the handler projects,
and the root `package.json`.

Where it is reported:
- a `pyproject.toml`, a TypeScript file, a `.python-version` or `package.json`: on the file
  itself, at its first line;
- a handler's `.py` file: on the handler string that names it (the file itself is shown as
  related information), because that is where the unchecked function is defined.

Lockfiles (`uv.lock`, `package-lock.json` …) are not reported: large ones routinely exceed the
size limit, and the SST version is then read from the next source (`package.json`).

## Why is this bad?
An unreadable file is treated as absent, so every check that needs it stays silent: a broken
handler or workspace can go unnoticed. Some of these files break the deploy too: uv refuses a
`pyproject.toml` that is not UTF-8 (`failed to read from file …: stream did not contain valid
UTF-8`): in a workspace that includes it, `uv sync` fails and SST stops at
`failed to run uv sync: exit status 2`.

## Example
A `core/pyproject.toml` saved in Latin-1 (`# Maître d'école` in a comment).

## Use instead
Save it as UTF-8; keep project files inside the workspace and under 2 MiB.

## Fix safety
No fix: re-encoding or moving a file is the author's decision.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..engine.era import ALL_ERAS
from ..engine.model import Related, Severity, Violation
from ..engine.positions import ZERO_RANGE
from .registry import part, per_function, rule

# consequences, by kind of file, of sst-lsp not reading it
_SKIPPED = {
    "pyproject": "sst-lsp skipped it, so nothing in it (project name, workspace members, build system, requires-python) was checked",
    "ts": "sst-lsp skipped it, so the functions it defines were not checked",
    "python-version": "sst-lsp skipped it, so the Python version it pins was not used to check runtimes",
    "package.json": "sst-lsp skipped it, so the SST version (and with it SST's build behaviour) could not be read from it",
}


def _ts_candidates(project) -> list[Path]:
    """Every TypeScript file the analysis would load, readable or not (see Project.ts_paths)."""
    out: list[Path] = project.infra_files()
    for tf in project.ts_files:
        for spec in tf.imports:
            target = project._resolve_import(tf.path, spec)
            if target is not None:
                out.append(Path(os.path.abspath(target)))
    return list(dict.fromkeys(out))


def _pyprojects_needed(project) -> dict[Path, str]:
    out: dict[Path, str] = {}
    for path in project.toml_paths:
        if path.name == "pyproject.toml":
            part(project, "SST002", path, lambda path=path: project.pyproject(path) is not None)  # read, apart
            out[Path(os.path.abspath(path))] = "pyproject"
    return out


def _non_utf8_note(path: Path, reason: str) -> str:
    if "UTF-8" not in reason and "binary" not in reason:
        return ""
    if path.name == "pyproject.toml":
        return (
            " uv refuses it too (\"failed to read from file …: stream did not contain valid UTF-8\"): in a workspace "
            'that includes it, uv sync fails and SST stops at "failed to run uv sync: exit status 2".'
        )
    if path.suffix == ".py" and "UTF-8" in reason:
        return " Python expects UTF-8 source unless the file declares its encoding (PEP 263)."
    return ""


def _touch(project, pf) -> tuple | None:
    """What one function needs read, read (so that a reason to skip a file is recorded whichever
    rule ran first), and what was found: (the handler file's (path, reason to be skipped), the
    link out of the workspace on the way to a handler file, its project's ``.python-version``
    when that file is to be skipped); None when nothing was."""
    fs = project.fs
    handler_bad = link = version_bad = None
    if pf.target.py_path is not None:
        project.python_module(pf.target.py_path)
        bad = fs.unreadable.get(Path(os.path.abspath(pf.target.py_path)))
        handler_bad = bad and (bad.path, bad.reason)
    elif not pf.target.outside and pf.target.file_part and not pf.fd.has_bundle:
        # a link inside the app that points out of the workspace: the engine treats it as absent
        link = project.link_out_on_path(pf.target.file_part + ".py")
    if pf.project_path is not None:
        version = Path(os.path.abspath(pf.project_path.parent / ".python-version"))
        fs.read_text(version)
        version_bad = version if version in fs.unreadable else None
    return (handler_bad, link, version_bad) if handler_bad or link is not None or version_bad is not None else None


@rule("SST002", "unreadable-file", Severity.WARNING, eras=ALL_ERAS)
def check(project):
    fs = project.fs
    # path -> kind, for files reported on themselves: the app's pyproject.toml files (kept with the
    # disk model: a keystroke does not gather them again), then the others
    pyprojects = project.derive(("SST002", "pyprojects"), lambda: _pyprojects_needed(project), reexec=True)
    others: dict[Path, str] = {}

    # touch every file the analysis needs, so that its reason is recorded whichever rule ran first
    for path in _ts_candidates(project):
        project.ts_file(path)
        others.setdefault(path, "ts")
    for name, kind in ((".python-version", "python-version"), ("package.json", "package.json")):
        p = Path(os.path.abspath(project.root / name))
        fs.read_text(p)
        others.setdefault(p, kind)
    handlers, linked_out = [], []
    for pf, (handler_bad, link, version_bad) in per_function(project, "SST002", _touch):
        if handler_bad:
            handlers.append((pf, *handler_bad))
        elif link is not None:
            linked_out.append((pf, link))
        if version_bad is not None:
            others.setdefault(version_bad, "python-version")

    for path in list(fs.unreadable):  # (few or none)
        kind = pyprojects.get(path) or others.get(path)
        if kind is None:
            continue
        bad = fs.unreadable[path]
        rel = project.rel(path)
        yield Violation(
            "SST002",
            path,
            ZERO_RANGE,
            f"{rel} {bad.reason}: {_SKIPPED[kind]}.{_non_utf8_note(path, bad.reason)}",
        )

    seen: set = set()
    for pf, path, reason in handlers:
        fd = pf.fd
        key = (fd.file, fd.handler_range)
        if key in seen:
            continue
        seen.add(key)
        rel = project.rel(path)
        yield Violation(
            "SST002",
            fd.file,
            fd.handler_range,
            f"The handler's file {rel} {reason}: sst-lsp skipped it, so it could not check that "
            f'"{pf.target.function}" is defined there.{_non_utf8_note(path, reason)}',
            related=[Related(path, ZERO_RANGE, "the unreadable file")],
        )
    for pf, link in linked_out:
        fd = pf.fd
        key = (fd.file, fd.handler_range)
        if key in seen:
            continue
        seen.add(key)
        yield Violation(
            "SST002",
            fd.file,
            fd.handler_range,
            f"The handler's file {pf.target.file_part}.py is reached through {project.rel(link)}, a link that points outside the "
            f"workspace: sst-lsp does not follow it, so it could not check that the file exists and defines "
            f'"{pf.target.function}". SST itself follows the link; check that its target is what you deploy.',
            related=[Related(link, ZERO_RANGE, "the link")],
        )
