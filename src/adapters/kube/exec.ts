// Running a command in a container through client-node's Exec (the pods/exec websocket).
//
// The exit status arrives as a V1Status on the status channel: Success → 0, NonZeroExitCode →
// the code in its causes; anything else means the command never ran (no such executable, the
// container is not running) and is reported as a failure with the runtime's message.
// With a TTY, the caller's stdout must be the real terminal stream: client-node then sends its
// size and every resize on channel 4 itself.

import { Writable, type Readable } from 'node:stream';
import { Exec, type V1Status } from '@kubernetes/client-node';
import { ShipError, errorMessage } from '../../errors.js';
import type { Kube } from './client.js';

export type ExecOutcome = { kind: 'exited'; code: number } | { kind: 'failed'; message: string; reason?: string };

/** The outcome an exec's V1Status stands for. Pure. */
export function execOutcome(status: V1Status | undefined): ExecOutcome {
  if (!status) return { kind: 'failed', message: 'the connection closed before the command reported an exit status' };
  if (status.status === 'Success') return { kind: 'exited', code: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { kind: 'exited', code };
    return { kind: 'exited', code: 1 };
  }
  return { kind: 'failed', message: status.message ?? 'the command could not be started', reason: status.reason };
}

/** Whether a failed exec means the image has no such program (bash on busybox or alpine). */
export function isMissingExecutable(outcome: ExecOutcome): boolean {
  return outcome.kind === 'failed' && /executable file not found|no such file or directory/i.test(outcome.message);
}

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** null: no stdin at all. */
  stdin: Readable | null;
  stdout: Writable;
  stderr: Writable;
  tty: boolean;
  signal?: AbortSignal;
}

/**
 * A Writable that passes data on without ever ending its target: client-node ends the streams it
 * was given when the command finishes, which must not close the caller's own stdout.
 */
function keepOpen(target: Writable): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      if (target.write(chunk)) cb();
      else target.once('drain', () => cb());
    },
  });
}

/** Run the command; resolves with its outcome once the websocket closes. */
export async function execInPod(kube: Kube, req: ExecRequest): Promise<ExecOutcome> {
  let status: V1Status | undefined;
  // With a TTY stdout must be the terminal itself (client-node reads rows/columns and 'resize' from it).
  const isTerminal = (s: Writable) => 'rows' in s && 'columns' in s;
  const stdout = req.tty && isTerminal(req.stdout) ? req.stdout : keepOpen(req.stdout);
  const stderr = req.tty ? null : keepOpen(req.stderr);
  const stdin = req.stdin;
  const dataBefore = stdin ? new Set(stdin.listeners('data')) : new Set();
  const endBefore = stdin ? new Set(stdin.listeners('end')) : new Set();

  let ws: Awaited<ReturnType<Exec['exec']>>;
  try {
    ws = await new Exec(kube.kc).exec(req.namespace, req.pod, req.container, req.command, stdout, stderr, stdin, req.tty, (s) => {
      status = s;
    });
  } catch (e) {
    detachStdin();
    throw connectError(req, e);
  }

  function detachStdin() {
    if (!stdin) return;
    for (const l of stdin.listeners('data')) if (!dataBefore.has(l)) stdin.removeListener('data', l as (...a: unknown[]) => void);
    for (const l of stdin.listeners('end')) if (!endBefore.has(l)) stdin.removeListener('end', l as (...a: unknown[]) => void);
    stdin.pause();
  }

  return new Promise<ExecOutcome>((resolve) => {
    let settled = false;
    const finish = (o: ExecOutcome) => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      detachStdin();
      resolve(o);
    };
    const onAbort = () => {
      ws.close();
      finish({ kind: 'exited', code: 130 });
    };
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('close', () => finish(execOutcome(status)));
    ws.on('error', (e: Error) => finish({ kind: 'failed', message: errorMessage(e) }));
  });
}

function connectError(req: ExecRequest, e: unknown): ShipError {
  // The websocket library rejects with an ErrorEvent (not an Error): "Unexpected server response: 404".
  const msg = (e as { message?: unknown })?.message ? String((e as { message: unknown }).message) : errorMessage(e);
  const code = Number(/server response: (\d{3})/.exec(msg)?.[1]);
  const target = `${req.pod}/${req.container}`;
  if (code === 404) {
    return new ShipError('pod', `Cannot exec into ${target}: the pod is gone (HTTP 404).`, { hint: 'ship status lists the current pods.', cause: e });
  }
  if (code === 400 || /container not found|is not running|ContainerCreating/i.test(msg)) {
    return new ShipError('pod', `Cannot exec into ${target}: the container is not running (${msg}).`, {
      hint: `ship status shows its state, ship why ${req.pod} why it is not running.`,
      cause: e,
    });
  }
  if (code === 401 || code === 403) {
    return new ShipError('cluster', `Cannot exec into ${target}: the cluster refused it (HTTP ${code}).`, { hint: 'The kubeconfig user needs the pods/exec permission (create).', cause: e });
  }
  return new ShipError('cluster', `Cannot exec into ${target}: ${msg}`, { hint: 'Is the cluster reachable? kubectl get pods says.', cause: e });
}
