// Finding the command that starts `sst-lsp serve`.
//
// Order: `sstLsp.server.command`, then `sstLsp.interpreter`, then the Python extension's
// active interpreter, then `python3` (`python` on Windows) on PATH. In an untrusted workspace
// the two settings are read from user (global) scope only and the Python extension is not
// asked (its interpreter may live inside the workspace).

import { execFile } from "child_process";
import * as vscode from "vscode";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for the output channel. */
  source: string;
  /** The interpreter to check `import sst_lsp` with and to put in the install hint. */
  python?: string[];
}

export interface Logger {
  info(message: string): void;
}

type Setting = "server.command" | "interpreter";

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
  return inspected?.globalValue;
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

export async function discoverServer(resource: vscode.Uri | undefined, log: Logger): Promise<ServerCommand> {
  if (!vscode.workspace.isTrusted) {
    log.info("Restricted Mode: sstLsp.server.command and sstLsp.interpreter are read from user settings only.");
  }
  const configured = asCommand(readSetting("server.command", resource, log));
  if (configured) {
    return { command: configured[0], args: configured.slice(1), source: "sstLsp.server.command" };
  }
  const interpreter = asCommand(readSetting("interpreter", resource, log));
  if (interpreter) {
    return fromPython(interpreter, "sstLsp.interpreter");
  }
  if (vscode.workspace.isTrusted) {
    const fromExtension = await pythonExtensionInterpreter(resource, log);
    if (fromExtension) {
      return fromPython([fromExtension], "the Python extension's selected interpreter");
    }
  } else {
    log.info("Restricted Mode: not asking the Python extension for an interpreter (it may be inside the workspace).");
  }
  const python = process.platform === "win32" ? "python" : "python3";
  return fromPython([python], `${python} on PATH`);
}

function fromPython(python: string[], source: string): ServerCommand {
  return {
    command: python[0],
    args: [...python.slice(1), "-m", "sst_lsp", "serve"],
    source,
    python,
  };
}

export function quote(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

/** Runs `<python> -c "import sst_lsp"`; resolves to an error text, or undefined when it works. */
export function checkImport(python: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      python[0],
      [...python.slice(1), "-c", "import sst_lsp, sys; sys.stdout.write(sst_lsp.__version__)"],
      { cwd, env, timeout: 20000, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) {
          const detail = (stderr || "").trim().split(/\r?\n/).slice(-1)[0] || err.message;
          resolve(detail);
        } else {
          resolve(undefined);
        }
        void stdout;
      },
    );
  });
}
