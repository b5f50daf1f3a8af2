// `ship status` as text and as data: the kubectl get pods columns (NAME READY STATUS RESTARTS AGE)
// plus the image each pod runs, and the one-line diagnosis under a pod that is failing. Pure.

import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { diagnosePod } from './diagnose/index.js';
import { humanDuration, podSummary } from './kubectl-format.js';
import { timeMs } from './pod-events.js';
import { isPodReady } from './pod-ready.js';

export interface StatusRow {
  name: string;
  namespace: string;
  /** Ready containers / containers, e.g. "1/1". */
  ready: string;
  /** kubectl's STATUS column (Running, CrashLoopBackOff, Error, Init:0/1, Terminating, ...). */
  status: string;
  restarts: number;
  /** When the last restart ended, in ms ago (kubectl shows "3 (45s ago)"). */
  lastRestartAgoMs?: number;
  ageMs: number;
  /** Images of the app containers, in spec order. */
  images: string[];
  podReady: boolean;
  /** The plain-words diagnosis of a pod that is not Ready, when the engine has one. */
  diagnosis?: { reason: string; message: string; certain: boolean; hint?: string };
}

export function statusRow(pod: V1Pod, events: CoreV1Event[], now: number): StatusRow {
  const s = podSummary(pod, now);
  const podReady = isPodReady(pod);
  let lastRestart: number | undefined;
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const t = timeMs(c.lastState?.terminated?.finishedAt as Date | string | undefined);
    if (t !== undefined && (lastRestart === undefined || t > lastRestart)) lastRestart = t;
  }
  const row: StatusRow = {
    name: s.name,
    namespace: pod.metadata?.namespace ?? '',
    ready: s.ready,
    status: s.status,
    restarts: s.restarts,
    lastRestartAgoMs: s.restarts > 0 && lastRestart !== undefined ? Math.max(0, now - lastRestart) : undefined,
    ageMs: s.ageMs,
    images: (pod.spec?.containers ?? []).map((c) => c.image ?? '').filter(Boolean),
    podReady,
  };
  if (!podReady && !pod.metadata?.deletionTimestamp) {
    const d = diagnosePod({ pod, events, now });
    if (d) row.diagnosis = { reason: d.reason, message: d.message, certain: d.certain, ...(d.hint ? { hint: d.hint } : {}) };
  }
  return row;
}

/** Whether a pod needs events for its diagnosis (only pods that are not Ready: saves API calls). */
export function needsEvents(pod: V1Pod): boolean {
  return !isPodReady(pod) && !pod.metadata?.deletionTimestamp;
}

export function restartsText(r: StatusRow): string {
  return r.lastRestartAgoMs === undefined ? String(r.restarts) : `${r.restarts} (${humanDuration(r.lastRestartAgoMs)} ago)`;
}

const HEADER = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IMAGE'];

function cells(r: StatusRow): string[] {
  return [r.name, r.ready, r.status, restartsText(r), humanDuration(r.ageMs), r.images.join(',')];
}

/** Column widths that fit the header and every row. */
export function columnWidths(rows: StatusRow[]): number[] {
  const all = [HEADER, ...rows.map(cells)];
  return HEADER.map((_, i) => Math.max(...all.map((c) => c[i].length)));
}

function line(c: string[], widths: number[]): string {
  return c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('   ').trimEnd();
}

export function formatHeader(widths: number[]): string {
  return line(HEADER, widths);
}

/** One pod's line, and its diagnosis on the next line when it has one. */
export function formatRow(r: StatusRow, widths: number[]): string[] {
  const out = [line(cells(r), widths)];
  if (r.diagnosis) out.push(`  └ ${r.diagnosis.message}`);
  return out;
}

/** The whole table, as `ship status` prints it. */
export function formatStatusTable(rows: StatusRow[]): string[] {
  const widths = columnWidths(rows);
  const lines = [formatHeader(widths)];
  for (const r of rows) lines.push(...formatRow(r, widths));
  return lines;
}

/** The lines around the table: where it looked, and what to do next. */
export function statusHeading(t: { app: string; namespace: string; context: string }): string {
  return `${t.app} · namespace ${t.namespace} · context ${t.context}`;
}

export function nothingDeployedLines(t: { app: string; namespace: string; context: string; projectDir: string; display?: string }): string[] {
  return [`Nothing deployed for "${t.app}" in namespace ${t.namespace} (context ${t.context}).`, `Deploy it with: ship ${t.display ?? t.projectDir}`];
}

/** A footer pointing at `ship why` when some pod is failing. */
export function statusFooter(rows: StatusRow[]): string[] {
  const failing = rows.filter((r) => r.diagnosis);
  if (failing.length === 0) return [];
  return ['', `For details: ship why ${failing[0].name}`];
}

/** The data form (--json). */
export function statusJson(rows: StatusRow[]): Array<Record<string, unknown>> {
  return rows.map((r) => ({
    name: r.name,
    namespace: r.namespace,
    ready: r.ready,
    status: r.status,
    restarts: r.restarts,
    ageSeconds: Math.floor(r.ageMs / 1000),
    images: r.images,
    podReady: r.podReady,
    ...(r.diagnosis ? { diagnosis: r.diagnosis } : {}),
  }));
}
