// `ship exec [dir] [pod] [-- CMD…]`: a command, or a shell, in the app's pod. On a terminal it is a
// real interactive one (raw mode, window size and resizes, the terminal restored on exit); the
// command's exit status becomes ship's. Without a command it opens bash, or sh when the image has
// no bash (said so).

import { Writable } from 'node:stream';
import type { CommandIo } from './io.js';
import { createOutput } from '../pipeline/output.js';
import { ShipError } from '../errors.js';
import { chooseContainer } from '../core/pod-choice.js';
import { choosePod, openTarget, type TargetFlags } from './target.js';
import { execInPod, isMissingExecutable, type ExecOutcome } from '../adapters/kube/exec.js';

export interface ExecFlags extends TargetFlags {
  container?: string;
  /** commander's --no-tty gives tty: false. */
  tty?: boolean;
}

/** The shell to open after probing for bash: bash, sh (with a note), or an error. Pure. */
export function chooseShell(probe: ExecOutcome): { command: string[]; note?: string } {
  if (probe.kind === 'exited') return { command: ['bash'] };
  if (isMissingExecutable(probe)) return { command: ['sh'], note: 'This image has no bash; opening sh instead.' };
  throw new ShipError('pod', `Cannot start a shell in the container: ${probe.message}`, {
    hint: 'The container must be running (ship status); give a command after -- to run something else.',
  });
}

/** The exit status ship returns for an exec outcome; a program that is not in the image is 127 like a shell's. */
export function exitStatus(outcome: ExecOutcome, command: string[], where = 'the container'): { code: number; message?: string } {
  if (outcome.kind === 'exited') return { code: outcome.code };
  if (isMissingExecutable(outcome)) return { code: 127, message: `"${command[0]}" is not in the image of ${where} (${outcome.message.replace(/^.*exec failed: /, '')}).` };
  if (/container not found|not running/i.test(outcome.message)) {
    throw new ShipError('pod', `${capital(where)} is not running, so nothing can be run in it.`, {
      hint: 'ship status shows its state; ship why says why it is not running.',
      details: [outcome.message],
    });
  }
  throw new ShipError('pod', `The command could not be started in ${where}: ${outcome.message}`, { hint: 'Check that the container is running: ship status.' });
}

/** Whether to open a terminal: stdin and stdout are terminals and --no-tty was not given. */
export function wantsTty(io: { stdin: object; stdout: object }, flag: boolean | undefined): boolean {
  const isTTY = (s: object) => Boolean((s as { isTTY?: boolean }).isTTY);
  return flag !== false && isTTY(io.stdin) && isTTY(io.stdout);
}

const discard = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

export async function runExecCommand(dir: string, podName: string | undefined, command: string[], flags: ExecFlags, io: CommandIo): Promise<number> {
  const out = createOutput({ json: false, stdout: io.stderr, stderr: io.stderr });
  const target = await openTarget(dir, flags, io);
  const pod = await choosePod(target, podName, (ns) => out.info(`("${target.app}" runs in namespace ${ns})`));
  const name = pod.metadata!.name!;
  const container = chooseContainer(pod, flags.container);
  const base = { namespace: target.namespace, pod: name, container };
  const where = `container "${container}" of pod ${name}`;

  let cmd = command;
  if (cmd.length === 0) {
    // Ask for bash without touching stdin, so a fallback to sh still gets all of it.
    const probe = await execInPod(target.kube, { ...base, command: ['bash', '-c', 'exit 0'], stdin: null, stdout: discard(), stderr: discard(), tty: false, signal: io.signal });
    if (probe.kind === 'failed' && !isMissingExecutable(probe)) exitStatus(probe, ['bash'], where);
    const shell = chooseShell(probe);
    if (shell.note) out.info(shell.note);
    cmd = shell.command;
  }

  const tty = wantsTty(io, flags.tty);
  const stdin = io.stdin;
  const raw = tty && typeof stdin.setRawMode === 'function';
  if (raw) stdin.setRawMode(true);
  let outcome: ExecOutcome;
  try {
    outcome = await execInPod(target.kube, { ...base, command: cmd, stdin, stdout: io.stdout, stderr: io.stderr, tty, signal: io.signal });
  } finally {
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  }
  const status = exitStatus(outcome, cmd, where);
  if (status.message) out.info(status.message);
  return status.code;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
