# Versions of the test cluster components (sourced by the scripts in test/cluster).
# K8S_VERSION: newest v1.34 patch served by the Go module proxy when this was written
#   (go list -m -versions k8s.io/kubernetes). Override from the environment to try another.
: "${K8S_VERSION:=v1.34.4}"
: "${ETCD_VERSION:=v3.6.16}"
: "${SHIP_CACHE:=/var/cache/ship-cluster}"
K8S_BIN=$SHIP_CACHE/k8s-$K8S_VERSION/bin
ETCD_BIN=$SHIP_CACHE/etcd-$ETCD_VERSION/bin
K8S_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl kube-proxy"
# CoreDNS (cluster DNS), helm and kustomize (rendering in the tests): from their Go modules.
: "${COREDNS_VERSION:=v1.15.0}"
: "${HELM_VERSION:=v3.22.0}"
: "${KUSTOMIZE_VERSION:=v5.7.1}"
COREDNS_BIN=$SHIP_CACHE/coredns-$COREDNS_VERSION/bin
HELM_BIN=$SHIP_CACHE/helm-$HELM_VERSION/bin
KUSTOMIZE_BIN=$SHIP_CACHE/kustomize-$KUSTOMIZE_VERSION/bin
