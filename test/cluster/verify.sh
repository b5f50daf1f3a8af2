#!/usr/bin/env bash
# Check a running test cluster the way ship's tests use it: an image imported into the
# cluster containerd, a pod with imagePullPolicy IfNotPresent, kubectl logs / exec /
# port-forward, an unschedulable pod (FailedScheduling) and a missing ConfigMap
# (CreateContainerConfigError). Runs in namespace ship-cluster-verify, removed at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
NS=ship-cluster-verify
IMG=ship.local/busybox:1.35
PF_PORT=${PF_PORT:-18080}
fails=0
ok()  { log "  ok   $*"; }
bad() { log "  FAIL $*"; fails=$((fails + 1)); }

log "==> image $IMG (static busybox, FROM scratch) into $CTRD_SOCK"
command -v busybox >/dev/null && file -L "$(command -v busybox)" | grep -q 'statically linked' \
  || DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null
if ! ctrd images ls -q | grep -qx "$IMG"; then
  tmp=$(mktemp -d)
  cp "$here/busybox/Dockerfile" "$tmp/"; cp "$(command -v busybox)" "$tmp/busybox"
  echo "hello from ship test cluster" > "$tmp/index.html"
  DOCKER_BUILDKIT=0 docker build -q -t "$IMG" "$tmp" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
  rm -rf "$tmp"
  docker save "$IMG" | ctrd images import - >/dev/null
fi
ctrd images ls -q | grep -qx "$IMG" && ok "image imported" || bad "image not in containerd"

log "==> nodes, Services, DNS"
for n in "$NODE_NAME" $([ "${SHIP_CLUSTER_NODES:-2}" -lt 2 ] || echo "$NODE2_NAME"); do
  [ "$(kc get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] \
    && ok "node $n Ready" || bad "node $n not Ready"
done
[ "$(/usr/bin/python3 "$here/lib/dns-query.py" "$DNS_IP" kubernetes.default.svc.cluster.local 2>&1)" = "$SERVICE_IP" ] \
  && ok "kubernetes.default.svc.cluster.local -> $SERVICE_IP through kube-dns ($DNS_IP) and kube-proxy" || bad "cluster DNS does not answer through $DNS_IP"

kc delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
kc create namespace "$NS" >/dev/null
wait_for 30 "default service account in $NS" kc get sa default -n "$NS" || bad "no default service account"
kc apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: $IMG
    imagePullPolicy: IfNotPresent
    command: ["/bin/sh", "-c", "echo hello-from-pod-log; exec httpd -f -v -p 8080 -h /www"]
    ports: [{containerPort: 8080}]
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: too-big}
spec:
  containers:
  - name: c
    image: $IMG
    imagePullPolicy: IfNotPresent
    resources: {requests: {cpu: "64"}}
---
apiVersion: v1
kind: Pod
metadata: {name: missing-config}
spec:
  containers:
  - name: c
    image: $IMG
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
    envFrom: [{configMapRef: {name: does-not-exist}}]
YAML

log "==> pod with imagePullPolicy IfNotPresent"
if kc wait -n "$NS" --for=condition=Ready pod/web --timeout=90s >/dev/null; then
  ok "pod web Running/Ready ($(kc get pod -n "$NS" web -o jsonpath='{.status.podIP}'))"
else
  bad "pod web not Ready"; kc describe pod -n "$NS" web | tail -20
fi
log "==> kubectl logs / exec / port-forward"
kc logs -n "$NS" web | grep -q hello-from-pod-log && ok "kubectl logs" || bad "kubectl logs"
[ "$(kc exec -n "$NS" web -- cat /www/index.html)" = "hello from ship test cluster" ] && ok "kubectl exec" || bad "kubectl exec"
kc port-forward -n "$NS" pod/web --address 127.0.0.1 "$PF_PORT:8080" > /tmp/ship-verify-pf.log 2>&1 &
pf=$!
code=000
for _ in $(seq 1 40); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PF_PORT/" || true)
  [ "$code" = 200 ] && break; sleep 0.25
done
kill "$pf" 2>/dev/null; wait "$pf" 2>/dev/null || true
[ "$code" = 200 ] && ok "kubectl port-forward + curl 127.0.0.1:$PF_PORT -> $code" || { bad "port-forward got $code"; cat /tmp/ship-verify-pf.log; }
rm -f /tmp/ship-verify-pf.log

log "==> failure scenarios"
has_event() { kc get events -n "$NS" --field-selector "involvedObject.name=$1,reason=$2" -o name | grep -q .; }
if wait_for 30 "FailedScheduling event" has_event too-big FailedScheduling; then
  ok "64-CPU pod $(kc get pod -n "$NS" too-big -o jsonpath='{.status.phase}') with FailedScheduling: $(kc get events -n "$NS" --field-selector involvedObject.name=too-big,reason=FailedScheduling -o jsonpath='{.items[0].message}')"
else bad "no FailedScheduling event for too-big"; fi
waiting_reason() { [ "$(kc get pod -n "$NS" missing-config -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}')" = CreateContainerConfigError ]; }
if wait_for 60 "CreateContainerConfigError" waiting_reason; then
  ok "missing ConfigMap -> CreateContainerConfigError"
else bad "missing-config: $(kc get pod -n "$NS" missing-config -o jsonpath='{.status.containerStatuses[0].state}')"; fi

kc delete namespace "$NS" --wait=true --timeout=90s >/dev/null || bad "namespace $NS not deleted"
[ "$fails" -eq 0 ] && log "verify: all checks passed" || { log "verify: $fails check(s) failed"; exit 1; }
