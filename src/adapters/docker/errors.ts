// How a dockerode error is classified: unreachable engine, abort, HTTP status, the engine's own words.

import { ShipError, errorMessage } from '../../errors.js';
import type { DockerEndpoint } from './endpoint.js';

export const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'ENOTFOUND']);

export function errnoOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export function unreachableError(ep: DockerEndpoint, e: unknown): ShipError {
  const code = errnoOf(e);
  let hint: string;
  if (code === 'EACCES' || code === 'EPERM') {
    hint = `You may not use ${ep.socketPath ?? ep.address}: run ship as a user in the "docker" group (sudo usermod -aG docker $USER, then log in again), or as root.`;
  } else if (ep.socketPath) {
    hint =
      'Start Docker: `sudo systemctl start docker` (Linux with systemd), start Docker Desktop (macOS/Windows), or run `sudo dockerd &`. ' +
      'If your engine listens elsewhere, set DOCKER_HOST (e.g. eval $(minikube docker-env)).';
  } else {
    hint = `Check that the engine at ${ep.address} is running and reachable (for minikube: minikube start, then eval $(minikube docker-env)); unset DOCKER_HOST to use the local engine.`;
  }
  return new ShipError('docker', `The Docker daemon is not reachable at ${ep.address}${code ? ` (${code})` : ''}.`, { hint, cause: e });
}

export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const name = (e as { name?: string } | undefined)?.name;
  return name === 'AbortError' || errnoOf(e) === 'ABORT_ERR';
}

export function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Docker's own message from a dockerode error: "(HTTP code 404) no such image - …" → the part after the dash. */
export function engineMessage(e: unknown): string {
  const json = (e as { json?: { message?: string } } | undefined)?.json;
  if (json && typeof json.message === 'string') return json.message;
  const msg = errorMessage(e).trim();
  const m = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(msg);
  return (m ? m[1]! : msg).trim();
}


/**
 * A connection that the engine closed in the middle of an answer: Node's `Error: aborted`
 * (ECONNRESET) from the response, a reset or broken pipe on the socket, a stream closed before its
 * end. What a daemon that is stopped during a build, a save, a push or an exec leaves behind.
 */
export function isDroppedConnection(e: unknown): boolean {
  if (statusOf(e) !== undefined) return false;
  const code = errnoOf(e);
  if (code && ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNREFUSED', 'ENOENT', 'ECONNABORTED', 'UND_ERR_SOCKET'].includes(code)) return true;
  const msg = errorMessage(e);
  return /^(aborted|socket hang up|premature close)$/i.test(msg.trim());
}

/** The engine went away while ship was in the middle of `during` ("the image build"). */
export function droppedError(ep: DockerEndpoint, during: string, e: unknown, details: string[] = []): ShipError {
  const code = errnoOf(e);
  const how = e instanceof ShipError ? `it stopped answering after: ${e.message}` : `the connection closed (${code ?? errorMessage(e)})`;
  return new ShipError('docker', `The Docker daemon at ${ep.address} stopped during ${during}: ${how}.`, {
    hint:
      'Check that dockerd is running (docker version; its log, e.g. journalctl -u docker), start it again and re-run ship. ' +
      'Intermediate containers a build left are removed by ship\'s next build.',
    cause: e,
    details,
  });
}

/**
 * A build failure that a daemon going down also causes: its RUN container killed (137, 143), the
 * build cancelled, or an output that just ended. Only then is it worth asking whether the engine
 * is still there.
 */
export function mayBeDaemonGoingDown(message: string): boolean {
  return /non-zero code: (137|143)\b|shutting down|context canceled|without reporting an image ID|connection reset|unexpected EOF/i.test(message);
}
