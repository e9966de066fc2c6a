// Packages the extension.
//
//   node scripts/package.mjs                      the universal .vsix (no native modules)
//   node scripts/package.mjs --platforms          one .vsix per target below, then the universal one
//   node scripts/package.mjs --target linux-x64   one target (repeatable)
//
// Output: dist-vsix/sst-lsp-<target>.vsix and dist-vsix/sst-lsp-universal.vsix.
//
// A platform .vsix carries the server: bundled/libs holds sst_lsp, its pure dependencies and
// the native modules (tree-sitter and its grammars) of that platform for every CPython version
// in package.json's sstLsp.pythonVersions. uv resolves and installs each (platform, version)
// from this machine, whatever it runs on (`--python-platform`, `--python-version`, wheels
// only); the installs are merged, and a file that differs between two of them stops the build.
// Every .vsix also carries the sst_lsp wheel (bundled/wheel), which the extension hands to
// `uv tool run` when there is no bundle for the platform it runs on.
//
// Needs uv on PATH (or $UV) and a package index that uv can reach, or uv's cache.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REPO = path.resolve(CLIENT, "..");
const BUNDLED = path.join(CLIENT, "bundled");
const LIBS = path.join(BUNDLED, "libs");
const WHEEL_DIR = path.join(BUNDLED, "wheel");
const OUT = path.join(CLIENT, "dist-vsix");
const UV = process.env.UV || "uv";
const VSCE = path.join(CLIENT, "node_modules", "@vscode", "vsce", "vsce");

// VS Code target → uv's --python-platform.
const TARGETS = {
  "linux-x64": "x86_64-manylinux_2_17",
  "linux-arm64": "aarch64-manylinux_2_17",
  "alpine-x64": "x86_64-unknown-linux-musl",
  "darwin-x64": "x86_64-apple-darwin",
  "darwin-arm64": "aarch64-apple-darwin",
  "win32-x64": "x86_64-pc-windows-msvc",
  "win32-arm64": "aarch64-pc-windows-msvc",
};

const manifest = JSON.parse(fs.readFileSync(path.join(CLIENT, "package.json"), "utf8"));
const PYTHONS = manifest.sstLsp.pythonVersions;

function run(cmd, args, options = {}) {
  const proc = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...options });
  if (proc.error) {
    const hint = cmd === UV ? " (install it with `pip install uv`, or set $UV)" : "";
    throw new Error(`${cmd} could not be run${hint}: ${proc.error.message}`);
  }
  if (proc.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${proc.status}\n${proc.stdout}\n${proc.stderr}`);
  }
  return proc.stdout;
}

function buildWheel(work) {
  // sdist first, then the wheel from it (uv's default): a stale build/ in the checkout cannot
  // leak into the wheel.
  const dir = path.join(work, "wheel");
  run(UV, ["build", "--quiet", "--out-dir", dir, REPO]);
  const wheels = fs.readdirSync(dir).filter((f) => f.endsWith(".whl"));
  if (wheels.length !== 1) throw new Error(`expected one wheel in ${dir}, found ${wheels}`);
  fs.rmSync(WHEEL_DIR, { recursive: true, force: true });
  fs.mkdirSync(WHEEL_DIR, { recursive: true });
  fs.copyFileSync(path.join(dir, wheels[0]), path.join(WHEEL_DIR, wheels[0]));
  return path.join(WHEEL_DIR, wheels[0]);
}

/** Copy ``src`` into ``dest``; a file already there must be byte-identical. */
function merge(src, dest, rel = "") {
  for (const entry of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
    const name = path.join(rel, entry.name);
    // Metadata, console scripts and uv's lock file are not needed to import anything.
    if (rel === "" && (entry.name.endsWith(".dist-info") || entry.name === "bin" || entry.name.startsWith("."))) continue;
    if (entry.name === "__pycache__") continue;
    const from = path.join(src, name);
    const to = path.join(dest, name);
    if (entry.isDirectory()) {
      fs.mkdirSync(to, { recursive: true });
      merge(src, dest, name);
    } else if (fs.existsSync(to)) {
      if (!fs.readFileSync(from).equals(fs.readFileSync(to))) {
        throw new Error(`${name} differs between the installs for two Python versions (a dependency resolved differently?)`);
      }
    } else {
      fs.copyFileSync(from, to);
    }
  }
}

// One uv at a time: concurrent installs wait seconds on each other's cache locks.
function bundleLibs(target, wheel, work) {
  const platform = TARGETS[target];
  fs.rmSync(LIBS, { recursive: true, force: true });
  fs.mkdirSync(LIBS, { recursive: true });
  for (const version of PYTHONS) {
    const dir = path.join(work, target, version);
    run(UV, [
      "pip", "install", "--quiet",
      "--target", dir,
      "--python-platform", platform,
      "--python-version", version,
      "--only-binary", ":all:",
      wheel,
    ]);
    merge(dir, LIBS);
  }
}

function writeBundleInfo(target) {
  const info = { target, pythonVersions: target === "universal" ? [] : PYTHONS, version: manifest.version };
  fs.writeFileSync(path.join(BUNDLED, "bundle.json"), JSON.stringify(info, null, 2) + "\n");
}

function vsce(target) {
  const out = path.join(OUT, `sst-lsp-${target}.vsix`);
  fs.rmSync(out, { force: true });
  const args = [VSCE, "package", "--no-dependencies", "--githubBranch", "main", "--out", out];
  if (target !== "universal") args.push("--target", target);
  run(process.execPath, args, { cwd: CLIENT });
  return out;
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

async function main(argv) {
  let targets = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--platforms") targets.push(...Object.keys(TARGETS));
    else if (argv[i] === "--target" && TARGETS[argv[i + 1]]) targets.push(argv[++i]);
    else throw new Error(`usage: package.mjs [--platforms | --target ${Object.keys(TARGETS).join("|")} ...]`);
  }
  const t0 = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "sst-lsp-package-"));
  fs.mkdirSync(OUT, { recursive: true });
  try {
    const wheel = buildWheel(work);
    console.log(`wheel: ${path.relative(CLIENT, wheel)}`);
    for (const target of [...new Set(targets), "universal"]) {
      const t = Date.now();
      if (target === "universal") fs.rmSync(LIBS, { recursive: true, force: true });
      else bundleLibs(target, wheel, work);
      writeBundleInfo(target);
      const vsix = vsce(target);
      console.log(`${path.relative(CLIENT, vsix)}  ${mib(fs.statSync(vsix).size)}  (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }
  } finally {
    // Leave no platform's native modules behind for a plain `vsce package` / `vsce ls`.
    fs.rmSync(LIBS, { recursive: true, force: true });
    writeBundleInfo("universal");
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
});
