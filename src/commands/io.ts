// What the CLI hands every command: where it runs, its environment, its terminal and streams,
// and the signal that Ctrl-C aborts. Commands never reach for process.* themselves.
import type { Writable } from 'node:stream';

export interface CommandIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  signal: AbortSignal;
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadStream;
}
