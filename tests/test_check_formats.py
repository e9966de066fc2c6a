"""``sst-lsp check`` output formats (text, json, sarif, github), exit statuses and several PATHs."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from helpers import BROKEN_APP, FIXTURES, copy_app
from sst_lsp import cli, fixer, output
from sst_lsp.engine.model import Severity, Violation
from sst_lsp.engine.positions import Position, Range

NOT_MEMBER = FIXTURES / "SST202" / "not-member"
NO_BUILD = FIXTURES / "SST203" / "no-build-system"
DIAG_LINE = re.compile(r"^([^\s:]+):(\d+):(\d+): (SST\d{3})( \[\*\])? (.+)$")
GITHUB_LINE = re.compile(
    r"^::(?P<level>error|warning|notice) file=(?P<file>[^,]*),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"endLine=(?P<end_line>\d+),endColumn=(?P<end_col>\d+),title=(?P<title>[^,:]*)::(?P<message>.*)$"
)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def apps(tmp_path, monkeypatch):
    """Copies of the two fixtures and examples/broken-app under tmp_path, the cwd."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return {
        "not-member": copy_app(NOT_MEMBER, tmp_path),
        "no-build-system": copy_app(NO_BUILD, tmp_path),
        "broken-app": copy_app(BROKEN_APP, tmp_path),
    }


def _json(capsys, *args: str) -> list[dict]:
    code, out, _ = run(capsys, *args, "--format", "json")
    assert code in (0, 1)
    return json.loads(out)["diagnostics"]


def _unescape_github(s: str) -> str:
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


# -- sarif -----------------------------------------------------------------------------------


def _check_sarif(log: dict, cwd: Path) -> list[dict]:
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json") or "sarif-schema-2.1.0" in log["$schema"]
    assert isinstance(log["runs"], list) and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "sst-lsp"
    assert isinstance(driver["version"], str) and driver["version"]
    assert "informationUri" not in driver or not re.match(r"^[a-z]+:", driver["informationUri"])
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids)), "rule ids must be unique"
    for r in driver["rules"]:
        assert re.fullmatch(r"SST\d{3}", r["id"])
        assert r["shortDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert r["helpUri"]
    for res in run_["results"]:
        assert res["ruleId"] in ids
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        assert isinstance(res["message"]["text"], str) and res["message"]["text"]
        assert res["locations"], res
        for loc in res["locations"]:
            art = loc["physicalLocation"]["artifactLocation"]
            assert art["uriBaseId"] == "%SRCROOT%"
            uri = art["uri"]
            assert not uri.startswith("/") and "\\" not in uri and not re.match(r"^[a-z]+:", uri), uri
            assert (cwd / uri).is_file(), uri
            region = loc["physicalLocation"]["region"]
            for key in ("startLine", "startColumn", "endLine", "endColumn"):
                assert isinstance(region[key], int) and region[key] >= 1, region
            assert (region["startLine"], region["startColumn"]) <= (region["endLine"], region["endColumn"])
    return run_["results"]


def test_sarif_structure_and_positions(apps, capsys, tmp_path):
    for name, app in apps.items():
        code, out, err = run(capsys, name, "--format", "sarif")
        assert code == 1, err
        results = _check_sarif(json.loads(out), tmp_path)
        assert results
        diags = _json(capsys, name)
        assert len(results) == len(diags)
        for res, d in zip(results, diags):
            assert res["ruleId"] == d["code"]
            assert res["message"]["text"] == d["message"]
            # sarif paths are relative to the current directory (the repository root in CI)
            assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f"{name}/{d['path']}"
            region = res["locations"][0]["physicalLocation"]["region"]
            rng = d["range"]
            assert region == {
                "startLine": rng["start"]["line"] + 1,
                "startColumn": rng["start"]["character"] + 1,
                "endLine": rng["end"]["line"] + 1,
                "endColumn": rng["end"]["character"] + 1,
            }
            expected_level = {"error": "error", "warning": "warning", "info": "note", "hint": "note"}[d["severity"]]
            assert res["level"] == expected_level
            assert ("fixes" in res) == (d["fix"] is not None)


def test_sarif_without_results_is_still_a_valid_log(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean = copy_app(FIXTURES / "official" / "aws-python", tmp_path) if (FIXTURES / "official" / "aws-python").is_dir() else tmp_path
    code, out, _ = run(capsys, str(clean.name if clean != tmp_path else "."), "--format", "sarif")
    assert code == 0
    log = json.loads(out)
    assert _check_sarif(log, tmp_path) == []
    assert log["runs"][0]["tool"]["driver"]["rules"], "every rule is described even without results"


def test_sarif_uri_is_percent_encoded(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spaced = tmp_path / "my app"
    shutil.copytree(NOT_MEMBER, spaced)
    code, out, _ = run(capsys, "my app", "--format", "sarif")
    assert code == 1
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(out)["runs"][0]["results"]]
    assert uris == ["my%20app/pyproject.toml"]


# -- github ----------------------------------------------------------------------------------


def test_github_lines_parse_back(apps, capsys, tmp_path):
    for name in apps:
        code, out, _ = run(capsys, name, "--format", "github")
        assert code == 1
        diags = _json(capsys, name)
        lines = out.splitlines()
        assert len(lines) == len(diags)
        for line, d in zip(lines, diags):
            m = GITHUB_LINE.match(line)
            assert m, line
            level = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}[d["severity"]]
            assert m["level"] == level
            assert _unescape_github(m["file"]) == f"{name}/{d['path']}"
            assert (tmp_path / _unescape_github(m["file"])).is_file()
            assert int(m["line"]) == d["range"]["start"]["line"] + 1
            assert int(m["col"]) == d["range"]["start"]["character"] + 1
            assert int(m["end_line"]) == d["range"]["end"]["line"] + 1
            assert int(m["end_col"]) == d["range"]["end"]["character"] + 1
            assert m["title"] == d["code"]
            assert _unescape_github(m["message"]) == d["message"]


def _violation(message: str, severity=Severity.ERROR, code="SST202", path="/x/a.toml") -> Violation:
    return Violation(code, Path(path), Range(Position(2, 4), Position(3, 0)), message, severity)


def test_github_escaping():
    msg = "100% sure:\r\nline two, with a comma"
    item = output.Item("a,b:c%.toml", "dir/a,b:c%.toml", _violation(msg))
    line = output.github_line(item)
    assert "\n" not in line and "\r" not in line
    m = GITHUB_LINE.match(line)
    assert m, line
    assert m["file"] == "dir/a%2Cb%3Ac%25.toml"
    assert _unescape_github(m["file"]) == "dir/a,b:c%.toml"
    assert m["message"] == "100%25 sure:%0D%0Aline two, with a comma"
    assert _unescape_github(m["message"]) == msg
    assert (m["line"], m["col"], m["end_line"], m["end_col"]) == ("3", "5", "4", "1")
    for sev, level in ((Severity.WARNING, "warning"), (Severity.INFO, "notice"), (Severity.HINT, "notice")):
        assert output.github_line(output.Item("a", "a", _violation("m", sev))).startswith(f"::{level} ")


# -- text ------------------------------------------------------------------------------------


def test_text_has_source_line_caret_and_summary(apps, capsys):
    code, out, _ = run(capsys, "not-member")
    assert code == 1
    lines = out.splitlines()
    assert DIAG_LINE.match(lines[0]), lines[0]
    assert lines[0].startswith("pyproject.toml:8:1: SST202 [*] ")
    assert lines[1] == ' 8 | members = ["core"]'
    assert lines[2] == "   | ^^^^^^^"
    assert lines[-1] == "Found 1 problem (1 error); 1 with a fix ([*])."
    assert "\x1b[" not in out  # not a terminal: no colour


def test_text_caret_counts_code_points_not_utf16_units():
    text = 'x = "𝒳é"; y = 1\n'
    # "y" is code point 10 but UTF-16 unit 11 ("𝒳" is two units, one column)
    number, src, carets = output.excerpt(text, Position(0, 11), Position(0, 12))
    assert (number, src) == (1, 'x = "𝒳é"; y = 1')
    assert carets == " " * 10 + "^"
    # a wide character takes two columns on a terminal
    _, _, carets = output.excerpt('k = "漢字"\n', Position(0, 4), Position(0, 8))
    assert carets == " " * 4 + "^" * 6
    _, _, carets = output.excerpt("\tkey = 1\n", Position(0, 1), Position(0, 4))
    assert carets == "\t^^^"
    assert output.excerpt("a\n", Position(5, 0), Position(5, 1)) is None
    assert output.excerpt(None, Position(0, 0), Position(0, 1)) is None


def test_text_colour_only_on_a_terminal_without_no_color(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli._use_color(Tty()) is True
    assert cli._use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._use_color(Tty()) is False
    item = output.Item("a.toml", "a.toml", _violation("boom"), "l0\nl1\n  members = 1\n")
    coloured = "\n".join(output.text_diagnostic(item, color=True))
    plain = "\n".join(output.text_diagnostic(item, color=False))
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_quiet_prints_only_diagnostic_lines(apps, capsys):
    code, out, _ = run(capsys, "-q", "not-member", "no-build-system")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert all(DIAG_LINE.match(line) for line in lines), lines


def test_several_paths_are_relative_to_the_current_directory(apps, capsys):
    code, out, _ = run(capsys, "not-member", "no-build-system")
    assert code == 1
    found = {(m[1], m[4]) for m in map(DIAG_LINE.match, out.splitlines()) if m}
    assert found == {("not-member/pyproject.toml", "SST202"), ("no-build-system/functions/pyproject.toml", "SST203")}
    assert out.splitlines()[-1] == "Found 2 problems (2 errors); 2 with a fix ([*])."
    # an app reached through two PATHs is checked once
    code, out, _ = run(capsys, "--format", "json", "not-member", "not-member/pyproject.toml", ".")
    paths = [d["path"] for d in json.loads(out)["diagnostics"]]
    assert paths.count("not-member/pyproject.toml") == 1


def test_json_format_is_unchanged(apps, capsys):
    code, out, _ = run(capsys, "not-member", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert set(data) == {"diagnostics"}
    (d,) = data["diagnostics"]
    assert d == {
        "path": "pyproject.toml",
        "code": "SST202",
        "severity": "error",
        "message": d["message"],
        "range": {"start": {"line": 7, "character": 0}, "end": {"line": 7, "character": 7}},
        "fix": {"title": 'Add "functions" to [tool.uv.workspace] members', "safety": "safe"},
    }
    assert out == json.dumps(data, indent=2) + "\n"


# -- exit status -----------------------------------------------------------------------------


def test_fail_on_and_exit_zero(apps, capsys):
    assert run(capsys, "not-member")[0] == 1
    assert run(capsys, "not-member", "--exit-zero")[0] == 0
    assert run(capsys, "not-member", "--fail-on", "warning")[0] == 1
    assert run(capsys, "nowhere", "--exit-zero")[0] == 2
    assert run(capsys, "not-member", "--fail-on", "fatal")[0] == 2
    if "broken-app" in apps:  # SST101 alone: a warning
        assert run(capsys, "broken-app", "--select", "SST101")[0] == 0
        assert run(capsys, "broken-app", "--select", "SST101", "--fail-on", "warning")[0] == 1
        assert run(capsys, "broken-app", "--select", "SST101", "--fail-on", "info")[0] == 1
        assert run(capsys, "broken-app", "--select", "SST101", "--fail-on", "warning", "--exit-zero")[0] == 0


def test_fail_on_thresholds(monkeypatch, capsys, tmp_path):
    """Every severity against every threshold, with the analysis replaced by one violation."""
    from types import SimpleNamespace

    monkeypatch.chdir(tmp_path)
    expected = {
        ("error", Severity.ERROR): 1, ("error", Severity.WARNING): 0, ("error", Severity.INFO): 0,
        ("warning", Severity.ERROR): 1, ("warning", Severity.WARNING): 1, ("warning", Severity.INFO): 0,
        ("info", Severity.ERROR): 1, ("info", Severity.WARNING): 1, ("info", Severity.INFO): 1, ("info", Severity.HINT): 0,
    }  # fmt: skip
    for (fail_on, sev), status in expected.items():
        v = _violation("m", sev, path=str(tmp_path / "a.toml"))
        fake = SimpleNamespace(violations=[v], failures=[], project=SimpleNamespace(fs=SimpleNamespace(read_text=lambda p: None)))
        monkeypatch.setattr(fixer, "analyse", lambda *a, **k: [fake])
        assert run(capsys, "--fail-on", fail_on, "--format", "json")[0] == status, (fail_on, sev)
        assert run(capsys, "--fail-on", fail_on, "--exit-zero")[0] == 0


def test_internal_error_exits_2_even_with_exit_zero(monkeypatch, capsys, tmp_path):
    from types import SimpleNamespace

    monkeypatch.chdir(tmp_path)
    fake = SimpleNamespace(violations=[], failures=[("SST999", "RuntimeError: boom")], project=None)
    monkeypatch.setattr(fixer, "analyse", lambda *a, **k: [fake])
    code, out, err = run(capsys, "--exit-zero", "--format", "sarif")
    assert code == 2
    assert "internal error in rule SST999" in err
    inv = json.loads(out)["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False


# -- progress --------------------------------------------------------------------------------


def test_progress_only_on_a_terminal_and_past_the_threshold(apps):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert fixer.Progress.for_stream(io.StringIO()) is None
    stream = Tty()
    progress = fixer.Progress(stream, min_files=3)
    fixer.analyse([Path(p) for p in apps.values()], session=fixer.Session(progress))
    shown = stream.getvalue()
    assert "apps," in shown and "files" in shown
    assert shown.endswith("\r\x1b[K")  # the bar is erased at the end
    quiet = Tty()
    fixer.analyse([apps["not-member"]], session=fixer.Session(fixer.Progress(quiet)))
    assert quiet.getvalue() == ""  # few files: no bar
