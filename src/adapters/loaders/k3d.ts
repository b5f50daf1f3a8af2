// k3d: node containers carry `k3d.cluster=<name>` and `k3d.role=server|agent` (the load balancer
// and registry containers are left out). k3s runs its own containerd at
// /run/k3s/containerd/containerd.sock and writes its config under /var/lib/rancher/k3s.

import type { ImageLoader, LoaderDocker } from './types.js';
import { K8S_NAMESPACE } from '../../core/ctr-protocol.js';
import { createNodeLoader, type NodeFlavor } from './nodes.js';

export const K3S_CONTAINERD_SOCKET = '/run/k3s/containerd/containerd.sock';

export const k3dFlavor: NodeFlavor = {
  tool: 'k3d',
  clusterLabel: 'k3d.cluster',
  roleLabel: 'k3d.role',
  roles: ['server', 'agent'],
  ctr: ['ctr', '-a', K3S_CONTAINERD_SOCKET, '-n', K8S_NAMESPACE],
  configCommand: ['cat', '/var/lib/rancher/k3s/agent/etc/containerd/config.toml'],
  noNodesHint: (name) =>
    `List k3d's clusters with \`k3d cluster list\`, create this one with \`k3d cluster create ${name}\`, ` +
    `and check that Docker here is the daemon k3d used (DOCKER_HOST, docker context).`,
};

export function createK3dLoader(docker: LoaderDocker, cluster: string): ImageLoader {
  return createNodeLoader(docker, k3dFlavor, cluster);
}
