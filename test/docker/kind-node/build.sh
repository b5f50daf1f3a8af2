#!/usr/bin/env bash
# Build ship.local/kind-node-lite:1 — a stand-in for a kind node container, for ship's loader
# tests and the load benchmark. kind's real node image needs `docker run --privileged`, which
# ship's machines refuse (root lacks CAP_SYS_RESOURCE), so this is the part ship talks to: a
# Debian rootfs with containerd + runc whose containerd runs as the container's command.
#
# Run it like a kind node (what test/docker/kind-loader.test.ts and bench/load.mjs do):
#   docker run -d --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
#     --security-opt apparmor=unconfined -v VOLUME:/var/lib/containerd \
#     --label io.x-k8s.kind.cluster=NAME --label io.x-k8s.kind.role=control-plane \
#     ship.local/kind-node-lite:1
#
# Idempotent: an existing image is left alone. The debootstrapped rootfs is cached as a tarball
# in $SHIP_IMAGE_CACHE (default /var/cache/ship-images) so a rebuild takes seconds.
# usage: test/docker/kind-node/build.sh [--force]
# env:   SHIP_IMAGE_CACHE, DEBIAN_MIRROR
set -euo pipefail

cache=${SHIP_IMAGE_CACHE:-/var/cache/ship-images}
suite=bookworm
recipe=1 # bump when the recipe changes so an old cached rootfs is not reused
image=ship.local/kind-node-lite:$recipe
rootfs_tar=$cache/kind-node-lite-$suite-r$recipe.rootfs.tar
force=0
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "kind-node/build.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

log() { printf '[kind-node] %s\n' "$*"; }

if [ $force = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  log "$image exists: skipped"
  echo "$image"
  exit 0
fi

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

if [ ! -s "$rootfs_tar" ]; then
  command -v debootstrap >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }
  mkdir -p "$cache"
  dir=$(mktemp -d "$cache/kind-node.XXXXXX")
  trap 'rm -rf "$dir" "$rootfs_tar.tmp"' EXIT
  log "debootstrap --variant=minbase --include=containerd,runc $suite"
  if ! debootstrap --variant=minbase --include=containerd,runc "$suite" "$dir" "$(mirror)" >"$cache/kind-node-debootstrap.log" 2>&1; then
    tail -n 30 "$cache/kind-node-debootstrap.log" >&2
    echo "kind-node/build.sh: debootstrap failed (log: $cache/kind-node-debootstrap.log)" >&2
    exit 1
  fi
  chroot "$dir" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/log/* "$dir"/tmp/* \
         "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
  # The containerd config a kind node carries: CRI section naming the snapshotter explicitly
  # (ship reads it with `containerd config dump`).
  mkdir -p "$dir/etc/containerd"
  cat >"$dir/etc/containerd/config.toml" <<'TOML'
version = 2
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
TOML
  : >"$dir/etc/resolv.conf"
  rm -f "$dir/etc/hostname"
  tar --numeric-owner -C "$dir" -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$dir"
  trap - EXIT
  log "cached rootfs $rootfs_tar ($(du -h "$rootfs_tar" | cut -f1))"
fi

docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'LABEL ship.test-image=kind-node-lite' \
  --change 'VOLUME ["/var/lib/containerd"]' \
  --change 'CMD ["containerd"]' \
  --message "ship test/docker/kind-node/build.sh: debian $suite minbase + containerd + runc" \
  - "$image" <"$rootfs_tar" >/dev/null
log "imported $image"
echo "$image"
