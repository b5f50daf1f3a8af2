// `ship dev`: the inner loop. Deploy, then watch the sources; on a change rebuild and redeploy
// while the forward stays on the same local port (it follows the app's pods by label). A failed
// build or deploy is reported and the loop goes on; the last good pod keeps serving unless the
// apply had already replaced it (a Pod cannot be updated in place; a Deployment rolls over and
// keeps the old pod until the new one is Ready). Ctrl-C stops everything.

import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { watchSources, type SourceWatcher } from '../adapters/source-watch.js';
import { InterruptedError, isShipError } from '../errors.js';
import type { ForwardInfo } from '../core/model.js';
import { deploy, type DeployOptions, type Deployed, type RunResult } from './up.js';
import { runCleanups, type RenderChoice } from './run.js';
import { printSummary, type SummaryFacts } from './summary.js';
import type { RunContext } from './context.js';
import { lockProject } from './project-lock.js';
import { pruneAfterDeploy } from './dev-prune.js';

/** Build output directories: ignored outside the sources (a Java package may well be called `build`). */
const OUTPUT_DIRS = new Set(['build', 'target', 'out', 'bin']);
/** Tools' own directories, ignored anywhere. */
const TOOL_DIRS = new Set(['.gradle', '.git', '.idea', '.vscode', 'node_modules']);
/** Editors' scratch files: backups, swap files, lock files, vim's write probe, JetBrains' safe-write copies. */
const SCRATCH = /(~|\.sw[a-px]|\.tmp|#|___jb_(tmp|old)___)$|^\.#|^4913$/;

/** Whether a change to `file` (absolute, or relative to projectDir) should trigger a rebuild. */
export function isSourceChange(projectDir: string, file: string): boolean {
  const rel = relative(projectDir, resolve(projectDir, file)).split(sep).join('/');
  if (rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) return false;
  const parts = rel.split('/');
  if (SCRATCH.test(parts.at(-1)!)) return false;
  let inSources = false;
  for (const part of parts) {
    if (TOOL_DIRS.has(part)) return false;
    if (!inSources && OUTPUT_DIRS.has(part)) return false;
    if (part === 'src') inSources = true;
  }
  return true;
}

/** Calls `fire` once changes have been quiet for `ms`; `cancel()` drops what is pending. */
export function debounce(ms: number, fire: (files: string[]) => void): ((file: string) => void) & { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let files = new Set<string>();
  const onChange = (file: string) => {
    files.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const batch = [...files];
      files = new Set();
      fire(batch);
    }, ms);
  };
  return Object.assign(onChange, {
    cancel() {
      clearTimeout(timer);
      files = new Set();
    },
  });
}

/** What dev reads of a run's result. */
export type DevRun = Pick<RunResult, 'forward' | 'deployed'> & Partial<Pick<RunResult, 'loader' | 'load' | 'manifest'>> & SummaryFacts;

export interface DevHooks {
  /**
   * Streams the app's logs until the returned stop is called (between deploys): lines from
   * `sinceMs` on when given, else since that deploy's apply.
   */
  followLogs?: (deployed: Deployed, sinceMs?: number) => Promise<() => Promise<void>>;
  /** Deletes what was deployed (--cleanup). */
  cleanup?: (deployed: Deployed) => Promise<void>;
  /** One run (default: ship's deploy, up.ts; with `forward` once the forward is open). */
  deploy?: (ctx: RunContext, render: RenderChoice, o: DeployOptions) => Promise<DevRun>;
  /** After each successful deploy (default: remove ship's older images of the app, dev-prune.ts). */
  prune?: (ctx: RunContext, r: DevRun) => Promise<void>;
  /** Extra steps of every run (live update's dev image, --debug's forward). */
  deployOptions?: Pick<DeployOptions, 'imageExtra' | 'afterSmoke'>;
  /** After each successful run (live update starts its session). */
  afterDeploy?: (r: DevRun) => Promise<void>;
  /** A batch of saves, before it redeploys: true when it was handled without a redeploy (live update). */
  beforeRedeploy?: (files: string[], savedAt: number) => Promise<boolean>;
  /** Background work that may ask for a redeploy, with the reason (a replaced pod); returns its stop. */
  watch?: (isBusy: () => boolean, redeploy: (reason: string) => void) => () => void;
}

/** A first run that fails in the check step cannot be fixed by editing the sources (Docker, kubeconfig, cluster, port). */
function endsTheLoop(e: unknown, failedStep: string | undefined): boolean {
  return failedStep === 'check' && !(isShipError(e) && e.code === 'project');
}

/** How long stopping the log stream may take before dev goes on without it. */
const LOG_STOP_MS = 5000;

export async function dev(ctx: RunContext, render: RenderChoice, hooks: DevHooks = {}, debounceMs = 500): Promise<void> {
  // The session rebuilds the project at any save: it holds the project until it ends.
  const release = await lockProject(ctx, 'ship dev');
  try {
    await devLoop(ctx, render, hooks, debounceMs);
  } finally {
    await release();
  }
}

async function devLoop(ctx: RunContext, render: RenderChoice, hooks: DevHooks, debounceMs: number): Promise<void> {
  const deployRun = hooks.deploy ?? deploy;
  /** The forward the first successful run opened; later runs keep it (it follows the new pods). */
  let forward: ForwardInfo | undefined;
  /** What the latest apply put on the cluster (logs follow it, --cleanup deletes it). */
  let lastDeployed: Deployed | undefined;
  let stopLogs: (() => Promise<void>) | undefined;
  let logsStoppedAt: number | undefined;
  let watcher: SourceWatcher | undefined;
  let deployed = false;
  let appliedSomething = false;
  let interruptedMidRun = false;
  let stopped = false;

  const pauseLogs = async () => {
    const stop = stopLogs;
    stopLogs = undefined;
    if (stop) {
      logsStoppedAt = Date.now();
      // A stream that does not end must not hold up the next deploy or Ctrl-C.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), LOG_STOP_MS)));
      const how = await Promise.race([stop().then(() => 'stopped' as const, () => 'stopped' as const), late]);
      clearTimeout(timer);
      if (how === 'late') ctx.out.warn(`the app's log stream did not stop within ${LOG_STOP_MS / 1000} s; going on without it`);
    }
  };

  const once = async (n: number) => {
    try {
      const r = await deployRun(ctx, render, {
        ...hooks.deployOptions,
        // The forward is opened by the first run that gets that far and then kept: it follows new pods.
        forward,
        onForward: (f) => (forward = f),
        onApplied: (d) => {
          lastDeployed = d;
          appliedSomething ||= d.objects.length > 0;
        },
      });
      appliedSomething = true;
      printSummary(ctx, r);
      deployed = true;
      await hooks.afterDeploy?.(r);
      ctx.out.event({ type: 'dev-run', run: n, ok: true, url: forward?.url, image: r.image?.ref, pods: r.readyPods });
      if (hooks.followLogs) stopLogs = await hooks.followLogs(r.deployed);
      await (hooks.prune ?? pruneAfterDeploy)(ctx, r);
    } catch (e) {
      if (ctx.signal.aborted) {
        interruptedMidRun = true;
        return;
      }
      const failedStep = ctx.timings.find((t) => t.status === 'failed')?.step;
      if (n === 1 && endsTheLoop(e, failedStep)) throw e;
      const why = isShipError(e) ? `${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}` : String(e);
      ctx.out.warn(`run ${n} failed: ${why}`);
      for (const d of isShipError(e) ? e.details : []) ctx.out.info('  ' + d);
      ctx.out.info(deployed ? 'The last good deploy keeps serving. Fix the sources; ship redeploys on save.' : 'Fix the sources; ship redeploys on save.');
      ctx.out.event({
        type: 'dev-run',
        run: n,
        ok: false,
        step: failedStep,
        ...(isShipError(e) ? { code: e.code, exitCode: e.exitCode, error: e.message, hint: e.hint } : { code: 'internal', exitCode: 1, error: String(e) }),
      });
      // Between deploys the logs stream again: the pod that is there now (the last good one, or
      // the new one that failed) from where the stream stopped.
      if (deployed && lastDeployed && hooks.followLogs) stopLogs = await hooks.followLogs(lastDeployed, logsStoppedAt);
    }
  };

  let run = 1;
  let queued: string[] | undefined;
  /** When the first save of the queued batch happened; the reason when a redeploy was asked for (not a save). */
  let queuedAt = 0;
  let forced: string | undefined;
  let firstSave: number | undefined;
  let working = false;
  let busy: Promise<void> = Promise.resolve();
  const trigger = (files: string[], reason?: string) => {
    if (stopped) return;
    const savedAt = firstSave ?? Date.now();
    firstSave = undefined;
    if (reason) forced = reason;
    if (queued) {
      queued.push(...files);
      return;
    }
    queued = files;
    queuedAt = savedAt;
    // Runs one after the other; a change during a run (the first one too) queues the next.
    busy = busy
      .catch(() => undefined)
      .then(async () => {
        const batch = queued!;
        const at = queuedAt;
        const why = forced;
        queued = undefined;
        forced = undefined;
        if (stopped || ctx.signal.aborted) return;
        working = true;
        try {
          // Live update first; it says why when the batch needs the full rebuild.
          if (!why && deployed && hooks.beforeRedeploy && (await hooks.beforeRedeploy(batch, at))) return;
          if (stopped || ctx.signal.aborted) return;
          run += 1;
          const what = why ?? `change: ${batch.slice(0, 3).map((f) => relative(ctx.opts.projectDir, f)).join(', ')}${batch.length > 3 ? ` and ${batch.length - 3} more` : ''}`;
          ctx.out.info(`\n${what} → redeploying`);
          await pauseLogs();
          await once(run);
        } finally {
          working = false;
        }
      });
  };
  const debounced = debounce(debounceMs, (files) => trigger(files));
  const onChange = Object.assign(
    (file: string) => {
      firstSave ??= Date.now();
      debounced(file);
    },
    { cancel: () => debounced.cancel() },
  );
  let stopWatch: (() => void) | undefined;
  try {
    // Watching starts before the first deploy: an edit saved while it runs is not lost.
    const root = ctx.opts.projectDir;
    watcher = watchSources(root, {
      signal: ctx.signal,
      onChange: (file) => isSourceChange(root, file) && onChange(file),
      skipDir: (rel) => !isSourceChange(root, join(root, rel)),
    });
    busy = once(1);
    await busy;
    stopWatch = hooks.watch?.(() => working || queued !== undefined, (reason) => trigger([], reason));
    if (!ctx.signal.aborted) ctx.out.info(`Watching ${ctx.opts.projectDir} for changes. Press Ctrl-C to stop.`);
    await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
    let last: Promise<void> | undefined;
    while (last !== busy) {
      last = busy;
      await busy.catch(() => undefined);
    }
    // Ctrl-C before anything was ever deployed: the same exit as ship's (130).
    if (interruptedMidRun && !deployed) throw new InterruptedError();
  } finally {
    stopped = true;
    stopWatch?.();
    onChange.cancel();
    watcher?.close();
    await pauseLogs();
    await runCleanups(ctx);
    if (hooks.cleanup && appliedSomething && lastDeployed) {
      ctx.out.info('--cleanup: deleting what ship deployed');
      await hooks.cleanup(lastDeployed);
    }
  }
}
