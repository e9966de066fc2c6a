// The SST LSP extension: starts `sst-lsp serve` over stdio and connects it to VS Code.

import * as fs from "fs";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

import {
  asCommand,
  LaunchProblem,
  Logger,
  onPythonInterpreterChange,
  planServer,
  quote,
  readSetting,
} from "./discovery";

const CLIENT_ID = "sstLsp";
const CLIENT_NAME = "SST LSP";
/** The settings that choose which program runs (machine-overridable, restricted when untrusted). */
const MACHINE_SETTINGS = ["sstLsp.server.command", "sstLsp.interpreter", "sstLsp.importStrategy"];

let client: LanguageClient | undefined;
let watcher: vscode.FileSystemWatcher | undefined;
let output: vscode.OutputChannel;
let problemShown = false;
let queue: Promise<void> = Promise.resolve();

const log: Logger = {
  info(message: string) {
    output.appendLine(`[${new Date().toISOString()}] ${message}`);
  },
};

const quiet: Logger = { info: () => undefined };

/** The files the server analyses. Patterns only: the extension never claims a whole language. */
const DOCUMENT_SELECTOR = [
  { scheme: "file", pattern: "**/pyproject.toml" },
  { scheme: "file", pattern: "**/sst.config.ts" },
  { scheme: "file", pattern: "**/infra/**/*.ts" },
];

/** Files whose change on disk can change a diagnostic elsewhere (handlers, versions, lockfiles). */
const WATCHED =
  "**/{*.py,*.ts,pyproject.toml,uv.lock,.python-version,package.json,package-lock.json,pnpm-lock.yaml,bun.lock,yarn.lock,version}";

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("sstLsp.restart", () => enqueue(() => restart(context, true))),
    vscode.commands.registerCommand("sstLsp.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // The rule settings reach the running server through didChangeConfiguration; only a
      // different server command needs a new process.
      if (
        e.affectsConfiguration("sstLsp.server.command") ||
        e.affectsConfiguration("sstLsp.interpreter") ||
        e.affectsConfiguration("sstLsp.importStrategy")
      ) {
        log.info("The server command settings changed; restarting the server.");
        void enqueue(() => restart(context, false));
      }
    }),
    onPythonInterpreterChange(() => {
      const fromSettings = readSetting("server.command", undefined, quiet) || readSetting("interpreter", undefined, quiet);
      if (!asCommand(fromSettings)) {
        log.info("The Python extension's interpreter changed; restarting the server.");
        void enqueue(() => restart(context, false));
      }
    }),
    { dispose: () => void stop() },
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info("The workspace is now trusted; restarting the server with the workspace settings.");
      void enqueue(() => restart(context, false));
    }),
  );
  await enqueue(() => start(context));
}

export async function deactivate(): Promise<void> {
  await stop();
}

/** Start, stop and restart run one at a time, in order. */
function enqueue(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task, task).catch((err) => log.info(`Unexpected error: ${String(err)}`));
  return queue;
}

async function restart(context: vscode.ExtensionContext, manual: boolean): Promise<void> {
  if (manual) {
    problemShown = false; // the user asked: tell them again if it still fails
  }
  await stop();
  await start(context);
}

async function stop(): Promise<void> {
  watcher?.dispose();
  watcher = undefined;
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop(5000);
    } catch (err) {
      log.info(`Stopping the server failed: ${String(err)}`);
    }
  }
}

/**
 * The settings the server understands (the keys of `[tool.sst-lsp]`), from the `sstLsp` section.
 * Editor-only keys (`server`, `interpreter`, `importStrategy`, `trace`) are left out, and so are
 * empty values: an empty `select` would otherwise mean "select nothing".
 */
export function serverSettings(resource: vscode.Uri | undefined): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("sstLsp", resource);
  const settings: Record<string, unknown> = {};
  const select = config.get<string[]>("select", []);
  if (Array.isArray(select) && select.length > 0) {
    settings.select = select;
  }
  const ignore = config.get<string[]>("ignore", []);
  if (Array.isArray(ignore) && ignore.length > 0) {
    settings.ignore = ignore;
  }
  const severity = config.get<Record<string, string>>("severity", {});
  if (severity && typeof severity === "object" && Object.keys(severity).length > 0) {
    settings.severity = severity;
  }
  const sstVersion = (config.get<string>("sstVersion", "") || "").trim();
  if (sstVersion) {
    settings["sst-version"] = sstVersion;
  }
  const debounceMs = config.get<number>("debounceMs");
  if (typeof debounceMs === "number" && Number.isInteger(debounceMs)) {
    settings["debounce-ms"] = debounceMs;
  }
  return settings;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  // A neutral working directory: `python -m` puts the cwd on sys.path, and the workspace may
  // hold a package of the same name.
  const cwd = context.globalStorageUri.fsPath;
  fs.mkdirSync(cwd, { recursive: true });
  const env = { ...process.env };

  const versions = (context.extension.packageJSON as { sstLsp?: { pythonVersions?: string[] } }).sstLsp?.pythonVersions ?? [];
  const plan = await planServer({ extensionPath: context.extensionPath, pythonVersions: versions, resource, cwd, env, log });
  if ("problem" in plan) {
    await reportProblem(plan.problem);
    return;
  }
  const server = plan.server;
  log.info(`Server command (${server.source}): ${quote([server.command, ...server.args])}`);

  // No `transport`: with TransportKind.stdio the client would append `--stdio` to the args.
  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    options: { cwd, env },
  };
  watcher = vscode.workspace.createFileSystemWatcher(WATCHED);
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    traceOutputChannel: output,
    initializationOptions: serverSettings(resource),
    // didChangeConfiguration on every sstLsp change; the server then asks workspace/configuration.
    synchronize: { fileEvents: watcher, configurationSection: "sstLsp" },
    middleware: {
      workspace: {
        // Answer the server's workspace/configuration for "sstLsp" with the settings it knows.
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return params.items.map((item, i) =>
            item.section === "sstLsp"
              ? serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : resource)
              : answers[i],
          );
        },
      },
    },
  };
  const next = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  try {
    await next.start();
    client = next;
    log.info("Server started.");
  } catch (err) {
    log.info(`The server did not start: ${String(err)}`);
    void vscode.window
      .showErrorMessage(
        `SST LSP: the server did not start (${quote([server.command, ...server.args])}). See the output for details.`,
        "Show output",
        "Open settings",
      )
      .then(handleChoice);
  }
}

async function reportProblem(problem: LaunchProblem): Promise<void> {
  log.info(problem.message);
  if (problemShown) {
    return;
  }
  // Activation also happens for any folder with a pyproject.toml: do not nag a Python project
  // that is not an SST app; the output channel says what happened.
  const apps = await vscode.workspace.findFiles("**/sst.config.ts", "**/node_modules/**", 1);
  if (apps.length === 0) {
    log.info("No sst.config.ts in the workspace: not showing a notification.");
    return;
  }
  problemShown = true;
  const choice = await vscode.window.showErrorMessage(problem.message, "Open settings", "Show output");
  handleChoice(choice, problem.setting);
}

function handleChoice(choice: string | undefined, setting = "sstLsp"): void {
  if (choice === "Show output") {
    output.show(true);
  } else if (choice === "Open settings") {
    // The settings that choose a program are machine settings: in a remote window (SSH, WSL,
    // containers, code-server) they are only listed, and only act, in the Remote scope.
    const machine = MACHINE_SETTINGS.includes(setting) && vscode.env.remoteName !== undefined;
    const command = machine ? "workbench.action.openRemoteSettings" : "workbench.action.openSettings";
    void vscode.commands.executeCommand(command, { query: setting });
  }
}
