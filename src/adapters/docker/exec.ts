// Runs a command in a running container with streamed stdin (docker exec over a hijacked
// connection), collecting its demultiplexed output and its exit code.

import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { InterruptedError, ShipError, errorMessage } from '../../errors.js';
import { sleep } from '../../core/sleep.js';
import type { ExecResult } from './api.js';
import { engineMessage, statusOf } from './errors.js';

export async function runExec(
  docker: Docker,
  containerId: string,
  cmd: string[],
  opts: { stdin?: NodeJS.ReadableStream; signal?: AbortSignal; maxOutputBytes?: number },
): Promise<ExecResult> {
  const { stdin, signal } = opts;
  if (signal?.aborted) throw new InterruptedError();
  const max = opts.maxOutputBytes ?? 16 * 1024 * 1024;
  const container = docker.getContainer(containerId);
  const exec = await container
    .exec({ Cmd: cmd, AttachStdin: stdin !== undefined, AttachStdout: true, AttachStderr: true, Tty: false })
    .catch((e: unknown) => {
      const s = statusOf(e);
      if (s === 404 || s === 409) throw new ShipError('load', `Cannot run ${cmd[0]} in container ${containerId}: ${engineMessage(e)}`, { cause: e });
      throw e;
    });
  // hijack: the engine upgrades the HTTP connection to a raw stream: stdin goes up it, and
  // stdout/stderr come down multiplexed (8-byte frame headers).
  const sock = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: false } as Docker.ExecStartOptions)) as unknown as Duplex;

  const out = collector(max);
  const err = collector(max);
  const stdoutPipe = new PassThrough();
  const stderrPipe = new PassThrough();
  stdoutPipe.on('data', out.add);
  stderrPipe.on('data', err.add);
  docker.modem.demuxStream(sock, stdoutPipe, stderrPipe);

  let stdinDone = stdin === undefined;
  let writeError: unknown;
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (e) reject(e);
      else resolve();
    };
    const onAbort = () => {
      sock.destroy();
      settle(new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // The engine may close while stdin is still being written (the command exited early):
    // that EPIPE is not the command's failure, its exit code tells.
    sock.on('error', (e) => {
      writeError = e;
      settle();
    });
    sock.on('end', () => settle());
    sock.on('close', () => settle());
    if (stdin) {
      stdin.on('error', (e) => {
        sock.destroy();
        settle(new ShipError('load', `Reading the input for ${cmd.join(' ')} failed: ${errorMessage(e)}`, { cause: e }));
      });
      stdin.on('end', () => (stdinDone = true));
      // pipe() ends the socket's writable side at EOF: a TCP/unix half-close, which the engine
      // turns into EOF on the command's stdin while the output keeps coming back.
      stdin.pipe(sock);
    } else {
      sock.end();
    }
  });
  if (stdin && !stdinDone) {
    stdin.unpipe(sock);
    (stdin as unknown as { destroy?: () => void }).destroy?.();
  }

  // The exit code is recorded a moment after the stream closes.
  let exitCode: number | null = null;
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) {
      exitCode = info.ExitCode;
      break;
    }
    await sleep(50);
  }
  if (exitCode === null) {
    throw new ShipError('load', `${cmd.join(' ')} in container ${containerId} did not report an exit code.`, {
      details: [err.text().slice(-2000)],
      ...(writeError ? { cause: writeError } : {}),
    });
  }
  return { exitCode, stdout: out.text(), stderr: err.text() };
}

function collector(max: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = 0;
  return {
    add: (c: Buffer) => {
      if (size + c.length <= max) {
        chunks.push(c);
        size += c.length;
      } else dropped += c.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8') + (dropped ? `\n[… ${dropped} more bytes not kept]` : ''),
  };
}

