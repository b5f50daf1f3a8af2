// Which of an app's pods and which container a command means, when the user did not say. Pure.

import type { V1Pod } from '@kubernetes/client-node';
import { ShipError } from '../errors.js';
import { isPodReady } from './pod-ready.js';

/** Pods by name. */
export function sortPods(pods: V1Pod[]): V1Pod[] {
  return [...pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** Of several pods: a Ready one that is not being deleted, else a running one, else the newest. */
export function pickPod(pods: V1Pod[]): V1Pod {
  const alive = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const ready = alive.find(isPodReady);
  if (ready) return ready;
  const running = alive.find((p) => p.status?.phase === 'Running');
  if (running) return running;
  const byAge = [...(alive.length ? alive : pods)].sort((a, b) => created(b) - created(a));
  return byAge[0];
}

function created(p: V1Pod): number {
  const t = p.metadata?.creationTimestamp as unknown;
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'string') return Date.parse(t) || 0;
  return 0;
}

/** The container a command means: --container, else the pod's default-container annotation, else the first. */
export function chooseContainer(pod: V1Pod, wanted?: string): string {
  const names = pod.spec?.containers?.map((c) => c.name) ?? [];
  const podName = pod.metadata?.name ?? '';
  if (wanted) {
    const init = pod.spec?.initContainers?.map((c) => c.name) ?? [];
    if (names.includes(wanted) || init.includes(wanted)) return wanted;
    throw new ShipError('usage', `Pod "${podName}" has no container "${wanted}".`, { hint: `Its containers: ${[...names, ...init].join(', ')}.` });
  }
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  if (names.length === 0) throw new ShipError('pod', `Pod "${podName}" has no containers.`, { hint: 'Check its manifest.' });
  return names[0];
}
