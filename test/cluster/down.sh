#!/usr/bin/env bash
# Tear down the ship test cluster started by up.sh and put the machine back as it was.
# Keeps the cached binaries (/var/cache/ship-cluster) and the logs (/var/log/ship-cluster);
# never touches dockerd. Safe to run when nothing (or only part) is up.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
T_START=$(now)

remove_pods() {
  # 1. controllers off first, so nothing recreates pods; then delete every pod through the
  #    API while the kubelet still runs: it stops containers and tears down their networking
  stop_daemon kube-controller-manager kube-controller-manager
  stop_daemon kube-scheduler kube-scheduler
  if pid_of kube-apiserver kube-apiserver >/dev/null && pid_of kubelet kubelet >/dev/null && [ -x "$KUBECTL" ]; then
    local n; n=$(kc get pods -A --no-headers 2>/dev/null | wc -l)
    if [ "$n" -gt 0 ]; then
      log "deleting $n pod(s) through the API"
      kc delete pods --all -A --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1 || log "some pods did not terminate in time"
    fi
    if pid_of containerd containerd >/dev/null; then
      wait_for 30 "pod sandboxes to stop" bash -c "[ -z \"\$(ctr -a $CTRD_SOCK -n k8s.io tasks ls -q)\" ]" || true
    fi
    if pid_of containerd-node2 "$NODE2_STATE/containerd.toml" >/dev/null; then
      wait_for 30 "pod sandboxes of $NODE2_NAME to stop" bash -c "[ -z \"\$(ctr -a $NODE2_CTRD_SOCK -n k8s.io tasks ls -q)\" ]" || true
    fi
  fi
  stop_daemon kubelet kubelet
  stop_daemon kubelet-node2 "$NODE2_STATE/kubelet.yaml"
  stop_daemon kube-proxy kube-proxy
  stop_daemon kube-proxy-node2 "$NODE2_STATE/kube-proxy.yaml"
}

kill_leftover_tasks() {
  # 2. whatever still runs in our containerds: kill and delete its tasks
  pid_of containerd containerd >/dev/null && kill_tasks ctrd
  pid_of containerd-node2 "$NODE2_STATE/containerd.toml" >/dev/null && kill_tasks ctrd2
  return 0
}
kill_tasks() {
  local ctr_fn=$1 ids id
  ids=$("$ctr_fn" tasks ls -q 2>/dev/null)
  if [ -n "$ids" ]; then
    log "killing leftover containerd tasks ($ctr_fn): $(echo "$ids" | wc -l)"
    for id in $ids; do "$ctr_fn" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1; done
    sleep 1
    for id in $ids; do "$ctr_fn" tasks delete -f "$id" >/dev/null 2>&1; done
  fi
}

stop_control_plane() {
  stop_daemon kube-apiserver kube-apiserver
  stop_daemon etcd etcd
  stop_daemon containerd containerd
  stop_daemon containerd-node2 "$NODE2_STATE/containerd.toml"
}

kill_leftover_shims() {
  # 3. shims of our containerd (found by our socket path in their command line), by pid
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qE "^/usr/bin/containerd-shim-runc-v2 .*-address ($CTRD_SOCK|$NODE2_CTRD_SOCK) " || continue
    kill -KILL "${p#/proc/}" 2>/dev/null && log "killed leftover shim ${p#/proc/}"
  done
}

unmount_leftovers() {
  local m n=0
  # deepest first; lazy unmount as a last resort
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || { log "could not unmount $m"; continue; }
    n=$((n + 1))
  done < <(findmnt -rn -o TARGET | grep -E "^($KUBELET_DIR|$RUN|$STATE)(/|$)" | sort -r)
  [ "$n" -eq 0 ] || log "unmounted $n leftover mount(s)"
}

remove_network() {
  local l
  if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
    for l in $(ip -o link show master "$CNI_BRIDGE" | awk -F': ' '{print $2}' | cut -d@ -f1); do ip link del "$l" 2>/dev/null; done
    ip link del "$CNI_BRIDGE" && log "removed bridge $CNI_BRIDGE"
  fi
  if ip link show "$NODE_IF" >/dev/null 2>&1; then ip link del "$NODE_IF" && log "removed interface $NODE_IF ($NODE_IP)"; fi
  # the second node's namespace takes its bridge, pod veths and iptables rules with it
  if [ -e "/run/netns/$NODE2_NETNS" ]; then ip netns del "$NODE2_NETNS" && log "removed network namespace $NODE2_NETNS"; fi
  if ip link show "$NODE2_VETH" >/dev/null 2>&1; then ip link del "$NODE2_VETH" && log "removed veth $NODE2_VETH"; fi
  rm -rf "/var/lib/cni/networks/$CNI_NET" /var/lib/cni/results/"$CNI_NET"-* \
    "/var/lib/cni/networks/$NODE2_CNI_NET" /var/lib/cni/results/"$NODE2_CNI_NET"-*
}

# iptables chains made by the portmap plugin (CNI-*), the kubelet and kube-proxy (KUBE-*) and up.sh
# (SHIP-FORWARD), in every table,
# for IPv4 and IPv6: delete the rules jumping to them, then flush and delete the chains
remove_iptables() {
  local fam save cmd table chains rule n=0
  for fam in 4 6; do
    if [ $fam = 4 ]; then save=iptables-save cmd=iptables; else save=ip6tables-save cmd=ip6tables; fi
    command -v $save >/dev/null || continue
    for table in $($save 2>/dev/null | sed -n 's/^\*//p'); do
      chains=$($save -t "$table" 2>/dev/null | sed -n 's/^:\(\(CNI\|KUBE\|SHIP\)-[^ ]*\) .*/\1/p')
      [ -n "$chains" ] || continue
      # rules (anywhere) that jump to one of those chains, or rules inside them
      $save -t "$table" | grep -E '^-A ' | grep -E -- "-j ($(echo $chains | tr ' ' '|'))( |$)" | while read -r rule; do
        eval "$cmd -t $table -D ${rule#-A }" 2>/dev/null
      done
      for c in $chains; do $cmd -t "$table" -F "$c" 2>/dev/null; done
      for c in $chains; do $cmd -t "$table" -X "$c" 2>/dev/null && n=$((n + 1)); done
    done
  done
  [ "$n" -eq 0 ] || log "removed $n iptables chain(s) (CNI-*, KUBE-*, SHIP-*)"
}

remove_cgroups() {
  local d n=0
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/unified/kubepods /sys/fs/cgroup/*/"$NODE2_CGROUP"; do
    [ -d "$d" ] || continue
    while read -r sub; do rmdir "$sub" 2>/dev/null && n=$((n + 1)); done < <(find "$d" -depth -type d)
  done
  [ "$n" -eq 0 ] || log "removed $n kubepods cgroup(s) (both nodes)"
}

restore_host() {
  local f=$RUN/host-before line target prop restored=0
  [ -s "$f" ] || return 0
  # mount propagation: `mount --make-rshared /` in up.sh changed every mount (stacked ones too,
  # which a path cannot address one by one): make all private again, then put back the
  # recorded ones that were not private
  if grep -q "^mount " "$f"; then
    mount --make-rprivate /
    while read -r _ target prop; do
      prop=${prop%%,*}
      [ "$prop" = private ] && continue
      mount --make-"$prop" "$(printf '%b' "$target")" 2>/dev/null && restored=$((restored + 1))
    done < <(grep '^mount ' "$f")
    log "mount propagation restored (all private, $restored recorded non-private mount(s) put back)"
  fi
  while read -r line; do
    case $line in
      "sysctl "*) sysctl -qw "${line#sysctl }" ;;
      "created "*) rm -rf "${line#created }" ;;
    esac
  done < "$f"
  log "restored sysctls (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops) and removed created dirs"
}

phase "pods" remove_pods
phase "leftover tasks" kill_leftover_tasks
phase "control plane" stop_control_plane
phase "leftover shims" kill_leftover_shims
phase "mounts" unmount_leftovers
phase "network" remove_network
phase "iptables" remove_iptables
phase "cgroups" remove_cgroups
phase "host settings" restore_host
phase "state" rm -rf "$RUN" "$STATE" "$KUBELET_DIR"
log "cluster down in $(secs "$T_START")s (kept: binaries in $SHIP_CACHE, logs in $LOGS)"
