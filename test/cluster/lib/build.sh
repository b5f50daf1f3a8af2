#!/usr/bin/env bash
# Build (once per version) the Kubernetes and etcd binaries into /var/cache/ship-cluster.
# Never rebuilds when the binaries for that version are already there.
# usage: build.sh [k8s|etcd|all]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
what=${1:-all}
export CGO_ENABLED=0
# keep the default GOMODCACHE / GOCACHE (they survive between runs on this machine)

have_all() { local d=$1; shift; for b in "$@"; do [ -x "$d/$b" ] || return 1; done; }

build_k8s() {
  # shellcheck disable=SC2086
  if have_all "$K8S_BIN" $K8S_COMPONENTS; then echo "k8s $K8S_VERSION: cached in $K8S_BIN"; return; fi
  local src=$SHIP_CACHE/src/k8s-$K8S_VERSION tmp=$SHIP_CACHE/k8s-$K8S_VERSION/bin.tmp
  "$here/gen-wrapper.sh" k8s "$K8S_VERSION" "$src"
  local v=${K8S_VERSION#v} major minor
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  local pkgs=() c
  for c in $K8S_COMPONENTS; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo "k8s $K8S_VERSION: building ${K8S_COMPONENTS} (cold build takes 15-30 min on 2 cores)"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -tags selinux,notest -ldflags "$ld" -o "$tmp/" "${pkgs[@]}")
  rm -rf "$K8S_BIN"; mv "$tmp" "$K8S_BIN"
  echo "k8s $K8S_VERSION: built into $K8S_BIN"
}

build_etcd() {
  if have_all "$ETCD_BIN" etcd; then echo "etcd $ETCD_VERSION: cached in $ETCD_BIN"; return; fi
  local src=$SHIP_CACHE/src/etcd-$ETCD_VERSION tmp=$SHIP_CACHE/etcd-$ETCD_VERSION/bin.tmp
  "$here/gen-wrapper.sh" etcd "$ETCD_VERSION" "$src"
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo "etcd $ETCD_VERSION: building"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$ETCD_BIN"; mv "$tmp" "$ETCD_BIN"
  echo "etcd $ETCD_VERSION: built into $ETCD_BIN"
}

case $what in
  k8s) build_k8s ;;
  etcd) build_etcd ;;
  all) build_etcd; build_k8s ;;
  *) echo "usage: $0 [k8s|etcd|all]" >&2; exit 2 ;;
esac
