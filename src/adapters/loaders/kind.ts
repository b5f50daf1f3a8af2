// kind: node containers carry `io.x-k8s.kind.cluster=<name>` and `io.x-k8s.kind.role`; each runs
// containerd with ctr on its default socket. The kind binary is not needed.

import type { ImageLoader, LoaderDocker } from './types.js';
import { K8S_NAMESPACE } from '../../core/ctr-protocol.js';
import { createNodeLoader, type NodeFlavor } from './nodes.js';

export const kindFlavor: NodeFlavor = {
  tool: 'kind',
  clusterLabel: 'io.x-k8s.kind.cluster',
  roleLabel: 'io.x-k8s.kind.role',
  // external-load-balancer (haproxy, multi-control-plane clusters) has no containerd.
  roles: ['control-plane', 'worker'],
  ctr: ['ctr', '-n', K8S_NAMESPACE],
  configCommand: ['containerd', 'config', 'dump'],
  noNodesHint: (name) =>
    `List kind's clusters with \`kind get clusters\`, create this one with \`kind create cluster --name ${name}\`, ` +
    `and check that Docker here is the daemon kind used (DOCKER_HOST, docker context).`,
};

export function createKindLoader(docker: LoaderDocker, cluster: string): ImageLoader {
  return createNodeLoader(docker, kindFlavor, cluster);
}
