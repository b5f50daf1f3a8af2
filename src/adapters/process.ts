// The process runner: the only place ship starts child processes (execa).
// Commands are data (cmd + args) so tasks and tests can check them without running anything.

import { execa } from 'execa';
import { InterruptedError } from '../errors.js';
import { endGroup, signalGroup } from './process-group.js';

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called with each line of combined stdout+stderr as it arrives. */
  onLine?: (line: string) => void;
  /** Text or stream fed to stdin. */
  input?: string | NodeJS.ReadableStream;
  /** How many trailing lines of output to keep in the result (default 60). */
  keepLines?: number;
  /** On abort: how long the process group has after SIGTERM before SIGKILL (default 5 s). */
  killGraceMs?: number;
}

export interface RunResult {
  exitCode: number;
  /** Last lines of combined output. */
  tail: string[];
  /** Whole stdout (for small commands such as `ctr images ls`). */
  stdout: string;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  startError?: NodeJS.ErrnoException;
}

export interface ProcessRunner {
  run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult>;
}

/** Process groups of the commands running now; whatever is left when ship exits is killed with them. */
const liveGroups = new Set<number>();
let exitHook = false;

function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!exitHook) {
    exitHook = true;
    // A second Ctrl-C exits at once, without waiting for the cleanups: no child may outlive ship.
    process.once('exit', () => liveGroups.forEach((g) => signalGroup(g, 'SIGKILL')));
  }
}

export const execaRunner: ProcessRunner = {
  async run(cmd, args, opts) {
    const keep = opts.keepLines ?? 60;
    const tail: string[] = [];
    let stdout = '';
    const proc = execa(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      extendEnv: opts.env === undefined,
      // No cancelSignal: an abort ends the whole group below (SIGTERM, grace, SIGKILL), not only
      // the direct child, and execa's forceKillAfterDelay would SIGKILL a JVM still shutting down.
      forceKillAfterDelay: false,
      // Its own process group, so an abort stops everything the command started: killing only the
      // direct child (a wrapper script) left its children running, holding the output pipe open, and
      // ship waited for them.
      detached: true,
      reject: false,
      all: true,
      buffer: { stdout: true, stderr: false, all: false },
      stripFinalNewline: false,
      ...(typeof opts.input === 'string'
        ? { input: opts.input }
        : opts.input
          ? // execa takes a Node stream only inside a list with 'pipe' (a bare stream must have a file descriptor).
            { stdin: ['pipe', opts.input as unknown as import('node:stream').Readable] as ['pipe', import('node:stream').Readable] }
          : { stdin: 'ignore' as const }),
    });
    const pid = proc.pid;
    // Graceful: SIGTERM to the group, SIGKILL after the grace period. run() returns only once the
    // whole group is gone; until then the exit hook covers ship dying (a second Ctrl-C).
    let ending: Promise<unknown> | undefined;
    const onAbort = () => {
      if (pid === undefined || ending) return;
      ending = endGroup(pid, opts.killGraceMs ?? 5000).finally(() => liveGroups.delete(pid));
    };
    if (pid !== undefined) trackGroup(pid);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    let result: Awaited<typeof proc>;
    try {
      for await (const line of proc.iterable({ from: 'all' })) {
        tail.push(line);
        if (tail.length > keep) tail.shift();
        opts.onLine?.(line);
      }
      result = await proc;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await ending;
      // Ended by itself: what it left running on purpose (a build daemon) is not ship's to stop.
      if (pid !== undefined && !opts.signal?.aborted) liveGroups.delete(pid);
    }
    if (opts.signal?.aborted) throw new InterruptedError();
    stdout = typeof result.stdout === 'string' ? result.stdout : '';
    const code = (result as { code?: string }).code;
    if (result.failed && result.exitCode === undefined && (code === 'ENOENT' || code === 'EACCES')) {
      return { exitCode: 127, tail, stdout, startError: result as unknown as NodeJS.ErrnoException };
    }
    return { exitCode: result.exitCode ?? 1, tail, stdout };
  },
};
