# Versions of the test cluster components (sourced by the scripts in test/cluster).
# K8S_VERSION: newest v1.34 patch served by the Go module proxy when this was written
#   (go list -m -versions k8s.io/kubernetes). Override from the environment to try another.
: "${K8S_VERSION:=v1.34.4}"
: "${ETCD_VERSION:=v3.6.16}"
: "${SHIP_CACHE:=/var/cache/ship-cluster}"
K8S_BIN=$SHIP_CACHE/k8s-$K8S_VERSION/bin
ETCD_BIN=$SHIP_CACHE/etcd-$ETCD_VERSION/bin
K8S_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"
