// What the wait step waits for, computed from the rendered manifest (pure).

import { MANAGED_BY_LABEL, NAME_LABEL, POD_TEMPLATE_PATHS } from './manifest/kinds.js';

export interface ManifestObjectLike {
  kind: string;
  body: Record<string, unknown>;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

function spec(o: ManifestObjectLike): Record<string, unknown> {
  const s = o.body.spec;
  return s && typeof s === 'object' ? (s as Record<string, unknown>) : {};
}

/**
 * How many pods must be Ready (or, for Jobs, done):
 * Pod → 1; Deployment, ReplicaSet, ReplicationController, StatefulSet → spec.replicas ?? 1;
 * DaemonSet → 1 (ship targets single-node local clusters: one pod per node is one pod);
 * Job → min(spec.parallelism ?? 1, spec.completions ?? ∞) (its pods count when Ready or Succeeded);
 * CronJob → 0 (nothing runs until its schedule fires). Other kinds run no pods.
 */
export function expectedPods(objects: ManifestObjectLike[]): number {
  let n = 0;
  for (const o of objects) {
    const s = spec(o);
    switch (o.kind) {
      case 'Pod':
        n += 1;
        break;
      case 'Deployment':
      case 'ReplicaSet':
      case 'ReplicationController':
      case 'StatefulSet':
        n += num(s.replicas) ?? 1;
        break;
      case 'DaemonSet':
        n += 1;
        break;
      case 'Job': {
        const parallelism = num(s.parallelism) ?? 1;
        const completions = num(s.completions);
        n += completions === undefined ? parallelism : Math.min(parallelism, completions);
        break;
      }
    }
  }
  return n;
}


/**
 * The label selector for the app's pods. The manifest step labels every pod template with
 * managed-by=ship and, when it has none, name=<app>; a template that already had a name label keeps
 * its own value, so the selector uses the values the templates really carry.
 */
export function podSelector(objects: ManifestObjectLike[], app: string): string {
  const names = new Set<string>();
  for (const o of objects) {
    const path = POD_TEMPLATE_PATHS[o.kind];
    if (!path) continue;
    let node: unknown = o.body;
    for (const k of [...path, 'metadata', 'labels']) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
    const v = node && typeof node === 'object' ? (node as Record<string, unknown>)[NAME_LABEL] : undefined;
    names.add(typeof v === 'string' ? v : app);
  }
  if (names.size === 0) names.add(app);
  const list = [...names].sort();
  return list.length === 1
    ? `${MANAGED_BY_LABEL}=ship,${NAME_LABEL}=${list[0]}`
    : `${MANAGED_BY_LABEL}=ship,${NAME_LABEL} in (${list.join(',')})`;
}

interface PodLike {
  metadata?: {
    name?: string;
    uid?: string;
    labels?: Record<string, string>;
    creationTimestamp?: Date | string;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
  };
}

/** Where a Deployment's rollout stands, as its controller reports it. */
export interface RolloutFacts {
  /**
   * The controller has seen the Deployment's latest spec (status.observedGeneration ≥
   * metadata.generation): the ReplicaSet for it exists, and ReplicaSets older than it are outgoing.
   */
  settled: boolean;
  /** pod-template-hash of the ReplicaSet of the Deployment's current revision, once settled. */
  currentHash?: string;
}

/**
 * Pods of a Deployment's older ReplicaSets while a newer one rolls out. The Deployment replaces
 * them, so the wait neither waits for them nor fails on them (an old pod still crash-looping from
 * the last, broken deploy must not fail the fixed one). A ReplicaSet named "<deployment>-<hash>"
 * (hash = the pods' pod-template-hash label) belongs to that Deployment.
 *
 * Which ReplicaSet is current comes from the controller when `rollouts` has the Deployment: until
 * it has seen the new spec, none of its pods is judged yet (right after apply, the only pods may
 * be the old, crashing ones); then every pod of another hash is outgoing. Without those facts (the
 * Deployment could not be read) the ReplicaSet with the most recently created pod is the current one.
 */
export function outgoingPods<P extends PodLike>(pods: P[], rollouts?: Map<string, RolloutFacts>): Set<P> {
  const groups = new Map<string, Map<string, { newest: number; hash: string; pods: P[] }>>();
  for (const p of pods) {
    const owner = p.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'ReplicaSet');
    const hash = p.metadata?.labels?.['pod-template-hash'];
    if (!owner || !hash || !owner.name.endsWith(`-${hash}`)) continue;
    const deployment = owner.name.slice(0, -(hash.length + 1));
    const rsMap = groups.get(deployment) ?? new Map<string, { newest: number; hash: string; pods: P[] }>();
    groups.set(deployment, rsMap);
    const created = p.metadata?.creationTimestamp;
    const t = created instanceof Date ? created.getTime() : created ? Date.parse(created) : 0;
    const rs = rsMap.get(owner.name) ?? { newest: 0, hash, pods: [] };
    rs.newest = Math.max(rs.newest, Number.isNaN(t) ? 0 : t);
    rs.pods.push(p);
    rsMap.set(owner.name, rs);
  }
  const out = new Set<P>();
  for (const [deployment, rsMap] of groups) {
    const facts = rollouts?.get(deployment);
    if (facts && !facts.settled) {
      for (const rs of rsMap.values()) for (const p of rs.pods) out.add(p);
      continue;
    }
    if (facts?.currentHash) {
      for (const rs of rsMap.values()) if (rs.hash !== facts.currentHash) for (const p of rs.pods) out.add(p);
      continue;
    }
    if (rsMap.size < 2) continue;
    const current = [...rsMap.entries()].sort((a, b) => b[1].newest - a[1].newest || (a[0] < b[0] ? -1 : 1))[0][0];
    for (const [name, rs] of rsMap) if (name !== current) for (const p of rs.pods) out.add(p);
  }
  return out;
}

/** The names of the Deployments among the applied objects (their rollouts decide which pods count). */
export function deploymentNames(objects: Array<{ kind: string; name?: string; body: Record<string, unknown> }>): string[] {
  const names = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue;
    const meta = o.body.metadata as { name?: unknown } | undefined;
    const name = o.name ?? (typeof meta?.name === 'string' ? meta.name : undefined);
    if (name) names.add(name);
  }
  return [...names];
}
