// Choosing the command that starts the language server.
//
// 1. `sstLsp.server.command`, when set, wins over everything.
// 2. `sstLsp.importStrategy` `useBundled` (default) on a platform the extension has a bundle for:
//    `<python> -I <extension>/bundled/tool/serve.py`, with the first interpreter that is
//    CPython 3.10–3.14 among: `sstLsp.interpreter`; the Python extension's active environment
//    (when that extension is installed); `uv python find`; `python3` (`py -3` on Windows).
// 3. `useBundled` without a bundle for this platform: `uv tool run --from <the wheel in the
//    extension> sst-lsp serve`.
// 4. `fromEnvironment`: `<python> -m sst_lsp serve`, the first interpreter found in the order of 2.
//
// In Restricted Mode the settings that choose a program are read from user scope only, and the
// Python extension is not asked (its interpreter may live inside the workspace).

import * as path from "path";
import * as vscode from "vscode";

import {
  bundledWheel,
  currentTarget,
  describeVersions,
  explainUvFailure,
  findUv,
  parseProbe,
  PROBE_FROM_ENVIRONMENT,
  ProbeResult,
  readBundleInfo,
  run,
  versionAccepted,
  versionRequest,
} from "./launch";

export interface Logger {
  info(message: string): void;
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for the output channel. */
  source: string;
}

/** Why there is no server to start: one notification, with the setting to change. */
export interface LaunchProblem {
  message: string;
  /** The setting the "Open settings" action opens. */
  setting: string;
}

export type LaunchPlan = { server: ServerCommand } | { problem: LaunchProblem };

type Setting = "server.command" | "interpreter" | "importStrategy";

export interface LaunchContext {
  extensionPath: string;
  /** The versions the bundle supports (package.json's sstLsp.pythonVersions). */
  pythonVersions: string[];
  resource: vscode.Uri | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/** A setting's value, from user scope only when the workspace is not trusted. */
export function readSetting(key: Setting, resource: vscode.Uri | undefined, log: Logger): unknown {
  const config = vscode.workspace.getConfiguration("sstLsp", resource);
  if (vscode.workspace.isTrusted) {
    return config.get(key);
  }
  const inspected = config.inspect(key);
  const fromWorkspace =
    inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
  if (fromWorkspace) {
    log.info(`Restricted Mode: ignoring sstLsp.${key} from the workspace settings; using the user setting only.`);
  }
  return inspected?.globalValue ?? inspected?.defaultValue;
}

export function asCommand(value: unknown): string[] | undefined {
  if (typeof value === "string") {
    return value.trim() ? [value.trim()] : undefined;
  }
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string") && value[0].trim()) {
    return value as string[];
  }
  return undefined;
}

export function quote(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

interface PythonExtensionApi {
  environments?: {
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment?(env: { id: string; path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The Python extension's selected interpreter, if that extension is installed. */
async function pythonExtensionInterpreter(resource: vscode.Uri | undefined, log: Logger): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!ext) {
    return undefined;
  }
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    if (!envs) {
      return undefined;
    }
    const active = envs.getActiveEnvironmentPath(resource);
    if (envs.resolveEnvironment) {
      const resolved = await envs.resolveEnvironment(active);
      const exe = resolved?.executable?.uri?.fsPath;
      if (exe) {
        return exe;
      }
    }
    return active?.path || undefined;
  } catch (err) {
    log.info(`The Python extension did not give an interpreter: ${String(err)}`);
    return undefined;
  }
}

/**
 * Calls ``listener`` when the Python extension's selected interpreter changes (only once that
 * extension is active; in Restricted Mode its interpreter is not used, so nothing is watched).
 */
export function onPythonInterpreterChange(listener: () => void): vscode.Disposable {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  let inner: vscode.Disposable | undefined;
  let disposed = false;
  if (ext && vscode.workspace.isTrusted) {
    Promise.resolve(ext.isActive ? ext.exports : ext.activate()).then(
      (api) => {
        const event = api?.environments?.onDidChangeActiveEnvironmentPath;
        if (event && !disposed) {
          inner = event(() => listener());
        }
      },
      () => undefined,
    );
  }
  return {
    dispose() {
      disposed = true;
      inner?.dispose();
    },
  };
}

interface Candidate {
  python: string[];
  source: string;
  /** Chosen by the user: used or reported, never skipped. */
  explicit: boolean;
}

/** The interpreters to try, in order; each is produced only when the previous did not fit. */
async function* candidates(ctx: LaunchContext): AsyncGenerator<Candidate> {
  const configured = asCommand(readSetting("interpreter", ctx.resource, ctx.log));
  if (configured) {
    yield { python: configured, source: "sstLsp.interpreter", explicit: true };
    return;
  }
  if (vscode.workspace.isTrusted) {
    const fromExtension = await pythonExtensionInterpreter(ctx.resource, ctx.log);
    if (fromExtension) {
      yield { python: [fromExtension], source: "the Python extension's selected interpreter", explicit: false };
    }
  } else {
    ctx.log.info("Restricted Mode: not asking the Python extension for an interpreter (it may be inside the workspace).");
  }
  const uv = await findUv(ctx.env, ctx.cwd);
  if (uv) {
    const request = versionRequest(ctx.pythonVersions);
    const found = await run(uv, ["python", "find", request], { cwd: ctx.cwd, env: ctx.env, timeout: 20000 });
    const python = found.stdout.trim().split(/\r?\n/).pop();
    if (found.code === 0 && python) {
      yield { python: [python], source: `uv python find "${request}"`, explicit: false };
    } else {
      ctx.log.info(`uv python find "${request}" found nothing: ${found.stderr.trim() || found.spawnError || ""}`);
    }
  }
  if (process.platform === "win32") {
    yield { python: ["py", "-3"], source: "py -3", explicit: false };
    yield { python: ["python"], source: "python on PATH", explicit: false };
  } else {
    yield { python: ["python3"], source: "python3 on PATH", explicit: false };
  }
}

async function probe(python: string[], extra: string[], ctx: LaunchContext): Promise<{ result?: ProbeResult; failure?: string }> {
  const proc = await run(python[0], [...python.slice(1), ...extra], { cwd: ctx.cwd, env: ctx.env, timeout: 30000 });
  if (proc.spawnError) {
    return { failure: `cannot be run (${proc.spawnError})` };
  }
  const result = parseProbe(proc.stdout);
  if (!result) {
    const detail = (proc.stderr || proc.stdout).trim().split(/\r?\n/).slice(-1)[0] || `exit status ${proc.code}`;
    return { failure: `did not answer the probe (${detail})` };
  }
  return { result };
}

function openInterpreterSetting(message: string): { problem: LaunchProblem } {
  return { problem: { message, setting: "sstLsp.interpreter" } };
}

export async function planServer(ctx: LaunchContext): Promise<LaunchPlan> {
  const { log } = ctx;
  if (!vscode.workspace.isTrusted) {
    log.info("Restricted Mode: only the bundled server, or what the user settings say, is started.");
  }
  const configured = asCommand(readSetting("server.command", ctx.resource, log));
  if (configured) {
    return { server: { command: configured[0], args: configured.slice(1), source: "sstLsp.server.command" } };
  }
  const strategy = readSetting("importStrategy", ctx.resource, log) === "fromEnvironment" ? "fromEnvironment" : "useBundled";
  if (strategy === "fromEnvironment") {
    return fromEnvironment(ctx);
  }
  const bundle = readBundleInfo(ctx.extensionPath);
  const target = currentTarget();
  if (bundle && bundle.target === target) {
    return useBundled(ctx);
  }
  log.info(
    bundle && bundle.target !== "universal"
      ? `This extension package is for ${bundle.target}, not ${target}: running the server with uv instead.`
      : `This extension package has no bundled server for ${target}: running the server with uv.`,
  );
  return withUv(ctx);
}

async function useBundled(ctx: LaunchContext): Promise<LaunchPlan> {
  const serve = path.join(ctx.extensionPath, "bundled", "tool", "serve.py");
  const wanted = describeVersions(ctx.pythonVersions);
  const rejected: string[] = [];
  for await (const candidate of candidates(ctx)) {
    const shown = quote(candidate.python);
    const { result, failure } = await probe(candidate.python, ["-I", serve, "--probe"], ctx);
    let why: string | undefined = failure;
    if (result && !versionAccepted(result.python, ctx.pythonVersions)) {
      why = `is Python ${result.python ?? "?"}, not ${wanted}`;
    } else if (result?.error) {
      why = result.error;
    }
    if (!why && result) {
      ctx.log.info(`Interpreter (${candidate.source}): ${result.executable ?? shown}, Python ${result.python}; bundled sst-lsp ${result.sst_lsp}.`);
      return { server: { command: candidate.python[0], args: [...candidate.python.slice(1), "-I", serve], source: `bundled server, ${candidate.source}` } };
    }
    ctx.log.info(`Not using ${shown} (${candidate.source}): it ${why}.`);
    if (candidate.explicit) {
      return openInterpreterSetting(
        `SST LSP: the interpreter in "sstLsp.interpreter" (${shown}) ${why}. Set it to a Python ${wanted}, or clear it to let the extension find one.`,
      );
    }
    rejected.push(`${shown} ${why}`);
  }
  return openInterpreterSetting(
    `SST LSP: no Python ${wanted} found to run the bundled server (${rejected.join("; ") || "none found"}). Install one (e.g. \`uv python install 3.12\`) or set "sstLsp.interpreter".`,
  );
}

async function fromEnvironment(ctx: LaunchContext): Promise<LaunchPlan> {
  const wanted = describeVersions(ctx.pythonVersions);
  for await (const candidate of candidates(ctx)) {
    const shown = quote(candidate.python);
    const { result, failure } = await probe(candidate.python, ["-c", PROBE_FROM_ENVIRONMENT], ctx);
    if (failure && !candidate.explicit) {
      ctx.log.info(`Not using ${shown} (${candidate.source}): it ${failure}.`);
      continue;
    }
    if (failure || !result) {
      return openInterpreterSetting(`SST LSP: the interpreter ${shown} (${candidate.source}) ${failure}.`);
    }
    if (!versionAccepted(result.python, ctx.pythonVersions)) {
      return openInterpreterSetting(`SST LSP: ${shown} (${candidate.source}) is Python ${result.python}; sst-lsp needs Python ${wanted}.`);
    }
    if (result.error) {
      ctx.log.info(`sst-lsp cannot be imported by ${shown} (${candidate.source}): ${result.error}`);
      return {
        problem: {
          message: `SST LSP: "sstLsp.importStrategy" is fromEnvironment, but sst-lsp is not installed for ${shown} (${candidate.source}). Install it into that environment, or set the strategy back to useBundled.`,
          setting: "sstLsp.importStrategy",
        },
      };
    }
    ctx.log.info(`Interpreter (${candidate.source}): ${result.executable ?? shown}, Python ${result.python}; its own sst-lsp ${result.sst_lsp}.`);
    return { server: { command: candidate.python[0], args: [...candidate.python.slice(1), "-m", "sst_lsp", "serve"], source: `fromEnvironment, ${candidate.source}` } };
  }
  return openInterpreterSetting(`SST LSP: no Python interpreter found. Set "sstLsp.interpreter" to one that has sst-lsp installed.`);
}

async function withUv(ctx: LaunchContext): Promise<LaunchPlan> {
  const wheel = bundledWheel(ctx.extensionPath);
  if (!wheel) {
    return { problem: { message: "SST LSP: this extension package carries neither a server for this platform nor the sst-lsp wheel. Set \"sstLsp.server.command\".", setting: "sstLsp.server.command" } };
  }
  const uv = await findUv(ctx.env, ctx.cwd);
  if (!uv) {
    return {
      problem: {
        message: `SST LSP: there is no bundled server for ${currentTarget()} in this extension package, and uv, which would run the one it carries, was not found. Install uv, or set "sstLsp.importStrategy" to fromEnvironment with an interpreter that has sst-lsp installed.`,
        setting: "sstLsp.importStrategy",
      },
    };
  }
  // uv's --python takes one path or a version request, not a command with arguments.
  const configured = asCommand(readSetting("interpreter", ctx.resource, ctx.log));
  const python = configured?.length === 1 ? configured[0] : versionRequest(ctx.pythonVersions);
  const base = ["tool", "run", "--python", python, "--from", wheel, "sst-lsp"];
  // Resolve and install once, with a generous timeout and the errors captured, before the
  // language client starts it (a failure there would only say "connection closed").
  ctx.log.info(`Preparing the server with uv: ${quote([uv, ...base, "--version"])}`);
  const ready = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "SST LSP: installing the server with uv" },
    () => run(uv, [...base, "--version"], { cwd: ctx.cwd, env: ctx.env, timeout: 300000 }),
  );
  if (ready.code !== 0) {
    ctx.log.info(`uv failed (exit ${ready.code ?? ready.spawnError}):\n${ready.stderr.trim()}`);
    const { message } = explainUvFailure(ready.stderr);
    return { problem: { message: `SST LSP: ${message}`, setting: "sstLsp.importStrategy" } };
  }
  return { server: { command: uv, args: [...base, "serve"], source: "uv tool run with the wheel in the extension" } };
}
