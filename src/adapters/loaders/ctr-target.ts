// One containerd that ship runs `ctr` against — a kind/k3d node (through docker exec) or this
// machine's socket — and what a failed ctr command says.

import type { Readable } from 'node:stream';
import { ShipError, InterruptedError } from '../../errors.js';

export interface CtrResult {
  exitCode: number;
  stdout: string;
  /** stderr, or the tail of combined output when the runner does not separate them. */
  stderr: string;
}

/** One containerd that ship can run `ctr` against (a node, or the host's socket). */
export interface CtrTarget {
  /** Node name (kind-control-plane) or socket path: shown to the user. */
  readonly name: string;
  /** Run `ctr <global args> ARGS`; the target adds its own address and namespace flags. */
  ctr(args: string[], opts: { stdin?: Readable; signal?: AbortSignal }): Promise<CtrResult>;
  /** The snapshotter the CRI plugin uses (images are unpacked for it). */
  snapshotter(signal?: AbortSignal): Promise<string>;
  /** A hint for failures of this target (where to look). */
  readonly hint: string;
}

export function ctrFailure(target: CtrTarget, what: string, r: CtrResult): ShipError {
  const text = (r.stderr || r.stdout).trim();
  const lines = text ? text.split('\n').slice(-15) : [];
  let hint = target.hint;
  if (/permission denied/i.test(text)) hint = `ship cannot open the containerd socket of ${target.name}: run as a user that may (usually root). ${hint}`;
  else if (/no such file|connection refused|connect: |failed to dial/i.test(text)) hint = `containerd does not answer at ${target.name}. ${hint}`;
  return new ShipError('load', `${what} on ${target.name} failed (ctr exit ${r.exitCode})${lines.length ? ': ' + lines[lines.length - 1] : ''}`, {
    hint,
    details: lines,
  });
}

export async function ctrOk(target: CtrTarget, what: string, args: string[], signal?: AbortSignal): Promise<string> {
  const r = await target.ctr(args, { signal });
  if (signal?.aborted) throw new InterruptedError();
  if (r.exitCode !== 0) throw ctrFailure(target, what, r);
  return r.stdout;
}

