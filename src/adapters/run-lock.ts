// One ship run at a time per project directory. Two runs of the same project share its build
// output (target/, build/libs): run at once, their builds overwrite each other and a half-written
// jar can end up in an image tagged with the sources' hash. The lock is proper-lockfile's (a
// directory made atomically, its mtime refreshed while held, so a killed run's lock goes stale);
// beside it a small file says who holds it, so the second run can name the first.

import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';


export interface LockHolder {
  pid: number;
  /** `ship` or `ship dev`. */
  command: string;
  namespace?: string;
  /** ms since the epoch. */
  since: number;
}

export type Acquired = { release(): Promise<void> };

export interface RunLockOptions {
  /** Directory for lock files (ship's cache directory). */
  dir: string;
  projectDir: string;
  holder: Omit<LockHolder, 'since'>;
  /** Called while another run holds the lock; returns whether to keep waiting (false: give up). */
  onBusy(holder: LockHolder | undefined, waitedMs: number): boolean;
  signal: AbortSignal;
  /** How often to try again while the lock is held (ms). */
  pollMs?: number;
  /** A lock not refreshed for this long belongs to a run that died (ms). */
  staleMs?: number;
  now?: () => number;
}

/** A stable key per project directory (its real path). */
export function lockKey(projectDir: string): string {
  let real = projectDir;
  try {
    real = realpathSync(projectDir);
  } catch {
    // a directory that does not exist fails later, in the check step, with its own message
  }
  return createHash('sha256').update(real).digest('hex').slice(0, 16);
}

/** The path proper-lockfile locks, and the file naming the holder. */
export function lockPaths(dir: string, projectDir: string): { target: string; holderFile: string } {
  const key = lockKey(projectDir);
  return { target: join(dir, `${key}.project`), holderFile: join(dir, `${key}.holder.json`) };
}

/**
 * Takes the project's lock, waiting while another live run holds it for as long as `onBusy` says;
 * resolves undefined when `onBusy` gave up or the signal aborted.
 */
export async function acquireRunLock(opts: RunLockOptions): Promise<Acquired | undefined> {
  const now = opts.now ?? Date.now;
  const { target, holderFile } = lockPaths(opts.dir, opts.projectDir);
  mkdirSync(opts.dir, { recursive: true });
  // proper-lockfile locks a file path; the path itself need not hold anything.
  writeFileSync(target, opts.projectDir + '\n');
  const started = now();
  for (;;) {
    if (opts.signal.aborted) return undefined;
    try {
      const release = await lockfile.lock(target, {
        stale: opts.staleMs ?? 10_000,
        update: Math.max(1000, Math.floor((opts.staleMs ?? 10_000) / 2)),
        retries: 0,
        realpath: false,
        // A refresh that fails (the directory removed under us) must not throw out of a timer.
        onCompromised: () => undefined,
      });
      writeFileSync(holderFile, JSON.stringify({ ...opts.holder, since: now() } satisfies LockHolder));
      return {
        async release() {
          rmSync(holderFile, { force: true });
          await release().catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    }
    if (!opts.onBusy(readHolder(holderFile), now() - started)) return undefined;
    await pause(opts.pollMs ?? 500, opts.signal);
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
