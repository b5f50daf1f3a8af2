// The pod operations the wait needs (PodApi) and the real one over a cluster.

import type { CoreV1Event } from '@kubernetes/client-node';
import type { RolloutFacts } from '../../core/wait-plan.js';
import type { Kube } from './client.js';
import { podEvents, podLogs } from './pod-reads.js';
import { watchPods, type WatchPodsOptions } from './pod-watch.js';
import { deploymentRollouts } from './rollouts.js';

/** The pod operations the wait needs; kubePodApi is the real one, tests hand in fakes. */
export interface PodApi {
  watchPods(opts: WatchPodsOptions): Promise<void>;
  podEvents(namespace: string, podName: string, uid?: string): Promise<CoreV1Event[]>;
  podLogs(namespace: string, pod: string, container: string, opts: { tailLines: number; previous: boolean }): Promise<string[]>;
  /** Where these Deployments' rollouts stand (which ReplicaSet is current). */
  rollouts?(namespace: string, deployments: string[]): Promise<Map<string, RolloutFacts>>;
}

export function kubePodApi(kube: Kube): PodApi {
  return {
    watchPods: (opts) => watchPods(kube, opts),
    podEvents: (ns, name, uid) => podEvents(kube, ns, name, uid),
    podLogs: (ns, pod, container, opts) => podLogs(kube, ns, pod, container, opts),
    rollouts: (ns, names) => deploymentRollouts(kube, ns, names),
  };
}
