"""The packaged VS Code extensions: what each .vsix holds, read from the files themselves.

``.ci/editors.sh`` builds them (``npm run package:platforms`` in vscode-client/) and records
their folder as SST_LSP_VSIX_DIR. Each platform .vsix must carry the native modules of its own
platform — judged by the binaries' headers (ELF machine and C library, Mach-O CPU type, PE
machine), since file names do not say (``_binding.abi3.so``; CPython before 3.13 names musl
modules ``…-linux-gnu.so``) — for every supported CPython, and nothing built for another.
"""

from __future__ import annotations

import json
import platform
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from editors_support import REPO, editor_tools

CLIENT = REPO / "vscode-client"
PYTHONS = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))["sstLsp"]["pythonVersions"]
# VS Code target -> (binary format, CPU, C library)
TARGETS = {
    "linux-x64": ("elf", "x86_64", "glibc"),
    "linux-arm64": ("elf", "aarch64", "glibc"),
    "alpine-x64": ("elf", "x86_64", "musl"),
    "darwin-x64": ("macho", "x86_64", None),
    "darwin-arm64": ("macho", "arm64", None),
    "win32-x64": ("pe", "x86_64", None),
    "win32-arm64": ("pe", "arm64", None),
}
SIZE_BUDGET = 6 * 1000 * 1000
# Everything a .vsix holds besides bundled/libs (vsce lower-cases readme and changelog).
SHIPPED = {
    "extension.vsixmanifest",
    "[Content_Types].xml",
    "extension/package.json",
    "extension/readme.md",
    "extension/changelog.md",
    "extension/LICENSE.md",
    "extension/images/icon.png",
    "extension/dist/extension.js",
    "extension/bundled/bundle.json",
    "extension/bundled/tool/serve.py",
}
WHEEL = re.compile(r"extension/bundled/wheel/sst_lsp-[^/]+-py3-none-any\.whl")
LIBS = "extension/bundled/libs/"
NATIVE_PACKAGES = ("tree_sitter", "tree_sitter_typescript", "tree_sitter_toml")


def _elf(data: bytes) -> tuple[str, str, str | None]:
    if data[4] != 2:
        raise AssertionError("32-bit ELF")
    endian = "<" if data[5] == 1 else ">"
    machine = struct.unpack_from(endian + "H", data, 18)[0]
    cpu = {62: "x86_64", 183: "aarch64"}.get(machine, f"elf-machine-{machine}")
    phoff = struct.unpack_from(endian + "Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from(endian + "HH", data, 54)
    loads, dynamic = [], None
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(endian + "IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:
            dynamic = (p_offset, p_filesz)

    def offset(vaddr: int) -> int:
        for start, off, size in loads:
            if start <= vaddr < start + size:
                return off + vaddr - start
        raise AssertionError(f"address {vaddr:#x} is in no PT_LOAD segment")

    needed, strtab = [], None
    if dynamic:
        for i in range(dynamic[1] // 16):
            tag, value = struct.unpack_from(endian + "qQ", data, dynamic[0] + i * 16)
            if tag == 0:
                break
            if tag == 1:
                needed.append(value)
            elif tag == 5:
                strtab = offset(value)
    names = [data[strtab + n : data.index(b"\0", strtab + n)].decode() for n in needed] if strtab is not None else []
    if any(n.startswith("libc.musl-") for n in names):
        libc = "musl"
    elif any(n.startswith("libc.so.") for n in names) or b"GLIBC_2." in data:
        libc = "glibc"
    else:
        libc = None
    return "elf", cpu, libc


def _macho_cpu(cputype: int) -> str:
    return {0x01000007: "x86_64", 0x0100000C: "arm64"}.get(cputype, f"macho-cpu-{cputype:#x}")


def platform_of(data: bytes) -> list[tuple[str, str, str | None]] | None:
    """(format, cpu, libc) of each architecture in a binary; None when it is not one."""
    if data[:4] == b"\x7fELF":
        return [_elf(data)]
    if data[:4] == b"\xcf\xfa\xed\xfe":  # 64-bit Mach-O, little-endian
        return [("macho", _macho_cpu(struct.unpack_from("<I", data, 4)[0]), None)]
    if data[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):  # fat (universal2) Mach-O
        count = struct.unpack_from(">I", data, 4)[0]
        step = 20 if data[3] == 0xBE else 32
        return [("macho", _macho_cpu(struct.unpack_from(">I", data, 8 + i * step)[0]), None) for i in range(count)]
    if data[:2] == b"MZ":
        pe = struct.unpack_from("<I", data, 0x3C)[0]
        if data[pe : pe + 4] == b"PE\0\0":
            machine = struct.unpack_from("<H", data, pe + 4)[0]
            return [("pe", {0x8664: "x86_64", 0xAA64: "arm64"}.get(machine, f"pe-machine-{machine:#x}"), None)]
    return None


def _fits(found: tuple, want: tuple) -> bool:
    """Same format and CPU, and the same C library unless the module links none (a grammar's
    tables need no libc and load under glibc and musl alike)."""
    return found[:2] == want[:2] and (found[2] is None or found[2] == want[2])


def cpython_tag(name: str) -> str | None:
    """'3.12' from _binding.cpython-312-x86_64-linux-gnu.so or _binding.cp312-win_amd64.pyd."""
    m = re.match(r"_binding\.(?:cpython-|cp)(\d)(\d+)[-.]", name)
    return f"{m.group(1)}.{m.group(2)}" if m else None


@pytest.fixture(scope="module")
def vsix_dir() -> Path:
    return Path(editor_tools("SST_LSP_VSIX_DIR")["SST_LSP_VSIX_DIR"])


def _manifest_target(z: zipfile.ZipFile) -> str | None:
    m = re.search(r'TargetPlatform="([^"]+)"', z.read("extension.vsixmanifest").decode())
    return m.group(1) if m else None


def _check_shipped(names: list[str], target: str) -> None:
    others = {n for n in names if not n.startswith(LIBS) and not WHEEL.fullmatch(n)}
    assert others == SHIPPED, f"{target}: unexpected {sorted(others - SHIPPED)}, missing {sorted(SHIPPED - others)}"
    assert sum(1 for n in names if WHEEL.fullmatch(n)) == 1, f"{target}: the sst_lsp wheel is missing"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_platform_vsix_holds_its_own_native_modules_only(vsix_dir, target):
    path = vsix_dir / f"sst-lsp-{target}.vsix"
    assert path.is_file(), f"{path} was not built (npm run package:platforms)"
    size = path.stat().st_size
    assert size <= SIZE_BUDGET, f"{path.name} is {size / 1e6:.2f} MB, over the {SIZE_BUDGET / 1e6:.0f} MB budget"
    want = TARGETS[target]
    with zipfile.ZipFile(path) as z:
        assert _manifest_target(z) == target
        names = z.namelist()
        _check_shipped(names, target)
        assert json.loads(z.read("extension/bundled/bundle.json"))["target"] == target
        assert f"{LIBS}sst_lsp/server.py" in names and f"{LIBS}pygls/__init__.py" in names
        assert not [n for n in names if ".dist-info/" in n or n.startswith(LIBS + "bin/")], "dist-info or bin/ shipped"
        natives = {}
        for name in names:
            with z.open(name) as f:
                head = f.read(4)
            if head[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf") or head[:2] == b"MZ":
                natives[name] = platform_of(z.read(name))
    foreign = {n: p for n, p in natives.items() if p is None or not all(_fits(arch, want) for arch in p)}
    assert not foreign, f"{target}: binaries for another platform: {foreign}"
    by_package: dict[str, list[str]] = {}
    for name in natives:
        assert name.startswith(LIBS), f"{target}: a binary outside bundled/libs: {name}"
        package, _, file = name[len(LIBS) :].partition("/")
        by_package.setdefault(package, []).append(file)
    assert sorted(by_package) == sorted(NATIVE_PACKAGES), f"{target}: native modules in {sorted(by_package)}"
    versions = sorted((cpython_tag(f) for f in by_package["tree_sitter"]), key=str)
    assert versions == sorted(PYTHONS), f"{target}: tree_sitter bindings for {versions}, want {PYTHONS}"
    for grammar in ("tree_sitter_typescript", "tree_sitter_toml"):
        files = by_package[grammar]
        assert len(files) == 1 and cpython_tag(files[0]) is None, f"{target}: {grammar}: {files} (one abi3 module expected)"


def test_universal_vsix_has_no_native_modules(vsix_dir):
    path = vsix_dir / "sst-lsp-universal.vsix"
    with zipfile.ZipFile(path) as z:
        assert _manifest_target(z) is None
        names = z.namelist()
        _check_shipped(names, "universal")
        assert not [n for n in names if n.startswith(LIBS)], "the universal .vsix carries bundled/libs"
        assert json.loads(z.read("extension/bundled/bundle.json"))["target"] == "universal"


def test_bundled_server_imports_with_an_isolated_interpreter(vsix_dir, tmp_path):
    """The host's .vsix, unpacked: serve.py --probe under -I imports sst_lsp and the native modules
    from bundled/libs, not from this checkout or the test environment."""
    host = {("linux", "x86_64"): "linux-x64", ("linux", "aarch64"): "linux-arm64"}.get((sys.platform, platform.machine()))
    if host is None:
        pytest.fail(f"no .vsix target known for {sys.platform}/{platform.machine()}: add it here")
    with zipfile.ZipFile(vsix_dir / f"sst-lsp-{host}.vsix") as z:
        z.extractall(tmp_path)
    serve = tmp_path / "extension" / "bundled" / "tool" / "serve.py"
    proc = subprocess.run([sys.executable, "-I", str(serve), "--probe"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    info = json.loads(proc.stdout)
    assert info["sst_lsp"] and "error" not in info, info
    assert Path(info["location"]).resolve() == (tmp_path / "extension" / "bundled" / "libs" / "sst_lsp").resolve(), info


def test_vsce_ls_lists_only_what_ships():
    """`vsce ls` in vscode-client/ (no platform bundle present) lists the universal package's files."""
    tools = editor_tools("NODE24")
    vsce = CLIENT / "node_modules" / "@vscode" / "vsce" / "vsce"
    assert vsce.is_file(), "run .ci/editors.sh (npm ci in vscode-client/) first"
    proc = subprocess.run([tools["NODE24"], str(vsce), "ls", "--no-dependencies"], cwd=CLIENT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    listed = {line.strip() for line in proc.stdout.splitlines() if line.strip()}
    wheels = {n for n in listed if n.startswith("bundled/wheel/")}
    expected = {n.removeprefix("extension/") for n in SHIPPED if n.startswith("extension/")}
    expected = {n.replace("readme.md", "README.md").replace("changelog.md", "CHANGELOG.md") for n in expected}
    assert listed - wheels == expected, f"unexpected {sorted(listed - wheels - expected)}, missing {sorted(expected - listed)}"
    assert not [n for n in listed if n.startswith("bundled/libs/")]
