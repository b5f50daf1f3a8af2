// The end of a run: a table of step durations and the one line a user looks for.

import type { ShipContext } from './context.js';
import { formatDuration } from './run.js';

export function summaryLines(ctx: ShipContext): string[] {
  const lines = ['', 'step      status    time'];
  for (const t of ctx.timings) {
    lines.push(`${t.step.padEnd(9)} ${t.status.padEnd(9)} ${t.status === 'skipped' ? '-' : formatDuration(t.durationMs)}`);
  }
  const total = ctx.timings.reduce((sum, t) => sum + t.durationMs, 0);
  lines.push(`${'total'.padEnd(19)} ${formatDuration(total)}`, '');
  const pods = ctx.readyPods?.length ? ctx.readyPods.join(', ') : ctx.project?.name ?? 'app';
  if (ctx.forward) {
    const answer = ctx.smoke ? ` → ${ctx.smoke.status} (first response ${formatDuration(ctx.smoke.sinceApplyMs)} after apply)` : '';
    lines.push(`${pods} ready · ${ctx.forward.url}${answer}`);
  } else {
    lines.push(`${pods} ready`);
  }
  return lines;
}

export function printSummary(ctx: ShipContext): void {
  for (const l of summaryLines(ctx)) ctx.out.info(l);
  ctx.out.event({
    type: 'summary',
    steps: ctx.timings,
    image: ctx.image?.ref,
    pods: ctx.readyPods,
    url: ctx.forward?.url,
    status: ctx.smoke?.status,
    firstResponseMs: ctx.smoke?.sinceApplyMs,
  });
}
