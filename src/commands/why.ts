// `ship why [dir] [pod]`: what `kubectl describe pod` shows that matters — conditions, container
// states, last termination, events — plus the last log lines and the plain-words diagnosis the
// wait step gives. Without a pod name it explains the app's pod that is in trouble.

import type { CoreV1Event, V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { CommandIo } from './io.js';
import { createOutput } from '../pipeline/output.js';
import { diagnosePod, type Diagnosis } from '../core/diagnose/index.js';
import { formatEvents, humanDuration, podSummary } from '../core/kubectl-format.js';
import { timeMs } from '../core/pod-events.js';
import { isPodReady } from '../core/pod-ready.js';
import { oneLine } from '../core/text.js';
import { chooseContainer, pickPod } from '../core/pod-choice.js';
import { choosePod, findAppPods, noPodsError, openTarget, type TargetFlags } from './target.js';
import { podEvents, podLogs } from '../adapters/kube/pod-reads.js';

export interface WhyFlags extends TargetFlags {
  json?: boolean;
  container?: string;
  /** How many log lines to show (default 20). */
  tail?: string;
}

export interface WhyInput {
  pod: V1Pod;
  events: CoreV1Event[];
  diagnosis?: Diagnosis;
  /** The container whose logs are shown. */
  container: string;
  logs: { current: string[]; previous: string[] };
  now: number;
}

type Time = Date | string | undefined;

/** Of the app's pods, the one to explain: a failing one first (the most certain), else the usual pick. */
export function podToExplain(pods: V1Pod[], diagnose: (p: V1Pod) => Diagnosis | undefined): V1Pod {
  const troubled = pods
    .filter((p) => !isPodReady(p) && !p.metadata?.deletionTimestamp)
    .map((p) => ({ p, d: diagnose(p) }))
    .sort((a, b) => Number(Boolean(b.d?.certain)) - Number(Boolean(a.d?.certain)) || Number(Boolean(b.d)) - Number(Boolean(a.d)));
  return troubled[0]?.p ?? pickPod(pods);
}

/** One container state in words: "running since 3m", "waiting: CrashLoopBackOff (back-off 40s …)", "terminated: exit 3 (Error) 45s ago". */
export function describeState(state: V1ContainerState | undefined, now: number): string {
  if (!state) return 'unknown';
  if (state.running) {
    const since = timeMs(state.running.startedAt as Time);
    return since === undefined ? 'running' : `running for ${humanDuration(now - since)}`;
  }
  if (state.waiting) return `waiting: ${state.waiting.reason ?? 'unknown reason'}${state.waiting.message ? ` (${oneLine(state.waiting.message)})` : ''}`;
  if (state.terminated) {
    const t = state.terminated;
    const ended = timeMs(t.finishedAt as Time);
    const began = timeMs(t.startedAt as Time);
    const ran = ended !== undefined && began !== undefined ? `, ran ${humanDuration(ended - began)}` : '';
    return `terminated: exit code ${t.exitCode}${t.signal ? ` (signal ${t.signal})` : ''}${t.reason ? ` (${t.reason})` : ''}${ended !== undefined ? `, ${humanDuration(now - ended)} ago` : ''}${ran}${t.message ? ` — ${oneLine(t.message)}` : ''}`;
  }
  return 'unknown';
}

function containerLines(spec: { name: string; image?: string }, st: V1ContainerStatus | undefined, init: boolean, now: number): string[] {
  const lines = [`  ${spec.name}${init ? ' (init)' : ''}   image ${spec.image ?? '?'}`];
  if (!st) {
    lines.push('    state: not created yet');
    return lines;
  }
  lines.push(`    state: ${describeState(st.state, now)}`);
  if (st.lastState?.terminated) lines.push(`    last run: ${describeState(st.lastState, now)}`);
  lines.push(`    ready: ${st.ready ? 'yes' : 'no'}, restarts: ${st.restartCount}`);
  return lines;
}

/** The report, as lines. Pure. */
export function whyLines(w: WhyInput): string[] {
  const { pod, now } = w;
  const s = podSummary(pod, now);
  const name = pod.metadata?.name ?? '';
  const lines: string[] = [];
  const where = [`namespace ${pod.metadata?.namespace ?? '?'}`, pod.spec?.nodeName ? `node ${pod.spec.nodeName}` : 'not scheduled', pod.status?.podIP ? `IP ${pod.status.podIP}` : undefined].filter(Boolean);
  lines.push(`Pod ${name} · ${where.join(' · ')}`);
  lines.push(`Status: ${s.status} · ${s.ready} ready · ${s.restarts} restart${s.restarts === 1 ? '' : 's'} · age ${humanDuration(s.ageMs)}`);
  lines.push('');

  if (w.diagnosis) {
    lines.push(`Why: ${w.diagnosis.message}`);
    if (w.diagnosis.hint) lines.push(`  hint: ${w.diagnosis.hint}`);
    for (const d of w.diagnosis.details) lines.push(`  ${d}`);
  } else if (isPodReady(pod)) {
    lines.push('Why: nothing is wrong — the pod is Ready.');
  } else {
    lines.push('Why: no failure is known yet; the pod is still on its way (see its conditions and events below).');
  }
  lines.push('');

  lines.push('Conditions:');
  const conds = pod.status?.conditions ?? [];
  if (conds.length === 0) lines.push('  <none>');
  for (const c of conds) lines.push(`  ${c.type} ${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${oneLine(c.message)}` : ''})` : ''}`);

  lines.push('Containers:');
  const statusOf = (list: V1ContainerStatus[] | undefined, n: string) => list?.find((x) => x.name === n);
  for (const c of pod.spec?.initContainers ?? []) lines.push(...containerLines(c, statusOf(pod.status?.initContainerStatuses, c.name), true, now));
  for (const c of pod.spec?.containers ?? []) lines.push(...containerLines(c, statusOf(pod.status?.containerStatuses, c.name), false, now));

  lines.push('Events:');
  const ev = formatEvents(w.events, now);
  lines.push(...(ev.length ? ev.map((l) => '  ' + l) : ['  <none>']));

  if (w.logs.previous.length) {
    lines.push(`Last log lines of the previous run (${w.container}):`);
    lines.push(...w.logs.previous.map((l) => '  ' + l));
  }
  lines.push(`Last log lines (${w.container}):`);
  lines.push(...(w.logs.current.length ? w.logs.current.map((l) => '  ' + l) : ['  <none>']));
  return lines;
}

/**
 * The kubelet answers with "unable to retrieve container logs for containerd://…" (as log text,
 * HTTP 200) when the run's log is gone (it keeps one dead container per pod): that is no output
 * of the app.
 */
export function withoutKubeletNotice(lines: string[]): string[] {
  return lines.length === 1 && /^unable to retrieve container logs for /.test(lines[0]) ? [] : lines;
}

export async function runWhyCommand(dir: string, podName: string | undefined, flags: WhyFlags, io: CommandIo): Promise<number> {
  const out = createOutput({ json: flags.json ?? false, stdout: io.stdout, stderr: io.stderr });
  const tail = flags.tail === undefined ? 20 : Math.max(1, Number.parseInt(flags.tail, 10) || 20);
  const target = await openTarget(dir, flags, io);
  const moved = (ns: string) => out.info(`("${target.app}" runs in namespace ${ns})`);
  const now = Date.now();

  let pod: V1Pod;
  if (podName) pod = await choosePod(target, podName, moved);
  else {
    const pods = await findAppPods(target, moved);
    if (pods.length === 0) throw noPodsError(target);
    // Diagnose without events first, to pick; then fetch the chosen pod's events.
    pod = podToExplain(pods, (p) => diagnosePod({ pod: p, events: [], now }));
  }
  const name = pod.metadata!.name!;
  const namespace = pod.metadata?.namespace ?? target.namespace;
  const container = chooseContainer(pod, flags.container);
  const events = await podEvents(target.kube, pod).catch(() => []);
  const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((c) => c.name === container);
  const restarted = st?.restartCount ?? 0;
  // A waiting container has no current run: the API would answer with the previous run again.
  const hasRun = Boolean(st?.state?.running || st?.state?.terminated);
  const [current, previous] = (
    await Promise.all([
      hasRun ? podLogs(target.kube, namespace, name, container, { tailLines: tail, previous: false }).catch(() => []) : Promise.resolve([]),
      restarted > 0 ? podLogs(target.kube, namespace, name, container, { tailLines: tail, previous: true }).catch(() => []) : Promise.resolve([]),
    ])
  ).map(withoutKubeletNotice);
  // The engine reads logs when it asks for them (a crash's last words, a failing probe).
  let diagnosis = diagnosePod({ pod, events, now });
  if (diagnosis?.needsLogs) {
    const want = diagnosis.needsLogs;
    const lines =
      want.container === container
        ? want.previous && previous.length
          ? previous
          : current
        : await podLogs(target.kube, namespace, name, want.container, { tailLines: 40, previous: want.previous }).catch(() => []);
    diagnosis = diagnosePod({ pod, events, now, logs: { [want.container]: lines } }) ?? diagnosis;
  }

  const input: WhyInput = { pod, events, diagnosis, container, logs: { current, previous }, now };
  out.event({
    type: 'why',
    pod: name,
    namespace,
    status: podSummary(pod, now),
    diagnosis: diagnosis ?? null,
    conditions: pod.status?.conditions ?? [],
    containers: pod.status?.containerStatuses ?? [],
    events: events.map((e) => ({ type: e.type, reason: e.reason, message: e.message, count: e.count ?? 1 })),
    logs: { container, current, previous },
  });
  if (!out.json) for (const l of whyLines(input)) out.info(l);
  return 0;
}
