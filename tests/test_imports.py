"""The handler import graph and the import-name ↔ distribution mapping, on small apps made here."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import FIXTURES, run_check, summary
from sst_lsp.analysis import analyse_path
from sst_lsp.engine.distributions import modules_from_record, provider, resembles, stdlib_modules
from sst_lsp.engine.files import FileSystem
from sst_lsp.engine.handler_imports import handler_imports
from sst_lsp.engine.model import Severity
from sst_lsp.engine.pyimports import CONDITIONAL, FUNCTION, MODULE, OPTIONAL, parse_python


def _copy(case: str, tmp_path: Path) -> Path:
    dest = tmp_path / case.replace("/", "-")
    shutil.copytree(FIXTURES / case, dest)
    return dest


def _sst213(root: Path):
    return [v for v in run_check(root) if v.code == "SST213"]


def _analysis(root: Path):
    (result,) = analyse_path(root)
    project = result.project
    (pf,) = project.python_functions
    return project, handler_imports(project, pf)


API = "functions/src/functions/api.py"


# -- contexts ------------------------------------------------------------------------------


def test_each_import_gets_the_context_it_runs_in():
    src = (
        "import a\n"
        "try:\n    import b\nexcept ImportError:\n    b = None\n"
        "try:\n    import c\nexcept ValueError:\n    pass\n"
        "if TYPE_CHECKING:\n    import d\n"
        "if flag:\n    import e\n"
        "def f():\n    import g\n"
        "class K:\n    import h\n"
        "with suppress(ModuleNotFoundError):\n    import i\n"
        'if __name__ == "__main__":\n    import j\n'
        "for _ in range(1):\n    import k\n"
    )
    got = {s.module: s.context for s in parse_python(src, 11).imports}
    assert got == {
        "a": MODULE, "b": OPTIONAL, "c": MODULE, "d": OPTIONAL, "e": CONDITIONAL, "g": FUNCTION,
        "h": MODULE, "i": OPTIONAL, "j": OPTIONAL, "k": CONDITIONAL,
    }


def test_feature_version_follows_the_runtime():
    src = "match x:\n    case 1:\n        pass\n"
    assert parse_python(src, 10).syntax_error is None
    err = parse_python(src, 9).syntax_error
    assert err is not None and "3.10" in err.message and err.line == 0


# -- the graph on disk ------------------------------------------------------------------------


def test_graph_follows_relative_absolute_and_package_imports_and_cycles_end(tmp_path):
    root = _copy("SST213/undeclared", tmp_path)
    pkg = root / "functions/src/functions"
    (pkg / "api.py").write_text("from . import a\nfrom .sub import b\nimport functions.c\nfrom core import greeting\n\ndef handler(event, context):\n    return 1\n")
    (pkg / "a.py").write_text("from .api import handler\nimport left_pad\n")  # a cycle back to api
    (pkg / "sub").mkdir()
    (pkg / "sub/__init__.py").write_text("import right_pad\n")
    (pkg / "sub/b.py").write_text("import deep_pad\n")
    (pkg / "c.py").write_text("import c_pad\n")
    (root / "core/src/core/__init__.py").write_text("import core_pad\n\ndef greeting():\n    return 1\n")
    project, hi = _analysis(root)
    files = {project.rel(p) for p in hi.graph.files}
    assert {
        "functions/src/functions/api.py", "functions/src/functions/a.py", "functions/src/functions/sub/__init__.py",
        "functions/src/functions/sub/b.py", "functions/src/functions/c.py", "core/src/core/__init__.py",
        "functions/src/functions/__init__.py",
    } <= files
    assert {n.top for n in hi.missing} == {"left_pad", "right_pad", "deep_pad", "c_pad", "core_pad"}
    assert all(n.strongest.context == MODULE for n in hi.missing)


def test_unreadable_or_broken_modules_never_crash_nor_invent_imports(tmp_path):
    root = _copy("SST213/clean", tmp_path)
    pkg = root / "functions/src/functions"
    (pkg / "api.py").write_text("from . import blob, latin, huge\n\ndef handler(event, context):\n    return 1\n")
    (pkg / "blob.py").write_bytes(b"\x00\x01import nothing\x00" * 10)
    (pkg / "latin.py").write_bytes("# caf\xe9\nimport nope\n".encode("latin-1"))
    (pkg / "huge.py").write_text("import nope_either\n" + "x = 1\n" * 500_000)
    (root / "scripts").mkdir()
    (root / "scripts/broken.py").write_text("def broken(:\n")
    violations = run_check(root)
    assert not [v for v in violations if v.code in ("SST213", "SST109")]
    _, hi = _analysis(root)
    assert {p.name for p in hi.graph.unreadable} == {"blob.py", "latin.py", "huge.py"}


# -- the mapping -------------------------------------------------------------------------------


def test_record_lists_top_level_modules_and_extension_modules():
    record = "yaml/__init__.py,sha256=x,1\n_yaml/__init__.py,,\nPyYAML-6.0.dist-info/RECORD,,\n../../bin/tool,,\nsix.py,,\n_cffi_backend.cpython-311-x86_64-linux-gnu.so,,\nx.pth,,\n"
    assert modules_from_record(record) == {"yaml", "_yaml", "six", "_cffi_backend"}


def _venv_dist(root: Path, dirname: str, files: dict[str, str]) -> Path:
    info = root / ".venv/lib/python3.11/site-packages" / dirname
    info.mkdir(parents=True)
    for name, text in files.items():
        (info / name).write_text(text)
    return info


def test_venv_wins_then_broken_dist_info_falls_back_to_the_table(tmp_path):
    fs = FileSystem(workspace=tmp_path)
    venv = tmp_path / ".venv"
    _venv_dist(tmp_path, "PyJWT-2.10.1.dist-info", {"top_level.txt": "", "METADATA": "Name: PyJWT\n"})
    _venv_dist(tmp_path, "Weird_Name-1.0.dist-info", {"RECORD": "odd/__init__.py,,\n"})
    jwt = provider(fs, "pyjwt", [venv])
    assert (jwt.source, jwt.modules) == ("table", frozenset({"jwt"}))
    weird = provider(fs, "weird-name", [venv])
    assert weird.source == "venv" and weird.modules == {"odd"} and weird.where.endswith("Weird_Name-1.0.dist-info/RECORD")
    assert provider(fs, "left-pad", []).source == "guess"


def test_a_module_resembling_a_guessed_distribution_is_not_reported():
    assert resembles("strands", "strands-agents") and resembles("jose", "python-jose")
    assert not resembles("requests_aws4auth", "requests") and not resembles("ml", "mlflow")


def test_guessed_mapping_lowers_the_error_and_names_the_distribution():
    (v,) = _sst213(FIXTURES / "SST213/guessed-mapping")
    assert v.severity is Severity.WARNING
    assert "the module names of toml are only guessed" in v.message
    assert '"pyyaml"' in v.fix.title


def test_the_same_import_with_every_mapping_known_is_an_error(tmp_path):
    root = _copy("SST213/guessed-mapping", tmp_path)
    _venv_dist(root, "toml-0.10.2.dist-info", {"top_level.txt": "toml\n"})
    (v,) = _sst213(root)
    assert v.severity is Severity.ERROR
    _, hi = _analysis(root)
    assert hi.needs["toml"].provision.detail.endswith("toml-0.10.2.dist-info/top_level.txt)")


def test_venv_mapping_fixture_reads_dist_info_and_without_it_guesses(tmp_path):
    root = _copy("SST213/clean-venv-mapping", tmp_path)
    _, hi = _analysis(root)
    assert "read from .venv/lib/python3.11/site-packages/acme_tools-1.0.0.dist-info/top_level.txt" in hi.needs["widgets"].provision.detail
    shutil.rmtree(root / ".venv")
    (v,) = _sst213(root)
    assert v.severity is Severity.WARNING and "acme-tools are only guessed" in v.message


def test_no_lock_means_unknown_transitive_dependencies(tmp_path):
    root = _copy("SST213/clean", tmp_path)
    (root / "uv.lock").unlink()
    (root / "functions/src/functions/helpers.py").write_text("import jwt\nimport cryptography\n\ndef render(s):\n    return s\n")
    (v,) = _sst213(root)
    assert v.severity is Severity.INFO and "there is no uv.lock" in v.message  # what jwt pulls in is not known


def test_what_uv_lock_pulls_in_is_provided(tmp_path):
    root = _copy("SST213/clean", tmp_path)
    lock = root / "uv.lock"
    text = lock.read_text()
    # pretend pyjwt depends on cryptography in the lock
    text = text.replace('name = "pyjwt"\nversion = ', 'name = "pyjwt"\ndependencies = [{ name = "cryptography" }]\nversion = ', 1)
    lock.write_text(text + '\n[[package]]\nname = "cryptography"\nversion = "44.0.0"\nsource = { registry = "https://example.invalid/simple" }\n')
    (root / "functions/src/functions/helpers.py").write_text("import jwt\nimport cryptography\n\ndef render(s):\n    return s\n")
    assert _sst213(root) == []
    _, hi = _analysis(root)
    assert "pulled in by pyjwt" in hi.needs["cryptography"].provision.detail


def test_stdlib_follows_the_python_version(tmp_path):
    assert "tomllib" in stdlib_modules(11) and "tomllib" not in stdlib_modules(10)
    assert "distutils" in stdlib_modules(11) and "distutils" not in stdlib_modules(12)
    root = _copy("SST213/clean-copy-files", tmp_path)
    cfg = root / "sst.config.ts"
    cfg.write_text(cfg.read_text().replace("python3.11", "python3.12"))
    (root / API).write_text("import distutils\n\ndef handler(event, context):\n    return 1\n")
    (v,) = _sst213(root)
    assert v.severity is Severity.ERROR and "only Python 3.8–3.11 ship it" in v.message and v.fix is None


def test_copy_files_that_cannot_be_read_lower_the_error(tmp_path):
    root = _copy("SST213/clean-copy-files", tmp_path)
    cfg = root / "sst.config.ts"
    cfg.write_text(cfg.read_text().replace('copyFiles: [{ from: "vendor/pricing", to: "pricing" }]', "copyFiles: shared"))
    (v,) = _sst213(root)
    assert v.severity is Severity.WARNING and "copyFiles could not be read" in v.message


def test_sys_path_changes_lower_the_error(tmp_path):
    root = _copy("SST213/undeclared", tmp_path)
    api = root / API
    api.write_text("import sys\nsys.path.insert(0, '/opt/vendor')\n" + api.read_text())
    assert {v.severity for v in _sst213(root)} == {Severity.WARNING}


# -- SST209 / SST215 words ----------------------------------------------------------------------


def test_sst209_included_file_is_never_called_deletable():
    (v,) = run_check(FIXTURES / "SST209/included-by-dev")
    assert v.severity is Severity.INFO
    assert "requirements-dev.txt includes it with -r" in v.message
    assert "delete" not in v.message
    assert "boto3: the Lambda runtime ships it" in v.message


def test_sst209_container_speaks_of_the_image(tmp_path):
    root = _copy("SST209/imported", tmp_path)
    cfg = root / "sst.config.ts"
    cfg.write_text(cfg.read_text().replace('runtime: "python3.11",', 'runtime: "python3.11",\n      python: { container: true },'))
    v = next(v for v in run_check(root) if v.code == "SST209")
    assert "image" in v.message and "zip" not in v.message
    assert v.severity is Severity.WARNING  # a container's Dockerfile may install more


def test_sst209_error_when_imported():
    v = next(v for v in run_check(FIXTURES / "SST209/imported") if v.code == "SST209")
    assert v.severity is Severity.ERROR and "No module named 'jwt'" in v.message


def test_sst215_is_a_warning_when_no_handler_imports_sst(tmp_path):
    root = _copy("SST215/pinned-4-14-1", tmp_path)
    (root / API).write_text("def handler(event, context):\n    return 1\n")
    (v,) = [v for v in run_check(root) if v.code == "SST215"]
    assert v.severity is Severity.WARNING
    assert summary([v], root) == [("SST215", "functions/pyproject.toml", 5)]
