// Waiting until the app's pods are Ready — or failing as soon as src/core/diagnose.ts says a failure
// is certain. This loop does the reads (pod watch, events, logs, rollouts, the node's images) and
// keeps their caches; every decision is src/core/wait-progress.ts's.

import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { InterruptedError, errorMessage } from '../../errors.js';
import { diagnosePod, type DiagnoseInput, type Diagnosis } from '../../core/diagnose/index.js';
import type { RolloutFacts } from '../../core/wait-plan.js';
import {
  ClusterContact,
  type ClusterTarget,
  LOG_TAIL,
  NO_PROBE_SETTLE_MS,
  ReadySettle,
  allReady,
  clusterLostFailure,
  eventsFresh,
  imageToCheck,
  logRunKey,
  podFailure,
  podKey,
  podRound,
  rolloutsToRead,
  serverAnswered,
  statusLine,
  statusWhileLost,
  timeoutFailure,
  timeoutTarget,
} from '../../core/wait-progress.js';
import type { Kube } from './client.js';
import { statusCode } from './errors.js';
import { kubePodApi, type PodApi } from './pods.js';

export interface WaitForReadyOptions {
  namespace: string;
  labelSelector: string;
  /** How many pods must be Ready (Completed Job pods count too). */
  expected: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Image refs ship built in this run. */
  builtImages?: string[];
  /** Asks the node's runtime whether it has an image; undefined when it cannot tell. */
  nodeHasImage?: (ref: string) => Promise<boolean | undefined>;
  /** A live status line, e.g. "READY 0/1 · spring-pod: ContainerCreating". */
  onStatus: (line: string) => void;
  /**
   * A pod whose containers have no readiness probe is Ready the moment they start, even when the
   * app crashes a second later; such a pod counts only once it has stayed Ready (same restart
   * count) this long. Pods with readiness probes count as soon as they are Ready. Default 5 s.
   */
  settleMs?: number;
  /** How often to re-read events while nothing else changes (probe failures, mounts). */
  pollMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Deployments among the applied objects: their controller says which ReplicaSet's pods count. */
  deployments?: string[];
  /** The cluster's context and API server, named when it stops answering (taken from a Kube source). */
  cluster?: ClusterTarget;
}

export async function waitForReady(source: Kube | PodApi, opts: WaitForReadyOptions): Promise<{ ready: string[] }> {
  const api: PodApi = 'watchPods' in source ? source : kubePodApi(source);
  const cluster: ClusterTarget = opts.cluster ?? ('watchPods' in source ? {} : { context: source.context, server: source.server });
  const now = opts.now ?? Date.now;
  const started = now();
  if (opts.signal.aborted) throw new InterruptedError();
  if (opts.expected <= 0) return { ready: [] };

  const stop = new AbortController();

  let pods: V1Pod[] = [];
  let seenPods = false;
  const eventCache = new Map<string, { at: number; events: CoreV1Event[] }>();
  const logCache = new Map<string, string[]>();
  const imageCache = new Map<string, boolean | undefined>();
  /** Rollout facts of the Deployments; settled ones are kept (their current ReplicaSet stays so). */
  const rolloutCache = new Map<string, RolloutFacts>();
  const settle = new ReadySettle(opts.settleMs ?? NO_PROBE_SETTLE_MS);
  /** Whether the API server answers the reads: a timeout while it does not is the cluster's, not the pod's. */
  const contact = new ClusterContact();
  const onContact = (e?: unknown) => {
    if (e === undefined || serverAnswered(statusCode(e))) contact.answered();
    else contact.noAnswer(now(), errorMessage(e));
  };
  let best: Diagnosis | undefined;
  let lastLine = '';
  /** The last pod status seen (the status line without the note that the cluster is silent). */
  let lastPodLine = '';

  let outcome!: { resolve: (v: { ready: string[] }) => void; reject: (e: unknown) => void };
  const result = new Promise<{ ready: string[] }>((resolve, reject) => (outcome = { resolve, reject }));
  let settled = false;
  const succeed = (ready: string[]) => {
    if (!settled) {
      settled = true;
      outcome.resolve({ ready });
    }
  };
  const fail = (e: unknown) => {
    if (!settled) {
      settled = true;
      outcome.reject(e);
    }
  };

  async function eventsFor(pod: V1Pod, force = false): Promise<CoreV1Event[]> {
    const key = podKey(pod);
    const cached = eventCache.get(key);
    if (cached && eventsFresh(cached.at, now(), force)) return cached.events;
    try {
      const events = await api.podEvents(opts.namespace, pod.metadata!.name!, pod.metadata?.uid);
      onContact();
      eventCache.set(key, { at: now(), events });
      return events;
    } catch (e) {
      onContact(e);
      return cached?.events ?? [];
    }
  }

  async function diagnose(pod: V1Pod, terminatingPeers: number, force = false): Promise<{ d?: Diagnosis; events: CoreV1Event[] }> {
    const events = await eventsFor(pod, force);
    const input: DiagnoseInput = { pod, events, builtImages: opts.builtImages, terminatingPeers, now: now() };
    let d = diagnosePod(input);
    const image = imageToCheck(pod, d);
    if (image && opts.nodeHasImage) {
      if (!imageCache.has(image)) imageCache.set(image, await opts.nodeHasImage(image).catch(() => undefined));
      const has = imageCache.get(image);
      if (has !== undefined) {
        input.nodeHasImage = { [image]: has };
        d = diagnosePod(input);
      }
    }
    if (d?.needsLogs) {
      const { container, previous } = d.needsLogs;
      const key = logRunKey(pod, d.needsLogs);
      if (!logCache.has(key)) {
        const lines = await api.podLogs(opts.namespace, pod.metadata!.name!, container, { tailLines: LOG_TAIL, previous }).catch(() => undefined);
        if (lines) logCache.set(key, lines);
      }
      const logs = logCache.get(key);
      if (logs) {
        input.logs = { [container]: logs };
        d = diagnosePod(input) ?? d;
      }
    }
    return { d, events };
  }

  async function rollouts(): Promise<Map<string, RolloutFacts> | undefined> {
    const names = opts.deployments ?? [];
    if (names.length === 0 || !api.rollouts) return undefined;
    const pending = rolloutsToRead(names, rolloutCache);
    if (pending.length > 0) {
      try {
        for (const [name, facts] of await api.rollouts(opts.namespace, pending)) rolloutCache.set(name, facts);
      } catch {
        // Cannot read them (RBAC, a Deployment deleted meanwhile): judge those by their pods' ages.
        for (const n of pending) rolloutCache.delete(n);
      }
    }
    return rolloutCache.size ? rolloutCache : undefined;
  }

  let running = false;
  let again = false;
  async function evaluate(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await evaluateOnce();
      } while (again && !settled);
    } catch (e) {
      fail(e);
    } finally {
      running = false;
    }
  }

  async function evaluateOnce(): Promise<void> {
    if (settled) return;
    const all = pods;
    const facts = await rollouts();
    if (settled) return;
    const round = podRound(all, facts, settle, now());
    lastPodLine = statusLine(round.counted, round.done, opts.expected, seenPods, now());
    const line = statusWhileLost(lastPodLine, contact.lost(), now());
    if (line !== lastLine) {
      lastLine = line;
      opts.onStatus(line);
    }
    if (allReady(round, opts.expected)) {
      succeed(round.done.map((p) => p.metadata!.name!));
      return;
    }
    let roundBest: Diagnosis | undefined;
    for (const pod of round.toDiagnose) {
      const { d } = await diagnose(pod, round.terminating);
      if (settled) return;
      if (!d) continue;
      if (d.certain) {
        const events = await eventsFor(pod, true);
        fail(podFailure(d, events, now()));
        return;
      }
      roundBest ??= d;
    }
    best = roundBest ?? best;
  }

  const poll = setInterval(() => void evaluate(), opts.pollMs ?? 2_000);
  const deadline = setTimeout(() => void timeout(), Math.max(0, opts.timeoutMs - (now() - started)));

  async function timeout(): Promise<void> {
    if (settled) return;
    const lost = contact.lost();
    if (lost) {
      const status = lastPodLine || statusLine([], [], opts.expected, seenPods, now());
      fail(clusterLostFailure({ lost, cluster, timeoutMs: opts.timeoutMs, status, now: now() }));
      return;
    }
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
    const target = timeoutTarget(live, best);
    let events: CoreV1Event[] = [];
    let d = best;
    if (target) {
      const r = await diagnose(target, pods.length - live.length, true).catch(() => ({ d: undefined, events: [] as CoreV1Event[] }));
      d = r.d ?? best;
      events = r.events;
    }
    const status = lastLine || statusLine([], [], opts.expected, seenPods, now());
    fail(timeoutFailure({ timeoutMs: opts.timeoutMs, status, seenPods, labelSelector: opts.labelSelector, namespace: opts.namespace, diagnosis: d, target, events, now: now() }));
  }

  const watching = api
    .watchPods({
      namespace: opts.namespace,
      labelSelector: opts.labelSelector,
      signal: stop.signal,
      onContact,
      onChange: (list) => {
        pods = list;
        if (list.length) seenPods = true;
        void evaluate();
      },
    })
    .catch((e: unknown) => fail(e));
  const onAbort = () => fail(new InterruptedError());
  opts.signal.addEventListener('abort', onAbort, { once: true });

  try {
    return await result;
  } finally {
    clearInterval(poll);
    clearTimeout(deadline);
    opts.signal.removeEventListener('abort', onAbort);
    stop.abort();
    await watching;
  }
}
