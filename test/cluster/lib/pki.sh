# Certificates and kubeconfigs for the test cluster (sourced by up.sh after common.sh).
# Everything is made once with openssl and reused; delete $PKI to regenerate.

_key() { [ -s "$1" ] || openssl genrsa -out "$1" 2048 2>/dev/null; }

# _cert NAME SUBJECT EXTENSIONS: key + cert signed by the cluster CA
_cert() {
  local name=$1 subj=$2 ext=$3
  [ -s "$PKI/$name.crt" ] && return 0
  _key "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

_kubeconfig() { # FILE USER CERTNAME SERVER
  local file=$1 user=$2 cert=$3 server=$4
  [ -s "$file" ] && return 0
  ( umask 077; cat > "$file" ) <<KC
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 < "$PKI/$cert.key")
contexts:
- name: $CLUSTER_NAME
  context:
    cluster: $CLUSTER_NAME
    user: $user
current-context: $CLUSTER_NAME
KC
}

make_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  local client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  local server="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
  if [ ! -s "$PKI/ca.crt" ]; then
    _key "$PKI/ca.key"
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=$CLUSTER_NAME-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI/ca.crt" 2>/dev/null
  fi
  _cert apiserver "/CN=kube-apiserver" "$server
subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1,IP:$NODE_IP,IP:$SERVICE_IP"
  _cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  _cert admin "/O=system:masters/CN=ship-admin" "$client"
  _cert controller-manager "/CN=system:kube-controller-manager" "$client"
  _cert scheduler "/CN=system:kube-scheduler" "$client"
  _cert kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
  _cert kubelet-server "/CN=$NODE_NAME" "$server
subjectAltName=DNS:$NODE_NAME,DNS:localhost,IP:$NODE_IP,IP:127.0.0.1"
  _cert kube-proxy "/CN=system:kube-proxy" "$client"
  _cert kubelet-client-node2 "/O=system:nodes/CN=system:node:$NODE2_NAME" "$client"
  _cert kubelet-server-node2 "/CN=$NODE2_NAME" "$server
subjectAltName=DNS:$NODE2_NAME,DNS:localhost,IP:$NODE2_IP,IP:127.0.0.1"
  if [ ! -s "$PKI/sa.pub" ]; then
    _key "$PKI/sa.key"
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  _kubeconfig "$KUBECONFIG_ADMIN" "$CLUSTER_NAME" admin "$APISERVER_URL"
  _kubeconfig "$STATE/controller-manager.kubeconfig" system:kube-controller-manager controller-manager "$APISERVER_URL"
  _kubeconfig "$STATE/scheduler.kubeconfig" system:kube-scheduler scheduler "$APISERVER_URL"
  _kubeconfig "$STATE/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet-client "$APISERVER_URL"
  _kubeconfig "$STATE/kube-proxy.kubeconfig" system:kube-proxy kube-proxy "$APISERVER_URL"
  mkdir -p "$NODE2_STATE"
  _kubeconfig "$NODE2_STATE/kubelet.kubeconfig" "system:node:$NODE2_NAME" kubelet-client-node2 "$APISERVER_URL"
  chmod 600 "$PKI"/*.key
  # the admin kubeconfig is read by the tests (run as root here); keep it root-only
}
