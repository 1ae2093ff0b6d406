#!/usr/bin/env bash
# Runs a command of node_modules/.bin on a supported Node.js (22 or 24). On an older one (Node 20
# reached end of life in April 2026) it fetches Node 24 once (scripts/node-bin.sh) and runs the
# command on that, saying so: `npm test` works as the README says on any machine with npm.
set -euo pipefail
cd "$(dirname "$0")/.."
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 22 ]; then
  bin=$(bash scripts/node-bin.sh 24)
  echo "node $(node --version) is not supported (22 and 24 are): running on $("$bin/node" --version) from .cache/node/24 instead" >&2
  export PATH="$bin:$PATH"
fi
command=$1
shift
exec node "node_modules/.bin/$command" "$@"
