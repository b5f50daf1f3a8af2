// The end of a run: a table of step durations and the one line a user looks for.

import type { ForwardInfo, SmokeResult, StepTiming } from '../core/model.js';
import type { Output } from './output.js';
import { formatDuration } from './run.js';

/** What the summary shows of a run's result. */
export interface SummaryFacts {
  project?: { name: string };
  image?: { ref: string };
  readyPods?: string[];
  forward?: ForwardInfo;
  smoke?: SmokeResult;
}

export function summaryLines(timings: StepTiming[], r: SummaryFacts): string[] {
  const lines = ['', 'step      status    time'];
  for (const t of timings) {
    lines.push(`${t.step.padEnd(9)} ${t.status.padEnd(9)} ${t.status === 'skipped' ? '-' : formatDuration(t.durationMs)}`);
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

export function printSummary(ctx: { out: Output; timings: StepTiming[] }, r: SummaryFacts): void {
  for (const l of summaryLines(ctx.timings, r)) ctx.out.info(l);
  ctx.out.event({
    type: 'summary',
    steps: ctx.timings,
    image: r.image?.ref,
    pods: r.readyPods,
    url: r.forward?.url,
    status: r.smoke?.status,
    firstResponseMs: r.smoke?.sinceApplyMs,
  });
}
