// End-to-end test of the VS Code extension in a real VS Code: code-server (VS Code served to a
// browser, same extension host) driven by headless Chromium through playwright-core.
//
// Environment (see .ci/editors.sh, which writes most of it to ~/.cache/sst-lsp-editors/env.sh):
//   CODE_SERVER           code-server's entry point (out/node/entry.js), run with this Node
//   CHROMIUM              Chromium binary (default /usr/bin/chromium)
//   PLAYWRIGHT_NODE_PATH  a node_modules directory holding playwright-core
//   SST_LSP_VSIX          the packaged extension
//   E2E_WORKSPACE         a copy of examples/broken-app (it is modified)
//   E2E_TARGET            the file (relative to E2E_WORKSPACE) with the SST401 `subnets:` key
//   E2E_LINE, E2E_COLUMN  1-based position of that key
//   E2E_SETTINGS          optional JSON object: sstLsp.* settings for the user (and remote)
//                         scope, e.g. {"sstLsp.importStrategy": "fromEnvironment"}
//   E2E_SCENARIO          "fix" (default); "problems" (only the Problems panel); "notification"
//                         (expect exactly one notification containing E2E_NOTIFICATION_TEXT);
//                         or "restricted" (workspace trust on, the folder untrusted: diagnostics
//                         must still come)
//   E2E_ARTIFACTS         directory for screenshots, logs and result.json
//   E2E_CLICK             optional, "notification" scenario: a button of the notification to
//                         click ("Open settings": then wait for the Settings editor to list a
//                         setting titled E2E_SETTING_TITLE, default "Sst Lsp", and record the
//                         titles listed and the scope tab selected)
//   E2E_EXPECT_CODES      optional JSON array: wait until the Problems panel lists all of these
//   E2E_HOVER_TEXT        optional: a handler string in E2E_TARGET to hover
//   E2E_HOVER_EXPECT      optional: text the hover must contain (default "SST handler")
//   E2E_TIMEOUT_MS        optional, per wait (default 60000)
// code-server, and so the extension and the server, inherit this process's environment (PATH
// decides which Python and uv the extension finds).
//
// Exit status 0 when every check passed; result.json says what was seen either way.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === "") throw new Error(`environment variable ${name} is not set`);
  return v;
};

const CODE_SERVER = env("CODE_SERVER");
const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium");
const VSIX = env("SST_LSP_VSIX");
const WORKSPACE = path.resolve(env("E2E_WORKSPACE"));
const TARGET = env("E2E_TARGET");
const LINE = Number(process.env.E2E_LINE || 0);
const COLUMN = Number(process.env.E2E_COLUMN || 0);
const SETTINGS = JSON.parse(process.env.E2E_SETTINGS || "{}");
const ARTIFACTS = path.resolve(env("E2E_ARTIFACTS"));
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 60000);
const SCENARIO = process.env.E2E_SCENARIO || "fix";
const NOTIFICATION_TEXT = process.env.E2E_NOTIFICATION_TEXT || "SST LSP";
const EXPECT_CODES = JSON.parse(process.env.E2E_EXPECT_CODES || "[]");
const CLICK = process.env.E2E_CLICK || "";
const SETTING_TITLE = process.env.E2E_SETTING_TITLE || "Sst Lsp";
const HOVER_TEXT = process.env.E2E_HOVER_TEXT || ""; // a handler string in E2E_TARGET
const HOVER_EXPECT = process.env.E2E_HOVER_EXPECT || "SST handler"; // text the hover must show
const { chromium } = createRequire(path.join(env("PLAYWRIGHT_NODE_PATH"), "noop.js"))("playwright-core");

fs.mkdirSync(ARTIFACTS, { recursive: true });
const t0 = Date.now();
const result = { ok: false, steps: [], skipped: [] };
const stepLog = (name, detail) => {
  result.steps.push({ name, at_ms: Date.now() - t0, ...(detail === undefined ? {} : { detail }) });
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${name}${detail === undefined ? "" : " " + JSON.stringify(detail)}`);
};

const home = fs.mkdtempSync(path.join(os.tmpdir(), "sst-lsp-code-server-"));
const userData = path.join(home, "user-data");
const extensions = path.join(home, "extensions");
// code-server is a remote window: machine-scoped settings (sstLsp.server.command) are read
// from the remote ("Machine") settings, the rest from the user settings. Write both.
const settings = JSON.stringify(
    {
      // "restricted": the workspace opens untrusted (Restricted Mode), without the trust prompt.
      "security.workspace.trust.enabled": SCENARIO === "restricted",
      "security.workspace.trust.startupPrompt": "never",
      ...SETTINGS,
      "sstLsp.trace.server": "verbose",
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "workbench.welcomePage.walkthroughs.openOnInstall": false,
      "telemetry.telemetryLevel": "off",
      "extensions.autoUpdate": false,
      "extensions.autoCheckUpdates": false,
      "extensions.ignoreRecommendations": true,
      "update.mode": "none",
      "git.enabled": false,
      "files.autoSave": "off",
      "window.restoreWindows": "none",
      "editor.minimap.enabled": false,
      "typescript.validate.enable": false, // no tsc noise ("Cannot find name 'sst'") in Problems
      "workbench.secondarySideBar.defaultVisibility": "hidden",
      "chat.disableAIFeatures": true,
    },
    null,
    2,
);
for (const scope of ["User", "Machine"]) {
  fs.mkdirSync(path.join(userData, scope), { recursive: true });
  fs.writeFileSync(path.join(userData, scope, "settings.json"), settings);
}
const csArgs = ["--user-data-dir", userData, "--extensions-dir", extensions];
// code-server writes its config.yaml under XDG_CONFIG_HOME: keep it in the temporary home.
// VSCODE_CLI=1 (as when VS Code is started from a terminal): the extension host gets this
// environment as it is, not the one a login shell would make, which resets PATH.
const csEnv = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(home, "config"),
  XDG_DATA_HOME: path.join(home, "data"),
  VSCODE_CLI: "1",
};

let codeServer;
let browser;

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function until(what, fn, timeout = TIMEOUT, interval = 250) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${String(last)})`);
}

let shot = 0;
async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, `${String(++shot).padStart(2, "0")}-${name}.png`);
  try {
    await page.screenshot({ path: file });
  } catch (err) {
    console.log(`screenshot ${name} failed: ${err}`);
  }
  return file;
}

async function problemsText(page) {
  return page.evaluate(() => {
    const panel = document.querySelector(".markers-panel");
    return panel ? panel.innerText : null;
  });
}

const codesIn = (text) => [...new Set((text || "").match(/SST\d{3}/g) || [])].sort();

/** Every SST code in the Problems panel: its list is virtualised, so scroll through it. */
async function allProblemCodes(page) {
  const list = page.locator(".markers-panel .monaco-list").first();
  const box = await list.boundingBox();
  if (!box) return codesIn(await problemsText(page));
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const seen = new Set();
  let last = null;
  let same = 0;
  for (let i = 0; i < 60 && same < 2; i++) {
    const text = await problemsText(page);
    codesIn(text).forEach((c) => seen.add(c));
    same = text === last ? same + 1 : 0;
    last = text;
    await page.mouse.wheel(0, Math.max(100, box.height * 0.5));
    await page.waitForTimeout(200); // let the list render the rows scrolled in
  }
  await page.mouse.wheel(0, -100000);
  await page.waitForTimeout(200);
  return [...seen].sort();
}

/** Viewport coordinates of the middle of ``needle`` in the active editor, or null. */
async function textPosition(page, needle) {
  return page.evaluate((needle) => {
    const editor = document.querySelector(".editor-group-container.active .monaco-editor") || document.querySelector(".monaco-editor");
    for (const line of editor.querySelectorAll(".view-line")) {
      const text = line.textContent || "";
      const at = text.indexOf(needle);
      if (at < 0) continue;
      const target = at + Math.floor(needle.length / 2);
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      let offset = 0;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const len = node.textContent.length;
        if (target < offset + len) {
          const range = document.createRange();
          range.setStart(node, target - offset);
          range.setEnd(node, target - offset + 1);
          const r = range.getBoundingClientRect();
          return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
        }
        offset += len;
      }
    }
    return null;
  }, needle);
}

async function run() {
  // 1. Install the .vsix into a fresh extensions dir.
  const install = spawnSync(process.execPath, [CODE_SERVER, ...csArgs, "--install-extension", VSIX], {
    env: csEnv,
    encoding: "utf8",
    timeout: 120000,
  });
  fs.writeFileSync(path.join(ARTIFACTS, "install-extension.log"), `${install.stdout}\n${install.stderr}`);
  if (install.status !== 0) throw new Error(`--install-extension exited ${install.status}: ${install.stderr}`);
  const installed = fs.readdirSync(extensions).filter((d) => d.startsWith("sst-lsp."));
  if (installed.length === 0) throw new Error(`the extension is not in ${extensions}: ${fs.readdirSync(extensions)}`);
  result.installed = installed;
  stepLog("extension installed", installed);

  // 2. Serve VS Code on 127.0.0.1.
  const port = await freePort();
  const csLog = fs.openSync(path.join(ARTIFACTS, "code-server.log"), "w");
  codeServer = spawn(
    process.execPath,
    [
      CODE_SERVER,
      ...csArgs,
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-getting-started-override",
      WORKSPACE,
    ],
    { env: csEnv, stdio: ["ignore", csLog, csLog], detached: true },
  );
  result.code_server_pid = codeServer.pid;
  await until("code-server to answer /healthz", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return res.ok;
  });
  stepLog("code-server up", { port });

  // 3. The browser.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1600, height: 2000 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });
  result.console_errors = consoleErrors;
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: TIMEOUT });
  stepLog("workbench loaded");
  await screenshot(page, "workbench");

  // 4. Open the file through Quick Open; the extension activates (workspaceContains) and the
  //    server publishes diagnostics for the whole app.
  await page.locator(".monaco-workbench").click({ position: { x: 800, y: 500 } }).catch(() => {});
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget", { state: "visible", timeout: TIMEOUT });
  await page.keyboard.type(TARGET, { delay: 10 });
  await until("Quick Open to list the file", async () =>
    (await page.locator(".quick-input-list .monaco-list-row").count()) > 0,
  );
  await page.keyboard.press("Enter");
  const tabName = path.basename(TARGET);
  await page.waitForSelector(`.tab[aria-label^="${tabName}"], .tab:has-text("${tabName}")`, { timeout: TIMEOUT });
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: TIMEOUT });
  stepLog("file opened", TARGET);
  if (SCENARIO === "notification") {
    await oneNotification(page);
    result.ok = true;
    return;
  }
  if (SCENARIO === "restricted") {
    result.restricted_indicator = await page.locator(".workspace-trust-banner, [id='status.workspaceTrust'], .statusbar-item.workspace-trust").count();
  }

  // 5. The Problems panel lists the SST codes.
  await page.keyboard.press("Control+Shift+M");
  await page.waitForSelector(".markers-panel", { timeout: TIMEOUT });
  // A maximized panel shows every row at once (the list is virtualised).
  const maximize = page.locator('.part.panel .action-label[aria-label^="Maximize Panel"]').first();
  if (await maximize.isVisible().catch(() => false)) await maximize.click().catch(() => {});
  await until("the Problems panel to list SST401", async () => (await allProblemCodes(page)).includes("SST401"));
  if (EXPECT_CODES.length > 0) {
    await until(`the Problems panel to list ${EXPECT_CODES.join(", ")}`, async () => {
      const codes = await allProblemCodes(page);
      return EXPECT_CODES.every((c) => codes.includes(c));
    });
  } else {
    // Let the rest of the app's diagnostics arrive too (they come in one analysis).
    await until("several SST codes in the Problems panel", async () => (await allProblemCodes(page)).length >= 3, 15000).catch(() => {});
  }
  result.problems_codes_before = await allProblemCodes(page);
  if (SCENARIO === "restricted" || SCENARIO === "problems") {
    stepLog(`problems listed (${SCENARIO})`, result.problems_codes_before);
    await screenshot(page, SCENARIO);
    result.ok = true;
    return;
  }
  result.status_bar_problems = await page
    .locator('.statusbar-item[id="status.problems"]')
    .first()
    .innerText()
    .catch(() => null);
  stepLog("problems listed", result.problems_codes_before);
  await screenshot(page, "problems");
  const restore = page.locator('.part.panel .action-label[aria-label^="Restore Panel"]').first();
  if (await restore.isVisible().catch(() => false)) await restore.click().catch(() => {});
  await page.waitForSelector(".editor-group-container .monaco-editor .view-lines", { state: "visible", timeout: TIMEOUT });

  // 6. Hover on a handler string.
  if (HOVER_TEXT) {
    const at = await until(`the handler ${HOVER_TEXT} on screen`, () => textPosition(page, HOVER_TEXT), 10000);
    await page.mouse.move(at.x - 40, at.y);
    await page.mouse.move(at.x, at.y, { steps: 5 });
    const hover = page.locator(".monaco-hover:visible").filter({ hasText: HOVER_EXPECT });
    try {
      await hover.first().waitFor({ state: "visible", timeout: 15000 });
      result.hover_text = (await hover.first().innerText()).trim();
      stepLog("hover shown", result.hover_text.split("\n")[0]);
    } catch (err) {
      result.hover_text = await page.locator(".monaco-hover:visible").first().innerText().catch(() => null);
      stepLog("no hover", result.hover_text);
    }
    await screenshot(page, "hover");
    await page.keyboard.press("Escape");
  } else {
    result.skipped.push("hover on the handler: E2E_HOVER_TEXT not given");
  }

  // 7. The quick fix for vpc.subnets at the diagnostic's position.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget", { state: "visible", timeout: TIMEOUT });
  await page.keyboard.type(`${LINE}:${COLUMN}`, { delay: 10 });
  await page.keyboard.press("Enter");
  await page.waitForSelector(".quick-input-widget", { state: "hidden", timeout: TIMEOUT });
  const fixRow = page
    .locator(".action-widget .monaco-list-row, .context-view .monaco-list-row, .monaco-menu .action-item")
    .filter({ hasText: "privateSubnets" })
    .first();
  // Ctrl+. (or, on a retry, the lightbulb) opens the Quick Fix menu; the code actions may
  // still be on their way the first time.
  for (let attempt = 0; ; attempt++) {
    if (attempt % 2 === 0) {
      await page.keyboard.press("Control+.");
    } else {
      await page.locator(".lightBulbWidget, .codicon-light-bulb, .codicon-lightbulb-autofix").first().click({ timeout: 3000 }).catch(() => {});
    }
    try {
      await fixRow.waitFor({ state: "visible", timeout: 5000 });
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      await page.keyboard.press("Escape");
    }
  }
  result.quick_fix_title = (await fixRow.innerText()).trim();
  await screenshot(page, "quick-fix-menu");
  await fixRow.click();
  stepLog("quick fix applied", result.quick_fix_title);

  const editorLine = await until("the editor to show privateSubnets", async () => {
    const text = await page.locator(".monaco-editor .view-lines").first().innerText();
    return text.includes("privateSubnets") ? text : false;
  });
  result.editor_shows_private_subnets = editorLine.includes("privateSubnets");

  // 8. SST401 leaves the Problems panel (didChange, unsaved), then save and check the disk.
  const after = await until("SST401 to leave the Problems panel", async () => {
    const codes = await allProblemCodes(page);
    return codes.length > 0 && !codes.includes("SST401") ? codes : false;
  });
  result.problems_codes_after = after;
  stepLog("SST401 cleared", result.problems_codes_after);
  await page.keyboard.press("Control+S");
  const file = path.join(WORKSPACE, TARGET);
  const saved = await until("the file on disk to say privateSubnets", async () => {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    return /^\s*privateSubnets\s*:/.test(lines[LINE - 1] || "") ? lines[LINE - 1] : false;
  });
  result.saved_line = saved;
  stepLog("saved", saved);
  await screenshot(page, "fixed");
  result.ok = true;
}

async function toastTexts(page) {
  return page.locator(".notifications-toasts .notification-toast").allInnerTexts().catch(() => []);
}

async function oneNotification(page) {
  const toast = page.locator(".notifications-toasts .notification-toast").filter({ hasText: NOTIFICATION_TEXT });
  await toast.first().waitFor({ state: "visible", timeout: TIMEOUT });
  // Give a second notification (there must not be one) the time the first one took to come.
  await page.waitForTimeout(3000);
  const texts = (await toastTexts(page)).filter((t) => t.includes("SST LSP"));
  result.notifications = texts;
  stepLog("notification", texts);
  await screenshot(page, "notification");
  if (CLICK) {
    await toast.first().locator(".monaco-button", { hasText: CLICK }).first().click();
    // The Settings editor: the settings its search lists, and the scope tab that is selected.
    const shown = await until(`the Settings editor to list "${SETTING_TITLE}"`, () =>
      page.evaluate((want) => {
        const titles = [...document.querySelectorAll(".setting-item-title, .setting-item-label")]
          .map((e) => e.innerText.trim())
          .filter(Boolean);
        const tab = [...document.querySelectorAll(".action-label[aria-selected='true']")]
          .map((e) => e.innerText.trim())
          .find((t) => /^(User|Remote|Workspace)/.test(t));
        return titles.some((t) => t.includes(want)) ? { titles, tab: tab || "" } : false;
      }, SETTING_TITLE),
    );
    result.settings_titles = shown.titles;
    result.settings_scope = shown.tab;
    stepLog("settings opened", shown);
    await screenshot(page, "settings");
  }
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (codeServer && codeServer.exitCode === null) {
    // code-server was started in its own process group: stop it and what it started.
    try {
      process.kill(-codeServer.pid, "SIGTERM");
    } catch {}
    const stopped = await until("code-server to exit", async () => codeServer.exitCode !== null || codeServer.signalCode !== null, 10000, 100).catch(() => false);
    if (!stopped) {
      try {
        process.kill(-codeServer.pid, "SIGKILL");
      } catch {}
    }
  }
  // Keep the extension host's logs (the SST LSP output channel is among them).
  const logs = path.join(userData, "logs");
  if (fs.existsSync(logs)) fs.cpSync(logs, path.join(ARTIFACTS, "vscode-logs"), { recursive: true });
  fs.rmSync(home, { recursive: true, force: true });
}

let exitCode = 1;
try {
  await run();
  exitCode = 0;
} catch (err) {
  result.error = String(err && err.stack ? err.stack : err);
  console.error(result.error);
  if (browser) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) await screenshot(pages[0], "failure");
  }
} finally {
  await cleanup();
  result.total_ms = Date.now() - t0;
  fs.writeFileSync(path.join(ARTIFACTS, "result.json"), JSON.stringify(result, null, 2));
}
process.exit(exitCode);
