"""Every rule against its fixtures: violating cases fire exactly where expected, clean ones are silent."""

from __future__ import annotations

import re

import pytest

from helpers import BROKEN_APP, BROKEN_APP_EXPECTED, FIXTURES, run_check, summary
from sst_lsp.engine.model import Severity
from sst_lsp.rules.registry import DOC_SECTIONS, load_all

# case (relative to tests/fixtures) -> expected (code, path, 1-based line); [] means clean.
EXPECTED: dict[str, list[tuple[str, str, int]]] = {
    "SST901/bad-keys": [("SST901", "pyproject.toml", 11), ("SST901", "pyproject.toml", 12), ("SST901", "pyproject.toml", 13), ("SST901", "pyproject.toml", 13)],
    "SST901/clean": [],
    "SST902/clean": [],
    "SST902/suppressed": [("SST902", "functions/pyproject.toml", 1), ("SST902", "sst.config.ts", 7)],
    "SST001/broken-member": [("SST001", "functions/pyproject.toml", 4)],
    "SST001/broken-root": [("SST001", "pyproject.toml", 9)],
    "SST001/clean": [],
    "SST101/python-runtime-enum": [("SST101", "sst.config.ts", 11)],
    "SST101/aliased-string-runtime": [("SST101", "infra/legacy.ts", 4)],
    "SST101/clean-node-runtime": [],
    "SST101/clean": [],
    "SST102/missing-src": [("SST102", "sst.config.ts", 8)],
    "SST102/case-slip": [("SST102", "sst.config.ts", 9)],
    "SST102/clean": [],
    "SST103/typo": [("SST103", "sst.config.ts", 8)],
    "SST103/clean-bindings": [],
    "SST103/clean": [],
    "SST104/dotted-path": [("SST104", "sst.config.ts", 8)],
    "SST104/dotted-package-name": [("SST104", "sst.config.ts", 8)],
    "SST104/clean": [],
    "SST105/no-runtime": [("SST105", "sst.config.ts", 8)],
    "SST105/node-runtime": [("SST105", "sst.config.ts", 8)],
    "SST105/string-route": [("SST105", "sst.config.ts", 8)],
    "SST105/clean-transform": [],
    "SST105/clean-spread": [],
    "SST105/clean": [],
    "SST106/name-differs": [("SST106", "sst.config.ts", 8)],
    "SST106/name-differs-renamable": [("SST106", "functions/pyproject.toml", 2), ("SST212", "functions/pyproject.toml", 2)],
    "SST106/nested-member-sst3": [("SST106", "sst.config.ts", 8)],
    "SST106/clean-nested-member-sst4": [],
    "SST106/clean": [],
    "SST202/not-member": [("SST202", "pyproject.toml", 8)],
    "SST202/not-member-fixed": [],
    # excluded wins over members; the nested member also breaks era B's packaging
    "SST202/excluded": [("SST106", "sst.config.ts", 8), ("SST202", "pyproject.toml", 9)],
    "SST203/no-build-system": [("SST203", "functions/pyproject.toml", 1)],
    "SST203/no-build-system-fixed": [],
    "SST201/no-root-pyproject": [("SST201", "sst.config.ts", 8)],
    "SST201/clean": [],
    "SST201/clean-sst4-no-root": [],
    "SST204/missing-pyproject": [("SST204", "pyproject.toml", 8)],
    "SST204/matches-nothing": [("SST204", "pyproject.toml", 8)],
    "SST204/glob-with-stray-folder": [("SST204", "pyproject.toml", 8)],
    "SST204/clean": [],
    "SST205/duplicate-name": [("SST205", "billing/pyproject.toml", 2)],
    "SST205/clean": [],
    "SST206/nested-and-missing": [("SST206", "functions/pyproject.toml", 15), ("SST206", "functions/pyproject.toml", 16)],
    "SST206/clean": [],
    "SST207/not-a-member": [("SST207", "functions/pyproject.toml", 13)],
    "SST207/clean": [],
    "SST212/namespace-package": [("SST212", "functions/pyproject.toml", 2)],
    "SST212/other-folder": [("SST212", "functions/pyproject.toml", 2)],
    "SST212/clean": [],
    # no uv.lock: the git source cannot be locked since the rename (SST210 is right about that too)
    "SST208/git-source": [("SST208", "functions/pyproject.toml", 5), ("SST210", "pyproject.toml", 7)],
    "SST208/git-source-in-root": [("SST208", "functions/pyproject.toml", 5), ("SST210", "pyproject.toml", 10)],
    # its uv.lock (written by uv) holds PyPI's sst 0.2.4
    "SST208/no-source": [("SST208", "functions/pyproject.toml", 5)],
    "SST208/clean": [],
    "SST209/missing": [("SST209", "functions/requirements.txt", 4)],
    "SST209/nothing-missing": [("SST209", "functions/requirements.txt", 1)],
    "SST209/clean": [],
    # only requirements.txt lists PyJWT and the handler imports jwt: both the file and the import are reported
    "SST209/imported": [("SST209", "functions/requirements.txt", 2), ("SST213", "functions/src/functions/api.py", 1)],
    # every entry is already provided (boto3 by the runtime): info, and requirements-dev.txt includes it
    "SST209/included-by-dev": [("SST209", "functions/requirements.txt", 2)],
    "SST213/undeclared": [("SST213", "functions/src/functions/api.py", 19), ("SST213", "functions/src/functions/helpers.py", 1)],
    "SST213/guessed-mapping": [("SST213", "functions/src/functions/api.py", 2)],
    "SST213/layers": [("SST213", "functions/src/functions/api.py", 1)],
    "SST213/clean": [],
    "SST213/clean-copy-files": [],
    "SST213/clean-venv-mapping": [],
    "SST214/outside-root": [("SST214", "services/pyproject.toml", 2)],
    "SST214/clean": [],
    "SST215/pinned-4-14-1": [("SST215", "functions/pyproject.toml", 5)],
    "SST215/clean": [],
    "SST210/stale": [("SST210", "functions/pyproject.toml", 5)],
    "SST210/no-lock": [("SST210", "pyproject.toml", 7)],
    "SST210/fresh": [],
    "SST211/venv-in-member": [("SST211", "functions/pyproject.toml", 1)],
    "SST211/clean-root-venv": [],
    "SST301/requires-python": [("SST301", "functions/pyproject.toml", 4)],
    "SST301/python-version-file": [("SST301", ".python-version", 1)],
    "SST301/clean": [],
    "SST302/blocked": [("SST302", "sst.config.ts", 9)],
    "SST302/deprecated": [("SST302", "sst.config.ts", 9)],
    "SST302/newer-than-sst": [("SST302", "sst.config.ts", 9)],
    "SST302/transform": [("SST302", "sst.config.ts", 8)],
    "SST302/clean": [],
    "SST302/clean-sst4": [],
    "SST303/not-pinned": [("SST303", "functions/pyproject.toml", 4)],
    "SST303/clean-pinned": [],
    "SST303/clean-python-version": [],
    "SST304/nvmrc": [("SST304", ".nvmrc", 1)],
    "SST304/engines": [("SST304", "package.json", 8)],
    "SST304/clean-fixed-sst": [],
    "SST304/clean-older-node": [],
    "SST401/subnets": [("SST401", "sst.config.ts", 12)],
    "SST401/shorthand": [("SST401", "sst.config.ts", 12)],
    "SST401/transform": [("SST401", "sst.config.ts", 10)],
    "SST401/clean": [],
    "SST402/cron-job": [("SST402", "sst.config.ts", 9)],
    "SST402/cron-job-shorthand": [("SST402", "sst.config.ts", 8)],
    # both "job" and "function": SST throws; an error, no rename
    "SST402/cron-job-and-function": [("SST402", "sst.config.ts", 9)],
    "SST402/cluster-task": [("SST402", "sst.config.ts", 11), ("SST402", "sst.config.ts", 15)],
    "SST402/function-live": [("SST402", "sst.config.ts", 10)],
    "SST402/live-and-dev": [("SST402", "sst.config.ts", 10)],
    "SST402/clean": [],
    "SST403/runtime-312": [("SST403", "sst.config.ts", 10)],
    "SST403/cache-object-sst4": [("SST403", "sst.config.ts", 11)],
    # era B looks for the Dockerfile next to the handler's pyproject.toml only
    "SST403/root-dockerfile-sst3": [("SST403", "sst.config.ts", 10)],
    "SST403/clean-root-dockerfile-sst4": [],
    "SST403/clean-project-dockerfile-sst3": [],
    "SST403/clean": [],
    "SST404/layers": [("SST404", "sst.config.ts", 11)],
    "SST404/copy-files": [("SST404", "sst.config.ts", 11)],
    "SST404/clean": [],
    "SST405/cache-sst3": [("SST405", "sst.config.ts", 10)],
    "SST405/cache-sst4-0": [("SST405", "sst.config.ts", 10)],
    "SST405/clean-cache-sst4-2": [],
    "SST405/clean": [],
    "SST002/not-utf8-member": [("SST002", "core/pyproject.toml", 1)],
    "SST002/not-utf8-infra": [("SST002", "infra/api.ts", 1)],
    "SST002/clean": [],
    "SST107/parent-dir": [("SST107", "sst.config.ts", 12)],
    "SST107/absolute": [("SST107", "sst.config.ts", 12)],
    "SST107/clean": [],
    # SST108 is off by default: these fixtures select it in [tool.sst-lsp]; the nodejs function is not reported
    "SST108/expression-handler": [("SST108", "sst.config.ts", 10), ("SST108", "sst.config.ts", 14)],
    "SST108/clean": [],
    # the import used in app() gets no fix; the type specifier stays as `import type`
    "SST109/syntax-error": [("SST109", "functions/src/functions/api.py", 4), ("SST109", "sst.config.ts", 8)],
    "SST109/imported-module": [("SST109", "functions/src/functions/render.py", 5), ("SST109", "sst.config.ts", 8)],
    # python3.9 is also deprecated (SST302)
    "SST109/match-on-python39": [("SST109", "functions/src/functions/api.py", 2), ("SST109", "sst.config.ts", 8), ("SST302", "sst.config.ts", 9)],
    # a syntax error and a Latin-1 file in scripts/ that the handler never imports
    "SST109/clean": [],
    "SST112/one-parameter": [("SST112", "functions/src/functions/api.py", 4)],
    "SST112/async-handler": [("SST112", "functions/src/functions/api.py", 4)],
    # *args, defaults and a callable bound by assignment
    "SST112/clean": [],
    "SST110/mixed-imports": [("SST110", "sst.config.ts", 2), ("SST110", "sst.config.ts", 4), ("SST110", "sst.config.ts", 6)],
    "SST110/namespace-import": [("SST110", "sst.config.ts", 2)],
    "SST110/clean": [],
    "SST110/clean-before-3-11": [],
    "SST111/underscore": [("SST111", "sst.config.ts", 4)],
    "SST111/leading-digit-const": [("SST111", "sst.config.ts", 6)],
    "SST111/clean": [],
    "SST501/failed-create": [("SST501", "sst.config.ts", 2), ("SST501", "sst.config.ts", 2)],
    "SST501/clean-successful-run": [],
    "SST501/clean": [],
    "official/aws-python": [],
    "official/aws-python-container": [],
    "official/flat-layout": [],
    "official/nested-layout": [],
    "official/monorepo-layout": [],
    "official/python-modern-uv": [],
}

# Messages must never repeat a belief the facts (§6) mark wrong.
WRONG_BELIEFS = [
    r"virtual drive",
    r"24\.5\.0",
    r"requirements\.txt automatically",
    r"pip install -r requirements",
    r"__init__\.py files? (are|is) required",
    r"package[_ ]name\.src",
    r"dotted module path is required",
]


def _case_dirs() -> list[str]:
    return sorted(
        p.parent.relative_to(FIXTURES).as_posix()
        for p in FIXTURES.glob("*/*/sst.config.ts")
    )


def test_every_fixture_has_an_expectation():
    assert _case_dirs() == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_fixture(case):
    root = FIXTURES / case
    violations = run_check(root)
    assert summary(violations, root) == sorted(EXPECTED[case])
    for v in violations:
        for pattern in WRONG_BELIEFS:
            assert not re.search(pattern, v.message, re.I), (v.code, v.message)


@pytest.mark.parametrize("era", ["3.17.0", "4.17.0", None])
def test_official_aws_python_layout_is_clean_in_every_era(era):
    assert run_check(FIXTURES / "official" / "aws-python", era=era) == []


def test_era_decides_nested_member_layout():
    """members = ["packages/*"], handler packages/api/src/api/handler: broken in era B, fine in era C."""
    sst3 = FIXTURES / "SST106" / "nested-member-sst3"
    sst4 = FIXTURES / "SST106" / "clean-nested-member-sst4"
    assert summary(run_check(sst3), sst3) == [("SST106", "sst.config.ts", 8)]
    assert run_check(sst4) == []
    # same layouts with the version overridden the other way round
    assert run_check(sst3, era="4.17.0") == []
    assert summary(run_check(sst4, era="3.17.0"), sst4) == [("SST106", "sst.config.ts", 8)]


def test_sst106_message_names_the_import_and_zip_path():
    (v,) = run_check(FIXTURES / "SST106" / "nested-member-sst3")
    assert 'module "packages.api.handler"' in v.message
    assert "api/handler.py" in v.message
    assert "Runtime.ImportModuleError" in v.message


def test_sst202_excluded_member_fix_removes_the_exclude_entry():
    (v,) = [v for v in run_check(FIXTURES / "SST202" / "excluded") if v.code == "SST202"]
    assert "exclude" in v.message
    assert v.fix is not None and v.fix.safety.value == "unsafe"
    assert "exclude" in v.fix.title


def test_broken_app_reports_each_planted_mistake_once():
    violations = run_check(BROKEN_APP)
    assert summary(violations, BROKEN_APP) == sorted(BROKEN_APP_EXPECTED)
    # the example shows each of the headline mistakes, including an undeclared import and a wrong signature
    assert {v.code for v in violations} == {"SST001", "SST101", "SST102", "SST103", "SST104", "SST105", "SST106", "SST112", "SST202", "SST203", "SST210", "SST213", "SST401"}


def test_broken_app_messages_avoid_wrong_beliefs():
    for v in run_check(BROKEN_APP):
        for pattern in WRONG_BELIEFS:
            assert not re.search(pattern, v.message, re.I), (v.code, v.message)
    sst104 = next(v for v in run_check(BROKEN_APP) if v.code == "SST104")
    # the advice is a file path, never another dotted module
    assert '"billing/src/billing_service/handlers/refunds.handler"' in sst104.message


# -- the registry ----------------------------------------------------------------------


# Codes are public API: a code is never renumbered or reused, so the registry is checked against
# the list, not against itself.
CATALOGUE = {
    "SST001": "toml-syntax-error", "SST002": "unreadable-file",
    "SST101": "raw-lambda-function", "SST102": "handler-file-not-found", "SST103": "handler-function-not-found",
    "SST104": "dotted-module-handler", "SST105": "python-handler-without-runtime", "SST106": "handler-package-mismatch",
    "SST107": "handler-outside-project", "SST108": "handler-not-resolvable", "SST109": "handler-syntax-error",
    "SST110": "top-level-import-in-config", "SST111": "invalid-app-name", "SST112": "handler-signature-mismatch",
    "SST201": "missing-root-pyproject", "SST202": "not-a-workspace-member", "SST203": "missing-build-system",
    "SST204": "workspace-member-missing", "SST205": "duplicate-member-name", "SST206": "hatch-packages-invalid",
    "SST207": "workspace-source-not-member", "SST208": "sst-sdk-git-source", "SST209": "requirements-txt-ignored",
    "SST210": "lockfile-stale", "SST211": "venv-inside-member", "SST212": "build-backend-finds-no-package",
    "SST213": "undeclared-import", "SST214": "member-outside-workspace-root", "SST215": "broken-sdk-release",
    "SST301": "runtime-version-mismatch", "SST302": "unsupported-runtime", "SST303": "requires-python-not-pinned",
    "SST304": "node-version-masks-errors",
    "SST401": "vpc-subnets-renamed", "SST402": "deprecated-component-argument", "SST403": "container-python-version",
    "SST404": "container-incompatible-option", "SST405": "container-cache-needs-v4",
    "SST501": "failed-deploy-event",
    "SST901": "invalid-configuration", "SST902": "unused-suppression",
}  # fmt: skip


def test_registry_codes_names_docs_and_fixtures():
    rules = load_all()
    assert {code: r.name for code, r in rules.items()} == CATALOGUE
    names = [r.name for r in rules.values()]
    assert len(set(names)) == len(names)
    for code, r in rules.items():
        assert re.fullmatch(r"SST\d{3}", code)
        assert r.code == code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r.name
        for section in DOC_SECTIONS:
            assert f"## {section}" in r.doc, (code, section)
        cases = [p for p in (FIXTURES / code).glob("*/sst.config.ts")] if (FIXTURES / code).is_dir() else []
        assert cases, f"no fixture under tests/fixtures/{code}"


def test_every_rule_has_a_violating_and_a_clean_fixture():
    for code in load_all():
        results = {case: exp for case, exp in EXPECTED.items() if case.startswith(code + "/")}
        assert any(code in {c for c, _, _ in exp} for exp in results.values()), f"{code}: no violating case"
        assert any(exp == [] for exp in results.values()), f"{code}: no clean case"


def test_no_two_rule_modules_declare_the_same_code():
    from pathlib import Path

    import sst_lsp.rules as pkg

    declared = []
    for module in Path(pkg.__path__[0]).glob("sst*.py"):
        declared += re.findall(r'@rule\(\s*"(SST\d{3})"', module.read_text(encoding="utf-8"))
    assert sorted(declared) == sorted(set(declared)) == sorted(load_all())


def test_every_python_file_of_the_examples_and_fixtures_is_valid_python():
    import ast
    from pathlib import Path

    from helpers import EXAMPLES

    broken = {FIXTURES / "SST109" / case for case in ("syntax-error", "imported-module", "clean")}  # SST109 needs them broken
    for root in (EXAMPLES, FIXTURES):
        for py in Path(root).rglob("*.py"):
            if any(b in py.parents for b in broken) or ".venv" in py.parts:
                continue
            ast.parse(py.read_text(encoding="utf-8"), filename=str(py))


def test_sst102_closest_file_answers_as_difflib_does():
    """SST102's suggestion compares the candidates best bound first and stops early: for random
    paths it names what ``difflib.get_close_matches`` names (ties included)."""
    import difflib
    import random

    from sst_lsp.rules.sst102_handler_file_not_found import _closest

    rnd = random.Random(3)
    alphabet = "abcfn0123/_s"
    for _ in range(2000):
        options = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14))) for _ in range(rnd.randint(0, 30))]
        if options and rnd.random() < 0.5:
            near = rnd.choice(options)
            options += [near[:-1] + c for c in "xy"]  # candidates as close as each other
        word = rnd.choice(options) + rnd.choice(alphabet) if options and rnd.random() < 0.5 else "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14)))
        for cutoff in (0.5, 0.8):
            expected = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
            assert _closest(word, options, cutoff) == (expected[0] if expected else None), (word, options, cutoff)
    # a word too long for the packed counts is compared the plain way, with the same answer
    word = "ab/" * 11000
    options = ["ab/" * 10999 + "x", "ab/" * 10000, "b"]
    assert _closest(word, options, 0.5) == difflib.get_close_matches(word, options, n=1, cutoff=0.5)[0]


@pytest.mark.parametrize(
    "version, handler, expected",
    [
        ("3.17.0", True, Severity.INFO),  # era B builds no wheel
        ("4.14.0", True, None),  # era C copies the handler's own project as source files
        ("3.17.0", False, Severity.INFO),
        ("4.14.0", False, Severity.WARNING),  # era C builds the other members as wheels
    ],
)
def test_sst206_severity_follows_the_era_and_whether_a_handler_lives_in_the_project(tmp_path, version, handler, expected):
    import shutil

    from sst_lsp.analysis import analyse_path

    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "SST206" / "nested-and-missing", app)
    if not handler:
        config = app / "sst.config.ts"
        config.write_text(config.read_text().replace("functions/src/functions/api.handler", "other/api.handler"))
    found = [v for res in analyse_path(app, select={"SST206"}, era_override=version) for v in res.violations if v.code == "SST206"]
    if expected is None:
        assert found == []
        return
    assert len(found) == 2 and {v.severity for v in found} == {expected}
    assert all(v.message.endswith("so it is not affected; `uv build` and wheel installs are.") == (expected is Severity.INFO) for v in found)


def test_sst212_judges_a_member_the_file_index_does_not_hold(tmp_path):
    """A member of a nested uv workspace in a folder the app's walk skips (``build/``) is still
    judged: hatchling finds nothing to put in its wheel either."""
    import shutil

    from sst_lsp.analysis import analyse_path

    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "SST212" / "other-folder", app)
    (app / "py").mkdir()
    (app / "py" / "pyproject.toml").write_text('[project]\nname = "py"\nversion = "0.1.0"\n\n[tool.uv.workspace]\nmembers = ["../build/lib"]\n')
    lib = app / "build" / "lib"
    (lib / "code").mkdir(parents=True)
    (lib / "pyproject.toml").write_text('[project]\nname = "lib"\nversion = "0.1.0"\n\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    (lib / "code" / "y.py").write_text("x = 1\n")
    found = sorted(str(v.path.relative_to(app)) for res in analyse_path(app, select={"SST212"}) for v in res.violations if v.code == "SST212")
    assert found == ["build/lib/pyproject.toml", "functions/pyproject.toml"]
