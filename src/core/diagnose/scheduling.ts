// Scheduling rule: Unschedulable (resources, taints, affinity, an unbound PersistentVolumeClaim).

import type { V1Pod } from '@kubernetes/client-node';
import { oneLine } from '../text.js';
import type { Ctx, Diagnosis } from './types.js';

function requestsOf(pod: V1Pod): string {
  const parts: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? c.resources?.limits;
    if (!req) continue;
    const items = Object.entries(req).map(([k, v]) => `${k} ${String(v)}`);
    if (items.length) parts.push(`${c.name}: ${items.join(', ')}`);
  }
  return parts.join('; ');
}

export function unschedulableDiagnosis(ctx: Ctx): Diagnosis | undefined {
  const cond = ctx.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (!cond || cond.status !== 'False' || cond.reason !== 'Unschedulable') return undefined;
  const event = ctx.events.filter((e) => e.reason === 'FailedScheduling').at(-1);
  const full = oneLine(cond.message || event?.message);
  // The scheduler appends what preemption (and, since 1.34, dynamic resource allocation) tried:
  // "... 1 Insufficient cpu. no new claims to deallocate, preemption: 0/1 nodes ...". Keep the why.
  let short = full.replace(/\s*preemption:.*$/i, '').replace(/\s*no new claims to deallocate,?\s*$/i, '').trim();
  if (short && !/[.!]$/.test(short)) short += '.';
  const requests = requestsOf(ctx.pod);
  const pvcPending = /unbound immediate PersistentVolumeClaims|waiting for.*volume|persistentvolumeclaim.*not found/i.test(full);
  const certain = !pvcPending && (ctx.input.terminatingPeers ?? 0) === 0;

  let hint: string;
  if (/Insufficient [\w/-]/i.test(full)) {
    const what = [...new Set([...full.matchAll(/Insufficient ([\w./-]*[\w/-])/gi)].map((m) => m[1]))];
    hint = `Lower resources.requests (${what.join(', ')}) in the manifest: the node does not have that much free.`;
  } else if (/untolerated taint|had taint/i.test(full)) {
    hint = 'The node has a taint the pod does not tolerate: remove the taint (kubectl taint nodes NODE KEY-) or add a toleration.';
  } else if (/node affinity|node selector|didn't match/i.test(full)) {
    hint = "No node matches the pod's nodeSelector / affinity: fix them or label the node (kubectl label node NODE KEY=VALUE).";
  } else if (pvcPending) {
    hint = 'A PersistentVolumeClaim is not bound: check `kubectl get pvc` and that the cluster has a default StorageClass.';
  } else {
    hint = 'The scheduler message says why no node fits.';
  }
  const details = [`Scheduler: ${full || '(no message)'}`];
  if (requests) details.push(`Requests: ${requests}`);
  if (!certain && (ctx.input.terminatingPeers ?? 0) > 0) details.push('An older pod of this app is still terminating; its resources may free up.');
  return {
    certain,
    reason: 'Unschedulable',
    pod: ctx.name,
    message: `Pod "${ctx.name}" cannot be scheduled: ${short || 'no node fits it'}${requests ? ` It requests ${requests}.` : ''}`,
    hint,
    details,
  };
}
