// The wait's timeout: its lower bound and the hint shown when it runs out. Pure.
//
// A pod whose containers have no readiness probe counts only once it has stayed Ready for the
// stay-up window (pods.ts, NO_PROBE_SETTLE_MS = 5 s). A timeout of a few seconds can therefore
// never succeed: `timeout: 5` in ship.yaml (a bare number is seconds) made every deploy fail with
// exit 13 (issue 9 item 8). Such a value is almost always a slip for minutes, so it is refused up
// front (exit 2, naming the file, key and line or the flag, and the minimum) rather than silently
// clamped or reinterpreted: a user who meant 5 minutes learns to write 5m, and one who meant a
// short wait learns the floor.

/** The stay-up window for pods without a readiness probe. */
export const STAY_UP_MS = 5_000;
/** The shortest wait ship accepts: the stay-up window twice over (a pod has to start too). */
export const MIN_WAIT_TIMEOUT_MS = 2 * STAY_UP_MS;

export const MIN_WAIT_TIMEOUT_TEXT = `${MIN_WAIT_TIMEOUT_MS / 1000}s`;

/** Why a wait timeout cannot work, or undefined when it can. */
export function waitTimeoutProblem(ms: number): string | undefined {
  if (ms >= MIN_WAIT_TIMEOUT_MS) return undefined;
  return `is shorter than ${MIN_WAIT_TIMEOUT_TEXT}, the least a pod needs to start and be seen staying up (a bare number counts as seconds)`;
}

/** The hint of a wait that ran out: names the pod to look at, and never a command without one. */
export function waitTimeoutHint(o: { namespace: string; labelSelector: string; pod?: string; seenPods: boolean }): string {
  if (!o.seenPods) {
    return `Check the workload's own events (kubectl -n ${o.namespace} describe deployment/statefulset ...): its controller may be refusing to create pods.`;
  }
  const look = o.pod ? `kubectl -n ${o.namespace} describe pod ${o.pod}` : `kubectl -n ${o.namespace} get pods -l ${o.labelSelector}`;
  return `Look at the pod: ${look}; raise --timeout if the app is just slow to start.`;
}
