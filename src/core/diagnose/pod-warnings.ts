// Pod-level warning events: a volume whose ConfigMap/Secret/PersistentVolumeClaim is missing,
// a sandbox the runtime or CNI could not set up, and other stuck pods.

import { eventFirst } from '../pod-events.js';
import { clip, oneLine } from '../text.js';
import type { Ctx, Diagnosis } from './types.js';

/** How long a volume that cannot be mounted because its source is missing must persist. */
export const MOUNT_ERROR_SETTLE_MS = 15_000;

const POD_EVENT_REASONS = new Set(['FailedMount', 'FailedAttachVolume', 'FailedCreatePodSandBox', 'FailedScheduling', 'FailedCreatePodContainer', 'FailedSync', 'NetworkNotReady', 'FailedKillPod']);

export function podEventDiagnosis(ctx: Ctx): Diagnosis | undefined {
  const warnings = ctx.events.filter((e) => e.type === 'Warning' && POD_EVENT_REASONS.has(e.reason ?? ''));
  const e = warnings.at(-1);
  if (!e) return undefined;
  const msg = oneLine(e.message);
  const sameReason = warnings.filter((w) => w.reason === e.reason);
  const since = Math.min(...sameReason.map(eventFirst));
  let message = `Pod "${ctx.name}" is stuck: ${clip(msg, 300)}`;
  let hint: string | undefined;
  let certain = false;
  const missing = /(configmap|secret|persistentvolumeclaim) "([^"]+)" not found/i.exec(msg);
  if (e.reason === 'FailedMount' && missing) {
    const kind = { configmap: 'ConfigMap', secret: 'Secret', persistentvolumeclaim: 'PersistentVolumeClaim' }[missing[1].toLowerCase()]!;
    message = `Pod "${ctx.name}" cannot start: the ${kind} "${missing[2]}" that a volume refers to does not exist.`;
    hint = `Create the ${kind} or add it to your manifests; a ConfigMap/Secret volume can be marked optional: true.`;
    certain = ctx.now - since >= MOUNT_ERROR_SETTLE_MS;
  } else if (e.reason === 'FailedCreatePodSandBox') {
    hint = "The node's container runtime or network plugin (CNI) could not set the pod up: check the node.";
  } else if (/persistentvolumeclaim/i.test(msg)) {
    hint = 'Check the claim with `kubectl get pvc` and that the cluster has a default StorageClass.';
  }
  return {
    certain,
    reason: e.reason ?? 'Warning',
    pod: ctx.name,
    message,
    hint,
    details: [],
  };
}
