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
DNS_IP=10.96.0.10                  # the kube-dns Service (CoreDNS), the kubelets' clusterDNS
COREDNS_IMAGE=ship.local/coredns:$COREDNS_VERSION
FW_CHAIN=SHIP-FORWARD              # filter/FORWARD: pod <-> pod across bridges and nodes (Docker's policy is DROP)

# the second node: its own network namespace (a veth to the host), containerd, kubelet and kube-proxy
NODE2_NAME=ship-node2
NODE2_IP=10.250.0.2
NODE2_NETNS=ship-node2             # /run/netns/ship-node2 (ip netns)
NODE2_VETH=ship-n2                 # host end of the veth; the other end is eth0 in the namespace
NODE2_CGROUP=ship-node2            # its kubelet's cgroupRoot (the first node's kubepods stay at /kubepods)
NODE2_TAINT=ship.local/second-node # NoSchedule: only pods that tolerate it run there (see README)
NODE2_CNI_NET=ship-pods-node2

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
NODE2_STATE=$STATE/node2           # its containerd root, kubelet root dir, pod logs, configs
NODE2_RUN=$RUN/node2
NODE2_CTRD_SOCK=$NODE2_RUN/containerd.sock
NODE2_CNI_CONF_DIR=$NODE2_STATE/cni/net.d

KUBECTL=$K8S_BIN/kubectl
kc() { "$KUBECTL" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctrd() { ctr -a "$CTRD_SOCK" -n k8s.io "$@"; }
ctrd2() { ctr -a "$NODE2_CTRD_SOCK" -n k8s.io "$@"; }
# in_node2 CMD...: run in the second node's network namespace (same mount namespace: its kubelet's
# volume mounts must be seen by its containerd)
in_node2() { nsenter --net="/run/netns/$NODE2_NETNS" "$@"; }

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

# stop_daemon NAME BINARY [GRACE]: TERM by pid, KILL after the grace period
stop_daemon() {
  local name=$1 bin=$2 grace=${3:-15} pid
  if pid=$(pid_of "$name" "$bin"); then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((grace * 5))); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null; sleep 0.3; log "$name: killed (pid $pid)"; else log "$name: stopped (pid $pid)"; fi
  fi
  rm -f "$(pidfile "$name")"
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
