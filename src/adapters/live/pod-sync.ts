// Copying changed build output into a running container: a tar stream (tar-stream) fed to `tar -x`
// through the exec API, and removed files deleted with `rm` — commands as argument lists, never a
// shell string built from file names. The trigger file goes last, so DevTools restarts only once
// every other file is in place.

import { Writable, type Readable } from 'node:stream';
import { tarOf, type TarEntry } from './tar.js';
import { ShipError, errorMessage } from '../../errors.js';
import { execInPod, isMissingExecutable, type ExecOutcome } from '../kube/exec.js';
import type { Kube } from '../kube/client.js';

export interface PodTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** The argument lists run in the container (data, so tests check them without a cluster). */
export function extractCommand(dir: string): string[] {
  return ['tar', '-x', '-m', '-f', '-', '-C', dir];
}

export function removeCommand(dir: string, paths: string[]): string[] {
  return ['rm', '-f', '--', ...paths.map((p) => `${dir}/${p}`)];
}

/** Runs one command in the container; a non-zero exit or a command that never ran is an error with its output. */
async function run(kube: Kube, t: PodTarget, command: string[], stdin: Readable | null, signal?: AbortSignal): Promise<void> {
  let output = '';
  const collect = new Writable({
    write(chunk, _enc, cb) {
      if (output.length < 4000) output += String(chunk);
      cb();
    },
  });
  let outcome: ExecOutcome;
  try {
    outcome = await execInPod(kube, { ...t, command, stdin, stdout: collect, stderr: collect, tty: false, signal });
  } catch (e) {
    throw new ShipError('pod', `${command[0]} in ${t.pod}: ${errorMessage(e)}`, { cause: e });
  }
  if (outcome.kind === 'exited' && outcome.code === 0) return;
  const why =
    outcome.kind === 'failed'
      ? isMissingExecutable(outcome)
        ? `the image has no ${command[0]}`
        : outcome.message
      : `exit code ${outcome.code}${output.trim() ? `: ${output.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
  throw new ShipError('pod', `${command[0]} in ${t.pod}/${t.container} failed: ${why}`);
}

export interface SyncRequest {
  /** Where a changed file (relative to the classes directory) is on this machine. */
  source: (path: string) => string;
  /** The same directory in the container. */
  remoteDir: string;
  changed: string[];
  removed: string[];
  /** Written last (the restart trigger), with this content. */
  trigger?: { name: string; content: string };
  signal?: AbortSignal;
}

/** Puts the changed files (then the trigger) into the container and deletes the removed ones. */
export async function syncIntoPod(kube: Kube, target: PodTarget, req: SyncRequest): Promise<void> {
  if (req.removed.length > 0) await run(kube, target, removeCommand(req.remoteDir, req.removed), null, req.signal);
  const files: TarEntry[] = req.changed.map((name) => ({ name, from: req.source(name) }));
  if (req.trigger) files.push({ name: req.trigger.name, from: Buffer.from(req.trigger.content) });
  if (files.length === 0) return;
  await run(kube, target, extractCommand(req.remoteDir), tarOf(files), req.signal);
}
