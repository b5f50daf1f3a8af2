// Reading what the cluster says about one pod: its events and the last lines of its logs.

import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { timeMs } from '../../core/pod-events.js';
import type { Kube } from './client.js';
import { statusCode } from './errors.js';

/** Events about one pod (by name, and by uid when given: a recreated pod keeps its name), oldest first. */
export async function podEvents(kube: Kube, namespace: string, podName: string, uid?: string): Promise<CoreV1Event[]>;
export async function podEvents(kube: Kube, pod: V1Pod): Promise<CoreV1Event[]>;
export async function podEvents(kube: Kube, nsOrPod: string | V1Pod, name?: string, uidArg?: string): Promise<CoreV1Event[]> {
  const namespace = typeof nsOrPod === 'string' ? nsOrPod : (nsOrPod.metadata?.namespace ?? kube.namespace);
  const podName = typeof nsOrPod === 'string' ? name! : nsOrPod.metadata!.name!;
  const uid = typeof nsOrPod === 'string' ? uidArg : nsOrPod.metadata?.uid;
  const list = await kube.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${podName}` });
  const ts = (e: CoreV1Event) =>
    timeMs(e.lastTimestamp as Date | undefined) ?? timeMs(e.eventTime as Date | undefined) ?? timeMs(e.firstTimestamp as Date | undefined) ?? 0;
  return list.items
    .filter((e) => (e.involvedObject?.kind ?? 'Pod') === 'Pod' && (!uid || !e.involvedObject?.uid || e.involvedObject.uid === uid))
    .sort((a, b) => ts(a) - ts(b));
}

/** The last lines a container wrote; [] when there is nothing to read (no previous run, not started). */
export async function podLogs(
  kube: Kube,
  namespace: string,
  pod: string,
  container: string,
  opts: { tailLines: number; previous: boolean },
): Promise<string[]> {
  try {
    const text = await kube.core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: opts.tailLines, previous: opts.previous });
    const lines = String(text ?? '').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } catch (e) {
    if (statusCode(e) === 400 || statusCode(e) === 404) return [];
    throw e;
  }
}
