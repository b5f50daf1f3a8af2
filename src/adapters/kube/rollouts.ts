// Where Deployments' rollouts stand, read from the Deployment and its ReplicaSets.

import { AppsV1Api, type V1ReplicaSet } from '@kubernetes/client-node';
import type { RolloutFacts } from '../../core/wait-plan.js';
import type { Kube } from './client.js';

const REVISION = 'deployment.kubernetes.io/revision';

/**
 * Each Deployment's rollout as its controller reports it: settled once status.observedGeneration
 * has caught up with metadata.generation; the current ReplicaSet is the one it owns whose revision
 * annotation equals the Deployment's.
 */
export async function deploymentRollouts(kube: Kube, namespace: string, names: string[]): Promise<Map<string, RolloutFacts>> {
  const apps = kube.kc.makeApiClient(AppsV1Api);
  const out = new Map<string, RolloutFacts>();
  for (const name of names) {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    const settled = (d.status?.observedGeneration ?? -1) >= (d.metadata?.generation ?? 0);
    if (!settled) {
      out.set(name, { settled: false });
      continue;
    }
    const revision = d.metadata?.annotations?.[REVISION];
    const match = d.spec?.selector?.matchLabels;
    const labelSelector = match && Object.keys(match).length ? Object.entries(match).map(([k, v]) => `${k}=${v}`).join(',') : undefined;
    const sets: V1ReplicaSet[] = (await apps.listNamespacedReplicaSet({ namespace, ...(labelSelector ? { labelSelector } : {}) })).items;
    const current = sets.find(
      (rs) =>
        revision !== undefined &&
        rs.metadata?.annotations?.[REVISION] === revision &&
        (rs.metadata?.ownerReferences ?? []).some((o) => o.controller && o.kind === 'Deployment' && o.uid === d.metadata?.uid),
    );
    out.set(name, { settled: true, currentHash: current?.metadata?.labels?.['pod-template-hash'] });
  }
  return out;
}
