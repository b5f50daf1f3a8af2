// Live update (ship dev): a save under the sources goes into the running JVM of every Ready pod of
// the app — compile with the project's Maven or Gradle, copy only the changed class files and resources
// through the exec API, let Spring Boot DevTools restart the application classes in place — and
// ship checks that the restart finished and the app answers before saying so. Anything it cannot
// do that way comes back as a fallback with the reason; the caller then rebuilds and redeploys.

import { relative, sep } from 'node:path';
import { errorMessage, isShipError } from '../errors.js';
import {
  DEV_CLASSES,
  TRIGGER_FILE,
  diffOutput,
  planChanges,
  restartBlocker,
  type ChangeFacts,
  type Fallback,
  type LiveTimings,
  type OutputSnapshot,
} from '../core/live-plan.js';
import { compileLive } from '../adapters/live/build-tool.js';
import type { LiveBuild } from '../core/live-build.js';
import type { MavenDaemon } from '../adapters/live/maven-daemon.js';
import { OutputSnapshotter } from '../adapters/live/output-snapshot.js';
import { syncIntoPod } from '../adapters/live/pod-sync.js';
import { watchRestart, type RestartOutcome } from '../adapters/live/restart-watch.js';
import { livePods, type LivePod } from '../adapters/live/app-pods.js';
import { listAppPods } from '../adapters/kube/app-pods.js';
import type { ProcessRunner } from '../adapters/process.js';
import type { Kube } from '../adapters/kube/client.js';

/** What a dev session knows between live updates. */
export interface LiveSession {
  kube: Kube;
  namespace: string;
  /** The app's pods (label selector). */
  selector: string;
  /** The dev image the pods run. */
  imageRef: string;
  build: LiveBuild;
  /** The warm Maven, once it is up (compiles run as processes until then). */
  daemon?: MavenDaemon;
  /** The build's output directories (what the pod's classes directory holds, merged). */
  snapshotter: OutputSnapshotter;
  /** What the pods' classes directory holds now. */
  podHolds: OutputSnapshot;
  /** The pods that were deployed and synced (by UID): another pod means one was replaced. */
  pods: LivePod[];
  changeFacts: ChangeFacts;
  /** Live updates since the image was built (a pod started from the image lacks them). */
  updates: number;
}

export type LiveOutcome =
  | { kind: 'synced'; files: string[]; removed: string[]; pods: string[]; timings: LiveTimings; status: number }
  | { kind: 'nothing'; why: string }
  | { kind: 'compile-error'; lines: string[]; compileMs: number }
  | ({ kind: 'fallback'; stage: 'plan' | 'pods' | 'sync' | 'restart' | 'answer' } & Fallback);

export interface LiveUpdateInput {
  session: LiveSession;
  /** Absolute paths of the saved files. */
  files: string[];
  projectDir: string;
  /** When the first file of the batch was saved (epoch ms). */
  savedAt: number;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** GETs the app through the forward until an answer below 500; resolves with the status. */
  answer: () => Promise<number>;
  restartTimeoutMs?: number;
  onLine?: (line: string) => void;
  /** Called when a stage begins (for the json events). */
  onStage?: (stage: 'compile' | 'sync' | 'restart' | 'answer') => void;
}

/**
 * Whether the pods ship synced still run what it synced: none gone, none new, no container
 * restarted (a restarted container starts again from the image, without the synced files).
 */
export function podsChanged(before: LivePod[], now: LivePod[]): string | undefined {
  const nowByUid = new Map(now.map((p) => [p.uid, p]));
  const beforeUids = new Set(before.map((p) => p.uid));
  const gone = before.find((p) => !nowByUid.has(p.uid));
  if (gone) return `pod ${gone.name} was replaced or is not Ready`;
  const restarted = before.find((p) => nowByUid.get(p.uid)!.restarts !== p.restarts);
  if (restarted) return `the container of pod ${restarted.name} restarted`;
  const added = now.find((p) => !beforeUids.has(p.uid));
  if (added) return `pod ${added.name} is new`;
  return undefined;
}

export async function currentPods(s: Pick<LiveSession, 'kube' | 'namespace' | 'selector' | 'imageRef'>): Promise<LivePod[]> {
  return livePods(await listAppPods(s.kube, s.namespace, s.selector, s.imageRef), s.imageRef);
}

export async function liveUpdate(input: LiveUpdateInput): Promise<LiveOutcome> {
  const s = input.session;
  const rel = input.files.map((f) => relative(input.projectDir, f).split(sep).join('/'));
  const plan = planChanges(rel, s.changeFacts);
  if (plan.kind === 'fallback') return { kind: 'fallback', stage: 'plan', reason: plan.reason, ...(plan.file ? { file: plan.file } : {}) };
  if (plan.kind === 'none') return { kind: 'nothing', why: plan.why };

  let pods: LivePod[];
  try {
    pods = await currentPods(s);
  } catch (e) {
    return { kind: 'fallback', stage: 'pods', reason: `the app's pods could not be listed: ${errorMessage(e)}` };
  }
  const replaced = podsChanged(s.pods, pods);
  if (replaced) return { kind: 'fallback', stage: 'pods', reason: `${replaced}: it runs the image of the last full deploy` };
  if (pods.length === 0) return { kind: 'fallback', stage: 'pods', reason: 'no Ready pod of the app runs the dev image' };

  input.onStage?.('compile');
  const compileStart = Date.now();
  const compiled = await compileLive(s.build, { runner: input.runner, env: input.env, signal: input.signal, ...(s.daemon ? { daemon: s.daemon } : {}), ...(input.onLine ? { onLine: input.onLine } : {}) });
  const compileMs = Date.now() - compileStart;
  if (!compiled.ok) return { kind: 'compile-error', lines: compiled.lines, compileMs };

  const after = await s.snapshotter.snapshot();
  const diff = diffOutput(s.podHolds, after);
  if (diff.changed.length === 0 && diff.removed.length === 0) return { kind: 'nothing', why: 'the build output did not change' };
  const blocker = restartBlocker(diff);
  if (blocker) return { kind: 'fallback', stage: 'plan', ...blocker };

  input.onStage?.('sync');
  const syncStart = Date.now();
  const restartTimeoutMs = input.restartTimeoutMs ?? 60_000;
  const watches = new Map<string, Awaited<ReturnType<typeof watchRestart>>>();
  let syncEnd = syncStart;
  try {
    // The log streams open before the trigger lands, and only count lines written after this moment.
    await Promise.all(
      pods.map(async (p) => {
        watches.set(p.name, await watchRestart(s.kube, { namespace: s.namespace, pod: p.name, container: p.container }, { since: syncStart, timeoutMs: restartTimeoutMs, signal: input.signal }));
      }),
    );
    const trigger = { name: TRIGGER_FILE, content: `${syncStart}\n` };
    const results = await Promise.allSettled(
      pods.map((p) =>
        syncIntoPod(s.kube, { namespace: s.namespace, pod: p.name, container: p.container }, { source: (path) => s.snapshotter.locate(path), remoteDir: DEV_CLASSES, changed: diff.changed, removed: diff.removed, trigger, signal: input.signal }),
      ),
    );
    syncEnd = Date.now();
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const why = (results[failed] as PromiseRejectedResult).reason;
      return { kind: 'fallback', stage: 'sync', reason: `the sync into pod ${pods[failed]!.name} failed (${isShipError(why) ? why.message : errorMessage(why)})` };
    }
    // The pods now hold the new output (or part of it, if a restart fails below: the rebuild then replaces them).
    s.podHolds = after;
    s.updates += 1;

    input.onStage?.('restart');
    const outcomes = await Promise.all(pods.map(async (p) => [p, await watches.get(p.name)!.outcome] as [LivePod, RestartOutcome]));
    for (const [p, o] of outcomes) {
      if (o.kind === 'started') continue;
      if (o.kind === 'aborted') return { kind: 'fallback', stage: 'restart', reason: 'interrupted' };
      const lines = watches.get(p.name)!.lines;
      const last = lines.filter((l) => l.trim()).slice(-3).join(' | ');
      if (o.kind === 'failed') return { kind: 'fallback', stage: 'restart', reason: `the restart in pod ${p.name} failed (${o.message})${last ? `: ${last}` : ''}` };
      return { kind: 'fallback', stage: 'restart', reason: `pod ${p.name} did not report a finished restart within ${Math.round(restartTimeoutMs / 1000)} s` };
    }
  } finally {
    for (const w of watches.values()) w.stop();
  }
  const restartEnd = Date.now();

  input.onStage?.('answer');
  let status: number;
  try {
    status = await input.answer();
  } catch (e) {
    return { kind: 'fallback', stage: 'answer', reason: `the app did not answer after the restart (${errorMessage(e)})` };
  }
  const answered = Date.now();
  return {
    kind: 'synced',
    files: diff.changed,
    removed: diff.removed,
    pods: pods.map((p) => p.name),
    status,
    timings: {
      compileMs,
      syncMs: syncEnd - syncStart,
      restartMs: restartEnd - syncEnd,
      answerMs: answered - restartEnd,
      totalMs: answered - input.savedAt,
    },
  };
}
