"""detect_era: every version source of facts §1, in order, and npm range resolution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from sst_lsp.engine.era import UNKNOWN, Era, detect_era, era_of, newest_admitted
from sst_lsp.engine.files import FileSystem


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def detect(root: Path, override: str | None = None):
    return detect_era(FileSystem(workspace=root), root, override)


def package_json(root: Path, spec: str, section: str = "devDependencies") -> None:
    write(root, "package.json", json.dumps({"name": "app", section: {"sst": spec}}))


# -- boundaries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "v, era",
    [
        ("3.0.126", Era.A),
        ("3.9.2", Era.A),
        ("3.9.3", Era.B),
        ("3.19.3", Era.B),
        ("4.0.0", Era.B),
        ("4.12.9", Era.B),
        ("4.13.0", Era.C),
        ("4.17.0", Era.C),
    ],
)
def test_era_boundaries(v, era):
    assert era_of(Version(v)) == era


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("^3", "3.19.3"),
        ("^3.2.0", "3.19.3"),
        ("3.x", "3.19.3"),
        (">=3.9.3 <4", "3.19.3"),
        ("^4", "4.17.0"),
        ("latest", "4.17.0"),
        ("*", "4.17.0"),
        ("3.9.2", "3.9.2"),
        ("v3.17.0", "3.17.0"),
        ("<3.9.3", "3.9.2"),
        ("", None),
        ("garbage", None),
    ],
)
def test_newest_admitted(spec, expected):
    got = newest_admitted(spec)
    assert (str(got) if got else None) == expected


def test_tilde_range_is_era_b():
    v = newest_admitted("~3.9.0")
    assert v is not None and Version("3.9.3") <= v < Version("3.10.0")
    assert era_of(v) == Era.B


# -- each source -------------------------------------------------------------------------


def test_unknown_when_nothing_found(tmp_path):
    info = detect(tmp_path)
    assert info == UNKNOWN
    assert info.era is None and info.version is None
    assert "unknown" in info.describe()


def test_installed_package_json(tmp_path):
    write(tmp_path, "node_modules/sst/package.json", json.dumps({"name": "sst", "version": "3.17.0"}))
    info = detect(tmp_path)
    assert (str(info.version), info.era, info.source) == ("3.17.0", Era.B, "node_modules/sst/package.json")
    assert "3.17.0" in info.describe() and "era B" in info.describe()


def test_package_lock_v3(tmp_path):
    lock = {
        "name": "app",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {"name": "app", "devDependencies": {"sst": "^3.2.0"}},
            "node_modules/sst": {"version": "3.9.2", "resolved": "https://example.invalid/sst/-/sst-3.9.2.tgz"},
            "node_modules/sst-linux-x64": {"version": "3.9.2", "optional": True},
        },
    }
    write(tmp_path, "package-lock.json", json.dumps(lock, indent=2))
    info = detect(tmp_path)
    assert (str(info.version), info.era, info.source) == ("3.9.2", Era.A, "package-lock.json")


def test_package_lock_v1(tmp_path):
    lock = {"name": "app", "lockfileVersion": 1, "dependencies": {"sst": {"version": "4.13.1"}}}
    write(tmp_path, "package-lock.json", json.dumps(lock))
    info = detect(tmp_path)
    assert (str(info.version), info.era) == ("4.13.1", Era.C)


PNPM_V9 = """\
lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      '@aws-sdk/client-s3':
        specifier: ^3.600.0
        version: 3.600.0
    devDependencies:
      sst:
        specifier: ^3.2.0
        version: 3.17.0
      typescript:
        specifier: ^5.4.0
        version: 5.4.5

packages:

  sst-linux-x64@3.17.0:
    resolution: {integrity: sha512-abc}
    cpu: [x64]

  sst@3.17.0:
    resolution: {integrity: sha512-def}
    hasBin: true

snapshots:

  sst@3.17.0:
    dependencies:
      aws4fetch: 1.0.18
"""


def test_pnpm_lock_v9(tmp_path):
    write(tmp_path, "pnpm-lock.yaml", PNPM_V9)
    info = detect(tmp_path)
    assert (str(info.version), info.era, info.source) == ("3.17.0", Era.B, "pnpm-lock.yaml")


def test_pnpm_lock_v9_with_peer_suffix(tmp_path):
    text = PNPM_V9.replace("        version: 3.17.0\n", "        version: 3.17.0(typescript@5.4.5)\n", 1)
    write(tmp_path, "pnpm-lock.yaml", text)
    assert str(detect(tmp_path).version) == "3.17.0"


def test_pnpm_lock_v6_packages_only(tmp_path):
    text = "lockfileVersion: '6.0'\n\npackages:\n\n  /sst@4.14.2:\n    resolution: {integrity: sha512-x}\n    dev: true\n"
    write(tmp_path, "pnpm-lock.yaml", text)
    info = detect(tmp_path)
    assert (str(info.version), info.era) == ("4.14.2", Era.C)


def test_pnpm_lock_quoted_version(tmp_path):
    text = "lockfileVersion: '9.0'\nimporters:\n  .:\n    devDependencies:\n      sst:\n        specifier: 3.9.2\n        version: '3.9.2'\n"
    write(tmp_path, "pnpm-lock.yaml", text)
    assert (str(detect(tmp_path).version), detect(tmp_path).era) == ("3.9.2", Era.A)


BUN_LOCK = """\
{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "devDependencies": {
        "sst": "^3",
      },
    },
  },
  "packages": {
    "aws4fetch": ["aws4fetch@1.0.18", "", {}, "sha512-x"],
    "sst": ["sst@4.13.0", "", { "dependencies": { "aws4fetch": "1.0.18" }, "bin": { "sst": "bin/sst.mjs" } }, "sha512-y"],
    "sst-linux-x64": ["sst-linux-x64@4.13.0", "", { "os": "linux", "cpu": "x64" }, "sha512-z"],
  }
}
"""


def test_bun_lock_with_trailing_commas(tmp_path):
    write(tmp_path, "bun.lock", BUN_LOCK)
    info = detect(tmp_path)
    assert (str(info.version), info.era, info.source) == ("4.13.0", Era.C, "bun.lock")


def test_binary_bun_lockb_is_ignored(tmp_path):
    (tmp_path / "bun.lockb").write_bytes(b"\x00\x01binary sst@3.9.2")
    package_json(tmp_path, "^4")
    info = detect(tmp_path)
    assert info.era == Era.C and info.source.startswith("package.json")


YARN_V1 = """\
# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


sst-linux-x64@3.3.1:
  version "3.3.1"

sst@^3.3.0:
  version "3.3.1"
  resolved "https://registry.yarnpkg.com/sst/-/sst-3.3.1.tgz#abc"
  integrity sha512-x
"""

YARN_BERRY = """\
__metadata:
  version: 8
  cacheKey: 10c0

"sst@npm:^3.17.0":
  version: 3.17.0
  resolution: "sst@npm:3.17.0"
  dependencies:
    aws4fetch: "npm:1.0.18"
  languageName: node
  linkType: hard
"""


@pytest.mark.parametrize("text, version, era", [(YARN_V1, "3.3.1", Era.A), (YARN_BERRY, "3.17.0", Era.B)])
def test_yarn_lock(tmp_path, text, version, era):
    write(tmp_path, "yarn.lock", text)
    info = detect(tmp_path)
    assert (str(info.version), info.era, info.source) == (version, era, "yarn.lock")


def test_sst_platform_version(tmp_path):
    write(tmp_path, ".sst/platform/version", "4.2.0\n")
    info = detect(tmp_path)
    assert (str(info.version), info.era, info.source) == ("4.2.0", Era.B, ".sst/platform/version")


@pytest.mark.parametrize(
    "spec, version, era",
    [
        ("^3", "3.19.3", Era.B),
        ("^4", "4.17.0", Era.C),
        ("latest", "4.17.0", Era.C),
        ("3.9.2", "3.9.2", Era.A),
        ("3.9.3", "3.9.3", Era.B),
        ("npm:sst@^3", "3.19.3", Era.B),
    ],
)
def test_package_json_spec(tmp_path, spec, version, era):
    package_json(tmp_path, spec)
    info = detect(tmp_path)
    assert (str(info.version), info.era) == (version, era)
    assert info.source.startswith("package.json devDependencies")


def test_package_json_tilde_is_era_b(tmp_path):
    package_json(tmp_path, "~3.9.0", section="dependencies")
    info = detect(tmp_path)
    assert info.era == Era.B and "dependencies" in info.source


@pytest.mark.parametrize("spec", ["workspace:*", "workspace:^", "file:../sst", "link:../sst"])
def test_package_json_links_say_nothing(tmp_path, spec):
    package_json(tmp_path, spec)
    assert detect(tmp_path) == UNKNOWN


def test_package_json_catalog_default(tmp_path):
    package_json(tmp_path, "catalog:")
    write(tmp_path, "pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n\ncatalog:\n  typescript: ^5.4.0\n  sst: ^3.2.0\n")
    info = detect(tmp_path)
    assert (str(info.version), info.era) == ("3.19.3", Era.B)


def test_package_json_catalog_named(tmp_path):
    package_json(tmp_path, "catalog:infra")
    write(
        tmp_path,
        "pnpm-workspace.yaml",
        "packages:\n  - 'packages/*'\ncatalog:\n  sst: ^4\ncatalogs:\n  infra:\n    sst: 3.9.2\n  other:\n    sst: ^3\n",
    )
    info = detect(tmp_path)
    assert (str(info.version), info.era) == ("3.9.2", Era.A)


def test_package_json_catalog_in_parent_directory(tmp_path):
    app = tmp_path / "apps" / "web"
    package_json(app, "catalog:default")
    write(tmp_path, "pnpm-workspace.yaml", "catalog:\n  'sst': '^4.0.0'\n")
    info = detect_era(FileSystem(workspace=tmp_path), app)
    assert info.era == Era.C


def test_package_json_catalog_missing_is_unknown(tmp_path):
    package_json(tmp_path, "catalog:")
    assert detect(tmp_path) == UNKNOWN


def test_package_json_without_sst_is_unknown(tmp_path):
    write(tmp_path, "package.json", json.dumps({"name": "x", "dependencies": {"react": "^18"}}))
    assert detect(tmp_path) == UNKNOWN


def test_broken_files_are_skipped(tmp_path):
    write(tmp_path, "node_modules/sst/package.json", "{ not json")
    write(tmp_path, "package-lock.json", "{}")
    write(tmp_path, ".sst/platform/version", "dev\n")
    package_json(tmp_path, "3.9.2")
    info = detect(tmp_path)
    assert (str(info.version), info.era) == ("3.9.2", Era.A)


# -- order -------------------------------------------------------------------------------


def _all_sources(root: Path) -> None:
    write(root, "node_modules/sst/package.json", json.dumps({"version": "4.13.0"}))
    write(root, "package-lock.json", json.dumps({"packages": {"node_modules/sst": {"version": "3.9.2"}}}))
    write(root, "pnpm-lock.yaml", PNPM_V9)
    write(root, "bun.lock", BUN_LOCK)
    write(root, "yarn.lock", YARN_V1)
    write(root, ".sst/platform/version", "4.1.0\n")
    package_json(root, "^3")


def test_order_of_sources(tmp_path):
    _all_sources(tmp_path)
    expected = [
        ("node_modules/sst/package.json", "4.13.0"),
        ("package-lock.json", "3.9.2"),
        ("pnpm-lock.yaml", "3.17.0"),
        ("bun.lock", "4.13.0"),
        ("yarn.lock", "3.3.1"),
        (".sst/platform/version", "4.1.0"),
        ('package.json devDependencies "sst": "^3"', "3.19.3"),
    ]
    files = ["node_modules/sst/package.json", "package-lock.json", "pnpm-lock.yaml", "bun.lock", "yarn.lock", ".sst/platform/version", None]
    for (source, version), f in zip(expected, files):
        info = detect(tmp_path)
        assert (info.source, str(info.version)) == (source, version)
        if f:
            (tmp_path / f).unlink()


@pytest.mark.parametrize("override, version, era", [("3.9.2", "3.9.2", Era.A), ("4.13.0", "4.13.0", Era.C), ("^3", "3.19.3", Era.B), ("^4", "4.17.0", Era.C)])
def test_override_wins_over_everything(tmp_path, override, version, era):
    _all_sources(tmp_path)
    info = detect(tmp_path, override)
    assert (str(info.version), info.era) == (version, era)
    assert "sst-version" in info.source


def test_invalid_override_falls_through(tmp_path):
    package_json(tmp_path, "3.9.2")
    info = detect(tmp_path, "not a version")
    assert info.era == Era.A and info.source.startswith("package.json")


def test_project_reads_override_from_root_pyproject(tmp_path):
    from sst_lsp.engine.project import Project

    package_json(tmp_path, "^4")
    write(tmp_path, "sst.config.ts", "export default $config({});\n")
    write(tmp_path, "pyproject.toml", '[tool.sst-lsp]\nsst-version = "3.9.2"\n')
    project = Project(tmp_path, tmp_path / "sst.config.ts", FileSystem(workspace=tmp_path))
    assert project.era == Era.A
    project = Project(tmp_path, tmp_path / "sst.config.ts", FileSystem(workspace=tmp_path), era_override="4.13.0")
    assert project.era == Era.C
