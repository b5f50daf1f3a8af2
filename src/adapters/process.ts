// The process runner: the only place ship starts child processes (execa).
// Commands are data (cmd + args) so tasks and tests can check them without running anything.

import { execa } from 'execa';
import { InterruptedError } from '../errors.js';

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

export const execaRunner: ProcessRunner = {
  async run(cmd, args, opts) {
    const keep = opts.keepLines ?? 60;
    const tail: string[] = [];
    let stdout = '';
    const proc = execa(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      extendEnv: opts.env === undefined,
      cancelSignal: opts.signal,
      forceKillAfterDelay: 3000,
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
    for await (const line of proc.iterable({ from: 'all' })) {
      tail.push(line);
      if (tail.length > keep) tail.shift();
      opts.onLine?.(line);
    }
    const result = await proc;
    if (opts.signal?.aborted) throw new InterruptedError();
    stdout = typeof result.stdout === 'string' ? result.stdout : '';
    const code = (result as { code?: string }).code;
    if (result.failed && result.exitCode === undefined && (code === 'ENOENT' || code === 'EACCES')) {
      return { exitCode: 127, tail, stdout, startError: result as unknown as NodeJS.ErrnoException };
    }
    return { exitCode: result.exitCode ?? 1, tail, stdout };
  },
};
