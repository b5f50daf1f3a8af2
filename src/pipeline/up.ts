// `ship [dir]`: source → image → cluster → Ready pod → forward → first HTTP answer.
// Composition only: each step's logic lives in src/tasks/<step>.ts.

import type { ListrTask } from 'listr2';
import { buildTask } from '../tasks/build.js';
import { imageTask } from '../tasks/image.js';
import { loadTask } from '../tasks/load.js';
import { manifestTask } from '../tasks/manifest.js';
import { applyTask } from '../tasks/apply.js';
import { waitTask } from '../tasks/wait.js';
import { forwardTask } from '../tasks/forward.js';
import { smokeTask } from '../tasks/smoke.js';
import { checkTask, tagTask } from './prepare.js';
import { runSteps, runCleanups, timed, type RenderChoice } from './run.js';
import { printSummary } from './summary.js';
import type { ShipContext } from './context.js';

/** The deploy steps; `forward: false` leaves the forward out (ship dev keeps the one it opened). */
export function upSteps(opts: { forward?: boolean } = {}): ListrTask<ShipContext>[] {
  return [
    timed('check', checkTask()),
    timed('tag', tagTask()),
    timed('build', buildTask()),
    timed('image', imageTask()),
    timed('load', loadTask()),
    timed('manifest', manifestTask()),
    timed('apply', applyTask()),
    timed('wait', waitTask()),
    ...(opts.forward === false ? [] : [timed('forward', forwardTask())]),
    timed('smoke', skippable(smokeTask(), (ctx) => !ctx.opts.smoke && 'smoke · off (--no-smoke)')),
  ];
}

/**
 * Deploys and, unless the run is detached (CI, --detach), keeps the forward open until the signal
 * aborts. Cleanups run on every way out.
 */
export async function up(ctx: ShipContext, render: RenderChoice): Promise<void> {
  try {
    await runSteps(ctx, upSteps(), render);
    printSummary(ctx);
    if (ctx.opts.hold) {
      ctx.out.info(`Forwarding ${ctx.forward!.url} → pod/${ctx.forward!.pod}:${ctx.forward!.remotePort}. Press Ctrl-C to stop.`);
      await untilAborted(ctx.signal);
      ctx.out.info('Stopped the forward; the pod keeps running (ship delete removes it).');
    }
  } finally {
    await runCleanups(ctx);
  }
}

/** Adds a skip condition in front of a step's own. */
function skippable(t: ListrTask<ShipContext>, when: (ctx: ShipContext) => string | false): ListrTask<ShipContext> {
  const own = t.skip;
  return { ...t, skip: async (ctx) => when(ctx) || (typeof own === 'function' ? await own(ctx) : (own ?? false)) };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
