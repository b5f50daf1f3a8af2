// `ship status [dir]`: what ship deployed for this app, as kubectl users expect to see it
// (NAME READY STATUS RESTARTS AGE, plus the image), with the one-line diagnosis of a failing pod
// under it. `--watch` redraws in place on a terminal and appends changed rows otherwise.

import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { CommandIo } from './io.js';
import { createOutput, type Output } from '../pipeline/output.js';
import { sortPods } from '../core/pod-choice.js';
import { findAppPods, openTarget, type Target, type TargetFlags } from './target.js';
import { podEvents } from '../adapters/kube/pod-reads.js';
import { watchPods } from '../adapters/kube/pod-watch.js';
import {
  columnWidths,
  formatHeader,
  formatRow,
  formatStatusTable,
  needsEvents,
  nothingDeployedLines,
  statusFooter,
  statusHeading,
  statusJson,
  statusRow,
  type StatusRow,
} from '../core/status-format.js';

export interface StatusFlags extends TargetFlags {
  json?: boolean;
  watch?: boolean;
}

/** Rows for a set of pods; events are fetched only for pods that are not Ready. */
export async function collectRows(pods: V1Pod[], events: (pod: V1Pod) => Promise<CoreV1Event[]>, now: number): Promise<StatusRow[]> {
  return Promise.all(sortPods(pods).map(async (p) => statusRow(p, needsEvents(p) ? await events(p).catch(() => []) : [], now)));
}

export async function runStatusCommand(dir: string, flags: StatusFlags, io: CommandIo): Promise<number> {
  const out = createOutput({ json: flags.json ?? false, stdout: io.stdout, stderr: io.stderr });
  const target = await openTarget(dir, flags, io);
  const pods = await findAppPods(target, (ns) => out.info(`(no pods in the context's namespace; "${target.app}" runs in namespace ${ns})`));
  const events = (p: V1Pod) => podEvents(target.kube, p);
  if (flags.watch) return watchStatus(target, out, io, events);

  const rows = await collectRows(pods, events, Date.now());
  printStatus(target, rows, out, dir);
  return 0;
}

function printStatus(target: Target, rows: StatusRow[], out: Output, dir: string): void {
  const where = { app: target.app, namespace: target.namespace, context: target.kube.context, projectDir: target.projectDir, display: dir };
  out.event({ type: 'status', app: target.app, namespace: target.namespace, context: target.kube.context, pods: statusJson(rows) });
  if (out.json) return;
  if (rows.length === 0) {
    for (const l of nothingDeployedLines(where)) out.info(l);
    return;
  }
  out.info(statusHeading(where));
  for (const l of formatStatusTable(rows)) out.info(l);
  for (const l of statusFooter(rows)) out.info(l);
}

/**
 * Keep the table current until Ctrl-C. On a terminal the table is redrawn in place; otherwise
 * (and with --json) each change is appended: the rows that changed, or the pods now gone.
 */
async function watchStatus(target: Target, out: Output, io: CommandIo, events: (p: V1Pod) => Promise<CoreV1Event[]>): Promise<number> {
  const inPlace = io.isTTY && !out.json;
  let drawnLines = 0;
  let last = new Map<string, string>();
  let widths: number[] | undefined;
  let busy = Promise.resolve();

  const draw = async (pods: V1Pod[]) => {
    const rows = await collectRows(pods, events, Date.now());
    if (out.json) {
      out.event({ type: 'status', app: target.app, namespace: target.namespace, context: target.kube.context, pods: statusJson(rows) });
      return;
    }
    if (inPlace) {
      const lines = [statusHeading({ app: target.app, namespace: target.namespace, context: target.kube.context }), ''];
      if (rows.length === 0) lines.push(`No pods of "${target.app}" yet. (Ctrl-C to stop)`);
      else lines.push(...formatStatusTable(rows), '', 'watching… (Ctrl-C to stop)');
      if (drawnLines > 0) out.human.write(`\x1b[${drawnLines}A\x1b[0J`);
      out.human.write(lines.join('\n') + '\n');
      drawnLines = lines.length;
      return;
    }
    // Appended lines: the header once, then each row whose text changed, and pods that went away.
    widths ??= columnWidths(rows).map((w, i) => Math.max(w, [40, 5, 18, 12, 6, 0][i]));
    if (last.size === 0 && drawnLines === 0) {
      out.info(formatHeader(widths));
      drawnLines = 1;
    }
    const now = new Map<string, string>();
    for (const r of rows) {
      // AGE and "(5s ago)" tick on every event: a row is printed again only when something else changed.
      const key = JSON.stringify([r.ready, r.status, r.restarts, r.images, r.diagnosis?.message]);
      now.set(r.name, key);
      if (last.get(r.name) !== key) out.info(formatRow(r, widths).join('\n'));
    }
    for (const name of last.keys()) if (!now.has(name)) out.info(`${name}   (deleted)`);
    last = now;
  };

  let latest: V1Pod[] | undefined;
  const redraw = (pods: V1Pod[]) => {
    latest = pods;
    busy = busy.then(() => draw(pods)).catch((e) => out.warn(String(e)));
  };
  // On a terminal, AGE keeps counting between events.
  const ticker = inPlace ? setInterval(() => latest && redraw(latest), 5_000) : undefined;
  try {
    await watchPods(target.kube, { namespace: target.namespace, labelSelector: target.selector, signal: io.signal }, redraw);
  } finally {
    clearInterval(ticker);
  }
  await busy;
  return 0;
}
