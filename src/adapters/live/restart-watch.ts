// Reading a restart's outcome from the app's log: lines written at or after `since` (the moment
// before the sync started), until Spring Boot says "Started …" or that it failed. The stream is
// asked for timestamps so a line of an earlier start is never mistaken for this one.

import { Writable } from 'node:stream';
import { Log } from '@kubernetes/client-node';
import { LineSplitter, type LogTarget } from '../kube/logs.js';
import { readRestartLine, type RestartLine } from '../../core/live-plan.js';
import type { Kube } from '../kube/client.js';

export type RestartOutcome = RestartLine | { kind: 'timeout' } | { kind: 'aborted' };

/** Splits "2026-11-30T04:16:48.218123456Z text" into its time (epoch ms) and text. */
export function splitTimestamp(line: string): { at: number; text: string } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (.*)$/.exec(line);
  if (!m) return undefined;
  const at = Date.parse(m[1]!.replace(/(\.\d{3})\d+Z$/, '$1Z'));
  return Number.isNaN(at) ? undefined : { at, text: m[2]! };
}

export interface RestartWatch {
  /** Settles on the first restart line at or after `since`, or on timeout/abort. */
  outcome: Promise<RestartOutcome>;
  /** Every line seen after `since` (for the report of a failed restart). */
  lines: string[];
  stop(): void;
}

export async function watchRestart(kube: Kube, t: LogTarget, opts: { since: number; timeoutMs: number; signal: AbortSignal }): Promise<RestartWatch> {
  const lines: string[] = [];
  let settle!: (o: RestartOutcome) => void;
  const outcome = new Promise<RestartOutcome>((r) => (settle = r));
  let done = false;
  const finish = (o: RestartOutcome) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
    controller?.abort();
    settle(o);
  };
  const splitter = new LineSplitter((raw) => {
    const line = splitTimestamp(raw);
    if (!line || line.at < opts.since) return;
    lines.push(line.text);
    if (lines.length > 200) lines.shift();
    const r = readRestartLine(line.text);
    if (r) finish(r);
  });
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      splitter.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      cb();
    },
  });
  sink.on('error', () => undefined);
  const timer = setTimeout(() => finish({ kind: 'timeout' }), opts.timeoutMs);
  const onAbort = () => finish({ kind: 'aborted' });
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let controller: AbortController | undefined;
  // The API takes whole seconds: ask from the second before, filter on the exact time above.
  const sinceTime = new Date(Math.floor(opts.since / 1000) * 1000 - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  try {
    controller = await new Log(kube.kc).log(t.namespace, t.pod, t.container, sink, { follow: true, timestamps: true, sinceTime });
  } catch (e) {
    finish({ kind: 'timeout' });
    throw e;
  }
  if (done) controller.abort();
  return { outcome, lines, stop: () => finish({ kind: 'aborted' }) };
}
