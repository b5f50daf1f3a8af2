// The end of a run: a table of step durations and the one line a user looks for.

import type { ForwardInfo, SmokeResult, StepTiming } from '../core/model.js';
import type { Output } from './output.js';
import { formatDuration } from './run.js';
import { formatDelta, stepDeltas, type RunRecord } from '../core/run-history.js';

/** What the summary shows of a run's result. */
export interface SummaryFacts {
  project?: { name: string };
  image?: { ref: string };
  readyPods?: string[];
  forward?: ForwardInfo;
  smoke?: SmokeResult;
}

/** The table; with `previous` (the app's last successful run) each step shows its change, e.g. `11.8 s (+2.1 s)`. */
export function summaryLines(timings: StepTiming[], r: SummaryFacts, previous?: RunRecord): string[] {
  const lines = ['', `step      status    time${previous ? `      (change since the last run, ${previous.at.slice(0, 16).replace('T', ' ')} UTC)` : ''}`];
  for (const t of stepDeltas(timings, previous)) {
    const time = t.status === 'skipped' ? '-' : formatDuration(t.durationMs);
    lines.push(`${t.step.padEnd(9)} ${t.status.padEnd(9)} ${t.deltaMs === undefined ? time : `${time.padEnd(9)} ${formatDelta(t.deltaMs)}`}`.trimEnd());
  }
  const total = timings.reduce((sum, t) => sum + t.durationMs, 0);
  lines.push(`${'total'.padEnd(19)} ${formatDuration(total)}`, '');
  const pods = r.readyPods?.length ? r.readyPods.join(', ') : r.project?.name ?? 'app';
  if (r.forward) {
    const answer = r.smoke ? ` → ${r.smoke.status} (first response ${formatDuration(r.smoke.sinceApplyMs)} after apply)` : '';
    lines.push(`${pods} ready · ${r.forward.url}${answer}`);
  } else {
    lines.push(`${pods} ready`);
  }
  return lines;
}

export function printSummary(ctx: { out: Output; timings: StepTiming[] }, r: SummaryFacts, previous?: RunRecord): void {
  for (const l of summaryLines(ctx.timings, r, previous)) ctx.out.info(l);
  const deltas = stepDeltas(ctx.timings, previous);
  ctx.out.event({
    type: 'summary',
    steps: ctx.timings.map((t, i) => (deltas[i].deltaMs === undefined ? t : { ...t, deltaMs: deltas[i].deltaMs, previousMs: deltas[i].previousMs })),
    ...(previous ? { previousRunAt: previous.at } : {}),
    image: r.image?.ref,
    pods: r.readyPods,
    url: r.forward?.url,
    status: r.smoke?.status,
    firstResponseMs: r.smoke?.sinceApplyMs,
  });
}
