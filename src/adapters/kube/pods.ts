// Pods on the cluster (@kubernetes/client-node): watch them, read their events and logs, and wait
// until the app's pods are Ready — or fail as soon as src/core/diagnose.ts says a failure is certain.
//
// The watch: list, then watch from the list's resourceVersion; an ERROR 410 Gone (or an HTTP 410)
// lists again; a connection that ends (server timeout, network) re-watches from the last
// resourceVersion seen, with backoff on errors. client-node 1.4's Watch has no client-side timeout,
// so the server is asked to end each watch after WATCH_SERVER_TIMEOUT_S and a client-side idle timer
// ends a watch that has been silent for longer than that (bookmarks keep a healthy watch talking).
// Aborting the signal aborts the Watch's own AbortController: no watch is ever left running.

import { AppsV1Api, Watch, type CoreV1Event, type V1Pod, type V1ReplicaSet } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { InterruptedError, ShipError, errorMessage } from '../../errors.js';
import {
  diagnosePod,
  formatEvents,
  humanDuration,
  isCompletedJobPod,
  isPodReady,
  podSummary,
  timeMs,
  type DiagnoseInput,
  type Diagnosis,
} from '../../core/diagnose.js';
import { outgoingPods, type RolloutFacts } from '../../core/wait-plan.js';
import type { Kube } from './client.js';
import { STAY_UP_MS, waitTimeoutHint } from '../../core/wait-timeout.js';

export const WATCH_SERVER_TIMEOUT_S = 240;
const WATCH_IDLE_MS = (WATCH_SERVER_TIMEOUT_S + 30) * 1000;
const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 8_000;

export interface WatchPodsOptions {
  namespace: string;
  labelSelector: string;
  signal: AbortSignal;
  /** Called with every pod the selector matches, after the first list and after each change. */
  onChange: (pods: V1Pod[]) => void;
  /** Told about each re-list / re-watch (for debugging output); optional. */
  onReconnect?: (why: string) => void;
}

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

function toPod(raw: unknown): V1Pod {
  // The Watch hands over parsed JSON; give it the same shape (Date timestamps) the typed API returns.
  return ObjectSerializer.deserialize(raw, 'V1Pod') as V1Pod;
}

function statusCode(e: unknown): number | undefined {
  const o = e as { code?: unknown; statusCode?: unknown } | undefined;
  const c = o?.code ?? o?.statusCode;
  return typeof c === 'number' ? c : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

type WatchEnd = { kind: 'gone' } | { kind: 'closed' } | { kind: 'error'; error: unknown } | { kind: 'aborted' };

/** List, then watch; keeps going until the signal aborts. Rejects only on errors that retrying cannot fix. */
export async function watchPods(kube: Kube, opts: WatchPodsOptions): Promise<void>;
export async function watchPods(kube: Kube, opts: Omit<WatchPodsOptions, 'onChange'>, onChange: (pods: V1Pod[]) => void): Promise<void>;
export async function watchPods(
  kube: Kube,
  opts: Omit<WatchPodsOptions, 'onChange'> & { onChange?: (pods: V1Pod[]) => void },
  onChangeArg?: (pods: V1Pod[]) => void,
): Promise<void> {
  const { namespace, labelSelector, signal } = opts;
  const onChange = onChangeArg ?? opts.onChange;
  if (!onChange) throw new TypeError('watchPods needs an onChange callback');
  const pods = new Map<string, V1Pod>();
  const emit = () => onChange([...pods.values()]);
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  let backoff = BACKOFF_START_MS;

  while (!signal.aborted) {
    let resourceVersion: string;
    try {
      const list = await kube.core.listNamespacedPod({ namespace, labelSelector });
      pods.clear();
      for (const p of list.items) if (p.metadata?.name) pods.set(p.metadata.name, p);
      resourceVersion = list.metadata?.resourceVersion ?? '';
    } catch (e) {
      if (signal.aborted) return;
      const code = statusCode(e);
      if (code === 401 || code === 403 || code === 404) {
        throw new ShipError('cluster', `Listing pods in namespace "${namespace}" was refused (HTTP ${code}).`, {
          hint: code === 404 ? `Does the namespace "${namespace}" exist?` : 'The kubeconfig user needs permission to list and watch pods.',
          cause: e,
        });
      }
      opts.onReconnect?.(`list failed: ${errorMessage(e)}`);
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      continue;
    }
    emit();

    // Watch from the list's version; on a clean end re-watch from the last version seen.
    for (;;) {
      const end = await watchOnce(kube, path, { labelSelector, resourceVersion }, signal, {
        onPod(type, pod) {
          const name = pod.metadata?.name;
          if (!name) return;
          if (type === 'DELETED') pods.delete(name);
          else pods.set(name, pod);
          emit();
        },
        onVersion(rv) {
          resourceVersion = rv;
          backoff = BACKOFF_START_MS;
        },
      });
      if (end.kind === 'aborted' || signal.aborted) return;
      if (end.kind === 'gone') {
        opts.onReconnect?.('watch expired (410 Gone): listing again');
        break;
      }
      if (end.kind === 'error') {
        opts.onReconnect?.(`watch failed: ${errorMessage(end.error)}`);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      } else {
        opts.onReconnect?.('watch ended: watching again');
      }
    }
  }
}

function watchOnce(
  kube: Kube,
  path: string,
  params: { labelSelector: string; resourceVersion: string },
  signal: AbortSignal,
  on: { onPod(type: string, pod: V1Pod): void; onVersion(rv: string): void },
): Promise<WatchEnd> {
  return new Promise<WatchEnd>((resolve) => {
    let controller: AbortController | undefined;
    let finished = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (end: WatchEnd) => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      resolve(end);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish({ kind: 'error', error: new Error(`no word from the watch for ${WATCH_IDLE_MS / 1000}s`) }), WATCH_IDLE_MS);
    };
    if (signal.aborted) return resolve({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    touch();

    const query = {
      labelSelector: params.labelSelector,
      resourceVersion: params.resourceVersion || undefined,
      allowWatchBookmarks: true,
      timeoutSeconds: WATCH_SERVER_TIMEOUT_S,
    };
    new Watch(kube.kc)
      .watch(
        path,
        query,
        (type: string, obj: unknown) => {
          if (finished) return;
          touch();
          if (type === 'ERROR') {
            const st = obj as { code?: number; message?: string; reason?: string } | undefined;
            if (st?.code === 410 || st?.reason === 'Expired' || st?.reason === 'Gone') finish({ kind: 'gone' });
            else finish({ kind: 'error', error: new Error(st?.message ?? 'watch error') });
            return;
          }
          const rv = (obj as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') on.onPod(type, toPod(obj));
          if (rv) on.onVersion(rv);
        },
        (err: unknown) => {
          if (signal.aborted) return finish({ kind: 'aborted' });
          if (statusCode(err) === 410) return finish({ kind: 'gone' });
          finish(err ? { kind: 'error', error: err } : { kind: 'closed' });
        },
      )
      .then((c) => {
        controller = c;
        if (finished) c.abort();
      })
      .catch((e: unknown) => finish({ kind: 'error', error: e }));
  });
}

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

// ---------------------------------------------------------------------------------------------
// Waiting for Ready

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
}

/** A failure the wait diagnosed; carries the diagnosis for --json output and `ship why`. */
export class PodFailureError extends ShipError {
  readonly diagnosis?: Diagnosis;
  constructor(code: 'pod' | 'timeout', message: string, diagnosis: Diagnosis | undefined, opts: { hint?: string; details?: string[] }) {
    super(code, message, opts);
    this.name = 'PodFailureError';
    this.diagnosis = diagnosis;
  }
}

const EVENTS_MIN_INTERVAL_MS = 1_500;
export const NO_PROBE_SETTLE_MS = STAY_UP_MS;
const LOG_TAIL = 40;

/** A pod that a controller replaces when it fails: its failure is not the app's final word. */
function replacedByController(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Failed' &&
    (pod.metadata?.ownerReferences ?? []).some((o) => o.controller && ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'ReplicationController'].includes(o.kind))
  );
}

export async function waitForReady(source: Kube | PodApi, opts: WaitForReadyOptions): Promise<{ ready: string[] }> {
  const api: PodApi = 'watchPods' in source ? source : kubePodApi(source);
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
  let best: Diagnosis | undefined;
  let lastLine = '';
  const settleMs = opts.settleMs ?? NO_PROBE_SETTLE_MS;
  /** uid → when this wait first saw the pod Ready, and its restart count then. */
  const readySince = new Map<string, { at: number; restarts: number }>();

  /** Ready, and (for pods without readiness probes) Ready for settleMs without a restart. */
  function countsAsReady(p: V1Pod): boolean {
    const key = p.metadata?.uid ?? p.metadata?.name ?? '';
    if (!isPodReady(p)) {
      readySince.delete(key);
      return false;
    }
    const probed = (p.spec?.containers ?? []).every((c) => c.readinessProbe);
    if (probed || settleMs <= 0) return true;
    const restarts = (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
    const seen = readySince.get(key);
    if (!seen || seen.restarts !== restarts) {
      // First sight: trust the Ready condition's own timestamp (a pod left running by the last run
      // has long been Ready); after a restart, count from now.
      const since = p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
      const at = seen ? now() : Math.min(now(), timeMs(since as Date | undefined) ?? now());
      readySince.set(key, { at, restarts });
    }
    return now() - readySince.get(key)!.at >= settleMs;
  }

  let settle!: { resolve: (v: { ready: string[] }) => void; reject: (e: unknown) => void };
  const outcome = new Promise<{ ready: string[] }>((resolve, reject) => (settle = { resolve, reject }));
  let settled = false;
  const succeed = (ready: string[]) => {
    if (!settled) {
      settled = true;
      settle.resolve({ ready });
    }
  };
  const fail = (e: unknown) => {
    if (!settled) {
      settled = true;
      settle.reject(e);
    }
  };

  async function eventsFor(pod: V1Pod, force = false): Promise<CoreV1Event[]> {
    const key = pod.metadata?.uid ?? pod.metadata?.name ?? '';
    const cached = eventCache.get(key);
    if (cached && !force && now() - cached.at < EVENTS_MIN_INTERVAL_MS) return cached.events;
    try {
      const events = await api.podEvents(opts.namespace, pod.metadata!.name!, pod.metadata?.uid);
      eventCache.set(key, { at: now(), events });
      return events;
    } catch {
      return cached?.events ?? [];
    }
  }

  async function diagnose(pod: V1Pod, terminatingPeers: number, force = false): Promise<{ d?: Diagnosis; events: CoreV1Event[] }> {
    const events = await eventsFor(pod, force);
    const input: DiagnoseInput = { pod, events, builtImages: opts.builtImages, terminatingPeers, now: now() };
    let d = diagnosePod(input);
    if (d && /ImagePull|ErrImage/.test(d.reason) && opts.nodeHasImage) {
      const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
      const image = containers.find((c) => c.name === d!.container)?.image;
      if (image) {
        if (!imageCache.has(image)) imageCache.set(image, await opts.nodeHasImage(image).catch(() => undefined));
        const has = imageCache.get(image);
        if (has !== undefined) {
          input.nodeHasImage = { [image]: has };
          d = diagnosePod(input);
        }
      }
    }
    if (d?.needsLogs) {
      const { container, previous } = d.needsLogs;
      const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === container);
      // One fetch per container run: a new restart or a new termination reads again.
      const key = `${pod.metadata?.uid}/${container}/${st?.restartCount ?? 0}/${previous}/${st?.state?.terminated ? 'terminated' : ''}`;
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

  function statusLine(live: V1Pod[], done: V1Pod[]): string {
    const readyCount = done.length;
    const shown = live.slice(0, 4).map((p) => {
      const s = podSummary(p, now());
      const status = done.includes(p) ? (isPodReady(p) ? 'Ready' : s.status) : isPodReady(p) ? 'Ready, checking it stays up' : s.status;
      return `${s.name}: ${status}${s.restarts ? ` (${s.restarts} restart${s.restarts === 1 ? '' : 's'})` : ''}`;
    });
    if (live.length > 4) shown.push(`+${live.length - 4} more`);
    return `READY ${readyCount}/${opts.expected} · ${shown.length ? shown.join(', ') : seenPods ? 'no pods' : 'waiting for pods'}`;
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

  /** Rollout facts of the Deployments; settled ones are kept (their current ReplicaSet stays so). */
  const rolloutCache = new Map<string, RolloutFacts>();
  async function rollouts(): Promise<Map<string, RolloutFacts> | undefined> {
    const names = opts.deployments ?? [];
    if (names.length === 0 || !api.rollouts) return undefined;
    const pending = names.filter((n) => !rolloutCache.get(n)?.settled);
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

  async function evaluateOnce(): Promise<void> {
    if (settled) return;
    const all = pods;
    const live = all.filter((p) => !p.metadata?.deletionTimestamp);
    const terminating = all.length - live.length;
    const facts = await rollouts();
    if (settled) return;
    const outgoing = outgoingPods(live, facts);
    const counted = live.filter((p) => !replacedByController(p) && !outgoing.has(p));
    const done = counted.filter((p) => countsAsReady(p) || isCompletedJobPod(p));
    const line = statusLine(counted, done);
    if (line !== lastLine) {
      lastLine = line;
      opts.onStatus(line);
    }
    if (done.length >= opts.expected && done.length === counted.length) {
      succeed(done.map((p) => p.metadata!.name!));
      return;
    }
    let roundBest: Diagnosis | undefined;
    // Only the pods that count: old ReplicaSets' pods and replaced failed pods are on their way out.
    for (const pod of counted.filter((p) => !isPodReady(p) && !isCompletedJobPod(p))) {
      const { d } = await diagnose(pod, terminating);
      if (settled) return;
      if (!d) continue;
      if (d.certain) {
        const events = await eventsFor(pod, true);
        fail(
          new PodFailureError('pod', d.message, d, {
            hint: d.hint,
            details: [...d.details, 'Events:', ...indent(formatEvents(events, now()))],
          }),
        );
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
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
    const target = (best && live.find((p) => p.metadata?.name === best!.pod)) ?? live.find((p) => !isPodReady(p)) ?? live[0];
    let events: CoreV1Event[] = [];
    let d = best;
    if (target) {
      const r = await diagnose(target, pods.length - live.length, true).catch(() => ({ d: undefined, events: [] as CoreV1Event[] }));
      d = r.d ?? best;
      events = r.events;
    }
    const waited = humanDuration(opts.timeoutMs);
    const status = lastLine || statusLine([], []);
    const message = seenPods
      ? `Not Ready after ${waited}: ${status}${d ? ` — ${d.message}` : ''}`
      : `Not Ready after ${waited}: no pod with labels ${opts.labelSelector} appeared in namespace "${opts.namespace}".`;
    const hint = d?.hint ?? waitTimeoutHint({ namespace: opts.namespace, labelSelector: opts.labelSelector, pod: target?.metadata?.name, seenPods });
    fail(
      new PodFailureError('timeout', message, d, {
        hint,
        details: [...(d?.details ?? []), ...(target ? [`Events of ${target.metadata?.name}:`, ...indent(formatEvents(events, now()))] : [])],
      }),
    );
  }

  const watching = api
    .watchPods({
      namespace: opts.namespace,
      labelSelector: opts.labelSelector,
      signal: stop.signal,
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
    return await outcome;
  } finally {
    clearInterval(poll);
    clearTimeout(deadline);
    opts.signal.removeEventListener('abort', onAbort);
    stop.abort();
    await watching;
  }
}

function indent(lines: string[]): string[] {
  return lines.length ? lines.map((l) => '  ' + l) : ['  <none>'];
}
