// `ship dev [dir]`: deploy, then live-update (or redeploy) on every source change, forward kept on the same port.

import type { CommandIo } from './io.js';
import type { RawFlags } from '../core/options.js';
import { effectiveOptions } from './options.js';
import { createOutput } from '../pipeline/output.js';
import { newContext } from '../pipeline/new-context.js';
import { explainSink } from '../pipeline/explain.js';
import { dev } from '../pipeline/dev.js';
import { LiveDev, debugPortFlag } from '../pipeline/live.js';

export interface DevFlags extends RawFlags {
  cleanup?: boolean;
  debounce?: string;
  /** --no-live sets false. */
  live?: boolean;
  debug?: boolean;
  debugPort?: string;
}

export async function runDevCommand(dir: string, flags: DevFlags, io: CommandIo, typed?: (key: keyof RawFlags) => boolean): Promise<number> {
  const opts = { ...(await effectiveOptions(dir, flags, io, typed)), hold: false };
  const debugPort = await debugPortFlag(flags);
  const out = createOutput({ json: opts.json, stdout: io.stdout, stderr: io.stderr });
  const ctx = newContext(opts, out, io);
  if (opts.explain) ctx.explain = explainSink(out);
  const live = new LiveDev({ live: flags.live !== false, ...(debugPort ? { debugPort } : {}) });
  const { followAppLogs } = await import('./logs.js');
  const { deleteApp } = await import('./delete.js');
  await dev(ctx, { interactive: false }, {
    // From sinceMs on (after a failed run: where the stream stopped), else since the last apply.
    followLogs: (d, sinceMs) => followAppLogs({ kube: d.kube, app: d.app, namespace: d.namespace, sinceMs: sinceMs ?? d.appliedAt }, ctx),
    cleanup: flags.cleanup ? (d) => deleteApp(d, ctx.out) : undefined,
    deployOptions: live.deployOptions(),
    afterDeploy: (r) => live.afterDeploy(ctx, r),
    beforeRedeploy: (files, savedAt) => live.update(ctx, files, savedAt),
    watch: (isBusy, redeploy) => live.watchPods(ctx, isBusy, redeploy),
  }, 300);
  return 0;
}
