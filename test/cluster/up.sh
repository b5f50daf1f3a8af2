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

containerd_up() {
  mkdir -p "$CTRD_ROOT" "$CTRD_STATE"
  cat > "$STATE/containerd.toml" <<TOML
# generated by test/cluster/up.sh
version = 2
root = "$CTRD_ROOT"
state = "$CTRD_STATE"

[grpc]
  address = "$CTRD_SOCK"

[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/opt"

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
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CNI_CONF_DIR"
TOML
  # bridge + host-local + portmap; the CRI plugin adds the pod's loopback itself with /usr/lib/cni/loopback
  cat > "$CNI_CONF_DIR/10-$CNI_NET.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NET",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$NODE_POD_CIDR", "gateway": "$POD_GW" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  start_daemon containerd containerd --config "$STATE/containerd.toml"
  wait_daemon containerd containerd 30 ctr -a "$CTRD_SOCK" version
  ctr -a "$CTRD_SOCK" plugins ls | grep -E 'io.containerd.grpc.v1 +cri +.* ok' >/dev/null \
    || die_log containerd "containerd CRI plugin is not ok"
  if ctrd images ls -q | grep -qx "$PAUSE_IMAGE"; then
    log "containerd: $PAUSE_IMAGE present"
  else
    docker save "$PAUSE_IMAGE" | ctrd images import - >/dev/null || die_log containerd "import of $PAUSE_IMAGE failed"
    log "containerd: imported $PAUSE_IMAGE"
  fi
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

kubelet_up() {
  cat > "$STATE/kubelet.yaml" <<YAML
# generated by test/cluster/up.sh
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
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
tlsCertFile: $PKI/kubelet-server.crt
tlsPrivateKeyFile: $PKI/kubelet-server.key
containerRuntimeEndpoint: unix://$CTRD_SOCK
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
resolvConf: /etc/resolv.conf
registerNode: true
serializeImagePulls: false
YAML
  start_daemon kubelet "$K8S_BIN/kubelet" --config="$STATE/kubelet.yaml" \
    --kubeconfig="$STATE/kubelet.kubeconfig" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
  wait_daemon kubelet kubelet 60 curl -fsS http://127.0.0.1:10248/healthz
}

node_ready() {
  wait_for 60 "node $NODE_NAME to register" kc get node "$NODE_NAME" || die_log kubelet "node $NODE_NAME did not register"
  kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null || die_log kubelet "node $NODE_NAME not Ready"
  wait_for 60 "service account default/default" kc get serviceaccount default -n default \
    || die_log kube-controller-manager "service account default/default was not created"
  log "node $NODE_NAME Ready; service account default/default exists"
}

smoke_pod() {
  local pod=ship-cluster-smoke
  kc delete pod -n default "$pod" --ignore-not-found --wait=true >/dev/null
  kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  namespace: default
spec:
  terminationGracePeriodSeconds: 1
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
phase "smoke pod" smoke_pod
ln -sf "$KUBECTL" "$SHIP_CACHE/kubectl"
log "cluster up in $(secs "$T_START")s"
log "  KUBECONFIG=$KUBECONFIG_ADMIN (context $CLUSTER_NAME, server $APISERVER_URL)"
log "  kubectl:    $KUBECTL"
log "  containerd: $CTRD_SOCK (namespace k8s.io)"
log "  node:       $NODE_NAME ($NODE_IP)"
