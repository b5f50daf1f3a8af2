// What ship deployed for an app, as the API lists it: the label selector ship sets on everything it
// applies (app.kubernetes.io/managed-by=ship, app.kubernetes.io/name=<app>), the kinds it may
// apply, and which of the labelled objects to delete directly. Pure.
//
// Nothing here accepts an object without both labels: a pod made by hand with a similar name is
// never listed, so it is never deleted.

import type { KubernetesObject } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, NAME_LABEL } from './manifest/kinds.js';
import { helmReleaseName } from './render-plan.js';

/** The label selector of everything ship applied for one app. */
export function appSelector(app: string): string {
  return `${MANAGED_BY_LABEL}=ship,${NAME_LABEL}=${app}`;
}

/** Helm's label for the release; a chart's objects carry the chart's name as their name label. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * Every selector of what ship applied for one app: its name label, and — for a Helm chart, which
 * keeps its own name label (selectors use it) — the release, which ship names after the app.
 */
export function appSelectors(app: string): string[] {
  return [appSelector(app), `${MANAGED_BY_LABEL}=ship,${INSTANCE_LABEL}=${helmReleaseName(app)}`];
}

/** Whether an object carries ship's labels for this app (a second check on what the API returned). */
export function isShipObject(o: KubernetesObject, app: string): boolean {
  const labels = o.metadata?.labels ?? {};
  return labels[MANAGED_BY_LABEL] === 'ship' && (labels[NAME_LABEL] === app || labels[INSTANCE_LABEL] === helmReleaseName(app));
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
