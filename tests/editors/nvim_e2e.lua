-- End-to-end test of sst-lsp through Neovim's built-in LSP client (Neovim 0.7+).
--
-- Run as:  nvim --headless -u NONE -c 'luafile tests/editors/nvim_e2e.lua'
-- with the environment:
--   SST_E2E_FILE        the file to open (an infra/*.ts holding `vpc: { subnets: ... }`)
--   SST_E2E_ROOT        the app's root directory (the workspace folder given to the server)
--   SST_E2E_SERVER_CMD  the server command, a JSON array of strings
--   SST_E2E_RESULT      where to write the JSON result
--   SST_E2E_TIMEOUT_MS  optional, per wait (default 30000)
--
-- The script never sleeps: every wait is vim.wait() on a condition. It exits with :qa! on
-- success and :cquit 1 on any failure, after writing what it observed to SST_E2E_RESULT.

local result = { ok = false, steps = {}, nvim_version = tostring(vim.version().major) .. "." .. vim.version().minor .. "." .. vim.version().patch }
local t0 = vim.loop.hrtime()
local client_id = nil

local function elapsed_ms()
  return math.floor((vim.loop.hrtime() - t0) / 1e6)
end

local function step(name, extra)
  local entry = { name = name, at_ms = elapsed_ms() }
  if extra ~= nil then
    entry.detail = extra
  end
  table.insert(result.steps, entry)
end

local json_encode = (vim.json and vim.json.encode) or vim.fn.json_encode
local json_decode = (vim.json and vim.json.decode) or vim.fn.json_decode

local function write_result()
  local path = os.getenv("SST_E2E_RESULT")
  if not path or path == "" then
    return
  end
  local f = io.open(path, "w")
  if f then
    f:write(json_encode(result))
    f:close()
  end
end

local function stop_client()
  if client_id == nil then
    return
  end
  local client = vim.lsp.get_client_by_id(client_id)
  if client == nil then
    return
  end
  client.stop()
  local stopped = vim.wait(5000, function()
    return client.is_stopped()
  end, 20)
  if not stopped then
    client.stop(true)
    vim.wait(2000, function()
      return client.is_stopped()
    end, 20)
  end
  result.client_stopped = client.is_stopped()
end

local function finish(ok, err)
  result.ok = ok
  if err ~= nil then
    result.error = tostring(err)
  end
  result.total_ms = elapsed_ms()
  pcall(stop_client)
  write_result()
  if ok then
    vim.cmd("qa!")
  else
    vim.cmd("cquit 1")
  end
end

local function fail(msg)
  error(msg, 0)
end

local function getenv_required(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    fail("environment variable " .. name .. " is not set")
  end
  return v
end

local TIMEOUT = tonumber(os.getenv("SST_E2E_TIMEOUT_MS") or "") or 30000

local function wait_for(what, cond)
  local ok = vim.wait(TIMEOUT, cond, 20)
  if not ok then
    fail("timed out after " .. TIMEOUT .. " ms waiting for " .. what)
  end
end

local function codes_of(diags)
  local out = {}
  for _, d in ipairs(diags) do
    table.insert(out, d.code)
  end
  table.sort(out, function(a, b)
    return tostring(a) < tostring(b)
  end)
  return out
end

local function find_code(diags, code)
  for _, d in ipairs(diags) do
    if d.code == code then
      return d
    end
  end
  return nil
end

-- A vim.diagnostic back to LSP form. Neovim 0.7 keeps the LSP-only fields (data,
-- codeDescription, relatedInformation, tags) in user_data.lsp; vim columns are byte offsets,
-- LSP characters here are UTF-16 code units.
local function to_lsp_diagnostic(bufnr, d)
  local function utf16_col(lnum, col)
    local line = vim.api.nvim_buf_get_lines(bufnr, lnum, lnum + 1, false)[1] or ""
    if col > #line then
      col = #line
    end
    local _, u16 = vim.str_utfindex(line, col)
    return u16
  end
  local lsp = {
    range = {
      start = { line = d.lnum, character = utf16_col(d.lnum, d.col) },
      ["end"] = { line = d.end_lnum, character = utf16_col(d.end_lnum, d.end_col) },
    },
    severity = d.severity, -- vim.diagnostic.severity and LSP DiagnosticSeverity share values 1..4
    message = d.message,
    source = d.source,
    code = d.code,
  }
  local extra = d.user_data and d.user_data.lsp or {}
  for k, v in pairs(extra) do
    if lsp[k] == nil then
      lsp[k] = v
    end
  end
  return lsp
end

local function run()
  local file = getenv_required("SST_E2E_FILE")
  local root = getenv_required("SST_E2E_ROOT")
  local cmd = json_decode(getenv_required("SST_E2E_SERVER_CMD"))
  result.file = file
  result.server_cmd = cmd

  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "typescript" -- -u NONE: no filetype detection
  step("opened", { bufnr = bufnr })

  -- Keep every raw publishDiagnostics too (what the server sent, before Neovim converts it).
  local raw = {}
  local default_handler = vim.lsp.handlers["textDocument/publishDiagnostics"]
  local handlers = {
    ["textDocument/publishDiagnostics"] = function(err, params, ctx, config)
      if params and params.uri then
        raw[params.uri] = params.diagnostics
      end
      return default_handler(err, params, ctx, config)
    end,
  }

  client_id = vim.lsp.start_client({
    name = "sst-lsp",
    cmd = cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = "app" } },
    handlers = handlers,
    on_init = function(_, initialize_result)
      result.server_info = initialize_result and initialize_result.serverInfo
    end,
    on_exit = function(code, signal)
      result.server_exit = { code = code, signal = signal }
    end,
  })
  if not client_id then
    fail("vim.lsp.start_client returned nil")
  end
  if not vim.lsp.buf_attach_client(bufnr, client_id) then
    fail("vim.lsp.buf_attach_client failed")
  end
  step("attached", { client_id = client_id })

  wait_for("the server to initialize", function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized == true
  end)
  local client = vim.lsp.get_client_by_id(client_id)
  result.offset_encoding = client.offset_encoding
  step("initialized")

  -- 1. SST401 arrives for the open buffer.
  wait_for("an SST401 diagnostic in the buffer", function()
    return find_code(vim.diagnostic.get(bufnr), "SST401") ~= nil
  end)
  local diags = vim.diagnostic.get(bufnr)
  result.codes_before = codes_of(diags)
  local vd = find_code(diags, "SST401")
  result.sst401 = { lnum = vd.lnum, col = vd.col, end_lnum = vd.end_lnum, end_col = vd.end_col, message = vd.message, source = vd.source }
  local line_before = vim.api.nvim_buf_get_lines(bufnr, vd.lnum, vd.lnum + 1, false)[1]
  result.line_before = line_before
  step("diagnostic", { codes = result.codes_before })
  if vd.source ~= "sst-lsp" then
    fail("SST401 source is " .. tostring(vd.source) .. ", expected sst-lsp")
  end
  if not line_before:find("subnets", 1, true) or line_before:find("privateSubnets", 1, true) then
    fail("SST401 is on a line without a bare `subnets`: " .. line_before)
  end

  -- 2. Ask for code actions on that range, with the diagnostic converted back to LSP form
  --    (exactly what vim.lsp.buf.code_action() does in 0.7: vim -> LSP, data from user_data.lsp).
  local lsp_diag = to_lsp_diagnostic(bufnr, vd)
  if lsp_diag.data == nil then
    fail("the converted diagnostic lost its `data` (the server's fix lives there)")
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag } },
  }
  local responses, err = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, TIMEOUT)
  if not responses then
    fail("codeAction request failed: " .. tostring(err))
  end
  local actions = {}
  for _, resp in pairs(responses) do
    if resp.error then
      fail("codeAction error: " .. vim.inspect(resp.error))
    end
    for _, a in ipairs(resp.result or {}) do
      table.insert(actions, a)
    end
  end
  result.actions = {}
  local chosen = nil
  for _, a in ipairs(actions) do
    table.insert(result.actions, { title = a.title, kind = a.kind, isPreferred = a.isPreferred })
    if chosen == nil and a.edit ~= nil and a.title and a.title:find("SST401", 1, true) then
      chosen = a
    end
  end
  step("code actions", { count = #actions })
  if chosen == nil then
    fail("no code action with an edit for SST401 among " .. #actions .. " action(s)")
  end
  result.chosen = chosen.title

  -- 3. Apply it the way Neovim does, and check the buffer.
  vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
  local line_after = vim.api.nvim_buf_get_lines(bufnr, vd.lnum, vd.lnum + 1, false)[1]
  result.line_after = line_after
  step("applied", { line = line_after })
  if not line_after:find("privateSubnets", 1, true) then
    fail("after the fix the line is " .. vim.inspect(line_after) .. ", expected privateSubnets")
  end
  local expected = line_before:gsub("subnets", "privateSubnets", 1)
  if line_after ~= expected then
    fail("after the fix the line is " .. vim.inspect(line_after) .. ", expected " .. vim.inspect(expected))
  end
  result.modified = vim.bo[bufnr].modified

  -- 4. Neovim sends didChange by itself; the server re-analyses the unsaved buffer.
  wait_for("SST401 to disappear after the fix", function()
    return find_code(vim.diagnostic.get(bufnr), "SST401") == nil
  end)
  result.codes_after = codes_of(vim.diagnostic.get(bufnr))
  result.raw_uris = vim.tbl_keys(raw)
  table.sort(result.raw_uris)
  step("diagnostic cleared", { codes = result.codes_after })

  -- The file on disk is untouched (the fix edits the buffer only).
  local f = io.open(file, "r")
  local disk = f:read("*a")
  f:close()
  result.disk_unchanged = disk:find(line_before, 1, true) ~= nil
end

local ok, err = xpcall(run, debug.traceback)
if ok then
  finish(true)
else
  finish(false, err)
end
