// Whether a pod counts as Ready, or as done (a finished Job pod): the one place that reads it.

import type { V1Pod } from '@kubernetes/client-node';

/** The part of a pod the Ready check reads: typed client objects and raw watch JSON both fit. */
export interface PodConditions {
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

/** Whether the pod counts as Ready (condition Ready True). */
export function isPodReady(pod: PodConditions): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A pod of a Job that finished successfully: counts as done for the wait. */
export function isCompletedJobPod(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' && (pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job') ?? false);
}
