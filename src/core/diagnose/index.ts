// Failure diagnosis, the entry: from a pod's status, its events (and, when asked for, its logs)
// to one plain sentence about what is wrong, and whether the outcome is already certain.
//
// Pure: no I/O, no clock unless `now` is left out. Used by the wait step (fail as soon as a failure
// is certain instead of waiting out the deadline) and later by `ship status` / `ship why`.
//
// When a failure counts as certain (documented rules, tested in test/unit/diagnose.test.ts):
// - Image pulls: ImagePullBackOff, or ErrImagePull whose message says the image or registry does
//   not exist ("not found", "pull access denied", "no such host", ...; a network timeout waits for
//   the back-off).
//   ErrImageNeverPull and InvalidImageName at once.
// - Crashes: the container exited with a non-zero code (or with 0 while restartPolicy is Always)
//   and either the pod will not restart it (restartPolicy Never, or pod phase Failed), or it has
//   crashed twice in a row: CrashLoopBackOff (the kubelet restarts the first crash at once and only
//   backs off from the second one), a terminated state after at least one restart, or two or more
//   restarts whose last exit was a failure. A single crash followed by a restart is not certain:
//   apps that start before a dependency is up often crash once and then come up.
// - CreateContainerConfigError / CreateContainerError / RunContainerError once the kubelet has
//   reported it for CONFIG_ERROR_SETTLE_MS (the wait step starts after apply has finished, so an
//   object that is still missing a few seconds later is not going to arrive).
// - Unschedulable at once, unless a pod of the same app is still terminating (its resources may
//   free up) or the reason is a PersistentVolumeClaim still being bound.
// - A readiness probe only when the container is running, started, not ready, and has been failing
//   for longer than max(60 s, 3 × failureThreshold × periodSeconds) — 120 s instead of 60 s when
//   the app does not answer at all (connection refused, timeout), as a slow JVM may still be
//   starting. Never before the container started.
// - Pod phase Failed (Evicted, DeadlineExceeded, a crash under restartPolicy Never) always.
// - FailedCreatePodSandBox because the node's container runtime does not answer (connection
//   refused, its socket missing): reported at least twice over 10 s, or once 25 s ago, with nothing
//   happening to the pod since (pod-warnings.ts; the kubelet stops syncing pods ~30 s after its
//   runtime went silent, so no further report may come).
//
// Each rule family is a file beside this one; this runs them in a fixed order. kubectl-style
// presentation (events table, STATUS column, durations) is in src/core/kubectl-format.ts.

import { eventLast } from '../pod-events.js';
import { containerDiagnosis } from './containers.js';
import { completed, failedPod } from './pod-phase.js';
import { podEventDiagnosis } from './pod-warnings.js';
import { readinessDiagnosis } from './readiness.js';
import { unschedulableDiagnosis } from './scheduling.js';
import { containerSlots } from './slots.js';
import type { Ctx, DiagnoseInput, Diagnosis } from './types.js';

export type { DiagnoseInput, Diagnosis } from './types.js';

export function diagnosePod(input: DiagnoseInput): Diagnosis | undefined {
  const pod = input.pod;
  const ctx: Ctx = {
    input,
    pod,
    name: pod.metadata?.name ?? '(unnamed pod)',
    now: input.now ?? Date.now(),
    events: [...input.events].sort((a, b) => eventLast(a) - eventLast(b)),
  };
  if (pod.metadata?.deletionTimestamp) return undefined;

  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return completed(ctx);
  if (phase === 'Failed') return failedPod(ctx);

  const unschedulable = unschedulableDiagnosis(ctx);
  if (unschedulable) return unschedulable;

  const candidates: Diagnosis[] = [];
  for (const slot of containerSlots(pod)) {
    const d = containerDiagnosis(ctx, slot);
    if (d) candidates.push(d);
  }
  const certain = candidates.find((d) => d.certain);
  if (certain) return certain;

  const probe = readinessDiagnosis(ctx);
  if (probe?.certain) return probe;

  const fromEvents = podEventDiagnosis(ctx);
  if (fromEvents?.certain) return fromEvents;

  return candidates[0] ?? probe ?? fromEvents;
}
