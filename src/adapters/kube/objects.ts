// What ship deployed for an app, found by the labels ship sets on everything it applies
// (app.kubernetes.io/managed-by=ship, app.kubernetes.io/name=<app>): listing, deleting, and
// waiting until it is gone. Also the little bit of plumbing every pod-life command shares: which
// app (from the project directory), which cluster and which namespace.
//
// Nothing here touches an object without both labels: a pod made by hand with a similar name is
// never listed, so it is never deleted.

import { isAbsolute, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { KubernetesObjectApi, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { ShipError, errorMessage, throwIfAborted } from '../../errors.js';
import { MANAGED_BY_LABEL, NAME_LABEL } from '../../core/manifest/kinds.js';
import { isPodReady } from '../../core/pod-ready.js';
import { projectName } from '../../core/project.js';
import { mergeFlags } from '../../core/config.js';
import { readConfig } from '../config-file.js';
import { fileView } from '../fs-view.js';
import { openKube, type Kube } from './client.js';

// ---------------------------------------------------------------------------------------------
// Selection (pure)

/** The label selector of everything ship applied for one app. */
export function appSelector(app: string): string {
  return `${MANAGED_BY_LABEL}=ship,${NAME_LABEL}=${app}`;
}

/** Whether an object carries ship's labels for this app (a second check on what the API returned). */
export function isShipObject(o: KubernetesObject, app: string): boolean {
  const labels = o.metadata?.labels ?? {};
  return labels[MANAGED_BY_LABEL] === 'ship' && labels[NAME_LABEL] === app;
}

export interface KindSpec {
  apiVersion: string;
  kind: string;
}

/**
 * The namespaced kinds ship may apply, in the order they are deleted: workloads first (so their
 * pods stop), then what they use. Kinds the server does not serve are skipped.
 */
export const SHIP_KINDS: KindSpec[] = [
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'v1', kind: 'ReplicationController' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
];

export interface FoundObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
  /** UID of the controller that owns it (a ReplicaSet's Deployment, a Pod's ReplicaSet or Job). */
  controllerUid?: string;
  /** Set when the object is already being deleted. */
  terminating: boolean;
}

export function toFound(kind: KindSpec, o: KubernetesObject, namespace: string): FoundObject {
  const owner = o.metadata?.ownerReferences?.find((r) => r.controller);
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: o.metadata?.name ?? '',
    namespace: o.metadata?.namespace ?? namespace,
    uid: o.metadata?.uid,
    controllerUid: owner?.uid,
    terminating: Boolean(o.metadata?.deletionTimestamp),
  };
}

export interface DeletionPlan {
  /** Objects to send a delete for: labelled, not owned by a controller (their owner's deletion cascades). */
  delete: FoundObject[];
  /** Objects that go away with their owner (pods of a ReplicaSet, ReplicaSets of a Deployment). */
  cascaded: FoundObject[];
}

/**
 * Which objects to delete directly. An object with a controller owner is left to the garbage
 * collector (deleting a Deployment's pod only makes the ReplicaSet create another one), unless
 * its owner is not among the labelled objects (then nothing else would remove it).
 */
export function planDeletion(found: FoundObject[]): DeletionPlan {
  const uids = new Set(found.map((o) => o.uid).filter(Boolean));
  const plan: DeletionPlan = { delete: [], cascaded: [] };
  for (const o of found) {
    if (o.controllerUid && uids.has(o.controllerUid)) plan.cascaded.push(o);
    else plan.delete.push(o);
  }
  return plan;
}

export function describeObject(o: { kind: string; name: string }): string {
  return `${o.kind}/${o.name}`;
}

// ---------------------------------------------------------------------------------------------
// The API (an interface so unit tests hand in a fake)

export interface ObjectsApi {
  /** Labelled objects of one kind in a namespace; [] when the server does not serve the kind. */
  list(kind: KindSpec, namespace: string, labelSelector: string): Promise<KubernetesObject[]>;
  /** Delete one object; an object that is already gone is not an error. */
  delete(o: FoundObject, opts: { gracePeriodSeconds?: number }): Promise<void>;
}

export function kubeObjectsApi(kube: Kube): ObjectsApi {
  const api = KubernetesObjectApi.makeApiClient(kube.kc);
  const unserved = new Set<string>();
  return {
    async list(kind, namespace, labelSelector) {
      const key = `${kind.apiVersion}/${kind.kind}`;
      if (unserved.has(key)) return [];
      try {
        const res = await api.list(kind.apiVersion, kind.kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
        return res.items ?? [];
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code === 404 || /Unrecognized API version and kind/.test(errorMessage(e))) {
          unserved.add(key);
          return [];
        }
        throw clusterError(`list ${kind.kind} objects in namespace "${namespace}"`, kube, e);
      }
    },
    async delete(o, opts) {
      try {
        await api.delete(
          { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, namespace: o.namespace } },
          undefined,
          undefined,
          opts.gracePeriodSeconds,
          undefined,
          'Background',
        );
      } catch (e) {
        if ((e as { code?: number }).code === 404) return;
        throw clusterError(`delete ${describeObject(o)} in namespace "${o.namespace}"`, kube, e);
      }
    },
  };
}

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

/** Every labelled object of the app in the namespace, over all the kinds ship applies. */
export async function listAppObjects(api: ObjectsApi, namespace: string, app: string): Promise<FoundObject[]> {
  const selector = appSelector(app);
  const lists = await Promise.all(SHIP_KINDS.map(async (k) => ({ k, items: await api.list(k, namespace, selector) })));
  const found: FoundObject[] = [];
  for (const { k, items } of lists) {
    for (const o of items) if (isShipObject(o, app)) found.push(toFound(k, o, namespace));
  }
  return found;
}

export interface DeleteAppOptions {
  api: ObjectsApi;
  namespace: string;
  app: string;
  /** Wait until every object (and what it owned) is gone. */
  wait: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  gracePeriodSeconds?: number;
  pollMs?: number;
  /** Progress: each delete sent, then what is still there while waiting. */
  onDeleted?: (o: FoundObject) => void;
  onWaiting?: (left: FoundObject[]) => void;
}

export interface DeleteAppResult {
  deleted: FoundObject[];
  cascaded: FoundObject[];
  /** Whether it waited until everything was gone. */
  waited: boolean;
}

/** Delete what ship applied for the app (by label) and, unless told not to, wait until it is gone. */
export async function deleteAppObjects(o: DeleteAppOptions): Promise<DeleteAppResult> {
  const found = await listAppObjects(o.api, o.namespace, o.app);
  const plan = planDeletion(found);
  for (const obj of plan.delete) {
    throwIfAborted(o.signal);
    if (!obj.terminating) await o.api.delete(obj, { gracePeriodSeconds: o.gracePeriodSeconds });
    o.onDeleted?.(obj);
  }
  if (!o.wait || found.length === 0) return { deleted: plan.delete, cascaded: plan.cascaded, waited: false };

  const deadline = Date.now() + o.timeoutMs;
  const pollMs = o.pollMs ?? 500;
  for (;;) {
    throwIfAborted(o.signal);
    const left = await listAppObjects(o.api, o.namespace, o.app);
    if (left.length === 0) return { deleted: plan.delete, cascaded: plan.cascaded, waited: true };
    o.onWaiting?.(left);
    if (Date.now() >= deadline) {
      throw new ShipError('timeout', `Still there after ${Math.round(o.timeoutMs / 1000)}s: ${left.map(describeObject).join(', ')}.`, {
        hint: 'Pods that ignore SIGTERM are killed after their grace period (30s by default); finalizers can hold objects forever. Look with: kubectl get ' + [...new Set(left.map((l) => l.kind.toLowerCase()))].join(',') + ` -n ${o.namespace} -l ${appSelector(o.app)}`,
      });
    }
    await sleep(pollMs, o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Which app, which cluster, which namespace: shared by status, logs, exec, why and delete.

export interface TargetFlags {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}

export interface Target {
  projectDir: string;
  app: string;
  selector: string;
  kube: Kube;
  namespace: string;
  /** The namespace came from --namespace or ship.yaml (not the context's default). */
  namespaceExplicit: boolean;
}

/**
 * Resolve the project directory, read ship.yaml for defaults (flags win), name the app and open
 * the kubeconfig (no network yet). The namespace is --namespace, else ship.yaml's, else the
 * context's.
 */
export async function openTarget(dir: string, flags: TargetFlags, io: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Target> {
  const projectDir = isAbsolute(dir) ? dir : resolve(io.cwd, dir);
  let isDir = false;
  try {
    isDir = statSync(projectDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new ShipError('project', `${projectDir} is not a directory.`, {
      hint: 'Give the project directory the app was deployed from (default: the current directory).',
    });
  }
  const { config } = await readConfig(projectDir);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  const typed = { ...flags, kubeconfig: flags.kubeconfig ? flags.kubeconfig.split(':').map(abs).join(':') : undefined };
  const merged = mergeFlags({ context: config.context, kubeconfig: config.kubeconfig, namespace: config.namespace }, typed);
  const kube = openKube({ kubeconfig: merged.kubeconfig, context: merged.context, env: io.env });
  const app = projectName(projectDir, fileView(projectDir));
  return {
    projectDir,
    app,
    selector: appSelector(app),
    kube,
    namespace: merged.namespace ?? kube.namespace,
    namespaceExplicit: merged.namespace !== undefined,
  };
}

/**
 * The app's pods in the target namespace. When there are none and the namespace was not given,
 * look in every namespace: a manifest may name its own. Exactly one other namespace → use it
 * (and say so through `onMoved`).
 */
export async function findAppPods(target: Target, onMoved?: (namespace: string) => void): Promise<V1Pod[]> {
  const { kube } = target;
  let pods: V1Pod[];
  try {
    pods = (await kube.core.listNamespacedPod({ namespace: target.namespace, labelSelector: target.selector })).items;
  } catch (e) {
    throw clusterError(`list the pods of "${target.app}" in namespace "${target.namespace}"`, kube, e);
  }
  if (pods.length > 0 || target.namespaceExplicit) return sortPods(pods);
  let all: V1Pod[];
  try {
    all = (await kube.core.listPodForAllNamespaces({ labelSelector: target.selector })).items;
  } catch {
    return [];
  }
  const namespaces = [...new Set(all.map((p) => p.metadata?.namespace ?? ''))].filter(Boolean);
  if (namespaces.length === 1) {
    target.namespace = namespaces[0];
    onMoved?.(namespaces[0]);
    return sortPods(all);
  }
  if (namespaces.length > 1) {
    throw new ShipError('usage', `"${target.app}" has pods in several namespaces: ${namespaces.join(', ')}.`, {
      hint: `Pick one with --namespace (e.g. -n ${namespaces[0]}).`,
    });
  }
  return [];
}

export function sortPods(pods: V1Pod[]): V1Pod[] {
  return [...pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** "nothing deployed" as an error for commands that need a pod (logs, exec, why). */
export function noPodsError(target: Target): ShipError {
  return new ShipError('pod', `ship has no pods of "${target.app}" in namespace "${target.namespace}" (context "${target.kube.context}").`, {
    hint: `Deploy it first: ship ${target.projectDir}  (or name a pod: ship logs POD)`,
  });
}

/**
 * The pod a command is about: the one named (exactly, or the single app pod whose name starts
 * with it), else the app's only pod, else its first Ready one.
 */
export async function choosePod(target: Target, name: string | undefined, onMoved?: (namespace: string) => void): Promise<V1Pod> {
  const { kube } = target;
  if (name) {
    try {
      return await kube.core.readNamespacedPod({ name, namespace: target.namespace });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw clusterError(`read pod "${name}"`, kube, e);
    }
    const pods = await findAppPods(target, onMoved);
    const matches = pods.filter((p) => p.metadata?.name?.startsWith(name));
    if (matches.length === 1) return matches[0];
    throw new ShipError('pod', `No pod "${name}" in namespace "${target.namespace}"${matches.length > 1 ? ` (several start with it: ${matches.map((p) => p.metadata?.name).join(', ')})` : ''}.`, {
      hint: pods.length ? `Pods of "${target.app}": ${pods.map((p) => p.metadata?.name).join(', ')}` : `ship status ${target.projectDir} lists what ship deployed.`,
    });
  }
  const pods = await findAppPods(target, onMoved);
  if (pods.length === 0) throw noPodsError(target);
  return pickPod(pods);
}

/** Of several pods: a Ready one that is not being deleted, else a running one, else the newest. */
export function pickPod(pods: V1Pod[]): V1Pod {
  const alive = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const ready = alive.find((p) => isPodReady(p));
  if (ready) return ready;
  const running = alive.find((p) => p.status?.phase === 'Running');
  if (running) return running;
  const byAge = [...(alive.length ? alive : pods)].sort((a, b) => created(b) - created(a));
  return byAge[0];
}

function created(p: V1Pod): number {
  const t = p.metadata?.creationTimestamp as unknown;
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'string') return Date.parse(t) || 0;
  return 0;
}

/** The container a command means: --container, else the pod's default-container annotation, else the first. */
export function chooseContainer(pod: V1Pod, wanted?: string): string {
  const names = pod.spec?.containers?.map((c) => c.name) ?? [];
  const podName = pod.metadata?.name ?? '';
  if (wanted) {
    const init = pod.spec?.initContainers?.map((c) => c.name) ?? [];
    if (names.includes(wanted) || init.includes(wanted)) return wanted;
    throw new ShipError('usage', `Pod "${podName}" has no container "${wanted}".`, { hint: `Its containers: ${[...names, ...init].join(', ')}.` });
  }
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  if (names.length === 0) throw new ShipError('pod', `Pod "${podName}" has no containers.`, { hint: 'Check its manifest.' });
  return names[0];
}

/**
 * `ship logs|exec|why [dir] [pod]`: with two words they are the directory and the pod; with one,
 * it is the directory when such a directory exists, else the pod name.
 */
export function splitDirAndPod(words: Array<string | undefined>, cwd: string, isDir: (p: string) => boolean = isDirectory): { dir: string; pod?: string } {
  const [first, second] = words.filter((w): w is string => w !== undefined && w !== '');
  if (first === undefined) return { dir: '.' };
  if (second !== undefined) return { dir: first, pod: second };
  return isDir(isAbsolute(first) ? first : resolve(cwd, first)) ? { dir: first } : { dir: '.', pod: first };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
