// What a refused or failed Kubernetes API call says: the server's own message, and the ShipError
// naming the context and what ship tried to do.

import { ShipError, errorMessage } from '../../errors.js';
import type { Kube } from './client.js';

/** The message of an ApiException body, when there is one. */
export function apiMessage(e: unknown): string {
  const body = (e as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      /* not JSON */
    }
    if (body.trim()) return body.trim();
  } else if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return errorMessage(e);
}

export function clusterError(what: string, kube: Kube, e: unknown): ShipError {
  if (e instanceof ShipError) return e;
  const code = (e as { code?: number }).code;
  if (code === 403) {
    return new ShipError('cluster', `The cluster refused to ${what}: ${apiMessage(e)}`, {
      hint: `The user of context "${kube.context}" lacks the permission; check with: kubectl auth can-i --list`,
      cause: e,
    });
  }
  return new ShipError('cluster', `Could not ${what} (context "${kube.context}", ${kube.server}): ${apiMessage(e)}`, {
    hint: `Is the cluster running? Check with: kubectl --context ${kube.context} get nodes`,
    cause: e,
  });
}


/** The HTTP status of a failed call (ApiException's code, or a statusCode), when there is one. */
export function statusCode(e: unknown): number | undefined {
  const o = e as { code?: unknown; statusCode?: unknown } | undefined;
  const c = o?.code ?? o?.statusCode;
  return typeof c === 'number' ? c : undefined;
}
