// The parts of starting the server that do not need VS Code: which bundle fits this machine,
// asking an interpreter what it is, finding uv, and turning uv's failures into sentences.
// Node built-ins only, erasable TypeScript only (Node runs this file as it is in the tests).

import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** What `bundled/bundle.json` says: the VS Code target the native modules are for. */
export interface BundleInfo {
  target: string;
  pythonVersions: string[];
}

/** One JSON line from `serve.py --probe` or PROBE_FROM_ENVIRONMENT. */
export interface ProbeResult {
  python?: string;
  executable?: string;
  sst_lsp?: string;
  error?: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

/** Reports, as JSON, the interpreter's version and whether it can import its own sst_lsp. */
export const PROBE_FROM_ENVIRONMENT = [
  "import json, sys",
  'info = {"python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable}',
  "try:",
  "    import sst_lsp",
  '    info["sst_lsp"] = sst_lsp.__version__',
  "except Exception as exc:",
  '    info["error"] = "%s: %s" % (type(exc).__name__, exc)',
  "sys.stdout.write(json.dumps(info))",
].join("\n");

/** The VS Code target (as in `vsce package --target`) of the machine this runs on. */
export function currentTarget(platform: string = process.platform, arch: string = process.arch, musl: boolean = isMusl()): string {
  if (platform === "linux" && musl) {
    return `alpine-${arch}`;
  }
  return `${platform}-${arch}`;
}

function isMusl(): boolean {
  if (process.platform !== "linux") {
    return false;
  }
  try {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return !report?.header?.glibcVersionRuntime;
  } catch {
    return fs.existsSync("/etc/alpine-release");
  }
}

export function readBundleInfo(extensionPath: string): BundleInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(extensionPath, "bundled", "bundle.json"), "utf8"));
    if (typeof info?.target === "string") {
      return { target: info.target, pythonVersions: Array.isArray(info.pythonVersions) ? info.pythonVersions : [] };
    }
  } catch {
    // no bundle.json: a development checkout; treated as universal
  }
  return undefined;
}

/** The sst_lsp wheel the extension carries, for `uv tool run --from`. */
export function bundledWheel(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, "bundled", "wheel");
  try {
    const wheel = fs.readdirSync(dir).find((f) => /^sst_lsp-.*\.whl$/.test(f));
    return wheel ? path.join(dir, wheel) : undefined;
  } catch {
    return undefined;
  }
}

/** "3.10"–"3.14" from a list such as ["3.10", …, "3.14"]. */
export function describeVersions(versions: string[]): string {
  if (versions.length === 0) {
    return "none";
  }
  return versions.length === 1 ? versions[0] : `${versions[0]}–${versions[versions.length - 1]}`;
}

/** The `uv python find` request for these versions, e.g. ">=3.10,<3.15". */
export function versionRequest(versions: string[]): string {
  const minors = versions.map((v) => Number(v.split(".")[1])).filter((n) => Number.isFinite(n));
  const lo = Math.min(...minors);
  const hi = Math.max(...minors);
  return `>=3.${lo},<3.${hi + 1}`;
}

/** Whether "3.12.4" is one of ["3.10", …]. */
export function versionAccepted(full: string | undefined, versions: string[]): boolean {
  if (!full) {
    return false;
  }
  const [major, minor] = full.split(".");
  return versions.includes(`${major}.${minor}`);
}

export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeout, windowsHide: true, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        if (e && typeof e.code === "string") {
          resolve({ code: null, stdout: String(stdout), stderr: String(stderr), spawnError: `${e.code}: ${e.message}` });
        } else if (e && e.killed) {
          resolve({ code: null, stdout: String(stdout), stderr: `${String(stderr)}\n(stopped after ${options.timeout / 1000} s)` });
        } else {
          resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
        }
      },
    );
  });
}

/** The last JSON object line of a probe's output. */
export function parseProbe(stdout: string): ProbeResult | undefined {
  const lines = stdout.trim().split(/\r?\n/).reverse();
  for (const line of lines) {
    try {
      const value = JSON.parse(line);
      if (value && typeof value === "object") {
        return value as ProbeResult;
      }
    } catch {
      // not JSON: a warning printed by a sitecustomize, say
    }
  }
  return undefined;
}

/** uv on PATH, else where its installers put it. */
export async function findUv(env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  const exe = process.platform === "win32" ? "uv.exe" : "uv";
  const home = os.homedir();
  const candidates = [
    exe,
    env.XDG_BIN_HOME ? path.join(env.XDG_BIN_HOME, exe) : "",
    path.join(home, ".local", "bin", exe),
    path.join(home, ".cargo", "bin", exe),
  ].filter(Boolean);
  for (const candidate of candidates) {
    if (candidate !== exe && !fs.existsSync(candidate)) {
      continue;
    }
    const result = await run(candidate, ["--version"], { cwd, env, timeout: 10000 });
    if (result.code === 0) {
      return candidate;
    }
  }
  return undefined;
}

/** Why `uv tool run` failed, in a sentence a user can act on. */
export function explainUvFailure(stderr: string): { kind: "offline" | "index" | "python" | "other"; message: string } {
  const text = stderr.trim();
  const last = text.split(/\r?\n/).filter((l) => l.trim()).slice(-3).join(" ").slice(0, 400);
  if (/network connectivity is disabled|network was disabled|not found in the cache|failed to fetch|error sending request|dns error|failed to lookup address|connection refused|could not connect|tcp connect error|network is unreachable|operation timed out|connect timed out/i.test(text)) {
    return {
      kind: "offline",
      message:
        "uv could not download the server's dependencies (tree-sitter, pygls, …): there is no network, and they are not in uv's cache yet. Connect once and restart the server, or install the platform-specific extension package, which carries them.",
    };
  }
  if (/\b401\b|\b403\b|unauthori[sz]ed|forbidden|authenticat|not found in the package registry|no solution found|no version of|not found in the provided package locations|because .* was not found/i.test(text)) {
    return {
      kind: "index",
      message: `the package index uv is configured to use (uv.toml, UV_INDEX_URL, UV_DEFAULT_INDEX) did not provide the server's dependencies (tree-sitter, pygls, …): ${last}. Make them available there, or set sstLsp.importStrategy to fromEnvironment with an interpreter that has sst-lsp installed.`,
    };
  }
  if (/no interpreter found|no python|python downloads are not allowed|requested interpreter/i.test(text)) {
    return {
      kind: "python",
      message: `uv found no Python it may use: ${last}. Install Python 3.10–3.14 (\`uv python install 3.12\`) or set sstLsp.interpreter.`,
    };
  }
  return { kind: "other", message: `uv could not run the server: ${last || "no output"}` };
}
