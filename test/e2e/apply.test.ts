// applyObjects against the real test cluster: create, unchanged re-apply, in-place image change,
// a refused Pod change (recreated), strict validation of an unknown field, a missing namespace.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKube, type Kube } from '../../src/adapters/kube/client.js';
import { applyObjects } from '../../src/adapters/kube/apply.js';
import { renderManifest } from '../../src/core/manifest/render.js';
import type { RenderedManifest } from '../../src/core/manifest/types.js';
import { ShipError } from '../../src/errors.js';
import { KUBECONFIG, deleteNamespace, kubectl, newNamespace, waitForCluster } from './helpers.js';
import { rejectedShipError as shipError } from '../support/ship-error.js';

// Images already in the node's image store (test/cluster/up.sh): nothing is ever pulled.
const PAUSE = { repository: 'ship.local/pause', tag: '3.10' };
const BUSYBOX = { repository: 'ship.local/busybox', tag: '1.35' };

const podYaml = (port: number) => `# e2e pod for the apply step
apiVersion: v1
kind: Pod
metadata:
  name: apply-e2e
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ship.local/pause
      ports:
        - containerPort: ${port}
`;

function render(port: number, image = PAUSE): RenderedManifest {
  return renderManifest({
    sources: [{ file: 'apply-e2e.yaml', text: podYaml(port) }],
    image,
    matchNames: ['ship.local/pause'],
    app: 'apply-e2e',
  });
}

describe('applyObjects on the test cluster', () => {
  let kube: Kube;
  let ns: string;

  beforeAll(async () => {
    await waitForCluster(14 * 60_000); // inside the e2e hookTimeout (15 min)
    kube = openKube({ kubeconfig: KUBECONFIG, env: {} });
    ns = await newNamespace('ship-apply');
  });

  afterAll(async () => {
    if (!ns) return;
    await kubectl(['delete', 'pods', '-n', ns, '-l', 'app.kubernetes.io/managed-by=ship', '--grace-period=1', '--wait=false'], { reject: false });
    await deleteNamespace(ns);
  });

  const uid = async () => (await kube.core.readNamespacedPod({ name: 'apply-e2e', namespace: ns })).metadata!.uid;

  it('creates the Pod, then reports unchanged on a re-apply', async () => {
    expect(await applyObjects(kube, render(8080), { namespace: ns })).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'apply-e2e', namespace: ns, result: 'created' },
    ]);
    const pod = await kube.core.readNamespacedPod({ name: 'apply-e2e', namespace: ns });
    expect(pod.spec!.containers[0]!.image).toBe('ship.local/pause:3.10');
    expect(pod.spec!.containers[0]!.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.metadata!.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'apply-e2e' });
    expect(pod.metadata!.managedFields!.some((f) => f.manager === 'ship' && f.operation === 'Apply')).toBe(true);

    expect(await applyObjects(kube, render(8080), { namespace: ns })).toMatchObject([{ result: 'unchanged' }]);
  });

  it('recreates the Pod when a field that cannot change in place changes', async () => {
    const before = await uid();
    const info: string[] = [];
    const applied = await applyObjects(kube, render(9090), { namespace: ns, onInfo: (m) => info.push(m) });
    expect(applied).toMatchObject([{ name: 'apply-e2e', result: 'recreated' }]);
    expect(info).toEqual(['pod apply-e2e: recreated (a Pod cannot change spec.containers[0].ports[0].containerPort in place)']);
    const pod = await kube.core.readNamespacedPod({ name: 'apply-e2e', namespace: ns });
    expect(pod.metadata!.uid).not.toBe(before);
    expect(pod.spec!.containers[0]!.ports![0]!.containerPort).toBe(9090);
  });

  it('replaces the Pod when only its image changes (no in-place swap: the old container would keep answering)', async () => {
    const before = await uid();
    expect(await applyObjects(kube, render(9090, BUSYBOX), { namespace: ns })).toMatchObject([{ result: 'recreated' }]);
    const pod = await kube.core.readNamespacedPod({ name: 'apply-e2e', namespace: ns });
    expect(pod.metadata!.uid).not.toBe(before);
    expect(pod.spec!.containers[0]!.image).toBe('ship.local/busybox:1.35');
  });

  it('catches an unknown field before the cluster, and the server catches one that gets through', async () => {
    const typo = podYaml(8080).replace('      ports:', '      imagePullPolcy: Always\n      ports:');
    const local = (() => {
      try {
        renderManifest({ sources: [{ file: 'typo.yaml', text: typo }], image: PAUSE, matchNames: ['ship.local/pause'], app: 'apply-e2e' });
      } catch (e) {
        return e as ShipError;
      }
      return undefined;
    })();
    expect(local).toBeInstanceOf(ShipError);
    expect(local!.message).toBe('typo.yaml: unknown field "spec.containers[0].imagePullPolcy" in Pod apply-e2e');

    // The same typo sent as written (what a custom resource's would be): strict validation on the server.
    const rendered = render(8080);
    const body = rendered.objects[0]!.body as { metadata: { name: string }; spec: { containers: Array<Record<string, unknown>> } };
    body.metadata.name = 'apply-e2e-typo';
    body.spec.containers[0]!.imagePullPolcy = 'Always';
    rendered.objects[0]!.name = 'apply-e2e-typo';
    const e = await shipError(applyObjects(kube, rendered, { namespace: ns }));
    expect(e.code).toBe('manifest');
    expect(e.message).toContain('apply-e2e.yaml: the cluster rejected Pod apply-e2e-typo:');
    expect(e.message).toContain('imagePullPolcy');
    const r = await kubectl(['get', 'pod', 'apply-e2e-typo', '-n', ns], { reject: false });
    expect(r.exitCode).not.toBe(0);
  });

  it('explains a namespace that does not exist', async () => {
    const e = await shipError(applyObjects(kube, render(8080), { namespace: 'ship-no-such-namespace' }));
    expect(e.code).toBe('apply');
    expect(e.message).toBe('The namespace "ship-no-such-namespace" does not exist (applying Pod apply-e2e).');
    expect(e.hint).toContain('create namespace ship-no-such-namespace');
  });
});
