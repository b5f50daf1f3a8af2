// What a refused or failed Kubernetes API call says: the server's own message, and the ShipError
// naming the context and what ship tried to do. The one place an API failure is classified:
// 401 (the credentials were not accepted: kubeconfig, exit 7), 403 (RBAC), no answer at all
// (is the cluster running?).

import { ShipError, errorMessage } from '../../errors.js';

/** Which cluster a call went to: the kubeconfig's context and the API server's address. */
export interface ClusterTarget {
  context: string;
  server: string;
}

/** The message of an ApiException body, when there is one. */
export function bodyMessage(e: unknown): string | undefined {
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
  return undefined;
}

/** The server's message when the body has one, else the error's own. */
export function apiMessage(e: unknown): string {
  return bodyMessage(e) ?? errorMessage(e);
}

/**
 * The API server answered 401: it does not accept the kubeconfig's credentials (an expired or
 * revoked token, a client certificate from another cluster). Retrying cannot help; a fresh
 * kubeconfig does.
 */
export function credentialsRejected(kube: ClusterTarget, serverSays?: string): ShipError {
  const says = serverSays && serverSays !== 'Unauthorized' ? `: ${serverSays}` : '';
  return new ShipError('kubeconfig', `The cluster (${kube.server}) refused ship's credentials for context "${kube.context}" (401 Unauthorized)${says}.`, {
    hint:
      `The token or client certificate of context "${kube.context}" is not accepted: it has probably expired or been revoked, ` +
      `or the kubeconfig belongs to an earlier incarnation of this cluster. Refresh the kubeconfig (kind export kubeconfig, minikube update-context, ` +
      `k3d kubeconfig merge, or a new token from your cluster's admin), then check with: kubectl --context ${kube.context} get nodes`,
  });
}

export function clusterError(what: string, kube: ClusterTarget, e: unknown): ShipError {
  if (e instanceof ShipError) return e;
  const code = statusCode(e);
  if (code === 401) return credentialsRejected(kube, bodyMessage(e));
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

/** The cluster did not answer the first question ship asks it (its version), or refused it. */
export function unreachableError(kube: ClusterTarget, e: unknown): ShipError {
  if (e instanceof ShipError) return e;
  if (statusCode(e) === 401) return credentialsRejected(kube, bodyMessage(e));
  const code = statusCode(e);
  const why = code === undefined ? errorMessage(e) : `HTTP ${code}: ${apiMessage(e)}`;
  return new ShipError('cluster', `The cluster of context "${kube.context}" (${kube.server}) cannot be reached: ${why}`, {
    hint: 'Is the cluster running? Check with: kubectl --context ' + kube.context + ' get nodes',
    cause: e,
  });
}

/** The HTTP status of a failed call (ApiException's code, or a statusCode), when there is one. */
export function statusCode(e: unknown): number | undefined {
  const o = e as { code?: unknown; statusCode?: unknown } | undefined;
  const c = o?.code ?? o?.statusCode;
  return typeof c === 'number' ? c : undefined;
}
