// Server-side apply of the rendered manifest (field manager "ship", force, strict field validation).
//
// Each object is sent exactly as rendered (JSON, which is valid apply-patch YAML), never through
// client-node's model serializer: that serializer drops unknown fields, and the server can only
// report a typo it actually receives. client-node still does the parts it is good at: discovery
// (KubernetesObjectApi.resource, reached through a subclass), the kubeconfig's authentication and
// TLS (authMethods + its fetch library).

import { InterruptedError, ShipError, errorMessage, throwIfAborted } from '../../errors.js';
import { sleep } from '../../core/sleep.js';
import type { RenderedManifest, RenderedObject } from '../../core/manifest/types.js';
import type { ObjectRef } from '../../core/model.js';
import { SERVICE_ACCOUNT_WAIT_MS, missingServiceAccount } from '../../core/service-account.js';
import type { Kube } from './client.js';
import { credentialsRejected } from './errors.js';
import { kubeRest, type ApiResponse, type KubeRest, type RequestOptions } from './rest.js';


export interface AppliedObject extends ObjectRef {
  /** created, configured (changed), unchanged, or recreated (a Pod refused an in-place change). */
  result: 'created' | 'configured' | 'unchanged' | 'recreated';
}

export interface ApplyOptions {
  /** Namespace for namespaced objects whose manifest names none. */
  namespace: string;
  fieldManager?: 'ship';
  /** Ask the server to validate and compute the result without persisting it (dryRun=All). */
  dryRun?: boolean;
  signal?: AbortSignal;
  onInfo?: (msg: string) => void;
  /** How long to wait for a refused Pod to be gone before recreating it (default 120 s). */
  deleteTimeoutMs?: number;
  /** How long to wait for a namespace's ServiceAccount a Pod was refused for lacking (default 30 s). */
  serviceAccountWaitMs?: number;
  /** How often to look for it meanwhile (default 500 ms). */
  serviceAccountPollMs?: number;
}

// ---------------------------------------------------------------------------------------------

/** Why a Pod was refused: the first field our manifest sets differently from the live Pod (image aside). */
export function changedPodField(live: unknown, wanted: unknown, path = 'spec'): string | undefined {
  if (path.endsWith('.image')) return undefined;
  if (Array.isArray(wanted)) {
    if (!Array.isArray(live) || live.length !== wanted.length) return path;
    for (let i = 0; i < wanted.length; i++) {
      const d = changedPodField(live[i], wanted[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return path;
    for (const [k, v] of Object.entries(wanted)) {
      const d = changedPodField((live as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  // Scalars: the API server turns numbers-as-strings and the like into canonical forms; compare loosely.
  return String(live) === String(wanted) ? undefined : path;
}

function statusMessage(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return typeof body === 'string' && body ? body.slice(0, 500) : 'no message';
}

function isPodImmutableRefusal(status: number, body: unknown): boolean {
  return status === 422 && /pod updates may not change fields/i.test(statusMessage(body));
}

function isStrictValidationFailure(status: number, body: unknown): boolean {
  // Strict decoding answers 400/422; server-side apply of a field missing from the schema answers
  // 500 "failed to create typed patch object ... field not declared in schema" (seen on 1.34).
  if (status < 400) return false;
  return /unknown field|strict decoding error|field not declared in schema|duplicate field/i.test(statusMessage(body));
}

function missingNamespace(status: number, body: unknown): string | undefined {
  if (status !== 404) return undefined;
  const details = (body as { details?: { kind?: string; name?: string } } | undefined)?.details;
  if (details?.kind === 'namespaces' && details.name) return details.name;
  const m = /namespaces "([^"]+)" not found/.exec(statusMessage(body));
  return m?.[1];
}

function apiPath(apiVersion: string, resource: string, namespace: string | undefined, name?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}


/** Strip what the server fills in, to compare two versions of an object. */
function comparable(obj: any): string {
  if (!obj || typeof obj !== 'object') return JSON.stringify(obj);
  const { metadata = {}, status: _status, ...rest } = obj;
  const { managedFields: _m, resourceVersion: _r, generation: _g, creationTimestamp: _c, ...meta } = metadata;
  return JSON.stringify({ ...rest, metadata: meta });
}

interface Target {
  obj: RenderedObject;
  path: string;
  namespace?: string;
  what: string;
  where: string;
}

/**
 * Apply every rendered object with server-side apply and say what happened to each. A Pod that
 * refuses an in-place change (most of its spec is immutable) is deleted and created again.
 */
export async function applyObjects(
  kube: Kube,
  rendered: RenderedManifest,
  opts: ApplyOptions & { rest?: KubeRest },
): Promise<AppliedObject[]> {
  const rest = opts.rest ?? kubeRest(kube);
  const fieldManager = opts.fieldManager ?? 'ship';
  // Namespaces first, so objects in a namespace the manifest creates can land in it.
  const ordered = [...rendered.objects].sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  const results: AppliedObject[] = [];

  const call = async (method: 'GET' | 'PATCH' | 'DELETE', path: string, ro: RequestOptions = {}): Promise<ApiResponse> => {
    if (opts.signal?.aborted) throw new InterruptedError();
    try {
      return await rest.request(method, path, { ...ro, signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw new InterruptedError();
      throw new ShipError('cluster', `The API server (${kube.server}) did not answer ${method} ${path}: ${errorMessage(e)}`, {
        hint: `Is the cluster running? Check with: kubectl --context ${kube.context} get nodes`,
        cause: e,
      });
    }
  };

  for (const obj of ordered) {
    const target = await resolveTarget(rest, kube, obj, opts);
    const before = await call('GET', target.path);
    if (before.status !== 200 && before.status !== 404) throw applyError(target, before, kube);
    const live = before.status === 200 ? before.body : undefined;

    // A Pod whose image changes is replaced, not updated in place: an in-place image swap keeps the
    // Pod Ready with the old container answering until the kubelet restarts it, so the wait and
    // smoke steps could pass against the old version.
    const swapped = obj.kind === 'Pod' && live && !opts.dryRun ? changedImage(live.spec, (obj.body as { spec?: unknown }).spec) : undefined;
    if (swapped && live) await deletePodAndWait(call, target, live, opts);
    let response = await patchOnceAccountExists(call, target, fieldManager, opts.dryRun, opts, kube);
    let result: AppliedObject['result'];
    if (swapped && response.status >= 200 && response.status < 300) {
      opts.onInfo?.(`pod ${obj.name}: recreated (new image for container ${swapped})`);
      result = 'recreated';
    } else if (response.status >= 200 && response.status < 300) {
      result = !live ? 'created' : sameVersion(live, response.body, opts.dryRun) ? 'unchanged' : 'configured';
    } else if (obj.kind === 'Pod' && live && isPodImmutableRefusal(response.status, response.body)) {
      const field = changedPodField(live.spec, (obj.body as { spec?: unknown }).spec) ?? 'fields other than the image';
      if (!opts.dryRun) {
        await deletePodAndWait(call, target, live, opts);
        response = await patchOnceAccountExists(call, target, fieldManager, false, opts, kube);
        if (response.status < 200 || response.status >= 300) throw applyError(target, response, kube);
      }
      opts.onInfo?.(`pod ${obj.name}: recreated (a Pod cannot change ${field} in place)`);
      result = 'recreated';
    } else {
      throw applyError(target, response, kube);
    }
    results.push({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.name,
      ...(target.namespace ? { namespace: target.namespace } : {}),
      result,
    });
  }
  return results;
}

/** The name of the first container (or init container) whose image differs between live and wanted. */
export function changedImage(live: unknown, wanted: unknown): string | undefined {
  const images = (spec: any) => {
    const m = new Map<string, string>();
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) m.set(c?.name, c?.image);
    return m;
  };
  const before = images(live);
  for (const [name, image] of images(wanted)) {
    if (before.has(name) && before.get(name) !== image) return name;
  }
  return undefined;
}

function sameVersion(live: any, applied: any, dryRun?: boolean): boolean {
  // A dry run never bumps resourceVersion, so compare the content instead.
  if (dryRun) return comparable(live) === comparable(applied);
  return live?.metadata?.resourceVersion === applied?.metadata?.resourceVersion;
}

async function resolveTarget(rest: KubeRest, kube: Kube, obj: RenderedObject, opts: ApplyOptions): Promise<Target> {
  const where = `${obj.source.file}`;
  let resource;
  try {
    resource = await rest.resource(obj.apiVersion, obj.kind);
  } catch (e) {
    if (opts.signal?.aborted) throw new InterruptedError();
    resource = undefined;
    const msg = errorMessage(e);
    if (!/404|not found/i.test(msg)) {
      throw new ShipError('cluster', `Could not ask the cluster about ${obj.apiVersion} ${obj.kind}: ${msg}`, {
        hint: `Is the cluster running? Check with: kubectl --context ${kube.context} api-resources`,
        cause: e,
      });
    }
  }
  if (!resource) {
    throw new ShipError('manifest', `${where}: the cluster does not know ${obj.kind} in ${obj.apiVersion} (${obj.kind} ${obj.name}).`, {
      hint: `Check apiVersion and kind (kubectl --context ${kube.context} api-resources lists what the cluster serves); a custom resource needs its CRD installed first.`,
    });
  }
  const namespace = resource.namespaced ? (obj.namespace ?? opts.namespace) : undefined;
  const what = `${obj.kind.toLowerCase()}/${obj.name}`;
  return { obj, namespace, what, where, path: apiPath(obj.apiVersion, resource.name, namespace, obj.name) };
}

function patch(call: (m: 'PATCH', p: string, o: RequestOptions) => Promise<ApiResponse>, t: Target, fieldManager: string, dryRun?: boolean) {
  return call('PATCH', t.path, {
    query: { fieldManager, force: 'true', fieldValidation: 'Strict', ...(dryRun ? { dryRun: 'All' } : {}) },
    // JSON is YAML: the body reaches the server exactly as rendered, unknown fields included.
    contentType: 'application/apply-patch+yaml',
    body: JSON.stringify(t.obj.body),
  });
}

/**
 * Apply; when the API server refuses a Pod because its namespace's ServiceAccount does not exist
 * yet (a new namespace, the controller-manager just restarted), wait for the ServiceAccount — it is
 * created by kube-controller-manager — and apply again. Bounded: when it never comes, say so and
 * name the controller-manager.
 */
async function patchOnceAccountExists(
  call: (m: 'GET' | 'PATCH', p: string, o?: RequestOptions) => Promise<ApiResponse>,
  t: Target,
  fieldManager: string,
  dryRun: boolean | undefined,
  opts: ApplyOptions,
  kube: Kube,
): Promise<ApiResponse> {
  const response = await patch(call, t, fieldManager, dryRun);
  const missing = missingServiceAccount(response.status, statusMessage(response.body));
  if (!missing) return response;
  const namespace = missing.namespace ?? t.namespace ?? opts.namespace;
  const account = `ServiceAccount "${missing.name}" of namespace "${namespace}"`;
  if (missing.name !== 'default') {
    // One the manifest names: nothing creates it by itself.
    throw new ShipError('apply', `The cluster refused ${t.obj.kind} ${t.obj.name}: the ${account} it runs as does not exist.`, {
      hint: `Create the ServiceAccount "${missing.name}" in namespace "${namespace}" (put it in your manifests before the ${t.obj.kind}), or remove serviceAccountName from the pod spec.`,
      details: [`API server: ${statusMessage(response.body)}`],
    });
  }
  const waitMs = opts.serviceAccountWaitMs ?? SERVICE_ACCOUNT_WAIT_MS;
  opts.onInfo?.(`${t.what}: waiting for the ${account} (kube-controller-manager creates it)`);
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(missing.name)}`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const sa = await call('GET', path);
    if (sa.status === 200) return patch(call, t, fieldManager, dryRun);
    if (Date.now() >= deadline) break;
    await sleep(opts.serviceAccountPollMs ?? 500, opts.signal);
    throwIfAborted(opts.signal);
  }
  throw new ShipError(
    'cluster',
    `The cluster refused ${t.obj.kind} ${t.obj.name}: the ${account} does not exist, and it did not appear within ${Math.round(waitMs / 1000)} s.`,
    {
      hint: `kube-controller-manager creates the "default" ServiceAccount of every new namespace: it does not seem to be running (kind, minikube, k3d: kubectl --context ${kube.context} -n kube-system get pods; a host install: its service and log). Once it runs, the ServiceAccount appears and ship can deploy pods into "${namespace}".`,
      details: [`API server: ${statusMessage(response.body)}`],
    },
  );
}

/**
 * Delete a Pod and wait until it is gone. The grace period is 1 s rather than the default 30 s:
 * the Pod is being replaced by a new version of the same app on a local cluster, there is no
 * traffic to drain, and an app whose PID 1 ignores SIGTERM (a shell-form ENTRYPOINT) would
 * otherwise hold every redeploy for half a minute.
 */
async function deletePodAndWait(
  call: (m: 'GET' | 'DELETE', p: string, o?: RequestOptions) => Promise<ApiResponse>,
  t: Target,
  live: any,
  opts: ApplyOptions,
): Promise<void> {
  const uid: string | undefined = live?.metadata?.uid;
  const del = await call('DELETE', t.path, {
    contentType: 'application/json',
    body: JSON.stringify({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 1,
      ...(uid ? { preconditions: { uid } } : {}),
    }),
  });
  if (del.status !== 200 && del.status !== 202 && del.status !== 404 && del.status !== 409) {
    throw new ShipError('apply', `Could not delete ${t.what} to recreate it: ${statusMessage(del.body)}`, {
      hint: `Delete it yourself (kubectl delete ${t.what}${t.namespace ? ` -n ${t.namespace}` : ''}) and run ship again.`,
    });
  }
  const deadline = Date.now() + (opts.deleteTimeoutMs ?? 120_000);
  for (;;) {
    const now = await call('GET', t.path);
    if (now.status === 404) return;
    if (now.status === 200 && uid && now.body?.metadata?.uid !== uid) return; // already replaced by someone else
    if (Date.now() > deadline) {
      throw new ShipError('apply', `${t.what} is still terminating after ${Math.round((opts.deleteTimeoutMs ?? 120_000) / 1000)} s; it must be gone before ship can recreate it.`, {
        hint: `Look at it with: kubectl describe ${t.what}${t.namespace ? ` -n ${t.namespace}` : ''} (a finalizer or a stuck node can hold it).`,
      });
    }
    await sleep(250, opts.signal);
    throwIfAborted(opts.signal);
  }
}

function applyError(t: Target, res: ApiResponse, kube: Kube): ShipError {
  const message = statusMessage(res.body);
  const label = `${t.obj.kind} ${t.obj.name}`;
  if (isStrictValidationFailure(res.status, res.body)) {
    return new ShipError('manifest', `${t.where}: the cluster rejected ${label}: ${message}`, {
      hint: 'Fix the field name or its indentation in the manifest (the API server validates fields strictly).',
    });
  }
  if (res.status === 401) return credentialsRejected(kube, message);
  if (res.status === 403) {
    return new ShipError('apply', `The cluster refused to apply ${label} (403): ${message}`, {
      hint: `The user of context "${kube.context}" may not change ${t.obj.kind} objects${t.namespace ? ` in namespace ${t.namespace}` : ''}; check RBAC with: kubectl auth can-i patch ${t.obj.kind.toLowerCase()}${t.namespace ? ` -n ${t.namespace}` : ''}`,
    });
  }
  const ns = missingNamespace(res.status, res.body);
  if (ns) {
    return new ShipError('apply', `The namespace "${ns}" does not exist (applying ${label}).`, {
      hint: `Create it with: kubectl --context ${kube.context} create namespace ${ns} — or pick another with --namespace.`,
    });
  }
  return new ShipError('apply', `The cluster refused ${label} from ${t.where} (${res.status}): ${message}`, {
    hint: res.status === 422 ? 'The object is invalid for the API server; fix the manifest as the message says.' : `Retry with kubectl apply --server-side -f ${t.where} to see the same answer.`,
  });
}
