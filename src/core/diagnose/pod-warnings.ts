// Pod-level warning events: a volume whose ConfigMap/Secret/PersistentVolumeClaim is missing,
// a sandbox the runtime or CNI could not set up, and other stuck pods.

import type { CoreV1Event } from '@kubernetes/client-node';
import { eventCount, eventFirst, eventLast } from '../pod-events.js';
import { clip, oneLine } from '../text.js';
import type { Ctx, Diagnosis } from './types.js';

/** How long a volume that cannot be mounted because its source is missing must persist. */
export const MOUNT_ERROR_SETTLE_MS = 15_000;

/**
 * A sandbox the node's runtime cannot create because the runtime does not answer is certain once
 * the kubelet has reported it at least twice over RUNTIME_DOWN_REPEAT_MS (a runtime restarting
 * answers again within a second or two), or once for RUNTIME_DOWN_SETTLE_MS: after ~30 s of a
 * silent runtime the kubelet stops syncing pods altogether, so no further event may come.
 */
export const RUNTIME_DOWN_REPEAT_MS = 10_000;
export const RUNTIME_DOWN_SETTLE_MS = 25_000;

/** The CRI socket a sandbox failure could not reach, when its message says the runtime is not there. */
export function unreachableRuntime(message: string): { socket?: string; runtime: string; why: string } | undefined {
  const why = /connection refused|no such file or directory|transport is closing|connection reset|Unavailable desc/i.exec(message);
  if (!why || !/rpc error|dial unix|\.sock/i.test(message)) return undefined;
  const socket = /(?:dial unix |unix:\/\/)?(\/[\w./-]+\.sock)\b/.exec(message)?.[1];
  const name = socket?.split('/').pop() ?? '';
  const runtime = /crio/.test(name) ? 'CRI-O' : /cri-dockerd|dockershim/.test(name) ? 'cri-dockerd' : /containerd/.test(name) || !socket ? 'containerd' : name.replace(/\.sock$/, '');
  const reason = /no such file or directory/i.test(message) ? 'its socket does not exist' : /connection refused/i.test(message) ? 'connection refused' : oneLine(why[0]);
  return { socket, runtime, why: reason };
}

/**
 * FailedCreatePodSandBox because the node's container runtime does not answer (connection refused,
 * its socket gone): nothing of the pod can start until the runtime is back. Certain after repeated
 * reports, unless anything happened to the pod since (a later event: the runtime came back).
 */
function runtimeDownDiagnosis(ctx: Ctx, sandbox: CoreV1Event[]): Diagnosis | undefined {
  const down = sandbox.filter((e) => unreachableRuntime(oneLine(e.message)));
  const last = down.at(-1);
  if (!last) return undefined;
  // Anything the kubelet did after the last report means the runtime answered again. Event times
  // are whole seconds (the kubelet's lastTimestamp) or microseconds (the scheduler's eventTime):
  // compare with a second's slack, and the scheduler's own Scheduled does not count.
  const lastAt = eventLast(last);
  if (ctx.events.some((e) => e.reason !== 'FailedCreatePodSandBox' && e.reason !== 'Scheduled' && eventLast(e) >= lastAt + 1_000)) return undefined;
  if ((ctx.pod.status?.containerStatuses ?? []).some((c) => c.state?.running || c.state?.terminated)) return undefined;
  const rt = unreachableRuntime(oneLine(last.message))!;
  const node = ctx.pod.spec?.nodeName ?? last.source?.host ?? last.reportingInstance;
  const first = Math.min(...down.map(eventFirst));
  const times = down.reduce((n, e) => n + eventCount(e), 0);
  const certain = (times >= 2 && ctx.now - first >= RUNTIME_DOWN_REPEAT_MS) || ctx.now - first >= RUNTIME_DOWN_SETTLE_MS;
  const on = node ? ` of node "${node}"` : '';
  return {
    certain,
    reason: 'FailedCreatePodSandBox',
    pod: ctx.name,
    message:
      `Pod "${ctx.name}" cannot start: the container runtime${on} (${rt.runtime}${rt.socket ? `, ${rt.socket}` : ''}) does not answer (${rt.why}); ` +
      `the kubelet could not create the pod's sandbox ${times === 1 ? 'once' : `${times} times`}.`,
    hint:
      `${rt.runtime} is down on the node${node ? ` ${node}` : ''}: restart it (kind/k3d: restart the node container; minikube: minikube ssh -- sudo systemctl restart ${rt.runtime === 'CRI-O' ? 'crio' : rt.runtime}; ` +
      `a host install: sudo systemctl restart ${rt.runtime === 'CRI-O' ? 'crio' : rt.runtime}), wait until kubectl get nodes shows the node Ready, then run ship again.`,
    details: [`kubelet: ${clip(oneLine(last.message), 400)}`],
  };
}

const POD_EVENT_REASONS = new Set(['FailedMount', 'FailedAttachVolume', 'FailedCreatePodSandBox', 'FailedScheduling', 'FailedCreatePodContainer', 'FailedSync', 'NetworkNotReady', 'FailedKillPod']);

export function podEventDiagnosis(ctx: Ctx): Diagnosis | undefined {
  const warnings = ctx.events.filter((e) => e.type === 'Warning' && POD_EVENT_REASONS.has(e.reason ?? ''));
  const e = warnings.at(-1);
  if (!e) return undefined;
  const msg = oneLine(e.message);
  const sameReason = warnings.filter((w) => w.reason === e.reason);
  const since = Math.min(...sameReason.map(eventFirst));
  if (e.reason === 'FailedCreatePodSandBox') {
    const runtimeDown = runtimeDownDiagnosis(ctx, sameReason);
    if (runtimeDown) return runtimeDown;
  }
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
