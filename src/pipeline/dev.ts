// `ship dev`: the inner loop. Deploy, then watch the sources; on a change rebuild and redeploy
// while the forward stays on the same local port (it follows the app's pods by label). A failed
// build or deploy is reported and the loop goes on; the last good pod keeps serving unless the
// apply had already replaced it (a Pod cannot be updated in place; a Deployment rolls over and
// keeps the old pod until the new one is Ready). Ctrl-C stops everything.

import { watch, type FSWatcher } from 'node:fs';
import { relative, sep } from 'node:path';
import { isShipError } from '../errors.js';
import { upSteps } from './up.js';
import { runCleanups, runSteps, type RenderChoice } from './run.js';
import { printSummary } from './summary.js';
import type { ShipContext } from './context.js';

/** Paths whose changes never trigger a rebuild: build output, VCS, editors' scratch files. */
const IGNORED = /(^|\/)(build|target|out|bin|\.gradle|\.git|\.idea|\.vscode|node_modules)(\/|$)|(~|\.swp|\.swx|\.tmp|#)$/;

export function isSourceChange(projectDir: string, file: string): boolean {
  const rel = relative(projectDir, file).split(sep).join('/');
  return rel !== '' && !rel.startsWith('..') && !IGNORED.test(rel);
}

/** Calls `fire` once changes have been quiet for `ms`. */
export function debounce(ms: number, fire: (files: string[]) => void): (file: string) => void {
  let timer: NodeJS.Timeout | undefined;
  let files = new Set<string>();
  return (file) => {
    files.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const batch = [...files];
      files = new Set();
      fire(batch);
    }, ms);
  };
}

export interface DevHooks {
  /** Streams the app's logs until the returned stop is called (between deploys). */
  followLogs?: (ctx: ShipContext) => Promise<() => Promise<void>>;
  /** Deletes what was deployed (--cleanup). */
  cleanup?: (ctx: ShipContext) => Promise<void>;
}

export async function dev(ctx: ShipContext, render: RenderChoice, hooks: DevHooks = {}, debounceMs = 500): Promise<void> {
  let stopLogs: (() => Promise<void>) | undefined;
  let watcher: FSWatcher | undefined;
  let deployed = false;
  const once = async (n: number) => {
    resetRun(ctx);
    // The forward is opened by the first successful run and then kept: it follows new pods.
    const steps = upSteps({ forward: !ctx.forward });
    try {
      await runSteps(ctx, steps, render);
      printSummary(ctx);
      deployed = true;
      if (hooks.followLogs) stopLogs = await hooks.followLogs(ctx);
    } catch (e) {
      if (ctx.signal.aborted) return;
      const why = isShipError(e) ? `${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}` : String(e);
      ctx.out.warn(`run ${n} failed: ${why}`);
      for (const d of isShipError(e) ? e.details : []) ctx.out.info('  ' + d);
      ctx.out.info(deployed ? 'The last good deploy keeps serving. Fix the sources; ship redeploys on save.' : 'Fix the sources; ship redeploys on save.');
    }
  };
  try {
    await once(1);
    let run = 1;
    let busy: Promise<void> = Promise.resolve();
    let queued: string[] | undefined;
    const trigger = (files: string[]) => {
      if (queued) {
        queued.push(...files);
        return;
      }
      queued = files;
      busy = busy.then(async () => {
        const batch = queued!;
        queued = undefined;
        if (ctx.signal.aborted) return;
        run += 1;
        ctx.out.info(`\nchange: ${batch.slice(0, 3).map((f) => relative(ctx.opts.projectDir, f)).join(', ')}${batch.length > 3 ? ` and ${batch.length - 3} more` : ''} → redeploying`);
        await stopLogs?.();
        stopLogs = undefined;
        await once(run);
      });
    };
    const onChange = debounce(debounceMs, trigger);
    watcher = watch(ctx.opts.projectDir, { recursive: true, signal: ctx.signal }, (_event, name) => {
      if (!name) return;
      const file = `${ctx.opts.projectDir}/${name.toString()}`;
      if (isSourceChange(ctx.opts.projectDir, file)) onChange(file);
    });
    watcher.on('error', () => undefined); // the AbortSignal closing the watcher reports an AbortError
    ctx.out.info(`Watching ${ctx.opts.projectDir} for changes. Press Ctrl-C to stop.`);
    await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
    await busy.catch(() => undefined);
  } finally {
    watcher?.close();
    await stopLogs?.();
    await runCleanups(ctx);
    if (hooks.cleanup && deployed) {
      ctx.out.info('--cleanup: deleting what ship deployed');
      await hooks.cleanup(ctx);
    }
  }
}

/** Forgets what one run produced; keeps the connections (kube, docker), the project and the forward. */
function resetRun(ctx: ShipContext): void {
  for (const k of ['imagePlan', 'image', 'build', 'load', 'manifest', 'applied', 'appliedAt', 'readyPods', 'smoke'] as const) delete ctx[k];
  ctx.timings = [];
}
