"""A generated corpus of malformed inputs: each case turns a copy of a small app into something broken.

Run as a script to write the corpus out (``python tests/malformed_corpus.py DEST``); the tests
build each case in a temporary directory instead. Every case has an id, the app it starts from,
a ``build(app, outside)`` that breaks the copy (``outside`` is a directory out of the workspace),
the files an editor would open, and the codes it must produce when those rules exist.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from helpers import BROKEN_APP, FIXTURES

BASE = FIXTURES / "SST202" / "not-member"  # root pyproject + a member + a handler
TEN_MB = 10 * 1024 * 1024


@dataclass
class Case:
    id: str
    build: Callable[[Path, Path], None]
    base: Path = BASE
    opened: list[str] = field(default_factory=list)  # files (relative to the app) an editor opens
    expect: set[str] = field(default_factory=set)  # codes that must be reported (if the rule exists)
    kind: str = ""


def _write(rel: str, data: bytes | str):
    def build(app: Path, outside: Path) -> None:
        p = app / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink() or p.exists():
            p.unlink()
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    return build


# -- TOML broken many ways ---------------------------------------------------------------------------
GOOD_ROOT = (BASE / "pyproject.toml").read_text(encoding="utf-8")
GOOD_MEMBER = (BASE / "functions" / "pyproject.toml").read_text(encoding="utf-8")

# (id, text, is a syntax error)
TOML_TEXTS: list[tuple[str, str, bool]] = [
    ("unclosed-table-header", "[tool.uv.workspace\nmembers = []\n", True),
    ("unclosed-array-table", "[[tool.uv.index]\nname = 'x'\n", True),
    ("unclosed-string", '[project]\nname = "app\nversion = "0.1.0"\n', True),
    ("unclosed-literal-string", "[project]\nname = 'app\n", True),
    ("unclosed-multiline-string", '[project]\ndescription = """never ends\n\n', True),
    ("unclosed-array", '[tool.uv.workspace]\nmembers = ["functions",\n', True),
    ("unclosed-inline-table", "[tool.uv.sources]\ncore = { workspace = true\n", True),
    ("duplicate-key", '[project]\nname = "a"\nname = "b"\n', True),
    ("duplicate-table", '[project]\nname = "a"\n[project]\nversion = "1"\n', True),
    ("dotted-key-conflict", 'project.name = "a"\n[project]\nversion = "1"\n', True),
    ("key-without-value", "[project]\nname =\n", True),
    ("value-without-key", '[project]\n= "x"\n', True),
    ("bad-escape", '[project]\nname = "\\q"\n', True),
    ("surrogate-escape", '[project]\nname = "\\uD800"\n', True),
    ("nul-in-string", '[project]\nname = "a\x00b"\n', True),
    ("lone-cr", '[project]\rname = "app"\r', True),
    ("bad-date", "[project]\nreleased = 2024-13-45\n", True),
    ("huge-integer", "[project]\nx = 99999999999999999999999999999999999999\n", False),
    ("deep-array-10000", "x = " + "[" * 10_000 + "]" * 10_000 + "\n", False),
    ("deep-inline-table-5000", "x = " + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n", False),
    ("deep-array-unclosed-10000", "x = " + "[" * 10_000 + "\n", True),
    ("name-is-int", "[project]\nname = 3\nversion = 4\n", False),
    ("name-is-table", "[project]\nname = { a = 1 }\n", False),
    ("name-is-array", '[project]\nname = ["a"]\n', False),
    ("project-is-string", 'project = "x"\n', False),
    ("project-is-array-of-tables", '[[project]]\nname = "a"\n', False),
    ("members-is-string", '[project]\nname = "app"\n[tool.uv.workspace]\nmembers = "x"\n', False),
    ("members-mixed", '[project]\nname = "app"\n[tool.uv.workspace]\nmembers = [1, {}]\n', False),
    ("members-nested", '[project]\nname = "app"\n[tool.uv.workspace]\nmembers = [[], ["functions"], true]\n', False),
    ("members-glob-garbage", '[project]\nname = "app"\n[tool.uv.workspace]\nmembers = ["[", "**/../../..", "/etc", ""]\n', False),
    ("exclude-is-int", '[project]\nname = "app"\n[tool.uv.workspace]\nmembers = ["functions"]\nexclude = 1\n', False),
    ("workspace-is-string", '[project]\nname = "app"\n[tool]\nuv = { workspace = "x" }\n', False),
    ("tool-is-int", "tool = 1\n", False),
    ("uv-is-array", "[project]\nname = 'app'\n[tool]\nuv = []\n", False),
    ("sources-wrong", '[project]\nname = "app"\n[tool.uv.sources]\ncore = 1\nfunctions = "x"\nother = { workspace = "yes", git = 3 }\n', False),
    ("dependencies-is-table", '[project]\nname = "app"\ndependencies = { a = 1 }\n', False),
    ("dependencies-garbage", '[project]\nname = "app"\ndependencies = [1, "", "?!", "sst @ git+", "a[", "b ; python_version >"]\n', False),
    ("requires-python-int", "[project]\nname = 'app'\nrequires-python = 310\n", False),
    ("requires-python-garbage", "[project]\nname = 'app'\nrequires-python = '>=3.10,,<<4'\n", False),
    ("build-system-string", '[project]\nname = "app"\nbuild-system = "x"\n', False),
    ("build-system-wrong", "[build-system]\nrequires = 'hatchling'\nbuild-backend = 3\n", False),
    ("hatch-packages-wrong", '[project]\nname = "app"\n[tool.hatch.build.targets.wheel]\npackages = "src"\n', False),
    ("sst-lsp-settings-wrong", '[project]\nname = "app"\n[tool.sst-lsp]\nsst-version = 3\nselect = "SST1"\nignore = [1]\nseverity = []\ndebounce-ms = "x"\n', False),
    ("sst-lsp-settings-is-string", '[project]\nname = "app"\n[tool]\nsst-lsp = "x"\n', False),
    ("sst-version-garbage", '[project]\nname = "app"\n[tool.sst-lsp]\nsst-version = "not.a.version"\n', False),
    ("empty", "", False),
    ("whitespace-only", " \n\t\n\r\n", False),
    ("comment-only", "# nothing here\n", False),
    ("bom", "\ufeff" + GOOD_ROOT, False),
    ("crlf", GOOD_ROOT.replace("\n", "\r\n"), False),
    ("very-long-key", "[project]\n" + "k" * 100_000 + " = 1\n", False),
    ("very-long-line-string", '[project]\nname = "' + "🐍" * 50_000 + '"\n', False),
    ("many-tables", "".join(f"[t{i}]\nx = {i}\n" for i in range(5_000)), False),
    ("unicode-keys", '[project]\n"名前" = "x"\nname = "e\u0301"\n', False),
]


def _toml_cases() -> list[Case]:
    cases = []
    for target in ("pyproject.toml", "functions/pyproject.toml", "core/pyproject.toml"):
        for name, text, syntax in TOML_TEXTS:
            if target != "pyproject.toml" and not syntax and name.startswith(("members", "workspace", "exclude", "sst-lsp", "sst-version")):
                continue  # workspace and settings tables only matter at the root
            expect = {"SST002"} if "\x00" in text else {"SST001"} if syntax else set()  # a NUL byte: a binary file
            cases.append(Case(f"toml:{target}:{name}", _write(target, text), opened=[target], expect=expect, kind="toml"))
    return cases


# -- sst.config.ts truncated -------------------------------------------------------------------------
def _truncated_configs(step: int = 13) -> list[Case]:
    data = (BROKEN_APP / "sst.config.ts").read_bytes()
    return [
        Case(f"truncated-config:{n}", _write("sst.config.ts", data[:n]), base=BROKEN_APP, opened=["sst.config.ts", "infra/api.ts"], kind="truncated")
        for n in range(0, len(data), step)
    ]


# -- binary, not UTF-8, huge ----------------------------------------------------------------------------
BINARIES = {
    "nul-bytes": b"\x00\x01\x02\xff\xfe" * 64,
    "random": bytes(range(256)) * 8,
    "invalid-utf8": b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc name = 'x'\n",
    "utf16-bom": "name = 'x'\n".encode("utf-16"),
    "truncated-utf8": "name = '🐍'".encode("utf-8")[:-2],
    "gzip": b"\x1f\x8b\x08\x00" + bytes(60),
}
BINARY_TARGETS = ["pyproject.toml", "functions/pyproject.toml", "sst.config.ts", "functions/src/functions/api.py", "package.json", ".python-version"]


def _binary_cases() -> list[Case]:
    cases = []
    for target in BINARY_TARGETS:
        for name, data in BINARIES.items():
            # SST002 reports the files the analysis needs; the handler's .py is reported on its handler string
            cases.append(Case(f"binary:{target}:{name}", _write(target, data), opened=[target], expect={"SST002"}, kind="binary"))
    for target, text in [
        ("pyproject.toml", GOOD_ROOT + "# Maître d'école\n"),
        ("functions/pyproject.toml", GOOD_MEMBER + "# café\n"),
        ("sst.config.ts", (BASE / "sst.config.ts").read_text(encoding="utf-8") + "// déjà vu\n"),
        ("functions/src/functions/api.py", (BASE / "functions/src/functions/api.py").read_text(encoding="utf-8") + "# naïve\n"),
    ]:
        cases.append(Case(f"latin1:{target}", _write(target, text.encode("latin-1")), opened=[target], expect={"SST002"}, kind="not-utf8"))
        cases.append(Case(f"cp1252:{target}", _write(target, text.encode("cp1252") + b"\x93quoted\x94\n"), opened=[target], expect={"SST002"}, kind="not-utf8"))
    big = GOOD_ROOT.encode() + b"# " + b"x" * 100 + b"\n"
    big = big * (TEN_MB // len(big) + 1)
    cases.append(Case("huge:pyproject.toml-10MB", _write("pyproject.toml", big), opened=["pyproject.toml"], expect={"SST002"}, kind="huge"))
    cases.append(Case("huge:member-pyproject.toml-3MB", _write("functions/pyproject.toml", GOOD_MEMBER.encode() + b"#" * (3 * 1024 * 1024)), expect={"SST002"}, kind="huge"))
    cases.append(Case("huge:handler-3MB", _write("functions/src/functions/api.py", b"def handler(e, c):\n    return 1\n" + b"#" * (3 * 1024 * 1024)), expect={"SST002"}, kind="huge"))
    return cases


# -- links, special files, permissions -----------------------------------------------------------------
def _link(rel: str, target: Callable[[Path, Path], str | Path], *, setup: Callable[[Path, Path], None] | None = None):
    def build(app: Path, outside: Path) -> None:
        if setup is not None:
            setup(app, outside)
        p = app / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink() or p.is_file():
            p.unlink()
        elif p.is_dir():
            shutil.rmtree(p)
        os.symlink(target(app, outside), p)

    return build


def _outside_member(app: Path, outside: Path) -> None:
    shutil.copytree(BASE / "functions", outside / "functions-elsewhere", dirs_exist_ok=True)


def _outside_handler(app: Path, outside: Path) -> None:
    (outside / "secret.py").write_text("def handler(event, context):\n    return 'outside'\n", encoding="utf-8")


def _both(*builds):
    def build(app: Path, outside: Path) -> None:
        for b in builds:
            b(app, outside)

    return build


def _chmod000(rel: str):
    def build(app: Path, outside: Path) -> None:
        os.chmod(app / rel, 0)

    return build


def _fifo(rel: str):
    def build(app: Path, outside: Path) -> None:
        p = app / rel
        p.unlink()
        os.mkfifo(p)

    return build


def _dir_named(rel: str):
    def build(app: Path, outside: Path) -> None:
        p = app / rel
        p.unlink()
        p.mkdir()
        (p / "inner.toml").write_text("x = 1\n", encoding="utf-8")

    return build


ROOT_MEMBER_FUNCTIONS = _write("pyproject.toml", GOOD_ROOT.replace('members = ["core"]', 'members = ["core", "functions"]'))


def _special_cases() -> list[Case]:
    cases = [
        # loops
        Case("symlink-loop:dir-to-parent", _link("functions/loop", lambda a, o: ".."), kind="link-loop"),
        Case("symlink-loop:dir-to-self", _link("core/self", lambda a, o: "self"), kind="link-loop"),
        Case("symlink-loop:pyproject", _both(_link("core/pyproject.toml", lambda a, o: "other.toml"), _link("core/other.toml", lambda a, o: "pyproject.toml")), opened=["core/pyproject.toml"], kind="link-loop"),
        Case("symlink-loop:handler", _link("functions/src/functions/api.py", lambda a, o: "api.py"), kind="link-loop"),
        Case("symlink-loop:config-dir", _link("infra", lambda a, o: "infra"), kind="link-loop"),
        Case("symlink-dangling:pyproject", _link("functions/pyproject.toml", lambda a, o: "missing.toml"), kind="link-dangling"),
        # links out of the workspace
        Case("link-out:member-dir", _both(ROOT_MEMBER_FUNCTIONS, _link("functions", lambda a, o: o / "functions-elsewhere", setup=_outside_member)), opened=["pyproject.toml"], kind="link-out"),
        Case("link-out:handler-file", _link("functions/src/functions/api.py", lambda a, o: o / "secret.py", setup=_outside_handler), expect={"SST002"}, kind="link-out"),
        Case("link-out:member-pyproject", _link("functions/pyproject.toml", lambda a, o: o / "functions-elsewhere" / "pyproject.toml", setup=_outside_member), expect={"SST002"}, kind="link-out"),
        Case("link-out:root-pyproject", _link("pyproject.toml", lambda a, o: o / "functions-elsewhere" / "pyproject.toml", setup=_outside_member), expect={"SST002"}, kind="link-out"),
        Case("link-out:etc-passwd-as-pyproject", _link("core/pyproject.toml", lambda a, o: "/etc/passwd"), expect={"SST002"}, kind="link-out"),
        Case("link-out:dev-zero-as-handler", _link("functions/src/functions/api.py", lambda a, o: "/dev/zero"), kind="link-out"),
        # permissions and special files
        Case("unreadable:root-pyproject", _chmod000("pyproject.toml"), kind="unreadable"),
        Case("unreadable:member-pyproject", _chmod000("functions/pyproject.toml"), kind="unreadable"),
        Case("unreadable:handler", _chmod000("functions/src/functions/api.py"), kind="unreadable"),
        Case("unreadable:config", _chmod000("sst.config.ts"), kind="unreadable"),
        Case("unreadable:member-dir", _chmod000("core"), kind="unreadable"),
        Case("fifo:member-pyproject", _fifo("functions/pyproject.toml"), kind="fifo"),
        Case("fifo:handler", _fifo("functions/src/functions/api.py"), kind="fifo"),
        Case("dir-named:pyproject", _dir_named("functions/pyproject.toml"), kind="dir"),
        # handler paths that leave the app
        Case("handler:etc-passwd", _write("sst.config.ts", (BASE / "sst.config.ts").read_text().replace("functions/src/functions/api.handler", "../../etc/passwd.handler")), opened=["sst.config.ts"], expect={"SST107"}, kind="handler-out"),
        Case("handler:absolute", _write("sst.config.ts", (BASE / "sst.config.ts").read_text().replace("functions/src/functions/api.handler", "/etc/passwd.handler")), opened=["sst.config.ts"], expect={"SST107"}, kind="handler-out"),
    ]
    return cases


def build_corpus() -> list[Case]:
    cases = _toml_cases() + _truncated_configs() + _binary_cases() + _special_cases()
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids are unique"
    return cases


def materialise(case: Case, dest: Path, outside: Path) -> Path:
    """Copy the case's base app to ``dest`` / a folder named after the case, and break it."""
    app = dest / case.id.replace(":", "__").replace("/", "_")
    shutil.copytree(case.base, app, ignore=shutil.ignore_patterns("__pycache__", ".venv", "node_modules", ".sst"), symlinks=True)
    outside.mkdir(parents=True, exist_ok=True)
    case.build(app, outside)
    return app


def restore_permissions(root: Path) -> None:
    """Make everything under ``root`` removable again (cases chmod files to 000)."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                try:
                    os.chmod(p, 0o755 if p.is_dir() else 0o644)
                except OSError:
                    pass
    try:
        os.chmod(root, 0o755)
    except OSError:
        pass


if __name__ == "__main__":  # pragma: no cover
    dest = Path(sys.argv[1] if len(sys.argv) > 1 else "malformed-corpus")
    corpus = build_corpus()
    for case in corpus:
        materialise(case, dest / "workspace", dest / "outside")
    print(f"{len(corpus)} cases written to {dest}/workspace")
