// Step: smoke. The first answer below 500 from the app, through the forward.
// Retries 5xx answers and connection errors (the app may still be starting behind a Ready probe
// that is not an HTTP check) until the deadline: --timeout counted from apply, at most 60 s.

import { request } from 'node:http';
import { InterruptedError, ShipError, errorMessage } from '../errors.js';
import type { ForwardInfo, SmokeResult } from '../core/model.js';
import type { StepEnv, StepLine } from './types.js';
import { sleep } from '../core/sleep.js';
import type { Kube } from '../adapters/kube/client.js';
import { podLogs } from '../adapters/kube/pod-reads.js';
import { openedPortGuard, type PortFacts } from './ports.js';

/** How much of the app's log is read for its "started on port" line. */
const OPENED_PORT_LOG_TAIL = 300;

export const SMOKE_MAX_MS = 60_000;

export function smokeSkip(opts: { smoke: boolean }): string | false {
  return !opts.smoke && 'smoke · off (--no-smoke)';
}

export interface SmokeInput {
  forward: ForwardInfo;
  appliedAt: number;
  /** Where the app's log is read when the forward is refused (which port did its web server open?). */
  app?: { kube: Kube; namespace: string; ports: PortFacts };
}

/** GETs the smoke path through the forward; `appliedAt` (epoch ms, the end of apply) starts the clock. */
export async function smokeStep(run: Pick<StepEnv, 'opts' | 'signal'>, input: SmokeInput, ui: StepLine): Promise<SmokeResult> {
  const url = new URL(run.opts.smokePath || '/', input.forward.url).toString();
  ui.title = `smoke · GET ${url}`;
  const { appliedAt, forward, app } = input;
  const deadline = Math.min(appliedAt + run.opts.timeoutMs, Date.now() + SMOKE_MAX_MS);
  // A refused forward while the app's log says its web server opened another port will never answer: say so now.
  const container = app?.ports.container;
  const onRefused =
    app && container
      ? openedPortGuard({ ...app.ports, target: { ...app.ports.target, port: forward.remotePort } }, () =>
          podLogs(app.kube, app.namespace, forward.pod, container, { tailLines: OPENED_PORT_LOG_TAIL, previous: false }),
        )
      : undefined;
  const { status } = await waitForAnswer(url, { deadline, signal: run.signal, onAttempt: (m) => (ui.output = m), onRefused });
  ui.title = `smoke · GET ${url} → ${status}`;
  return { status, sinceApplyMs: Date.now() - appliedAt };
}

export interface WaitForAnswerOptions {
  /** Epoch ms after which no new attempt starts (at least one attempt is always made). */
  deadline: number;
  signal?: AbortSignal;
  /** Per-request timeout (default 5 s, never past the deadline by more than that). */
  requestTimeoutMs?: number;
  /** Pause between attempts: starts here and doubles up to 1 s (default 100 ms). */
  backoffMs?: number;
  onAttempt?: (message: string) => void;
  /** After a refused or reset connection: may throw to end the wait with a certain reason (the app opened another port). */
  onRefused?: () => Promise<void>;
}

/** One GET; resolves with the status once the body has been read, rejects on connection errors. */
export function getOnce(url: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, headers: { connection: 'close' }, signal, timeout: timeoutMs }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 100) / 10}s`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET until an answer below 500 or the deadline; ShipError('smoke') with the last status/error. */
export async function waitForAnswer(url: string, opts: WaitForAnswerOptions): Promise<{ status: number; attempts: number }> {
  const started = Date.now();
  let backoff = opts.backoffMs ?? 100;
  let last = 'no attempt made';
  for (let attempts = 1; ; attempts++) {
    if (opts.signal?.aborted) throw new InterruptedError();
    const left = opts.deadline - Date.now();
    const timeout = Math.max(250, Math.min(opts.requestTimeoutMs ?? 5000, left > 0 ? left : Infinity));
    try {
      const status = await getOnce(url, timeout, opts.signal);
      if (status < 500) return { status, attempts };
      last = `HTTP ${status}`;
    } catch (e) {
      if (opts.signal?.aborted) throw new InterruptedError();
      last = errorMessage(e);
      if (opts.onRefused && /ECONNRESET|ECONNREFUSED|socket hang up/i.test(last)) await opts.onRefused();
    }
    opts.onAttempt?.(`attempt ${attempts}: ${last}`);
    if (Date.now() + backoff >= opts.deadline) break;
    await sleep(backoff, opts.signal);
    backoff = Math.min(backoff * 2, 1000);
  }
  const secs = Math.round((Date.now() - started) / 100) / 10;
  throw new ShipError('smoke', `No answer below 500 from ${url} within ${secs}s: ${last}`, {
    hint: "Check the app's logs (`ship logs`), or point the check at a path that answers with --smoke-path.",
  });
}
