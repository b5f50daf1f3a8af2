#!/usr/bin/env bash
# The README's first command: deploy examples/kubernetes-test-spring with ship.
#
# It uses the cluster of the current kubeconfig when one is reachable (kind, minikube, k3d,
# Docker Desktop ... on a developer's machine). When none is reachable — a fresh machine of the
# kind ship is built on, with no cluster at all — it brings up ship's own single-node test
# cluster first (test/cluster/up.sh) and deploys to that.
#
# Extra arguments go to ship, e.g.  npm run example -- --detach
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
say() { printf '[example] %s\n' "$*" >&2; }

[ -d node_modules ] || { say "installing npm dependencies (npm ci)"; npm ci --no-audit --no-fund >&2; }
[ -f dist/cli.js ] && [ -z "$(find src -newer dist/cli.js -name '*.ts' -print -quit)" ] || { say "building ship (npm run build)"; npm run build --silent >&2; }

# Docker: use the one that answers; on a bare Debian machine (root), install and start Debian's.
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
    say "no Docker daemon answers; starting Debian's docker.io (test/cluster/docker-up.sh)"
    bash test/cluster/docker-up.sh >&2
  else
    say "no Docker daemon answers: start Docker (Docker Desktop, or sudo systemctl start docker) and try again"
    exit 6
  fi
fi

# The example's Dockerfile starts FROM eclipse-temurin:17-jre. Pull it where a registry is
# reachable; machines without one build it locally from Debian packages.
if ! docker image inspect eclipse-temurin:17-jre >/dev/null 2>&1 && ! docker pull -q eclipse-temurin:17-jre >/dev/null 2>&1; then
  say "eclipse-temurin:17-jre cannot be pulled here; building it from Debian packages (about 2 minutes, once)"
  bash test/fixtures/install-deps.sh >&2
  bash test/images/build.sh temurin >&2
fi

args=()
if kubectl version --request-timeout=5s >/dev/null 2>&1; then
  context=$(kubectl config current-context)
  say "deploying to the cluster of the current kubeconfig: $context"
  # ship's own test cluster is not a kind/minikube/... context: say how its images get there.
  [ "$context" = ship-local ] && args+=(--load containerd:/run/ship-cluster/containerd.sock)
else
  say "no reachable cluster in the current kubeconfig; bringing up ship's local test cluster"
  say "(first time on this machine: builds Kubernetes from source, about 15-25 minutes; later: under a minute)"
  bash test/cluster/up.sh >&2
  export KUBECONFIG=/var/lib/ship-cluster/kubeconfig
  args+=(--load containerd:/run/ship-cluster/containerd.sock)
fi

# Gradle 8 (the example's wrapper) needs services.gradle.org; where that is unreachable, build the
# same sources with Maven. Set SHIP_EXAMPLE_BUILDER=gradle to force the wrapper.
builder=${SHIP_EXAMPLE_BUILDER:-}
if [ -z "$builder" ]; then
  # A distribution the wrapper unpacked (a failed download leaves its folder without one).
  if ls ~/.gradle/wrapper/dists/gradle-8.*/*/gradle-8.*/bin/gradle >/dev/null 2>&1; then builder=gradle; else builder=maven; fi
fi
say "building with $builder"
exec node dist/cli.js examples/kubernetes-test-spring --builder "$builder" "${args[@]}" "$@"
