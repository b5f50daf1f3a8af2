// The wait's decisions, round by round: which pods count, which of them are Ready (and have stayed
// so), what the status line says, what to read next (events, logs, the node's image store) and the
// words of a certain failure or a timeout — and whether a timeout is the pod being slow or the
// cluster having stopped answering (ClusterContact). Pure: src/adapters/kube/wait-ready.ts does the reads and
// hands in the pods, the events and the time.

import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { ShipError } from '../errors.js';
import { clip, oneLine } from './text.js';
import type { Diagnosis } from './diagnose/index.js';
import { formatEvents, humanDuration, podSummary } from './kubectl-format.js';
import { timeMs } from './pod-events.js';
import { isCompletedJobPod, isPodReady } from './pod-ready.js';
import { outgoingPods, type RolloutFacts } from './wait-plan.js';
import { STAY_UP_MS, waitTimeoutHint } from './wait-timeout.js';

/** A pod without readiness probes counts once it has stayed Ready this long (default of settleMs). */
export const NO_PROBE_SETTLE_MS = STAY_UP_MS;
/** A pod's events are read at most this often, unless a failure forces a fresh read. */
export const EVENTS_MIN_INTERVAL_MS = 1_500;
/** How many log lines a diagnosis reads: enough for a Spring Boot stack trace's deepest "Caused by:" (the details show the last 25). */
export const LOG_TAIL = 200;

/** A failure the wait diagnosed; carries the diagnosis for --json output and `ship why`. */
export class PodFailureError extends ShipError {
  readonly diagnosis?: Diagnosis;
  constructor(code: 'pod' | 'timeout', message: string, diagnosis: Diagnosis | undefined, opts: { hint?: string; details?: string[] }) {
    super(code, message, opts);
    this.name = 'PodFailureError';
    this.diagnosis = diagnosis;
  }
}

/** The key a pod's cached facts are kept under: its uid (a recreated pod keeps its name), else its name. */
export function podKey(pod: V1Pod): string {
  return pod.metadata?.uid ?? pod.metadata?.name ?? '';
}

/** A pod that a controller replaces when it fails: its failure is not the app's final word. */
export function replacedByController(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Failed' &&
    (pod.metadata?.ownerReferences ?? []).some((o) => o.controller && ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'ReplicationController'].includes(o.kind))
  );
}

/**
 * Ready, and (for pods without readiness probes) Ready for settleMs without a restart. Remembers,
 * per pod, when this wait first saw it Ready and its restart count then.
 */
export class ReadySettle {
  private readonly since = new Map<string, { at: number; restarts: number }>();
  constructor(private readonly settleMs: number) {}

  countsAsReady(p: V1Pod, now: number): boolean {
    const key = podKey(p);
    if (!isPodReady(p)) {
      this.since.delete(key);
      return false;
    }
    const probed = (p.spec?.containers ?? []).every((c) => c.readinessProbe);
    if (probed || this.settleMs <= 0) return true;
    const restarts = (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
    const seen = this.since.get(key);
    if (!seen || seen.restarts !== restarts) {
      // First sight: trust the Ready condition's own timestamp (a pod left running by the last run
      // has long been Ready); after a restart, count from now.
      const readyAt = p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
      const at = seen ? now : Math.min(now, timeMs(readyAt as Date | undefined) ?? now);
      this.since.set(key, { at, restarts });
    }
    return now - this.since.get(key)!.at >= this.settleMs;
  }
}

export interface PodRound {
  /** Pods not being deleted. */
  live: V1Pod[];
  /** How many are being deleted. */
  terminating: number;
  /** The pods the wait judges: not on their way out (old ReplicaSets', failed ones a controller replaces). */
  counted: V1Pod[];
  /** Of those, the ones that are done: Ready (and settled), or a completed Job pod. */
  done: V1Pod[];
  /** Of those, the ones to diagnose: neither Ready nor completed. */
  toDiagnose: V1Pod[];
}

/** Sorts one look at the pods into what counts, what is done and what needs a diagnosis. */
export function podRound(all: V1Pod[], rollouts: Map<string, RolloutFacts> | undefined, settle: ReadySettle, now: number): PodRound {
  const live = all.filter((p) => !p.metadata?.deletionTimestamp);
  const outgoing = outgoingPods(live, rollouts);
  const counted = live.filter((p) => !replacedByController(p) && !outgoing.has(p));
  const done = counted.filter((p) => settle.countsAsReady(p, now) || isCompletedJobPod(p));
  const toDiagnose = counted.filter((p) => !isPodReady(p) && !isCompletedJobPod(p));
  return { live, terminating: all.length - live.length, counted, done, toDiagnose };
}

/** Every pod that counts is done, and there are as many as expected. */
export function allReady(round: PodRound, expected: number): boolean {
  return round.done.length >= expected && round.done.length === round.counted.length;
}

/** "READY 0/1 · spring-pod: ContainerCreating" */
export function statusLine(live: V1Pod[], done: V1Pod[], expected: number, seenPods: boolean, now: number): string {
  const readyCount = done.length;
  const shown = live.slice(0, 4).map((p) => {
    const s = podSummary(p, now);
    const status = done.includes(p) ? (isPodReady(p) ? 'Ready' : s.status) : isPodReady(p) ? 'Ready, checking it stays up' : s.status;
    return `${s.name}: ${status}${s.restarts ? ` (${s.restarts} restart${s.restarts === 1 ? '' : 's'})` : ''}`;
  });
  if (live.length > 4) shown.push(`+${live.length - 4} more`);
  return `READY ${readyCount}/${expected} · ${shown.length ? shown.join(', ') : seenPods ? 'no pods' : 'waiting for pods'}`;
}

/** Whether events read at `readAt` are still fresh enough to use. */
export function eventsFresh(readAt: number | undefined, now: number, force: boolean): boolean {
  return readAt !== undefined && !force && now - readAt < EVENTS_MIN_INTERVAL_MS;
}

/** The Deployments whose rollout facts are still to be read (settled ones stay so). */
export function rolloutsToRead(names: string[], known: Map<string, RolloutFacts>): string[] {
  return names.filter((n) => !known.get(n)?.settled);
}

/** The image to ask the node about when a diagnosis is a pull failure: is it there after all? */
export function imageToCheck(pod: V1Pod, d: Diagnosis | undefined): string | undefined {
  if (!d || !/ImagePull|ErrImage/.test(d.reason)) return undefined;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.find((c) => c.name === d.container)?.image;
}

/** The log a diagnosis asks for, keyed by container run: a new restart or a new termination reads again. */
export function logRunKey(pod: V1Pod, needsLogs: { container: string; previous: boolean }): string {
  const { container, previous } = needsLogs;
  const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === container);
  return `${pod.metadata?.uid}/${container}/${st?.restartCount ?? 0}/${previous}/${st?.state?.terminated ? 'terminated' : ''}`;
}

/** A certain failure, with the pod's events. */
export function podFailure(d: Diagnosis, events: CoreV1Event[], now: number): PodFailureError {
  return new PodFailureError('pod', d.message, d, {
    hint: d.hint,
    details: [...d.details, 'Events:', ...indent(formatEvents(events, now))],
  });
}

/** The pod a timeout talks about: the one of the best diagnosis so far, else one not Ready, else any. */
export function timeoutTarget(live: V1Pod[], best: Diagnosis | undefined): V1Pod | undefined {
  return (best && live.find((p) => p.metadata?.name === best.pod)) ?? live.find((p) => !isPodReady(p)) ?? live[0];
}

export interface TimeoutFacts {
  timeoutMs: number;
  /** The last status line shown. */
  status: string;
  seenPods: boolean;
  labelSelector: string;
  namespace: string;
  /** The diagnosis to report, if any. */
  diagnosis?: Diagnosis;
  target?: V1Pod;
  events: CoreV1Event[];
  now: number;
}

/** Not Ready in time: where things stood, and why when a diagnosis says. */
export function timeoutFailure(f: TimeoutFacts): PodFailureError {
  const d = f.diagnosis;
  const waited = humanDuration(f.timeoutMs);
  const message = f.seenPods
    ? `Not Ready after ${waited}: ${f.status}${d ? ` — ${d.message}` : ''}`
    : `Not Ready after ${waited}: no pod with labels ${f.labelSelector} appeared in namespace "${f.namespace}".`;
  const hint = d?.hint ?? waitTimeoutHint({ namespace: f.namespace, labelSelector: f.labelSelector, pod: f.target?.metadata?.name, seenPods: f.seenPods });
  return new PodFailureError('timeout', message, d, {
    hint,
    details: [...(d?.details ?? []), ...(f.target ? [`Events of ${f.target.metadata?.name}:`, ...indent(formatEvents(f.events, f.now))] : [])],
  });
}

function indent(lines: string[]): string[] {
  return lines.length ? lines.map((l) => '  ' + l) : ['  <none>'];
}

/** Where the wait's reads went: the kubeconfig's context and the API server's address. */
export interface ClusterTarget {
  context?: string;
  server?: string;
}

/**
 * Whether the API server is answering the wait's reads (the pod list and watch, the events): the
 * last read either got an answer or got none (connection refused, reset, timed out, a 5xx from a
 * server still starting). A refusal with an HTTP status (403, 404) is an answer.
 */
export class ClusterContact {
  private downSince: number | undefined;
  private lastError = '';
  private outages = 0;

  answered(): void {
    this.downSince = undefined;
  }

  noAnswer(now: number, error: string): void {
    if (this.downSince === undefined) {
      this.downSince = now;
      this.outages++;
    }
    this.lastError = oneLine(error);
  }

  /** Since when the cluster has not answered, and its last error; undefined while it answers. */
  lost(): { since: number; error: string } | undefined {
    return this.downSince === undefined ? undefined : { since: this.downSince, error: this.lastError };
  }

  /** How many times it stopped answering during this wait. */
  get outageCount(): number {
    return this.outages;
  }
}

/** Whether a failed read got an answer from the API server (an HTTP status below 500) or none at all. */
export function serverAnswered(httpStatus: number | undefined): boolean {
  return httpStatus !== undefined && httpStatus < 500;
}

/** The status line while the cluster does not answer: what was last seen, and for how long it has been silent. */
export function statusWhileLost(line: string, lost: { since: number } | undefined, now: number): string {
  return lost ? `${line} · the cluster has not answered for ${humanDuration(now - lost.since)}` : line;
}

/**
 * The wait ran out while the cluster was not answering: that is the reason, not a slow pod (the
 * wait cannot know how the pod is doing). Exit 8 (cluster), naming since when, the last error and
 * the server.
 */
export function clusterLostFailure(f: { lost: { since: number; error: string }; cluster: ClusterTarget; timeoutMs: number; status: string; now: number }): ShipError {
  const where = [f.cluster.server, f.cluster.context ? `context "${f.cluster.context}"` : undefined].filter(Boolean).join(', ');
  const at = new Date(f.lost.since).toISOString().slice(11, 19);
  const message =
    `The cluster stopped answering during the wait: no answer from the API server${where ? ` (${where})` : ''} ` +
    `since ${at} UTC (${humanDuration(f.now - f.lost.since)} before the ${humanDuration(f.timeoutMs)} timeout ran out): ${clip(f.lost.error, 300)}`;
  const check = f.cluster.context ? `kubectl --context ${f.cluster.context} get nodes` : 'kubectl get nodes';
  return new ShipError('cluster', message, {
    hint: `The API server is down or unreachable, so whether the pod became Ready is unknown. Check the cluster (${check}); once it answers again, run ship again.`,
    details: [`Last seen before it stopped answering: ${f.status}`],
  });
}
