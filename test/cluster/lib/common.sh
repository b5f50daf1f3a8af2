# Shared settings and helpers for test/cluster/*.sh (sourced, not executed).
here_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here_lib/versions.sh"

CLUSTER_NAME=ship-local
NODE_NAME=ship-node
NODE_IF=ship0                      # dummy interface owned by these scripts
NODE_IP=10.250.0.1                 # its address: the node IP, apiserver and kubelet listen on it
POD_CIDR=10.244.0.0/16             # cluster CIDR (clear of Docker's 172.17.0.0/16)
NODE_POD_CIDR=10.244.0.0/24        # the single node's range (first /24 the controller-manager hands out)
POD_GW=10.244.0.1
SERVICE_CIDR=10.96.0.0/12
SERVICE_IP=10.96.0.1
CNI_NET=ship-pods
CNI_BRIDGE=cni0
PAUSE_IMAGE=ship.local/pause:3.10
APISERVER_PORT=6443

STATE=/var/lib/ship-cluster        # persistent state (pki, etcd data, containerd root, configs)
RUN=/run/ship-cluster              # pid files, containerd socket/state
LOGS=/var/log/ship-cluster
PKI=$STATE/pki
KUBECONFIG_ADMIN=$STATE/kubeconfig
CTRD_SOCK=$RUN/containerd.sock
CTRD_ROOT=$STATE/containerd
CTRD_STATE=$RUN/containerd-state
CNI_CONF_DIR=$STATE/cni/net.d
KUBELET_DIR=/var/lib/kubelet
APISERVER_URL=https://$NODE_IP:$APISERVER_PORT

KUBECTL=$K8S_BIN/kubectl
kc() { "$KUBECTL" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctrd() { ctr -a "$CTRD_SOCK" -n k8s.io "$@"; }

log() { printf '%s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# phase NAME CMD...: run one phase, print its duration
phase() {
  local name=$1; shift
  local t0; t0=$(now)
  log "==> $name"
  "$@"
  log "<== $name: $(secs "$t0")s"
}

pidfile() { echo "$RUN/$1.pid"; }
# pid_of NAME: pid from the pid file if that process is alive and is the expected binary
pid_of() {
  local f; f=$(pidfile "$1")
  [ -s "$f" ] || return 1
  local pid; pid=$(cat "$f")
  [ -d "/proc/$pid" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
  echo "$pid"
}

tail_log() {
  local name=$1 n=${2:-40}
  log "----- last $n lines of $LOGS/$name.log -----"
  tail -n "$n" "$LOGS/$name.log" 2>/dev/null || log "(no log)"
  log "-----"
}
die() { log "ERROR: $*"; exit 1; }
die_log() { local name=$1; shift; log "ERROR: $*"; tail_log "$name" 60; exit 1; }

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.5 s until it succeeds
wait_for() {
  local timeout=$1 what=$2; shift 2
  local end=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { log "timed out after ${timeout}s waiting for $what"; return 1; }
    sleep 0.5
  done
}
