// Step: smoke. The first answer below 500 from the app, through the forward.
// Retries 5xx answers and connection errors (the app may still be starting behind a Ready probe
// that is not an HTTP check) until the deadline: --timeout counted from apply, at most 60 s.

import { request } from 'node:http';
import { InterruptedError, ShipError, errorMessage } from '../errors.js';
import type { ForwardInfo, SmokeResult } from '../core/model.js';
import type { StepEnv, StepLine } from './types.js';
import { sleep } from '../core/sleep.js';

export const SMOKE_MAX_MS = 60_000;

export function smokeSkip(opts: { smoke: boolean }): string | false {
  return !opts.smoke && 'smoke · off (--no-smoke)';
}

/** GETs the smoke path through the forward; `appliedAt` (epoch ms, the end of apply) starts the clock. */
export async function smokeStep(run: Pick<StepEnv, 'opts' | 'signal'>, input: { forward: ForwardInfo; appliedAt: number }, ui: StepLine): Promise<SmokeResult> {
  const url = new URL(run.opts.smokePath || '/', input.forward.url).toString();
  ui.title = `smoke · GET ${url}`;
  const { appliedAt } = input;
  const deadline = Math.min(appliedAt + run.opts.timeoutMs, Date.now() + SMOKE_MAX_MS);
  const { status } = await waitForAnswer(url, { deadline, signal: run.signal, onAttempt: (m) => (ui.output = m) });
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
