#!/usr/bin/env bash
# Bring up the ship test cluster: one real Kubernetes v1.34 node on this machine.
# Idempotent: reuses cached binaries, images, certificates and running daemons.
# See README.md. Prints each phase with its duration; exits non-zero with the
# relevant daemon log on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/pki.sh"
T_START=$(now)

# ---------------------------------------------------------------- prerequisites
prereqs() {
  local missing=()
  command -v containerd >/dev/null && command -v ctr >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] && [ -x /usr/lib/cni/loopback ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v socat >/dev/null || missing+=(socat)
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  [ -x /usr/bin/python3 ] || missing+=(python3)
  command -v nsenter >/dev/null || missing+=(util-linux)
  command -v gcc >/dev/null || missing+=(gcc)
  [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] || missing+=(libc6-dev)
  command -v dockerd >/dev/null || missing+=(docker.io)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q "${missing[@]}" >/dev/null; }
  else
    log "all packages present"
  fi
  command -v go >/dev/null || die "go (1.24+) is required to build Kubernetes"
}

# ---------------------------------------------------------------- pause image
pause_image() {
  local src=$here/pause sum
  sum=$(cat "$src/pause.c" "$src/Dockerfile" | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{index .Config.Labels "ship.pause.src"}}' "$PAUSE_IMAGE" 2>/dev/null)" = "$sum" ]; then
    log "docker image $PAUSE_IMAGE up to date"
  else
    local tmp; tmp=$(mktemp -d)
    gcc -static -O2 -s -o "$tmp/pause" "$src/pause.c"
    cp "$src/Dockerfile" "$tmp/"
    DOCKER_BUILDKIT=0 docker build -q --label "ship.pause.src=$sum" -t "$PAUSE_IMAGE" "$tmp" >/dev/null 2>"$tmp/err" \
      || { cat "$tmp/err"; rm -rf "$tmp"; die "docker build of $PAUSE_IMAGE failed"; }
    rm -rf "$tmp"
    log "built docker image $PAUSE_IMAGE"
  fi
}

# ---------------------------------------------------------------- host setup
host_setup() {
  mkdir -p "$RUN"
  # remember what we change on the host, once, so down.sh can put it back
  if [ ! -s "$RUN/host-before" ]; then
    {
      # `mount --make-rshared /` below changes every mount's propagation: record them all
      findmnt -rn -o TARGET,PROPAGATION | sed 's/^/mount /'
      for k in vm.overcommit_memory kernel.panic kernel.panic_on_oops; do
        echo "sysctl $k=$(sysctl -n "$k")"
      done
      # directories the kubelet / CNI create when missing: down.sh removes them again
      for d in /var/lib/kubelet /var/lib/cni /var/log/pods /var/log/containers; do
        [ -e "$d" ] || echo "created $d"
      done
    } > "$RUN/host-before"
  fi
  mkdir -p "$STATE" "$LOGS" "$CNI_CONF_DIR" "$KUBELET_DIR"
  # node address owned by this cluster: a dummy interface (a port-less bridge where the
  # kernel has no dummy driver, as on these VMs) carrying NODE_IP/32
  if ! ip link show "$NODE_IF" >/dev/null 2>&1; then
    ip link add "$NODE_IF" type dummy 2>/dev/null || ip link add "$NODE_IF" type bridge
    log "created interface $NODE_IF ($(ip -d -o link show "$NODE_IF" | grep -oE 'dummy|bridge' | head -1))"
  fi
  sysctl -qw "net.ipv6.conf.$NODE_IF.disable_ipv6=1" 2>/dev/null || true
  ip addr replace "$NODE_IP/32" dev "$NODE_IF"
  ip link set "$NODE_IF" up
  # kubelet needs shared mount propagation for volumes
  [ "$(findmnt -no PROPAGATION /)" = shared ] || mount --make-rshared /
  log "node IP $NODE_IP on $NODE_IF; / is $(findmnt -no PROPAGATION /)"
}

# ---------------------------------------------------------------- daemons
# start_daemon NAME BINARY ARGS...: start in the background unless already running
start_daemon() {
  local name=$1; shift
  local pid
  if pid=$(pid_of "$name" "$1"); then
    log "$name: already running (pid $pid)"
    return 0
  fi
  printf '\n===== %s starting %s\n' "$(date -Is)" "$name" >> "$LOGS/$name.log"
  setsid nohup "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
  log "$name: started (pid $!, log $LOGS/$name.log)"
}
# start_daemon_node2 NAME MATCH BINARY ARGS...: the same, inside the second node's network namespace
# (nsenter execs the daemon: the pid file holds the daemon's pid; MATCH finds it in its command line)
start_daemon_node2() {
  local name=$1 match=$2; shift 2
  local pid
  if pid=$(pid_of "$name" "$match"); then
    log "$name: already running (pid $pid)"
    return 0
  fi
  printf '\n===== %s starting %s\n' "$(date -Is)" "$name" >> "$LOGS/$name.log"
  setsid nohup nsenter --net="/run/netns/$NODE2_NETNS" "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$(pidfile "$name")"
  log "$name: started in $NODE2_NETNS (pid $!, log $LOGS/$name.log)"
}
alive_or_die() { pid_of "$1" "$2" >/dev/null || die_log "$1" "$1 exited"; }
# wait_daemon NAME BINARY SECONDS CHECK...: wait for a health check while the process lives
wait_daemon() {
  local name=$1 bin=$2 timeout=$3; shift 3
  local end=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    pid_of "$name" "$bin" >/dev/null || die_log "$name" "$name exited during startup"
    [ "$(date +%s)" -lt "$end" ] || die_log "$name" "$name not healthy after ${timeout}s"
    sleep 0.5
  done
}

# containerd_config FILE ROOT STATE SOCK RUNC_ROOT OPT_DIR CNI_CONF_DIR: a CRI containerd of one node
containerd_config() {
  local file=$1 root=$2 state=$3 sock=$4 runc_root=$5 opt=$6 cni_dir=$7
  mkdir -p "$root" "$state" "$cni_dir"
  cat > "$file" <<TOML
# generated by test/cluster/up.sh
version = 2
root = "$root"
state = "$state"

[grpc]
  address = "$sock"

[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: never ask runc for a lower oom_score_adj than ours
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # pod network namespaces under our state dir instead of /run/netns
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$runc_root"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$cni_dir"
TOML
}

# cni_conflist FILE NETWORK SUBNET GATEWAY: bridge + host-local + portmap; the CRI plugin adds the
# pod's loopback itself with /usr/lib/cni/loopback
cni_conflist() {
  local file=$1 net=$2 subnet=$3 gw=$4
  cat > "$file.tmp" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$net",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$subnet", "gateway": "$gw" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  mv "$file.tmp" "$file"
}

# import_image CTR_FN IMAGE: put a docker image into a node's containerd unless it is there
import_image() {
  local ctr_fn=$1 img=$2
  if "$ctr_fn" images ls -q | grep -qx "$img"; then
    log "containerd ($ctr_fn): $img present"
  else
    docker save "$img" | "$ctr_fn" images import - >/dev/null || die "import of $img ($ctr_fn) failed"
    log "containerd ($ctr_fn): imported $img"
  fi
}

containerd_up() {
  containerd_config "$STATE/containerd.toml" "$CTRD_ROOT" "$CTRD_STATE" "$CTRD_SOCK" "$RUN/runc" "$STATE/opt" "$CNI_CONF_DIR"
  cni_conflist "$CNI_CONF_DIR/10-$CNI_NET.conflist" "$CNI_NET" "$NODE_POD_CIDR" "$POD_GW"
  start_daemon containerd containerd --config "$STATE/containerd.toml"
  wait_daemon containerd containerd 30 ctr -a "$CTRD_SOCK" version
  ctr -a "$CTRD_SOCK" plugins ls | grep -E 'io.containerd.grpc.v1 +cri +.* ok' >/dev/null \
    || die_log containerd "containerd CRI plugin is not ok"
  import_image ctrd "$PAUSE_IMAGE"
}

etcd_up() {
  start_daemon etcd "$ETCD_BIN/etcd" --name ship --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster ship=http://127.0.0.1:2380 --log-level warn
  wait_daemon etcd etcd 60 curl -fsS http://127.0.0.1:2379/health
}

curl_api() { curl -fsS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$APISERVER_URL$1"; }

apiserver_up() {
  start_daemon kube-apiserver "$K8S_BIN/kube-apiserver" \
    --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$APISERVER_PORT" \
    --etcd-servers=http://127.0.0.1:2379 \
    --client-ca-file="$PKI/ca.crt" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --profiling=false --v=1
  wait_daemon kube-apiserver kube-apiserver 120 curl_api /readyz
}

controllers_up() {
  start_daemon kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false \
    --client-ca-file="$PKI/ca.crt" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-account-private-key-file="$PKI/sa.key" --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr="$POD_CIDR" --node-cidr-mask-size=24 \
    --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false --v=1
  start_daemon kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=1
  wait_daemon kube-controller-manager kube-controller-manager 60 curl -fsSk https://127.0.0.1:10257/healthz
  wait_daemon kube-scheduler kube-scheduler 60 curl -fsSk https://127.0.0.1:10259/healthz
}

# kubelet_config FILE NODE_IP SERVER_CERT CONTAINERD_SOCK [EXTRA_YAML]
kubelet_config() {
  local file=$1 ip=$2 cert=$3 sock=$4 extra=${5:-}
  cat > "$file" <<YAML
# generated by test/cluster/up.sh
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: Webhook
tlsCertFile: $PKI/$cert.crt
tlsPrivateKeyFile: $PKI/$cert.key
containerRuntimeEndpoint: unix://$sock
cgroupDriver: cgroupfs
# this VM is cgroup v1: 1.34 only warns (maintenance mode); from 1.35 this must stay false
failCgroupV1: false
failSwapOn: false
# never evict, never garbage-collect images: imported images cannot be pulled back
evictionHard:
  memory.available: "0%"
  nodefs.available: "0%"
  nodefs.inodesFree: "0%"
  imagefs.available: "0%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
clusterDomain: cluster.local
# CoreDNS behind the kube-dns Service (no MissingClusterDNS events)
clusterDNS:
- $DNS_IP
resolvConf: /etc/resolv.conf
registerNode: true
serializeImagePulls: false
$extra
YAML
}

# config_changed FILE: FILE.new differs from FILE (then FILE.new replaces it); else FILE.new is dropped
config_changed() {
  if [ -f "$1" ] && cmp -s "$1.new" "$1"; then rm -f "$1.new"; return 1; fi
  mv "$1.new" "$1"
}

kubelet_up() {
  kubelet_config "$STATE/kubelet.yaml.new" "$NODE_IP" kubelet-server "$CTRD_SOCK"
  if config_changed "$STATE/kubelet.yaml" && pid_of kubelet kubelet >/dev/null; then
    # a cluster brought up before clusterDNS was set: its pods keep running across the restart
    log "kubelet: configuration changed: restarting it"
    stop_daemon kubelet kubelet
  fi
  start_daemon kubelet "$K8S_BIN/kubelet" --config="$STATE/kubelet.yaml" \
    --kubeconfig="$STATE/kubelet.kubeconfig" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
  wait_daemon kubelet kubelet 60 curl -fsS http://127.0.0.1:10248/healthz
}

# ---------------------------------------------------------------- services: kube-proxy, firewall
# Docker sets filter/FORWARD's policy to DROP: accept pod <-> pod (across bridges and nodes) in a
# chain of ours. Nothing else is forwarded: pods have no route off the machine.
firewall_up() {
  iptables -w -N "$FW_CHAIN" 2>/dev/null || true
  iptables -w -C "$FW_CHAIN" -s "$POD_CIDR" -d "$POD_CIDR" -j ACCEPT 2>/dev/null \
    || iptables -w -A "$FW_CHAIN" -s "$POD_CIDR" -d "$POD_CIDR" -j ACCEPT
  iptables -w -C FORWARD -j "$FW_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$FW_CHAIN"
  log "iptables: FORWARD -> $FW_CHAIN (accept $POD_CIDR <-> $POD_CIDR)"
}

# kube_proxy_config FILE NODE_NAME NODE_IP: iptables mode; NodePorts only on the node's own address;
# the host's conntrack sysctls left alone
kube_proxy_config() {
  local file=$1 name=$2 ip=$3
  cat > "$file" <<YAML
# generated by test/cluster/up.sh
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $STATE/kube-proxy.kubeconfig
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $name
bindAddress: $ip
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$ip/32"]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
YAML
}

# kube_proxy_synced IPTABLES_CMD...: the nat table routes the kubernetes Service
kube_proxy_synced() { "$@" -w -t nat -S KUBE-SERVICES 2>/dev/null | grep -q -- "-d $SERVICE_IP/32"; }

kube_proxy_up() {
  kube_proxy_config "$STATE/kube-proxy.yaml.new" "$NODE_NAME" "$NODE_IP"
  if config_changed "$STATE/kube-proxy.yaml" && pid_of kube-proxy kube-proxy >/dev/null; then
    log "kube-proxy: configuration changed: restarting it"; stop_daemon kube-proxy kube-proxy
  fi
  start_daemon kube-proxy "$K8S_BIN/kube-proxy" --config="$STATE/kube-proxy.yaml" --v=1
  wait_daemon kube-proxy kube-proxy 60 curl -fsS http://127.0.0.1:10256/healthz
  # its healthz answers before the first sync: wait for the rules of the kubernetes Service
  wait_for 60 "kube-proxy's rules for $SERVICE_IP" kube_proxy_synced iptables \
    || die_log kube-proxy "kube-proxy made no rules for the kubernetes Service ($SERVICE_IP)"
  log "kube-proxy: iptables rules in place (KUBE-SERVICES)"
}

# ---------------------------------------------------------------- CoreDNS
coredns_image() {
  local sum tmp
  sum=$(cat "$COREDNS_BIN/coredns" "$here/coredns/Dockerfile" | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{index .Config.Labels "ship.coredns.src"}}' "$COREDNS_IMAGE" 2>/dev/null)" != "$sum" ]; then
    tmp=$(mktemp -d)
    cp "$COREDNS_BIN/coredns" "$here/coredns/Dockerfile" "$tmp/"
    DOCKER_BUILDKIT=0 docker build -q --label "ship.coredns.src=$sum" -t "$COREDNS_IMAGE" "$tmp" >/dev/null 2>"$tmp/err" \
      || { cat "$tmp/err"; rm -rf "$tmp"; die "docker build of $COREDNS_IMAGE failed"; }
    rm -rf "$tmp"
    log "built docker image $COREDNS_IMAGE"
  fi
  import_image ctrd "$COREDNS_IMAGE"
}

coredns_up() {
  sed -e "s|__IMAGE__|$COREDNS_IMAGE|g" -e "s|__DNS_IP__|$DNS_IP|g" -e "s|__DOMAIN__|cluster.local|g" \
    "$here/coredns/coredns.yaml" | kc apply -f - >/dev/null
  if ! kc -n kube-system rollout status deployment/coredns --timeout=120s >/dev/null; then
    kc -n kube-system get pods -l k8s-app=kube-dns -o wide || true
    kc -n kube-system logs -l k8s-app=kube-dns --tail=20 || true
    die "CoreDNS did not become available"
  fi
  # the whole path from the host: kube-proxy's DNAT of the Service IP, CoreDNS, its API watch
  local ip
  wait_for 30 "kubernetes.default via $DNS_IP" /usr/bin/python3 "$here/lib/dns-query.py" "$DNS_IP" kubernetes.default.svc.cluster.local \
    || die "cluster DNS at $DNS_IP does not answer kubernetes.default.svc.cluster.local"
  ip=$(/usr/bin/python3 "$here/lib/dns-query.py" "$DNS_IP" kubernetes.default.svc.cluster.local)
  [ "$ip" = "$SERVICE_IP" ] || die "cluster DNS says kubernetes.default is $ip, expected $SERVICE_IP"
  log "CoreDNS Ready ($(kc -n kube-system get deploy coredns -o jsonpath='{.status.readyReplicas}') replicas); kubernetes.default.svc.cluster.local -> $ip via $DNS_IP"
}

node_ready() {
  wait_for 60 "node $NODE_NAME to register" kc get node "$NODE_NAME" || die_log kubelet "node $NODE_NAME did not register"
  kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null || die_log kubelet "node $NODE_NAME not Ready"
  wait_for 60 "service account default/default" kc get serviceaccount default -n default \
    || die_log kube-controller-manager "service account default/default was not created"
  log "node $NODE_NAME Ready; service account default/default exists"
}

# ---------------------------------------------------------------- the second node
# Its own network namespace with a veth to the host (node IP NODE2_IP), its own containerd (root,
# state, socket, CNI config, bridge cni0 inside the namespace), kubelet (root dir, cgroupRoot, pod
# log dir of its own) and kube-proxy, all run with nsenter --net (same mount namespace as the host,
# so volume mounts propagate). Tainted NoSchedule: workloads that do not tolerate it stay on the
# first node, whose containerd is the one `--load containerd:$CTRD_SOCK` fills.
node2_network() {
  [ -e "/run/netns/$NODE2_NETNS" ] || { ip netns add "$NODE2_NETNS"; log "created network namespace $NODE2_NETNS"; }
  if ! ip link show "$NODE2_VETH" >/dev/null 2>&1; then
    ip link add "$NODE2_VETH" type veth peer name eth0 netns "$NODE2_NETNS"
    log "created veth $NODE2_VETH <-> $NODE2_NETNS/eth0"
  fi
  sysctl -qw "net.ipv6.conf.$NODE2_VETH.disable_ipv6=1" 2>/dev/null || true
  # the host end carries the first node's address too: traffic the host sends (or masquerades)
  # towards the second node leaves from NODE_IP, which the namespace routes back
  ip addr replace "$NODE_IP/32" dev "$NODE2_VETH"
  ip link set "$NODE2_VETH" up
  ip route replace "$NODE2_IP/32" dev "$NODE2_VETH" src "$NODE_IP"
  in_node2 ip link set lo up
  in_node2 ip addr replace "$NODE2_IP/32" dev eth0
  in_node2 ip link set eth0 up
  in_node2 ip route replace "$NODE_IP/32" dev eth0 src "$NODE2_IP"
  # pods of the other node(s) and nothing else: no default route, nothing leaves the machine
  in_node2 ip route replace "$POD_CIDR" via "$NODE_IP" dev eth0 src "$NODE2_IP"
  in_node2 sysctl -qw net.ipv4.ip_forward=1
  in_node2 sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || log "note: net.bridge.bridge-nf-call-iptables not settable in $NODE2_NETNS"
  in_node2 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  # kubelet cgroupRoot: must exist in every hierarchy before the kubelet starts
  local h
  for h in /sys/fs/cgroup/*/; do
    [ -e "$h/cgroup.procs" ] || continue
    mkdir -p "$h$NODE2_CGROUP"
    if [ -e "$h/cpuset.cpus" ] && [ -z "$(cat "$h$NODE2_CGROUP/cpuset.cpus" 2>/dev/null)" ]; then
      cat "$h/cpuset.cpus" > "$h$NODE2_CGROUP/cpuset.cpus"; cat "$h/cpuset.mems" > "$h$NODE2_CGROUP/cpuset.mems"
    fi
  done
  in_node2 curl -fsS -o /dev/null --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$APISERVER_URL/readyz" \
    || die "the API server ($APISERVER_URL) is not reachable from $NODE2_NETNS"
  log "$NODE2_NETNS: eth0 $NODE2_IP, reaches the API server at $APISERVER_URL"
}

node2_has_cidr() { [ -n "$(kc get node "$NODE2_NAME" -o jsonpath='{.spec.podCIDR}' 2>/dev/null)" ]; }

node2_up() {
  mkdir -p "$NODE2_STATE" "$NODE2_RUN"
  containerd_config "$NODE2_STATE/containerd.toml" "$NODE2_STATE/containerd" "$NODE2_RUN/containerd-state" \
    "$NODE2_CTRD_SOCK" "$NODE2_RUN/runc" "$NODE2_STATE/opt" "$NODE2_CNI_CONF_DIR"
  start_daemon_node2 containerd-node2 "$NODE2_STATE/containerd.toml" containerd --config "$NODE2_STATE/containerd.toml"
  wait_daemon containerd-node2 "$NODE2_STATE/containerd.toml" 30 ctr -a "$NODE2_CTRD_SOCK" version
  import_image ctrd2 "$PAUSE_IMAGE"
  import_image ctrd2 "$COREDNS_IMAGE"
  mkdir -p "$NODE2_STATE/kubelet" "$NODE2_STATE/pod-logs"
  kubelet_config "$NODE2_STATE/kubelet.yaml.new" "$NODE2_IP" kubelet-server-node2 "$NODE2_CTRD_SOCK" "cgroupRoot: /$NODE2_CGROUP
podLogsDir: $NODE2_STATE/pod-logs
registerWithTaints:
- key: $NODE2_TAINT
  value: \"true\"
  effect: NoSchedule"
  if config_changed "$NODE2_STATE/kubelet.yaml" && pid_of kubelet-node2 "$NODE2_STATE/kubelet.yaml" >/dev/null; then
    log "kubelet-node2: configuration changed: restarting it"; stop_daemon kubelet-node2 "$NODE2_STATE/kubelet.yaml"
  fi
  start_daemon_node2 kubelet-node2 "$NODE2_STATE/kubelet.yaml" "$K8S_BIN/kubelet" --config="$NODE2_STATE/kubelet.yaml" \
    --kubeconfig="$NODE2_STATE/kubelet.kubeconfig" --root-dir="$NODE2_STATE/kubelet" \
    --hostname-override="$NODE2_NAME" --node-ip="$NODE2_IP" --node-labels=ship.local/node=second --v=1
  wait_daemon kubelet-node2 "$NODE2_STATE/kubelet.yaml" 60 in_node2 curl -fsS http://127.0.0.1:10248/healthz
  wait_for 60 "node $NODE2_NAME to register with a pod CIDR" node2_has_cidr \
    || die_log kubelet-node2 "node $NODE2_NAME did not register (or got no pod CIDR)"
  local cidr gw
  cidr=$(kc get node "$NODE2_NAME" -o jsonpath='{.spec.podCIDR}')
  gw=${cidr%.*/*}.1
  cni_conflist "$NODE2_CNI_CONF_DIR/10-$NODE2_CNI_NET.conflist" "$NODE2_CNI_NET" "$cidr" "$gw"
  ip route replace "$cidr" via "$NODE2_IP" dev "$NODE2_VETH" src "$NODE_IP"
  kube_proxy_config "$NODE2_STATE/kube-proxy.yaml.new" "$NODE2_NAME" "$NODE2_IP"
  if config_changed "$NODE2_STATE/kube-proxy.yaml" && pid_of kube-proxy-node2 "$NODE2_STATE/kube-proxy.yaml" >/dev/null; then
    log "kube-proxy-node2: configuration changed: restarting it"; stop_daemon kube-proxy-node2 "$NODE2_STATE/kube-proxy.yaml"
  fi
  start_daemon_node2 kube-proxy-node2 "$NODE2_STATE/kube-proxy.yaml" "$K8S_BIN/kube-proxy" --config="$NODE2_STATE/kube-proxy.yaml" --v=1
  wait_daemon kube-proxy-node2 "$NODE2_STATE/kube-proxy.yaml" 60 in_node2 curl -fsS http://127.0.0.1:10256/healthz
  wait_for 60 "kube-proxy-node2's rules for $SERVICE_IP" kube_proxy_synced in_node2 iptables \
    || die_log kube-proxy-node2 "kube-proxy on $NODE2_NAME made no rules for the kubernetes Service ($SERVICE_IP)"
  kc wait --for=condition=Ready "node/$NODE2_NAME" --timeout=120s >/dev/null || die_log kubelet-node2 "node $NODE2_NAME not Ready"
  log "node $NODE2_NAME Ready ($NODE2_IP, pods $cidr, taint $NODE2_TAINT=true:NoSchedule)"
}

# smoke_pod [NODE]: a pause pod Ready (on NODE when given: pinned there, tolerating its taint)
smoke_pod() {
  local node=${1:-} pod=ship-cluster-smoke${1:+-$1} pin=""
  [ -z "$node" ] || pin="  nodeName: $node
  tolerations: [{key: $NODE2_TAINT, operator: Exists, effect: NoSchedule}]"
  kc delete pod -n default "$pod" --ignore-not-found --wait=true >/dev/null
  kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  namespace: default
spec:
  terminationGracePeriodSeconds: 1
$pin
  containers:
  - name: pause
    image: $PAUSE_IMAGE
    imagePullPolicy: Never
YAML
  if ! kc wait --for=condition=Ready "pod/$pod" -n default --timeout=120s >/dev/null; then
    kc describe pod -n default "$pod" | tail -n 20 || true
    die_log kubelet "smoke pod $pod did not become Ready"
  fi
  log "smoke pod Running and Ready on $(kc get pod -n default "$pod" -o jsonpath='{.spec.nodeName} ({.status.podIP})')"
  kc delete pod -n default "$pod" --wait=true >/dev/null
  log "smoke pod deleted"
}

phase "packages" prereqs
phase "build (cached per version in $SHIP_CACHE)" "$here/lib/build.sh" all
phase "docker" "$here/docker-up.sh"
phase "pause image" pause_image
phase "host network" host_setup
phase "certificates" make_pki
phase "containerd" containerd_up
phase "etcd" etcd_up
phase "kube-apiserver" apiserver_up
phase "controller-manager + scheduler" controllers_up
phase "kubelet" kubelet_up
phase "node Ready" node_ready
phase "pod forwarding (iptables)" firewall_up
phase "kube-proxy" kube_proxy_up
phase "CoreDNS image" coredns_image
phase "CoreDNS" coredns_up
phase "smoke pod" smoke_pod
if [ "${SHIP_CLUSTER_NODES:-2}" -ge 2 ]; then
  phase "second node: network" node2_network
  phase "second node: containerd, kubelet, kube-proxy" node2_up
  phase "smoke pod on the second node" smoke_pod "$NODE2_NAME"
fi
ln -sf "$KUBECTL" "$SHIP_CACHE/kubectl"
log "cluster up in $(secs "$T_START")s"
log "  KUBECONFIG=$KUBECONFIG_ADMIN (context $CLUSTER_NAME, server $APISERVER_URL)"
log "  kubectl:    $KUBECTL"
log "  containerd: $CTRD_SOCK (namespace k8s.io)"
log "  node:       $NODE_NAME ($NODE_IP)"
[ "${SHIP_CLUSTER_NODES:-2}" -lt 2 ] || log "  node:       $NODE2_NAME ($NODE2_IP, netns $NODE2_NETNS, containerd $NODE2_CTRD_SOCK, taint $NODE2_TAINT=true:NoSchedule)"
log "  DNS:        kube-system/kube-dns $DNS_IP (CoreDNS $COREDNS_VERSION); kube-proxy (iptables) on every node"
