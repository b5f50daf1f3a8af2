// Running a list of steps with listr2: renderer choice, per-step timings, JSON step events,
// and the cleanups every run owes (forward, watches, children) on success, failure and Ctrl-C.

import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import { InterruptedError, isShipError } from '../errors.js';
import type { ShipContext, StepTiming } from './context.js';

/** Wraps a step so its start/end/skip/fail and duration are recorded and emitted as events. */
export function timed(step: string, t: ListrTask<ShipContext>): ListrTask<ShipContext> {
  const { skip, task } = t;
  return {
    ...t,
    skip: undefined,
    task: async (ctx, wrapper) => {
      const reason = typeof skip === 'function' ? await skip(ctx) : skip;
      if (reason) {
        const detail = typeof reason === 'string' ? reason : undefined;
        record(ctx, { step, status: 'skipped', durationMs: 0, detail });
        ctx.out.event({ type: 'step', step, status: 'skip', durationMs: 0, detail });
        wrapper.skip(detail);
        return;
      }
      if (ctx.signal.aborted) throw new InterruptedError();
      const started = Date.now();
      ctx.out.event({ type: 'step', step, status: 'start' });
      try {
        const result = await task(ctx, wrapper);
        const durationMs = Date.now() - started;
        // A step may find there was nothing to do (the image already on the node) and skip itself.
        const status = wrapper.task.isSkipped() ? 'skipped' : 'done';
        const detail = wrapper.title;
        record(ctx, { step, status, durationMs, detail });
        ctx.out.event({ type: 'step', step, status: status === 'done' ? 'done' : 'skip', durationMs, detail });
        if (status === 'done') wrapper.title = `${wrapper.title} (${formatDuration(durationMs)})`;
        return result;
      } catch (e) {
        const durationMs = Date.now() - started;
        const error = ctx.signal.aborted ? new InterruptedError() : e;
        const detail = error instanceof Error ? error.message : String(error);
        record(ctx, { step, status: 'failed', durationMs, detail });
        ctx.out.event({ type: 'step', step, status: 'fail', durationMs, detail, ...(isShipError(error) ? { code: error.code } : {}) });
        throw error;
      }
    },
  };
}

function record(ctx: ShipContext, t: StepTiming) {
  ctx.timings.push(t);
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

/** Runs the steps; listr2's own signal handling is off (it exits without cleanups), ship handles Ctrl-C. */
export async function runSteps(ctx: ShipContext, steps: ListrTask<ShipContext>[], render: RenderChoice): Promise<void> {
  const stream = ctx.out.human as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stream, stream) });
  const list = new Listr<ShipContext, 'default' | 'simple', 'simple'>(steps, {
    ctx,
    concurrent: false,
    exitOnError: true,
    registerSignalListeners: false,
    collectErrors: false,
    renderer: render.interactive ? 'default' : 'simple',
    fallbackRenderer: 'simple',
    rendererOptions: { collapseSubtasks: false, outputBar: 3, persistentOutput: false, logger } as never,
    fallbackRendererOptions: { logger, timestamp: undefined } as never,
  });
  await list.run();
}

/** Runs every registered cleanup once, newest first; never throws. */
export async function runCleanups(ctx: ShipContext): Promise<void> {
  const all = ctx.cleanups.splice(0).reverse();
  for (const c of all) {
    try {
      await c();
    } catch (e) {
      ctx.out.warn(`cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
