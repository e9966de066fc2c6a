"""Shapes seen in public SST apps that deploy and run: the checker must understand them.

Each case is written by hand after a pattern found in real projects (no project's code is
copied). It asserts the exact diagnostics: (code, path, 1-based line, severity); [] means the
app must be clean.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from helpers import run_check
from sst_lsp.engine.model import Severity

SST3 = '{"devDependencies": {"sst": "3.17.0"}}\n'
SST4 = '{"devDependencies": {"sst": "4.17.0"}}\n'
CONFIG = """\
/// <reference path="./.sst/platform/config.d.ts" />
export default $config({
  app(input) {
    return { name: "shapes", home: "aws" };
  },
  async run() {
%s
  },
});
"""
ROOT_WS = """\
[project]
name = "shapes"
version = "0.1.0"
requires-python = "==3.12.*"
dependencies = []

[tool.uv.workspace]
members = ["functions"]
"""
FUNCTIONS = """\
[project]
name = "functions"
version = "0.1.0"
requires-python = "==3.12.*"
dependencies = []

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
HANDLER = "def handler(event, context):\n    return {}\n"
APP = {
    "package.json": SST3,
    "pyproject.toml": ROOT_WS,
    "functions/pyproject.toml": FUNCTIONS,
    "functions/src/functions/__init__.py": "",
    "functions/src/functions/api.py": HANDLER,
}


def config(body: str) -> str:
    return CONFIG % textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text) if not rel.endswith(".json") else text, encoding="utf-8")
    return root


def found(root: Path) -> list[tuple[str, str, int, str]]:
    return sorted(
        (v.code, Path(os.path.relpath(v.path, root)).as_posix(), v.range.start.line + 1, v.severity.value) for v in run_check(root)
    )


GIT_SOURCE = """\
[project]
name = "functions"
version = "0.1.0"
requires-python = "==3.12.*"
dependencies = ["sst"]

[tool.uv.sources]
sst = { git = "https://github.com/sst/sst.git", subdirectory = "sdk/python", branch = "dev" }

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
# what uv writes when the dev branch still built `sst`: the commit is pinned in the source URL
LOCK_PINNED = """\
version = 1
revision = 3
requires-python = "==3.12.*"

[manifest]
members = ["functions", "shapes"]

[[package]]
name = "functions"
version = "0.1.0"
source = { editable = "functions" }
dependencies = [
    { name = "sst" },
]

[package.metadata]
requires-dist = [{ name = "sst", git = "https://github.com/sst/sst.git?subdirectory=sdk%2Fpython&branch=dev" }]

[[package]]
name = "shapes"
version = "0.1.0"
source = { virtual = "." }

[[package]]
name = "sst"
version = "0.1.0"
source = { git = "https://github.com/sst/sst.git?subdirectory=sdk%2Fpython&branch=dev#0123456789abcdef0123456789abcdef01234567" }
"""

TORCH_PROJECT = """\
[project]
name = "functions"
version = "0.1.0"
requires-python = "==3.12.*"
dependencies = ["torch>=2.4"]

[tool.uv.sources]
torch = [{ index = "cpu", marker = "sys_platform != 'darwin'" }]

[[tool.uv.index]]
name = "cpu"
url = "https://example.com/whl/cpu"
explicit = true

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
# uv records the requirement once per fork of the resolution
LOCK_MARKER_SPLIT = """\
version = 1
revision = 3
requires-python = "==3.12.*"
resolution-markers = [
    "sys_platform != 'darwin'",
    "sys_platform == 'darwin'",
]

[manifest]
members = ["functions", "shapes"]

[[package]]
name = "functions"
version = "0.1.0"
source = { editable = "functions" }
dependencies = [
    { name = "torch", version = "2.4.0", source = { registry = "https://example.com/simple" }, marker = "sys_platform == 'darwin'" },
    { name = "torch", version = "2.4.0+cpu", source = { registry = "https://example.com/whl/cpu" }, marker = "sys_platform != 'darwin'" },
]

[package.metadata]
requires-dist = [
    { name = "torch", marker = "sys_platform != 'darwin'", specifier = ">=2.4", index = "https://example.com/whl/cpu" },
    { name = "torch", marker = "sys_platform == 'darwin'", specifier = ">=2.4" },
]

[[package]]
name = "shapes"
version = "0.1.0"
source = { virtual = "." }
"""

def _books_app(copy_files: str) -> dict[str, str]:
    """A handler in packages/functions/src/ (era B: not where Lambda imports it) with this copyFiles."""
    return {
        "package.json": SST3,
        "pyproject.toml": ROOT_WS.replace('members = ["functions"]', 'members = ["packages/functions"]'),
        "packages/functions/pyproject.toml": FUNCTIONS + '\n[tool.hatch.build.targets.wheel]\npackages = ["src"]\n',
        "packages/functions/src/books.py": HANDLER,
        "sst.config.ts": config(f"""\
            new sst.aws.Function("Books", {{
              handler: "packages/functions/src/books.handler",
              copyFiles: {copy_files},
              runtime: "python3.12",
            }});"""),
    }


CASES: dict[str, tuple[dict[str, str], list[tuple[str, str, int, str]]]] = {
    # 1. uv installs the locked commit of a git source: it deploys; it breaks at the next re-lock
    "sdk-git-source-pinned-by-lock": (
        {**APP, "functions/pyproject.toml": GIT_SOURCE, "uv.lock": LOCK_PINNED,
         "sst.config.ts": config('new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.12" });')},
        [("SST208", "functions/pyproject.toml", 5, "info")],
    ),
    "sdk-git-source-no-lock": (
        {**APP, "functions/pyproject.toml": GIT_SOURCE,
         "sst.config.ts": config('new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.12" });')},
        [("SST208", "functions/pyproject.toml", 5, "error"), ("SST210", "pyproject.toml", 7, "info")],
    ),
    # a URL to an archive of an old tag is fixed content
    "sdk-tag-archive-url": (
        {**APP, "functions/pyproject.toml": FUNCTIONS.replace(
            "dependencies = []", 'dependencies = ["sst @ https://github.com/sst/sst/archive/refs/tags/v3.4.22.zip#subdirectory=sdk/python"]'),
         "sst.config.ts": config('new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.12" });')},
        [("SST210", "pyproject.toml", 7, "info")],
    ),
    # 2. marker-split lock entries are one requirement; a missing lock is advice
    "lock-marker-split": (
        {**APP, "functions/pyproject.toml": TORCH_PROJECT, "uv.lock": LOCK_MARKER_SPLIT,
         "sst.config.ts": config('new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.12" });')},
        [],
    ),
    # 3. SST 4.13+ copies the handler's own project as files: its wheel settings do not matter
    "hatch-packages-era-c": (
        {"package.json": SST4,
         "pyproject.toml": ROOT_WS.replace('members = ["functions"]', 'members = ["worker"]'),
         "worker/pyproject.toml": FUNCTIONS.replace('name = "functions"', 'name = "worker"') + '\n[tool.hatch.build.targets.wheel]\npackages = ["main"]\n',
         "worker/main.py": HANDLER,
         "sst.config.ts": config('new sst.aws.Function("Worker", { handler: "worker/main.handler", runtime: "python3.12" });')},
        [],
    ),
    # 4. copyFiles through a shared const spread into every function puts the module where Lambda imports it
    "copyfiles-shared-defaults": (
        {"package.json": SST3,
         "pyproject.toml": '[project]\nname = "shapes-backend"\nversion = "0.1.0"\nrequires-python = "==3.12.*"\ndependencies = []\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[tool.hatch.build.targets.wheel]\npackages = ["backend"]\n',
         "backend/__init__.py": "",
         "backend/auth.py": HANDLER,
         "backend/health/handler.py": HANDLER,
         "infra/lambdas.ts": """\
             const commonCopyFiles = [{ from: "backend", to: "backend" }];
             const base = {
               runtime: "python3.12" as const,
               copyFiles: commonCopyFiles,
               ...(process.env.ROLE ? { role: process.env.ROLE } : {}),
             };
             export const auth = new sst.aws.Function("Auth", { ...base, handler: "backend/auth.handler" });
             export const health = new sst.aws.Function("Health", { ...base, handler: "backend/health/handler.handler" });
             """,
         "sst.config.ts": config('await import("./infra/lambdas");')},
        [],
    ),
    # `to` defaults to `from`: a single file lands at its own path
    "copyfiles-file-without-to": (_books_app('[{ from: "packages/functions/src/books.py" }]'), []),
    # copyFiles the analysis cannot evaluate: the mismatch is a warning, not an error
    "copyfiles-unresolved": (_books_app('filesFor("books")'), [("SST106", "sst.config.ts", 8, "warning")]),
    # 5. a handler constant imported under an alias, handed to bus.subscribe: SST builds it as Node
    "imported-handler-const": (
        {**APP,
         "infra/scrapers/reddit.ts": 'const handler = "functions/src/functions/api.handler";\nexport { handler, handler as redditHandler };\n',
         "infra/bus.ts": """\
             import { redditHandler as rHandler } from "./scrapers/reddit";
             export const bus = new sst.aws.Bus("Bus");
             bus.subscribe("Reddit", rHandler, { pattern: { source: ["scrape"] } });
             """,
         "sst.config.ts": config('await import("./infra/bus");')},
        [("SST105", "infra/bus.ts", 3, "error")],
    ),
    # ... through a re-export and `const { a: b } = await import(...)`, an object property and shorthand
    "handler-through-reexport-and-dynamic-import": (
        {**APP,
         "infra/handlers/index.ts": 'export { handlers as all } from "./defs";\n',
         "infra/handlers/defs.ts": 'export const handlers = { api: "functions/src/functions/apii.handler" };\n',
         "infra/defaults.ts": 'export const python = { runtime: "python3.12" as const };\n',
         "sst.config.ts": config("""\
             const { all: h } = await import("./infra/handlers");
             const { python } = await import("./infra/defaults");
             const handler = h.api;
             new sst.aws.Function("Api", { ...python, handler });"""),
         },
        [("SST102", "infra/handlers/defs.ts", 1, "error")],
    ),
    # 6. a `handler:` key in a settings object that never reaches a component is no handler
    "handler-key-in-settings": (
        {**APP,
         "project.config.ts": """\
             export const projectConfig = {
               lambda: { runtime: "python3.12" as const, handler: "functions/src/handlers/index.handler" },
             };
             export type ProjectConfig = typeof projectConfig;
             """,
         "infra/app.ts": """\
             import { projectConfig } from "../project.config";
             const registry: { handler: string }[] = [];
             registry.push({ handler: "functions/src/nothing/here.handler" });
             export const api = new sst.aws.Function("Api", {
               handler: "functions/src/functions/api.handler",
               runtime: projectConfig.lambda.runtime,
             });
             """,
         "sst.config.ts": config('await import("./infra/app");')},
        [],
    ),
    # 8. a bundle's own Dockerfile decides the image's Python: agreeing with runtime is fine ...
    "container-bundle-dockerfile": (
        {**APP,
         "dist/worker/Dockerfile": "FROM public.ecr.aws/lambda/python:3.12\nCOPY . ${LAMBDA_TASK_ROOT}\n",
         "dist/worker/handler.py": HANDLER,
         "sst.config.ts": config("""\
             new sst.aws.Function("Worker", {
               bundle: "dist/worker",
               handler: "handler.handler",
               runtime: "python3.12",
               python: { container: true },
             });"""),
         },
        [],
    ),
    # ... and disagreeing is reported, with the version the image really runs
    "container-bundle-dockerfile-disagrees": (
        {**APP,
         "dist/worker/Dockerfile": "FROM public.ecr.aws/lambda/python:3.11\n",
         "dist/worker/handler.py": HANDLER,
         "sst.config.ts": config("""\
             new sst.aws.Function("Worker", {
               bundle: "dist/worker",
               handler: "handler.handler",
               runtime: "python3.12",
               python: { container: true },
             });"""),
         },
        [("SST403", "sst.config.ts", 11, "warning")],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_real_shape(case, tmp_path):
    files, expected = CASES[case]
    root = write(tmp_path / case, files)
    assert found(root) == sorted(expected)


def test_member_reached_through_a_link_is_a_member(tmp_path):
    """7. `functions -> packages/functions` with `packages/*` members: uv finds the member by name."""
    root = write(
        tmp_path / "app",
        {
            "package.json": SST3,
            "pyproject.toml": ROOT_WS.replace('members = ["functions"]', 'members = ["packages/*"]'),
            "packages/functions/pyproject.toml": FUNCTIONS,
            "packages/functions/src/functions/__init__.py": "",
            "packages/functions/src/functions/api.py": HANDLER,
               "sst.config.ts": config('new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.12" });'),
        },
    )
    os.symlink("packages/functions", root / "functions")
    assert [v for v in run_check(root) if v.code == "SST202"] == []
    # without the link's target among the members it is reported, and the fix names the real folder
    (root / "pyproject.toml").write_text(ROOT_WS.replace('members = ["functions"]', 'members = []'), encoding="utf-8")
    assert [v.code for v in run_check(root) if v.code == "SST202"] == ["SST202"]


def test_lowered_errors_say_what_was_not_seen(tmp_path):
    files, _ = CASES["copyfiles-unresolved"]
    root = write(tmp_path / "app", files)
    (v,) = [v for v in run_check(root) if v.code == "SST106"]
    assert v.severity is Severity.WARNING
    assert 'filesFor("books")' in v.message


def test_arguments_passed_to_a_helper_are_kept_but_lowered(tmp_path):
    root = write(
        tmp_path / "app",
        {**APP, "sst.config.ts": config('makeFunction("Api", { handler: "functions/src/functions/api.handler" });')},
    )
    (v,) = [v for v in run_check(root) if v.code == "SST105"]
    assert v.severity is Severity.WARNING
    assert "makeFunction(…)" in v.message


def test_no_member_fix_that_would_duplicate_a_name(tmp_path):
    """A project outside the members whose name a member already has: adding it would break uv."""
    root = write(
        tmp_path / "app",
        {
            "package.json": SST3,
            "pyproject.toml": ROOT_WS.replace('members = ["functions"]', 'members = ["packages/*"]'),
            "packages/functions/pyproject.toml": FUNCTIONS,
            "packages/functions/src/functions/__init__.py": "",
            "functions/pyproject.toml": FUNCTIONS,
            "functions/src/functions/__init__.py": "",
            "functions/src/functions/api.py": HANDLER,
            "sst.config.ts": config('new sst.aws.Function("Api", { handler: "functions/src/functions/api.handler", runtime: "python3.12" });'),
        },
    )
    (v,) = [v for v in run_check(root) if v.code == "SST202"]
    assert v.fix is None
