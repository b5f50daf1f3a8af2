// Running a run's steps with listr2: renderer choice, per-step timings, JSON step events, skips,
// and the cleanups every run owes (forward, watches, children) on success, failure and Ctrl-C.
//
// The composition (up.ts) is plain async code: `steps.run(name, body)` runs the body as that
// step's listr task and resolves with what the body returned, so each step's result is a value
// handed to the next. Every step of the run is listed up front (listr2 shows them all), and the
// composition reaches them in that order.

import { Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper } from 'listr2';
import { InterruptedError, ShipError, isShipError } from '../errors.js';
import type { StepTiming } from '../core/model.js';
import type { StepUi } from '../tasks/types.js';
import type { RunContext } from './context.js';

export interface Steps {
  /** Runs step `name` (the next one in the list): timed, reported, its body shown as the task. */
  run<T>(name: string, body: (ui: StepUi) => Promise<T>): Promise<T>;
  /** Step `name` (the next one in the list) is not needed: shown and recorded as skipped with `reason`. */
  skip(name: string, reason: string): void;
}

type Order = { skip: string } | { body: (ui: StepUi) => Promise<unknown>; done: Deferred<unknown> };

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => {
    d.resolve = (v) => ((d.settled = true), resolve(v));
    d.reject = (e) => ((d.settled = true), reject(e));
  });
  d.promise.catch(() => undefined); // a gate the list never reaches (it stopped at a failure) must not go unhandled
  return d;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

export interface RenderChoice {
  /** A terminal that can redraw in place, and not CI. */
  interactive: boolean;
}

type Wrapper = ListrTaskWrapper<RunContext, never, never>;

/** One step's task: skip, or time the body and report its start/end/skip/fail. */
async function runOrder(ctx: RunContext, step: string, order: Order, wrapper: Wrapper): Promise<void> {
  const record = (t: StepTiming) => ctx.timings.push(t);
  if ('skip' in order) {
    const detail = order.skip;
    record({ step, status: 'skipped', durationMs: 0, detail });
    ctx.out.event({ type: 'step', step, status: 'skip', durationMs: 0, detail });
    wrapper.skip(detail);
    return;
  }
  if (ctx.signal.aborted) {
    const e = new InterruptedError();
    order.done.reject(e);
    throw e;
  }
  const started = Date.now();
  ctx.out.event({ type: 'step', step, status: 'start' });
  let result: unknown;
  try {
    result = await order.body(wrapper as unknown as StepUi);
  } catch (e) {
    const durationMs = Date.now() - started;
    const error = ctx.signal.aborted ? new InterruptedError() : e;
    const detail = error instanceof Error ? error.message : String(error);
    record({ step, status: 'failed', durationMs, detail });
    ctx.out.event({ type: 'step', step, status: 'fail', durationMs, detail, ...(isShipError(error) ? { code: error.code } : {}) });
    order.done.reject(error);
    throw error;
  }
  const durationMs = Date.now() - started;
  // A step may find there was nothing to do (the image already on the node) and skip itself.
  const status = wrapper.task.isSkipped() ? 'skipped' : 'done';
  const detail = wrapper.title;
  record({ step, status, durationMs, detail });
  ctx.out.event({ type: 'step', step, status: status === 'done' ? 'done' : 'skip', durationMs, detail });
  if (status === 'done') wrapper.title = `${wrapper.title} (${formatDuration(durationMs)})`;
  order.done.resolve(result);
}

/**
 * Runs one run's steps (`names`, in order) as a listr2 list while `compose` hands each its body;
 * resolves with what `compose` returned. The run's timings start afresh. listr2's own signal
 * handling is off (it exits without cleanups): ship handles Ctrl-C.
 */
export async function runSteps<T>(ctx: RunContext, names: string[], render: RenderChoice, compose: (steps: Steps) => Promise<T>): Promise<T> {
  ctx.timings = [];
  const gates = names.map(() => deferred<Order>());
  let next = 0;
  const gate = (name: string): Deferred<Order> => {
    const i = next++;
    if (names[i] !== name) throw new ShipError('internal', `The run reached step ${name} where ${names[i] ?? 'no step'} was listed.`);
    return gates[i]!;
  };
  const steps: Steps = {
    run<R>(name: string, body: (ui: StepUi) => Promise<R>): Promise<R> {
      const done = deferred<unknown>();
      gate(name).resolve({ body, done });
      return done.promise as Promise<R>;
    },
    skip(name, reason) {
      gate(name).resolve({ skip: reason });
    },
  };

  const stream = ctx.out.human as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stream, stream) });
  const list = new Listr<RunContext, 'default' | 'simple', 'simple'>(
    names.map((name, i) => ({ title: name, task: async (_c, wrapper) => runOrder(ctx, name, await gates[i]!.promise, wrapper as Wrapper) })),
    {
      ctx,
      concurrent: false,
      exitOnError: true,
      registerSignalListeners: false,
      collectErrors: false,
      renderer: render.interactive ? 'default' : 'simple',
      fallbackRenderer: 'simple',
      rendererOptions: { collapseSubtasks: false, outputBar: 3, persistentOutput: false, logger } as never,
      fallbackRendererOptions: { logger, timestamp: undefined } as never,
    },
  );
  const listed = list.run();
  listed.catch(() => undefined);
  let result: T;
  try {
    result = await compose(steps);
  } catch (e) {
    // A failed step has stopped the list already; an error between steps stops it at the next one.
    for (const g of gates) if (!g.settled) g.reject(e);
    await listed.catch(() => undefined);
    throw e;
  }
  const missing = names.slice(next);
  if (missing.length) {
    const e = new ShipError('internal', `The run ended without reaching step ${missing.join(', ')}.`);
    for (const g of gates) if (!g.settled) g.reject(e);
  }
  await listed;
  return result;
}

/** Runs every registered cleanup once, newest first; never throws. */
export async function runCleanups(ctx: Pick<RunContext, 'cleanups' | 'out'>): Promise<void> {
  const all = ctx.cleanups.splice(0).reverse();
  for (const c of all) {
    try {
      await c();
    } catch (e) {
      ctx.out.warn(`cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
