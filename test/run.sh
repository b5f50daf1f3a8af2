#!/usr/bin/env bash
# The test command (npm test): every test — unit, Docker integration and end-to-end.
# Brings up what the tests need when it is not running, and reuses it when it is:
# the Docker engine, the locally built base images, and the two-node test cluster.
#   SHIP_TEST_ONLY=unit|docker|e2e   run one group (the others' setup is skipped where possible)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
phase() { printf '\n== %s ==\n' "$*"; }
t0=$(date +%s)
only=${SHIP_TEST_ONLY:-}

phase "type-check and bundle (npm run build)"
npm run build --silent

if [ -z "$only" ] || [ "$only" = unit ]; then
  phase "unit tests"
  npx vitest run --project unit
fi
[ "$only" = unit ] && exit 0

phase "Docker engine, fixture tools, base images"
bash test/cluster/docker-up.sh
bash test/fixtures/install-deps.sh
bash test/images/build.sh

if [ -z "$only" ] || [ "$only" = docker ]; then
  phase "Docker integration tests"
  npx vitest run --project docker
fi
[ "$only" = docker ] && exit 0

phase "helm and kustomize for the tests (test/cluster/lib/build.sh tools; cached per version)"
bash test/cluster/lib/build.sh tools

phase "test cluster (test/cluster/up.sh)"
# A cluster whose daemons were killed (a stopped session) can leave state up.sh cannot reuse:
# then put the machine back with down.sh and bring it up once more.
bash test/cluster/up.sh || { echo "up.sh failed; cleaning up with down.sh and trying once more"; bash test/cluster/down.sh; bash test/cluster/up.sh; }

phase "end-to-end tests"
npx vitest run --project e2e

phase "all tests passed in $(( $(date +%s) - t0 ))s"
