// One ship run at a time per project: two at once share the build output directory, and a jar
// half-written by one could become the other's image for these sources (issue 9, item 1).
// A one-shot run waits for another one-shot run (its image is then usually already built, and
// this run skips the build); `ship dev` holds the project for its whole session, so a run that
// finds one refuses at once, naming it. The lock itself is src/adapters/run-lock.ts.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShipError } from '../errors.js';
import { acquireRunLock, type LockHolder } from '../adapters/run-lock.js';
import { cacheDirectory } from '../core/cache-dir.js';
import { humanDuration } from '../core/kubectl-format.js';
import { cap } from '../core/text.js';
import type { StepEnv } from '../tasks/types.js';
import { homeDirectory } from '../adapters/home.js';

export type ShipCommand = 'ship' | 'ship dev';

/** Where the locks live: ship's cache directory, else a per-user directory under the temp dir. */
export function lockDirectory(env: NodeJS.ProcessEnv): string {
  const cache = cacheDirectory(env, env.HOME ?? homeDirectory());
  return cache ? join(cache, 'locks') : join(tmpdir(), `ship-locks-${process.getuid?.() ?? 'user'}`);
}

/** Takes the project for this run; resolves with its release. Throws ShipError('busy') when it cannot. */
export async function lockProject(run: Pick<StepEnv, 'opts' | 'out' | 'env' | 'signal'>, command: ShipCommand): Promise<() => Promise<void>> {
  const { opts, out } = run;
  let told = false;
  let refused: { holder?: LockHolder; waitedMs: number } | undefined;
  const lock = await acquireRunLock({
    dir: lockDirectory(run.env),
    projectDir: opts.projectDir,
    holder: { pid: process.pid, command, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    signal: run.signal,
    onBusy: (holder, waitedMs) => {
      // ship dev never lets go by itself; a one-shot run is waited for as long as --timeout.
      if (holder?.command === 'ship dev' || waitedMs >= opts.timeoutMs) {
        refused = { holder, waitedMs };
        return false;
      }
      if (!told) {
        told = true;
        out.info(`waiting: ${describeHolder(holder)} is building or deploying ${opts.projectDir}; this run goes on when it is done.`);
      }
      return true;
    },
  });
  if (lock) return () => lock.release();
  if (run.signal.aborted) return async () => undefined; // the steps that follow see the abort
  const holder = refused?.holder;
  throw new ShipError('busy', `${cap(describeHolder(holder))} is using ${opts.projectDir}${refused && refused.waitedMs > 0 ? ` (waited ${humanDuration(refused.waitedMs)})` : ''}.`, {
    hint:
      holder?.command === 'ship dev'
        ? `ship dev rebuilds and redeploys this project on every save: use it, or stop it (Ctrl-C in its terminal, or kill ${holder.pid}) before running ship here.`
        : `Two builds of one project at once would overwrite each other's output. Wait for it to finish, or stop it${holder ? ` (kill ${holder.pid})` : ''}.`,
  });
}

function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'another ship run';
  return `${h.command} (pid ${h.pid}${h.namespace ? `, namespace ${h.namespace}` : ''})`;
}

