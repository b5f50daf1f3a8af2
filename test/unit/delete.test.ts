import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { SHIP_KINDS, appSelector, planDeletion, toFound, type FoundObject, type KindSpec } from '../../src/core/app-objects.js';
import { deleteAppObjects } from '../../src/adapters/kube/delete.js';
import type { ObjectsApi } from '../../src/adapters/kube/objects.js';
import { ShipError } from '../../src/errors.js';

const ship = (app: string) => ({ 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': app });

interface Stored {
  kind: string;
  obj: KubernetesObject;
}

/**
 * A fake cluster: list applies the label selector like the API server does (k=v,k=v), delete
 * marks the object terminating and removes it (and what it controls) after `lingerPolls` lists.
 */
function fakeCluster(objects: Stored[], lingerPolls = 1) {
  const store = [...objects];
  const deleted: string[] = [];
  const deleteOpts: Array<{ gracePeriodSeconds?: number }> = [];
  const dying = new Map<string, number>();
  const matches = (o: KubernetesObject, selector: string) =>
    selector.split(',').every((req) => {
      const [k, v] = req.split('=');
      return o.metadata?.labels?.[k] === v;
    });
  function tick() {
    for (const [uid, left] of dying) {
      if (left <= 0) {
        const gone = new Set([uid]);
        let grew = true;
        while (grew) {
          grew = false;
          for (const s of store) {
            const owner = s.obj.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
            if (owner && gone.has(owner) && !gone.has(s.obj.metadata!.uid!)) {
              gone.add(s.obj.metadata!.uid!);
              grew = true;
            }
          }
        }
        for (let i = store.length - 1; i >= 0; i--) if (gone.has(store[i].obj.metadata!.uid!)) store.splice(i, 1);
        dying.delete(uid);
      } else dying.set(uid, left - 1);
    }
  }
  const api: ObjectsApi = {
    async list(kind: KindSpec, namespace: string, selector: string) {
      // Objects being deleted linger for a few listing rounds (one round lists every kind), like
      // pods in their grace period.
      // (ship lists each kind once per selector: by the app's name label, and by a chart's release)
      if (kind.kind === SHIP_KINDS[0].kind && selector.includes('app.kubernetes.io/name=')) tick();
      return store.filter((s) => s.kind === kind.kind && s.obj.metadata?.namespace === namespace && matches(s.obj, selector)).map((s) => s.obj);
    },
    async delete(o: FoundObject, opts) {
      deleted.push(`${o.kind}/${o.name}`);
      deleteOpts.push(opts);
      const s = store.find((x) => x.kind === o.kind && x.obj.metadata?.name === o.name && x.obj.metadata?.namespace === o.namespace);
      if (!s) return;
      s.obj.metadata!.deletionTimestamp = new Date();
      dying.set(s.obj.metadata!.uid!, lingerPolls);
    },
  };
  return { api, store, deleted, deleteOpts };
}

function obj(kind: string, name: string, labels: Record<string, string>, extra: { ns?: string; owner?: string; uid?: string } = {}): Stored {
  return {
    kind,
    obj: {
      apiVersion: SHIP_KINDS.find((k) => k.kind === kind)!.apiVersion,
      kind,
      metadata: {
        name,
        namespace: extra.ns ?? 'default',
        uid: extra.uid ?? `uid-${kind}-${name}`,
        labels,
        ...(extra.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: extra.owner, controller: true }] } : {}),
      },
    },
  };
}

const signal = new AbortController().signal;

describe('what ship deleted is found by label', () => {
  it('selects both ship labels for the app', () => {
    expect(appSelector('demo')).toBe('app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=demo');
  });

  it('deletes owners, leaves owned objects to the garbage collector', () => {
    const found = [
      toFound({ apiVersion: 'apps/v1', kind: 'Deployment' }, obj('Deployment', 'web', ship('demo'), { uid: 'd1' }).obj, 'default'),
      toFound({ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, obj('ReplicaSet', 'web-5d8', ship('demo'), { uid: 'rs1', owner: 'd1' }).obj, 'default'),
      toFound({ apiVersion: 'v1', kind: 'Pod' }, obj('Pod', 'web-5d8-abc', ship('demo'), { uid: 'p1', owner: 'rs1' }).obj, 'default'),
      toFound({ apiVersion: 'v1', kind: 'Pod' }, obj('Pod', 'orphan', ship('demo'), { uid: 'p2', owner: 'not-labelled' }).obj, 'default'),
      toFound({ apiVersion: 'v1', kind: 'Service' }, obj('Service', 'web', ship('demo')).obj, 'default'),
    ];
    const plan = planDeletion(found);
    expect(plan.delete.map((o) => `${o.kind}/${o.name}`)).toEqual(['Deployment/web', 'Pod/orphan', 'Service/web']);
    expect(plan.cascaded.map((o) => `${o.kind}/${o.name}`)).toEqual(['ReplicaSet/web-5d8', 'Pod/web-5d8-abc']);
  });
});

describe('deleteAppObjects', () => {
  it('deletes exactly the labelled objects of this app and waits until they are gone', async () => {
    const c = fakeCluster([
      obj('Pod', 'demo', ship('demo')),
      obj('Service', 'demo', ship('demo')),
      obj('ConfigMap', 'demo-config', ship('demo')),
      obj('Pod', 'demo-by-hand', { app: 'demo' }), // similar name, no ship labels
      obj('Pod', 'demo-2', { 'app.kubernetes.io/name': 'demo' }), // only one of the labels
      obj('Pod', 'other', ship('other')), // another app of ship
      obj('Pod', 'demo', ship('demo'), { ns: 'elsewhere', uid: 'uid-other-ns' }), // same app, another namespace
    ]);
    const waits: string[][] = [];
    const r = await deleteAppObjects({ api: c.api, namespace: 'default', app: 'demo', wait: true, timeoutMs: 5000, signal, pollMs: 1, onWaiting: (left) => waits.push(left.map((o) => o.name)) });
    expect(c.deleted.sort()).toEqual(['ConfigMap/demo-config', 'Pod/demo', 'Service/demo']);
    expect(r.waited).toBe(true);
    expect(waits.length).toBeGreaterThan(0);
    expect(c.store.map((s) => `${s.obj.metadata!.namespace}/${s.kind}/${s.obj.metadata!.name}`).sort()).toEqual([
      'default/Pod/demo-2',
      'default/Pod/demo-by-hand',
      'default/Pod/other',
      'elsewhere/Pod/demo',
    ]);
  });

  it('deletes a Deployment (not its pods) and waits for its pods too', async () => {
    const c = fakeCluster(
      [obj('Deployment', 'web', ship('demo'), { uid: 'd1' }), obj('ReplicaSet', 'web-1', ship('demo'), { uid: 'rs1', owner: 'd1' }), obj('Pod', 'web-1-a', ship('demo'), { uid: 'p1', owner: 'rs1' })],
      2,
    );
    const waits: string[][] = [];
    await deleteAppObjects({ api: c.api, namespace: 'default', app: 'demo', wait: true, timeoutMs: 5000, signal, pollMs: 1, onWaiting: (left) => waits.push(left.map((o) => o.name)) });
    expect(c.deleted).toEqual(['Deployment/web']);
    expect(waits[0]).toEqual(['web', 'web-1', 'web-1-a']);
    expect(c.store).toEqual([]);
  });

  it('is idempotent: nothing there deletes nothing and succeeds', async () => {
    const c = fakeCluster([obj('Pod', 'by-hand', { app: 'demo' })]);
    const r = await deleteAppObjects({ api: c.api, namespace: 'default', app: 'demo', wait: true, timeoutMs: 1000, signal });
    expect(r).toEqual({ deleted: [], cascaded: [], waited: false });
    expect(c.deleted).toEqual([]);
  });

  it('--no-wait returns after sending the deletes; --now sends a 1 s grace period', async () => {
    const c = fakeCluster([obj('Pod', 'demo', ship('demo'))], 100);
    const r = await deleteAppObjects({ api: c.api, namespace: 'default', app: 'demo', wait: false, timeoutMs: 1000, signal, gracePeriodSeconds: 1 });
    expect(r.waited).toBe(false);
    expect(c.deleted).toEqual(['Pod/demo']);
    expect(c.deleteOpts).toEqual([{ gracePeriodSeconds: 1 }]);
  });

  it('does not delete again what is already terminating, and times out naming what is left', async () => {
    const c = fakeCluster([obj('Pod', 'stuck', ship('demo'))], 1_000_000);
    c.store[0].obj.metadata!.deletionTimestamp = new Date();
    const err = await deleteAppObjects({ api: c.api, namespace: 'default', app: 'demo', wait: true, timeoutMs: 30, signal, pollMs: 5 }).catch((e: unknown) => e);
    expect(c.deleted).toEqual([]);
    expect(err).toBeInstanceOf(ShipError);
    expect((err as ShipError).code).toBe('timeout');
    expect((err as ShipError).message).toMatch(/Pod\/stuck/);
  });

  it('stops waiting when aborted (Ctrl-C)', async () => {
    const c = fakeCluster([obj('Pod', 'slow', ship('demo'))], 1_000_000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const err = await deleteAppObjects({ api: c.api, namespace: 'default', app: 'demo', wait: true, timeoutMs: 60_000, signal: ac.signal, pollMs: 5 }).catch((e: unknown) => e);
    expect((err as ShipError).code).toBe('interrupted');
  });
});
