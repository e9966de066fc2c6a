"""The VS Code extension's manifest against what it claims: every setting documented, the
debounce setting the server understands, an honest engines.vscode, one publisher/repository
that the README's action example agrees with, an icon and a changelog."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

from sst_lsp.engine.settings import parse_settings
from sst_lsp.rules.registry import load_all
from sst_lsp.session import DEFAULT_DEBOUNCE_MS

REPO = Path(__file__).resolve().parent.parent
CLIENT = REPO / "vscode-client"
MANIFEST = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))
SETTINGS = MANIFEST["contributes"]["configuration"]["properties"]


def test_every_setting_is_described_and_documented_in_the_readme():
    readme = (CLIENT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(sstLsp\.[\w.]+)` \|", readme, re.MULTILINE))
    assert rows == set(SETTINGS), f"README table: missing {sorted(set(SETTINGS) - rows)}, extra {sorted(rows - set(SETTINGS))}"
    for name, spec in SETTINGS.items():
        assert spec.get("markdownDescription") or spec.get("description"), name
        assert "default" in spec and "scope" in spec, name


def test_debounce_setting_matches_the_server():
    spec = SETTINGS["sstLsp.debounceMs"]
    assert spec["type"] == "integer" and spec["default"] == DEFAULT_DEBOUNCE_MS
    codes = load_all()
    for edge in (spec["minimum"], spec["maximum"]):
        settings, problems = parse_settings({"debounceMs": edge}, codes)
        assert not problems and settings.debounce_ms == edge
    for outside in (spec["minimum"] - 1, spec["maximum"] + 1):
        assert parse_settings({"debounce-ms": outside}, codes)[1], outside
    # what the extension sends (serverSettings in src/extension.ts)
    assert 'settings["debounce-ms"]' in (CLIENT / "src" / "extension.ts").read_text(encoding="utf-8")


def test_settings_that_choose_a_program_are_machine_settings_restricted_in_untrusted_workspaces():
    chooses = {"sstLsp.server.command", "sstLsp.interpreter", "sstLsp.importStrategy"}
    assert set(MANIFEST["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"]) == chooses
    for name in chooses:
        assert SETTINGS[name]["scope"] == "machine-overridable", name
    assert SETTINGS["sstLsp.importStrategy"]["enum"] == ["useBundled", "fromEnvironment"]
    assert SETTINGS["sstLsp.importStrategy"]["default"] == "useBundled"


def test_engines_vscode_is_the_api_the_code_is_compiled_against():
    """`@types/vscode` pinned to the engines minimum: using a newer API fails `npm run lint`."""
    engine = MANIFEST["engines"]["vscode"]
    types = MANIFEST["devDependencies"]["@types/vscode"]
    assert engine.startswith("^") and types.startswith("~")
    assert engine[1:] == types[1:], (engine, types)
    # vscode-languageclient's own minimum must not be above ours
    lock = json.loads((CLIENT / "package-lock.json").read_text(encoding="utf-8"))
    client_engine = lock["packages"]["node_modules/vscode-languageclient"]["engines"]["vscode"]
    as_tuple = lambda v: tuple(int(x) for x in v.lstrip("^~>=").split("."))  # noqa: E731
    assert as_tuple(client_engine) <= as_tuple(engine), client_engine


def test_publisher_and_repository_in_one_place_and_the_readme_agrees():
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", MANIFEST["publisher"])
    url = MANIFEST["repository"]["url"]
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?", url)
    assert m, url
    owner_repo = f"{m.group(1)}/{m.group(2)}"
    assert MANIFEST["bugs"]["url"] == f"https://github.com/{owner_repo}/issues"
    assert MANIFEST["homepage"].startswith(f"https://github.com/{owner_repo}")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    uses = set(re.findall(r"uses: ([\w.-]+/[\w.-]+)@", readme)) - {"actions/checkout", "github/codeql-action/upload-sarif"}
    assert uses == {owner_repo}, uses


def test_icon_and_changelog():
    icon = CLIENT / MANIFEST["icon"]
    data = icon.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == height >= 128
    changelog = (CLIENT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {MANIFEST['version']}" in changelog
