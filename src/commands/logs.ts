// `ship logs [dir] [--pod POD]`: the app's logs. With several pods, all of them, each line
// prefixed with its pod. With -f, follows until Ctrl-C, picking up new pods (and restarted
// containers) as they appear.

import type { V1Pod } from '@kubernetes/client-node';
import type { CommandIo } from './io.js';
import { createOutput, type Output } from '../pipeline/output.js';
import { parseDuration } from '../core/options.js';
import { ShipError, errorMessage } from '../errors.js';
import { appSelector } from '../core/app-objects.js';
import { chooseContainer } from '../core/pod-choice.js';
import { choosePod, findAppPods, noPodsError, openTarget, type TargetFlags } from './target.js';
import { containerRunId, streamLog, type LogTarget } from '../adapters/kube/logs.js';
import { watchPods } from '../adapters/kube/pod-watch.js';
import type { Kube } from '../adapters/kube/client.js';

export interface LogsFlags extends TargetFlags {
  json?: boolean;
  follow?: boolean;
  previous?: boolean;
  tail?: string;
  since?: string;
  container?: string;
  prefix?: boolean;
}

export interface LogQuery {
  follow: boolean;
  previous: boolean;
  tailLines?: number;
  sinceSeconds?: number;
}

/** --tail N and --since 5m as the API wants them. */
export function parseLogFlags(flags: LogsFlags): LogQuery {
  let tailLines: number | undefined;
  if (flags.tail !== undefined) {
    tailLines = Number(flags.tail);
    if (!Number.isInteger(tailLines) || tailLines < -1) {
      throw new ShipError('usage', `--tail ${flags.tail}: not a number of lines.`, { hint: 'For example --tail 100 (-1 for everything).' });
    }
    if (tailLines === -1) tailLines = undefined;
  }
  const sinceSeconds = flags.since === undefined ? undefined : Math.max(1, Math.ceil(parseDuration(flags.since, '--since') / 1000));
  if (flags.follow && flags.previous) {
    throw new ShipError('usage', '--previous and --follow cannot be combined: a previous run has ended.', { hint: 'Use one of them.' });
  }
  return { follow: flags.follow ?? false, previous: flags.previous ?? false, tailLines, sinceSeconds };
}

/** "[pod] line", or the line alone when there is one pod and no new ones can come. */
export function formatLogLine(pod: string, line: string, prefix: boolean): string {
  return prefix ? `[${pod}] ${line}` : line;
}

export interface StreamStart {
  pod: string;
  container: string;
  runId: string;
  /** First stream of this pod: honours --tail/--since. A later run (a restart) is shown whole. */
  first: boolean;
}

/**
 * Which streams to open after a pod list update: one per pod whose container has a run we have
 * not streamed yet (a new pod, or a restart). `seen` maps pod → the last run streamed. Pure.
 */
export function planStreams(pods: V1Pod[], seen: ReadonlyMap<string, string>, container: string | undefined): StreamStart[] {
  const starts: StreamStart[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name;
    if (!name || pod.metadata?.deletionTimestamp) continue;
    let c: string;
    try {
      c = chooseContainer(pod, container);
    } catch {
      continue;
    }
    const runId = containerRunId(pod, c);
    if (!runId || seen.get(name) === runId) continue;
    starts.push({ pod: name, container: c, runId, first: !seen.has(name) });
  }
  return starts;
}

export interface FollowOptions {
  kube: Kube;
  namespace: string;
  selector: string;
  container?: string;
  query: LogQuery;
  signal: AbortSignal;
  prefix: boolean;
  onLine: (pod: string, line: string) => void;
  onInfo: (message: string) => void;
}

/** Follow the logs of every pod the selector matches, now and later, until the signal fires. */
export async function followSelector(o: FollowOptions): Promise<void> {
  const seen = new Map<string, string>();
  const running = new Set<Promise<unknown>>();
  // Pods there when following starts honour --tail/--since; pods that appear later are shown whole.
  let initial: Set<string> | undefined;
  const open = (s: StreamStart) => {
    seen.set(s.pod, s.runId);
    const t: LogTarget = { namespace: o.namespace, pod: s.pod, container: s.container };
    const limited = s.first && initial?.has(s.pod);
    const opts = limited ? { follow: true, tailLines: o.query.tailLines, sinceSeconds: o.query.sinceSeconds, signal: o.signal } : { follow: true, signal: o.signal };
    if (!s.first) o.onInfo(`${s.pod}: container "${s.container}" started again`);
    const p = streamLog(o.kube, t, opts, (line) => o.onLine(s.pod, line))
      .catch((e) => o.onInfo(`${s.pod}: ${errorMessage(e)}`))
      .finally(() => running.delete(p));
    running.add(p);
  };
  await watchPods(o.kube, { namespace: o.namespace, labelSelector: o.selector, signal: o.signal }, (pods) => {
    if (o.signal.aborted) return;
    initial ??= new Set(pods.map((p) => p.metadata?.name ?? ''));
    for (const s of planStreams(pods, seen, o.container)) open(s);
  });
  await Promise.all(running);
}

/** A container waiting to restart (CrashLoopBackOff) still has its last run's log to show. */
export function hasEverRun(pod: V1Pod, container: string): boolean {
  const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((c) => c.name === container);
  return Boolean(st?.lastState?.terminated) || (st?.restartCount ?? 0) > 0;
}

export async function runLogsCommand(dir: string, podName: string | undefined, flags: LogsFlags, io: CommandIo): Promise<number> {
  const out = createOutput({ json: flags.json ?? false, stdout: io.stdout, stderr: io.stderr });
  const query = parseLogFlags(flags);
  const target = await openTarget(dir, flags, io);
  const moved = (ns: string) => out.info(`("${target.app}" runs in namespace ${ns})`);
  const emit = (prefix: boolean) => (pod: string, line: string) => {
    if (out.json) out.event({ type: 'log', pod, line });
    else io.stdout.write(formatLogLine(pod, line, prefix) + '\n');
  };
  const info = (m: string) => (out.json ? out.event({ type: 'info', message: m }) : io.stderr.write(m + '\n'));

  // One named pod: just that pod's stream.
  if (podName) {
    const pod = await choosePod(target, podName, moved);
    const container = chooseContainer(pod, flags.container);
    const name = pod.metadata!.name!;
    await streamLog(target.kube, { namespace: target.namespace, pod: name, container }, { ...query, signal: io.signal }, (l) => emit(flags.prefix ?? false)(name, l));
    return 0;
  }

  const pods = await findAppPods(target, moved);
  if (!query.follow) {
    if (pods.length === 0) throw noPodsError(target);
    const prefix = flags.prefix ?? pods.length > 1;
    // Each pod's logs in turn (not interleaved): the same order every time.
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const container = chooseContainer(pod, flags.container);
      if (!containerRunId(pod, container) && !query.previous && !hasEverRun(pod, container)) {
        info(`${name}: container "${container}" has not started yet`);
        continue;
      }
      await streamLog(target.kube, { namespace: target.namespace, pod: name, container }, { ...query, signal: io.signal }, (l) => emit(prefix)(name, l)).catch((e) => {
        if (pods.length === 1) throw e;
        info(`${name}: ${errorMessage(e)}`);
      });
    }
    return 0;
  }

  if (pods.length === 0) info(`No pods of "${target.app}" in namespace ${target.namespace} yet; waiting for them… (Ctrl-C to stop)`);
  await followSelector({
    kube: target.kube,
    namespace: target.namespace,
    selector: target.selector,
    container: flags.container,
    query,
    signal: io.signal,
    prefix: flags.prefix ?? true,
    onLine: emit(flags.prefix ?? true),
    onInfo: info,
  });
  return 0;
}

/**
 * For `ship dev`: stream the app's logs (new pods included) until the returned stop is called.
 * Lines go to the run's output, prefixed with the pod. Starts at the last apply, so each deploy
 * shows its own pods' start-up.
 */
export async function followAppLogs(
  deployed: { kube: Kube; app: string; namespace: string; /** Lines from here on (epoch ms). */ sinceMs?: number },
  run: { signal: AbortSignal; out: Output },
): Promise<() => Promise<void>> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  run.signal.addEventListener('abort', onAbort, { once: true });
  const since = deployed.sinceMs ? Math.max(1, Math.ceil((Date.now() - deployed.sinceMs) / 1000) + 1) : undefined;
  const out: Output = run.out;
  const job = followSelector({
    kube: deployed.kube,
    namespace: deployed.namespace,
    selector: appSelector(deployed.app),
    query: { follow: true, previous: false, sinceSeconds: since },
    signal: stop.signal,
    prefix: true,
    onLine: (pod, line) => out.info(formatLogLine(pod, line, true)),
    onInfo: (m) => out.info(m),
  }).catch((e) => out.warn(`log stream stopped: ${errorMessage(e)}`));
  return async () => {
    run.signal.removeEventListener('abort', onAbort);
    stop.abort();
    await job;
  };
}
