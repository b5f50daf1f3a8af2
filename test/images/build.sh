#!/usr/bin/env bash
# Build the local base images that ship's tests and examples need. No container registry is
# reachable on ship's machines, so nothing can be pulled: every image is made here.
#
#   eclipse-temurin:17-jre  Debian bookworm minbase + openjdk-17-jre-headless (debootstrap),
#                           imported with `docker import`. JAVA_HOME=/opt/java/openjdk like the real
#                           Temurin image (a symlink to Debian's JVM dir). Used by every Dockerfile
#                           under examples/ and test/fixtures/.
#   ship.local/postgres:15  Debian bookworm minbase + postgresql-15 (debootstrap), `docker import`ed,
#                           run as user postgres; its entrypoint (postgres-entrypoint.sh) creates the
#                           cluster on first start from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB
#                           like the official image, then runs postgres listening on the pod's IP.
#                           For the database fixture (test/fixtures/spring-db).
#   ship.local/busybox:1    FROM scratch + Debian's static busybox, applets linked into /bin.
#                           Has `sh` but NO `bash` (for "exec falls back to sh" tests).
#                           Default CMD is `sh` (exits at once without stdin): pods using it should
#                           set `command: ["sleep", "3600"]` or similar.
#
# Idempotent: an image that already exists is left alone (only missing ones are built).
# The debootstrapped rootfs is cached as a tarball in $SHIP_IMAGE_CACHE (default
# /var/cache/ship-images), so after `docker rmi` the JRE image is re-imported in seconds.
#
# usage: test/images/build.sh [--force] [temurin|busybox|postgres ...]
#   --force   rebuild the named images (or all) even if they exist; the rootfs cache is reused,
#             delete $SHIP_IMAGE_CACHE to debootstrap again.
# env:   SHIP_IMAGE_CACHE, DEBIAN_MIRROR (default: the mirror in /etc/apt/sources.list*, else
#        http://deb.debian.org/debian).
# Needs root (debootstrap, apt-get), a running dockerd (started via test/cluster/docker-up.sh
# if that exists, otherwise `dockerd` in the background), and access to Debian's mirror.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${SHIP_IMAGE_CACHE:-/var/cache/ship-images}
suite=bookworm
# Bump when the recipe changes so an old cached rootfs is not reused.
recipe=1
temurin_image=eclipse-temurin:17-jre
busybox_image=ship.local/busybox:1
rootfs_tar=$cache/temurin-17-jre-$suite-r$recipe.rootfs.tar
postgres_image=ship.local/postgres:15
postgres_recipe=2
postgres_tar=$cache/postgres-15-$suite-r$postgres_recipe.rootfs.tar

force=0
want=()
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    temurin|busybox|postgres) want+=("$a") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done
[ ${#want[@]} -gt 0 ] || want=(temurin busybox postgres)

log() { printf '[images] %s\n' "$*"; }
now() { date +%s; }
since() { echo "$(( $(now) - $1 ))s"; }
t_all=$(now)

need_pkg() { # need_pkg COMMAND-PATH PACKAGE
  [ -x "$1" ] && return 0
  log "installing $2 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; }
}

ensure_docker() {
  docker info >/dev/null 2>&1 && return 0
  if [ -x "$repo/test/cluster/docker-up.sh" ] || [ -f "$repo/test/cluster/docker-up.sh" ]; then
    log "dockerd not reachable: running test/cluster/docker-up.sh"
    bash "$repo/test/cluster/docker-up.sh"
  else
    command -v dockerd >/dev/null || need_pkg /usr/sbin/dockerd docker.io
    if ! pgrep -x dockerd >/dev/null; then
      log "dockerd not running: starting it (log: /var/log/ship-dockerd.log)"
      nohup dockerd >/var/log/ship-dockerd.log 2>&1 &
    fi
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
  echo "build.sh: docker daemon did not come up (see /var/log/ship-dockerd.log)" >&2
  exit 1
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# debootstrap_into DIR PACKAGE LOG: Debian minbase plus PACKAGE (and what it needs) into DIR
debootstrap_into() {
  local dir=$1 pkg=$2 logf=$3 t m
  m=$(mirror)
  log "debootstrap --variant=minbase --include=$pkg $suite ($m)"
  t=$(now)
  if ! debootstrap --variant=minbase --include="$pkg" "$suite" "$dir" "$m" >"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    echo "build.sh: debootstrap of $pkg failed (full log: $logf)" >&2
    exit 1
  fi
  log "debootstrap done in $(since "$t") ($(du -sh "$dir" | cut -f1))"
}

# Make the cached rootfs tarball (debootstrap + slimming). Written to a temp name and renamed,
# so an interrupted run never leaves a half tarball that later runs would trust.
make_rootfs_tar() {
  need_pkg /usr/sbin/debootstrap debootstrap
  mkdir -p "$cache"
  local dir t
  dir=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$dir" "$rootfs_tar.tmp"' EXIT
  debootstrap_into "$dir" openjdk-17-jre-headless "$cache/debootstrap.log"

  t=$(now)
  local jvm
  # Resolve the alternatives chain inside the rootfs (not on the host).
  jvm=$(chroot "$dir" sh -c 'dirname "$(dirname "$(readlink -f /usr/bin/java)")"')
  mkdir -p "$dir/opt/java"
  ln -sfn "$jvm" "$dir/opt/java/openjdk"
  slim_rootfs "$dir"
  # Keep dpkg from re-adding docs/man/locales if someone apt-installs into a derived image.
  mkdir -p "$dir/etc/dpkg/dpkg.cfg.d"
  cat >"$dir/etc/dpkg/dpkg.cfg.d/ship-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
  echo "$jvm" >"$dir/.ship-jvm"
  log "slimmed rootfs in $(since "$t") ($(du -sh "$dir" | cut -f1)), JVM at $jvm"

  cache_rootfs "$dir" "$rootfs_tar"
}

# cache_rootfs DIR TAR: DIR packed into TAR (through a temp name: an interrupted run never leaves a
# half tarball that later runs would trust), then removed
cache_rootfs() {
  local dir=$1 tar=$2 t
  t=$(now)
  tar --numeric-owner -C "$dir" -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  rm -rf "$dir"
  trap - EXIT
  log "cached rootfs $tar ($(du -h "$tar" | cut -f1)) in $(since "$t")"
}

# slim_rootfs DIR: package caches, docs, man pages, locales, logs. dpkg keeps working (no apt lists).
slim_rootfs() {
  local dir=$1
  chroot "$dir" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
         "$dir"/var/cache/debconf/*-old "$dir"/var/log/* "$dir"/tmp/* "$dir"/var/tmp/* \
         "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
         "$dir"/usr/share/lintian "$dir"/usr/share/linda "$dir"/usr/share/bug \
         "$dir"/usr/share/common-licenses
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
  : >"$dir/etc/resolv.conf"
  rm -f "$dir/etc/hostname"
}

# PostgreSQL 15 from Debian (no registry can be reached: the official image cannot be pulled).
make_postgres_tar() {
  need_pkg /usr/sbin/debootstrap debootstrap
  mkdir -p "$cache"
  local dir t
  dir=$(mktemp -d "$cache/pgroot.XXXXXX")
  trap 'rm -rf "$dir" "$postgres_tar.tmp"' EXIT
  debootstrap_into "$dir" postgresql-15 "$cache/debootstrap-postgres.log"
  # the package's own cluster (/var/lib/postgresql/15/main) is not used: the entrypoint makes one
  # in PGDATA at first start, owned by whoever the container runs as
  rm -rf "$dir/var/lib/postgresql/15" "$dir/etc/postgresql/15"
  # JIT (LLVM, ~110 MB) is left out: the entrypoint runs postgres with jit=off
  rm -f "$dir"/usr/lib/postgresql/15/lib/llvmjit* "$dir"/usr/lib/*-linux-gnu/libLLVM-*.so*
  rm -rf "$dir"/usr/lib/postgresql/15/lib/bitcode
  install -m 0755 "$here/postgres-entrypoint.sh" "$dir/usr/local/bin/postgres-entrypoint.sh"
  mkdir -p "$dir/var/lib/postgresql/data" "$dir/var/run/postgresql"
  chroot "$dir" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
  chmod 0700 "$dir/var/lib/postgresql/data"
  slim_rootfs "$dir"
  cache_rootfs "$dir" "$postgres_tar"
}

build_postgres() {
  local sum
  # the entrypoint is part of the recipe: a changed script makes a new rootfs
  sum=$(sha256sum "$here/postgres-entrypoint.sh" | cut -c1-12)
  if [ $force = 0 ] && have_image "$postgres_image" && [ "$(docker image inspect -f '{{index .Config.Labels "ship.recipe"}}' "$postgres_image")" = "$postgres_recipe-$sum" ]; then
    log "$postgres_image exists: skipped"
    return
  fi
  if [ ! -s "$postgres_tar" ] || [ "$(cat "$postgres_tar.entrypoint" 2>/dev/null)" != "$sum" ]; then
    make_postgres_tar
    echo "$sum" > "$postgres_tar.entrypoint"
  else
    log "reusing cached rootfs $postgres_tar"
  fi
  import_rootfs "$postgres_image" "$postgres_tar" "debian $suite minbase + postgresql-15" \
    'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV LANG=C.UTF-8' \
    'ENV PGDATA=/var/lib/postgresql/data' \
    'USER postgres' \
    'EXPOSE 5432' \
    'LABEL ship.test-image=postgres-15' \
    "LABEL ship.recipe=$postgres_recipe-$sum" \
    'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]' \
    'CMD ["postgres"]'
  check_postgres
}

check_postgres() {
  local out
  out=$(docker run --rm --entrypoint postgres "$postgres_image" --version 2>&1) || { echo "$out" >&2; echo "build.sh: postgres --version failed in $postgres_image" >&2; exit 1; }
  log "$postgres_image: $out, size $(docker image inspect -f '{{.Size}}' "$postgres_image" | awk '{printf "%d MB", $1/1000/1000}')"
}

# import_rootfs IMAGE TAR MESSAGE CHANGE...: `docker import` a cached rootfs tarball with these
# Dockerfile instructions; a previous image of that name left untagged is removed unless in use.
import_rootfs() {
  local image=$1 tar=$2 message=$3 t old c args=()
  shift 3
  for c in "$@"; do args+=(--change "$c"); done
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  t=$(now)
  docker import "${args[@]}" --message "ship test/images/build.sh: $message" - "$image" <"$tar" >/dev/null
  log "imported $image in $(since "$t")"
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    docker rmi "$old" >/dev/null 2>&1 || true
  fi
}

build_temurin() {
  if [ $force = 0 ] && have_image "$temurin_image"; then
    log "$temurin_image exists: skipped"
    return
  fi
  if [ -s "$rootfs_tar" ]; then
    log "reusing cached rootfs $rootfs_tar"
  else
    make_rootfs_tar
  fi
  import_rootfs "$temurin_image" "$rootfs_tar" "debian $suite minbase + openjdk-17-jre-headless" \
    'ENV JAVA_HOME=/opt/java/openjdk' \
    'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV LANG=C.UTF-8' \
    'LABEL ship.test-image=temurin-17-jre' \
    "LABEL ship.recipe=$recipe" \
    'CMD ["/bin/bash"]'
  check_temurin
}

check_temurin() {
  local out
  out=$(docker run --rm "$temurin_image" java -version 2>&1) || { echo "$out" >&2; echo "build.sh: java -version failed in $temurin_image" >&2; exit 1; }
  log "$temurin_image: $(echo "$out" | head -n1), size $(docker image inspect -f '{{.Size}}' "$temurin_image" | awk '{printf "%d MB", $1/1000/1000}')"
}

build_busybox() {
  if [ $force = 0 ] && have_image "$busybox_image"; then
    log "$busybox_image exists: skipped"
    return
  fi
  need_pkg /bin/busybox busybox-static
  # Debian's busybox package (dynamic) also installs /bin/busybox; only the static one works in scratch.
  if ldd /bin/busybox >/dev/null 2>&1; then
    log "/bin/busybox is dynamically linked: installing busybox-static"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null
  fi
  local t ctx old
  old=$(docker image inspect -f '{{.Id}}' "$busybox_image" 2>/dev/null || true)
  t=$(now)
  ctx=$(mktemp -d)
  cp /bin/busybox "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
# Link every applet into /bin, then make sure there is no bash (busybox can be built with a
# `bash` applet alias): this image is the "no bash, only sh" case.
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && /bin/busybox rm -f /bin/bash && /bin/busybox mkdir -p /tmp /root /etc /usr/bin /usr/sbin /sbin && /bin/busybox chmod 1777 /tmp && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'root:x:0:' > /etc/group"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL ship.test-image=busybox
CMD ["sh"]
EOF
  local out
  if ! out=$(DOCKER_BUILDKIT=0 docker build -t "$busybox_image" "$ctx" 2>&1); then
    echo "$out" >&2; rm -rf "$ctx"; echo "build.sh: docker build of $busybox_image failed" >&2; exit 1
  fi
  rm -rf "$ctx"
  log "built $busybox_image in $(since "$t")"
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$busybox_image")" ]; then
    docker rmi "$old" >/dev/null 2>&1 || true
  fi
  check_busybox
}

check_busybox() {
  docker run --rm "$busybox_image" sh -c 'echo ok' | grep -qx ok || { echo "build.sh: sh does not run in $busybox_image" >&2; exit 1; }
  if docker run --rm "$busybox_image" sh -c 'command -v bash' >/dev/null 2>&1; then
    echo "build.sh: $busybox_image unexpectedly has bash" >&2; exit 1
  fi
  log "$busybox_image: sh works, no bash, size $(docker image inspect -f '{{.Size}}' "$busybox_image" | awk '{printf "%.1f MB", $1/1000/1000}')"
}

ensure_docker
for w in "${want[@]}"; do
  case $w in
    temurin) build_temurin ;;
    busybox) build_busybox ;;
    postgres) build_postgres ;;
  esac
done
log "done in $(since "$t_all")"
