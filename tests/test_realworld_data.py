"""The record of public projects checked by hand stays usable: every finding has a verdict."""

from __future__ import annotations

import sys

from helpers import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

sys.path.insert(0, str(REPO / "realworld"))
import check as realworld  # noqa: E402

DATA = tomllib.loads((REPO / "realworld" / "projects.toml").read_text(encoding="utf-8"))


def test_every_recorded_finding_has_a_verdict():
    projects = DATA["project"]
    assert len({p["name"] for p in projects if not p["name"].startswith(("v3.", "v4."))}) >= 15
    for p in projects:
        assert len(p["commit"]) == 40 and p["local"] and p["app"]
        for f in p.get("finding", []):
            assert f["severity"] in ("error", "warning")
            assert f["verdict"].startswith(("true", "false")), (p["name"], f)


def test_official_examples_are_clean():
    for p in DATA["project"]:
        if p["name"].startswith(("v3.19.3/", "v4.17.0/")):
            assert p.get("finding", []) == [], p["name"]


def test_the_script_compares_a_present_project(tmp_path, capsys):
    """A project present in the corpus is checked and compared; a missing one is reported absent."""
    app = tmp_path / "corpus" / "demo"
    (app / "functions").mkdir(parents=True)
    (app / "sst.config.ts").write_text(
        'export default $config({ app() { return { name: "demo", home: "aws" }; }, async run() {\n'
        '  new sst.aws.Function("Api", { handler: "functions/api.handler" });\n} });\n',
        encoding="utf-8",
    )
    (app / "functions" / "api.py").write_text("def handler(event, context):\n    return 1\n", encoding="utf-8")
    data = tmp_path / "projects.toml"
    data.write_text(
        '[[project]]\nname = "demo/app"\ncommit = "' + "0" * 40 + '"\nlocal = "demo"\napp = "."\nnotes = ""\n'
        "before = { errors = 1, warnings = 0 }\n"
        '[[project.finding]]\ncode = "SST105"\npath = "sst.config.ts"\nline = 2\nseverity = "error"\nverdict = "true"\n\n'
        '[[project]]\nname = "gone/app"\ncommit = "' + "1" * 40 + '"\nlocal = "gone"\napp = "."\nnotes = ""\n'
        "before = { errors = 0, warnings = 0 }\n",
        encoding="utf-8",
    )
    assert realworld.main([str(tmp_path / "corpus"), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "as recorded" in out and "not present" in out
    data.write_text(data.read_text(encoding="utf-8").replace("line = 2", "line = 3"), encoding="utf-8")
    assert realworld.main([str(tmp_path / "corpus"), "--data", str(data)]) == 1
    assert "new:  SST105 sst.config.ts:2 error" in capsys.readouterr().out
