// waitForReady and its diagnoses against the real test cluster (test/cluster/up.sh): pods are
// created directly with client-node in a namespace of this file's own, and each failure must be
// diagnosed well before the deadline passed in.
//
// SHIP_RECORD_FIXTURES=1 also writes what the cluster really reported (kubectl get pod -o json and
// its events) to test/unit/fixtures/pods/recorded-*.json, which the unit tests replay.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { AppsV1Api } from '@kubernetes/client-node';
import { openKube, type Kube } from '../../src/adapters/kube/client.js';
import { PodFailureError } from '../../src/core/wait-progress.js';
import { waitForReady } from '../../src/adapters/kube/wait-ready.js';
import { KUBECONFIG, deleteNamespace, ensureNodeImage, kubectl, newNamespace, repo, waitForCluster } from './helpers.js';

const PAUSE = 'ship.local/pause:3.10';
const BUSYBOX = 'ship.local/busybox:1';
const TIMEOUT_MS = 120_000;
const FAST_MS = 60_000;
const RECORD = process.env.SHIP_RECORD_FIXTURES === '1';

let kube: Kube;
let ns: string;

beforeAll(async () => {
  await waitForCluster(10 * 60_000);
  // The crash case runs busybox: make sure the node has it (test/images/build.sh makes it in Docker).
  await ensureNodeImage(BUSYBOX);
  kube = openKube({ kubeconfig: KUBECONFIG, env: {} });
  ns = await newNamespace('ship-wait-e2e');
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
});

function labels(app: string) {
  return { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': app };
}

async function createPod(app: string, container: V1Container, spec: Partial<V1Pod['spec']> = {}): Promise<void> {
  await kube.core.createNamespacedPod({
    namespace: ns,
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: app, labels: labels(app) },
      spec: { terminationGracePeriodSeconds: 1, ...spec, containers: [{ imagePullPolicy: 'IfNotPresent', ...container }] },
    },
  });
}

/** Like the wait step: `deployments` are the Deployments among the applied objects. */
async function waitFor(app: string, builtImages: string[] = [], deployments: string[] = []) {
  const statuses: string[] = [];
  const started = Date.now();
  try {
    const r = await waitForReady(kube, {
      namespace: ns,
      labelSelector: `app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=${app}`,
      expected: 1,
      timeoutMs: TIMEOUT_MS,
      signal: AbortSignal.timeout(TIMEOUT_MS + 30_000),
      builtImages,
      deployments,
      onStatus: (l) => statuses.push(l),
    });
    return { ok: r, ms: Date.now() - started, statuses };
  } catch (e) {
    return { error: e as PodFailureError, ms: Date.now() - started, statuses };
  }
}

/** What happened, for assertion messages. */
function what(r: Awaited<ReturnType<typeof waitFor>>): string {
  const e = r.error as (PodFailureError & { stack?: string }) | undefined;
  return JSON.stringify({ ok: r.ok, ms: r.ms, statuses: r.statuses, code: e?.code, message: e?.message, stack: e?.code ? undefined : e?.stack });
}

async function record(app: string, note: string): Promise<void> {
  if (!RECORD) return;
  const pod = JSON.parse((await kubectl(['-n', ns, 'get', 'pod', app, '-o', 'json'])).stdout) as { metadata: { managedFields?: unknown } };
  const events = JSON.parse((await kubectl(['-n', ns, 'get', 'events', '--field-selector', `involvedObject.name=${app}`, '-o', 'json'])).stdout) as unknown;
  pod.metadata.managedFields = [];
  const file = join(repo, 'test/unit/fixtures/pods', `recorded-${app}.json`);
  writeFileSync(file, JSON.stringify({ note: `Recorded from the test cluster (Kubernetes v1.34): ${note}`, now: new Date().toISOString(), pod, events }, null, 2) + '\n');
}

describe('waitForReady on the real cluster', () => {
  it('a pod that becomes Ready resolves with its name', async () => {
    await createPod('ready', {
      name: 'app',
      image: BUSYBOX,
      command: ['sh', '-c', 'touch /tmp/ready; exec sleep 3600'],
      readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
    });
    const r = await waitFor('ready');
    expect(r.error, what(r)).toBeUndefined();
    expect(r.ok).toEqual({ ready: ['ready'] });
    expect(r.statuses.at(-1)).toBe('READY 1/1 · ready: Ready');
    await record('ready', 'a busybox pod that became Ready.');
  });

  it('an image on a registry that does not exist: ImagePullBackOff, fast', async () => {
    await createPod('pull', { name: 'app', image: 'registry.invalid/nope:1.0' });
    const r = await waitFor('pull');
    expect(r.error, what(r)).toBeInstanceOf(PodFailureError);
    expect(r.error!.code).toBe('pod');
    expect(r.error!.diagnosis?.reason).toMatch(/^(ImagePullBackOff|ErrImagePull)$/);
    expect(r.error!.message).toContain('The image "registry.invalid/nope:1.0" of container "app" cannot be pulled');
    expect(r.error!.message).toContain('ship did not build this image');
    expect(r.error!.details).toContain('Events:');
    expect(r.ms).toBeLessThan(FAST_MS);
    await record('pull', 'image registry.invalid/nope:1.0 (no such registry).');
  });

  it('a pod asking for 64 CPUs: Unschedulable with the scheduler message, fast', async () => {
    await createPod('cpu', { name: 'app', image: PAUSE, resources: { requests: { cpu: '64' } } });
    const r = await waitFor('cpu');
    expect(r.error?.code, what(r)).toBe('pod');
    expect(r.error!.diagnosis?.reason).toBe('Unschedulable');
    // two nodes: the second one's taint is named too ("0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint(s).")
    expect(r.error!.message).toMatch(/cannot be scheduled: 0\/\d+ nodes are available: 1 Insufficient cpu[.,].* It requests app: cpu 64\./);
    expect(r.ms).toBeLessThan(FAST_MS);
    await record('cpu', 'requests 64 CPUs on a 2-CPU node.');
  });

  it('a pod referring to a missing ConfigMap: CreateContainerConfigError naming it, fast', async () => {
    await createPod('config', {
      name: 'app',
      image: PAUSE,
      env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'ship-missing-config', key: 'greeting' } } }],
    });
    const r = await waitFor('config');
    expect(r.error?.code, what(r)).toBe('pod');
    expect(r.error!.diagnosis?.reason).toBe('CreateContainerConfigError');
    expect(r.error!.message).toBe(`Container "app" cannot start: the ConfigMap "ship-missing-config" it refers to does not exist in namespace "${ns}".`);
    expect(r.ms).toBeLessThan(FAST_MS);
    await record('config', 'env from a ConfigMap that does not exist.');
  });

  it('a container that exits 1: CrashLoopBackOff with its log line, fast', async () => {
    await createPod('crash', { name: 'app', image: BUSYBOX, command: ['sh', '-c', 'echo boom; exit 1'] });
    const r = await waitFor('crash', [BUSYBOX]);
    expect(r.error?.code, what(r)).toBe('pod');
    expect(r.error!.diagnosis?.reason).toMatch(/^(CrashLoopBackOff|Error)$/);
    expect(r.error!.message).toContain('exited with code 1');
    expect(r.error!.message).toContain('Its last log line: "boom"');
    expect(r.error!.details).toContain('  boom');
    expect(r.ms).toBeLessThan(FAST_MS);
    await record('crash', "busybox sh -c 'echo boom; exit 1'.");
  });

  it('a container with no readiness probe that crashes 2 s after start is not taken for Ready', async () => {
    await createPod('late', { name: 'app', image: BUSYBOX, command: ['sh', '-c', 'echo starting; sleep 2; echo "late failure"; exit 2'] });
    const r = await waitFor('late', [BUSYBOX]);
    expect(r.error?.code, what(r)).toBe('pod');
    expect(r.error!.message).toContain('exited with code 2');
    expect(r.error!.message).toContain('Its last log line: "late failure"');
    expect(r.statuses).toContain('READY 0/1 · late: Ready, checking it stays up');
    expect(r.ms).toBeLessThan(FAST_MS);
    await record('late', "busybox that is Ready (no probe) for 2 s, then exits 2.");
  });

  it("a Deployment fixed after a crash loop: the old ReplicaSet's crashing pod does not fail the new rollout", async () => {
    const apps = kube.kc.makeApiClient(AppsV1Api);
    const deployment = (command: string[]) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: labels('web') },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
        template: {
          metadata: { labels: labels('web') },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command }] },
        },
      },
    });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment(['sh', '-c', 'echo broken; exit 1']) });
    const broken = await waitFor('web', [BUSYBOX], ['web']);
    expect(broken.error?.code, what(broken)).toBe('pod');
    expect(broken.error!.message).toContain('Its last log line: "broken"');

    await apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: deployment(['sh', '-c', 'echo fixed; exec sleep 3600']) });
    // Right after the replace, the only pod may still be the old crashing one: the Deployment's
    // controller (observedGeneration, revision) says it is outgoing.
    const fixed = await waitFor('web', [BUSYBOX], ['web']);
    expect(fixed.error, what(fixed)).toBeUndefined();
    expect(fixed.ok!.ready).toHaveLength(1);
    expect(fixed.ms).toBeLessThan(FAST_MS);
  });
});
