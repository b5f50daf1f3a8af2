// The end-to-end scenarios: the built ship CLI against the real test cluster.
// The forward under load with a Deployment is in forward.test.ts; a crashing app is in
// bad-input.test.ts (exit 12).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD, copyProject, deleteNamespace, isPodReady, kubectl, listPods, newNamespace, repo, shipHolding, shipOnce, stepStatus } from './helpers.js';
import { get } from '../support/http.js';

const fixtures = join(repo, 'test/fixtures/manifests');

describe('Spring Boot example (Maven) from the seed\'s untagged spring-pod.yaml', () => {
  let ns: string;
  const app = copyProject('examples/kubernetes-test-spring');
  beforeAll(async () => {
    ns = await newNamespace('e2e-spring');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('is Ready, answers the greeting on / and UP on /actuator/health through ship\'s forward; Ctrl-C closes it', async () => {
    const ship = await shipHolding([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0']);
    try {
      const root = await get(ship.url + '/');
      expect(root.status).toBe(200);
      expect(root.body).toContain('Hello from kubernetes-spring');
      const health = await get(ship.url + '/actuator/health');
      expect(JSON.parse(health.body).status).toBe('UP');
      const pod = JSON.parse((await kubectl(['get', 'pod', 'spring-pod', '-n', ns, '-o', 'json'])).stdout);
      const c = pod.spec.containers[0];
      expect(c.image).toMatch(/^kubernetes-spring:ship-[0-9a-f]{12}$/);
      expect(c.imagePullPolicy).toBe('IfNotPresent');
    } finally {
      expect(await ship.stop()).toBe(0);
    }
    await expect(get(ship.url + '/', 3000)).rejects.toThrow();
    // The user's project is left as it was: no Dockerfile or manifest written, spring-pod.yaml untouched.
    expect(readFileSync(join(app.dir, 'spring-pod.yaml'), 'utf8')).toBe(readFileSync(join(repo, 'examples/kubernetes-test-spring/spring-pod.yaml'), 'utf8'));
  });

  it('deploys the seed\'s three pods from one multi-document file, all Ready', async () => {
    const r = await shipOnce([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0', '--manifest', join(fixtures, 'spring-pods.yaml')]);
    expect(r.exitCode, r.stderr).toBe(0);
    const ready = (await listPods(ns)).filter(isPodReady).map((p) => p.metadata!.name);
    expect(ready).toEqual(expect.arrayContaining(['spring-pod-1', 'spring-pod-2', 'spring-pod-3']));
  });
});

// One copy of the Gradle fixture for the describes below: the failures reuse the image the first
// describe built and loaded (build, image and load are skipped) instead of building their own.
const gradleApp = copyProject('test/fixtures/gradle-app');
afterAll(() => gradleApp.remove());

describe('Gradle fixture app through ./gradlew clean build', () => {
  let ns: string;
  const app = gradleApp;
  let firstUrl = '';
  beforeAll(async () => {
    ns = await newNamespace('e2e-gradle');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
  });
  const args = () => [app.dir, '--load', LOAD, '-n', ns, '--port', '18089'];

  it('is Ready and answering; --json names every step', async () => {
    const r = await shipOnce(args());
    expect(r.exitCode, r.stderr).toBe(0);
    for (const step of ['check', 'tag', 'build', 'image', 'load', 'manifest', 'apply', 'wait', 'forward', 'smoke']) {
      expect(stepStatus(r.events, step), step).toBe('done');
    }
    const summary = r.events.find((e) => e.type === 'summary')!;
    expect(summary.status).toBe(200);
    const result = r.events.at(-1)!;
    expect(result).toMatchObject({ type: 'result', ok: true, exitCode: 0 });
  });

  it('run again without a change: nothing rebuilt, loaded or re-applied, same URL answers', async () => {
    const ship = await shipHolding([app.dir, '--load', LOAD, '-n', ns, '--port', '18089']);
    try {
      firstUrl = ship.url;
      expect(ship.url).toBe('http://127.0.0.1:18089');
      expect(stepStatus(ship.events, 'build')).toBe('skip');
      expect(stepStatus(ship.events, 'image')).toBe('skip');
      expect(stepStatus(ship.events, 'load')).toBe('skip');
      const applied = ship.events.find((e) => e.type === 'step' && e.step === 'apply' && e.status === 'done');
      expect(String(applied?.detail)).toMatch(/unchanged/);
      expect((await get(ship.url + '/')).body).toBe('hello from gradle-app v1');
    } finally {
      expect(await ship.stop()).toBe(0);
    }
  });

  it('one changed line: a new tag, the pod replaced, the new text served on the same URL', async () => {
    const main = join(app.dir, 'src/main/java/gradleapp/Main.java');
    writeFileSync(main, readFileSync(main, 'utf8').replace('hello from gradle-app v1', 'hello from gradle-app v2'));
    const before = JSON.parse((await kubectl(['get', 'pod', 'gradle-app', '-n', ns, '-o', 'json'])).stdout);
    const ship = await shipHolding([app.dir, '--load', LOAD, '-n', ns, '--port', '18089']);
    try {
      expect(ship.url).toBe(firstUrl);
      expect((await get(ship.url + '/')).body).toBe('hello from gradle-app v2');
      const after = JSON.parse((await kubectl(['get', 'pod', 'gradle-app', '-n', ns, '-o', 'json'])).stdout);
      expect(after.metadata.uid).not.toBe(before.metadata.uid);
      expect(after.spec.containers[0].image).not.toBe(before.spec.containers[0].image);
      expect(ship.stderr()).toMatch(/recreated/);
    } finally {
      expect(await ship.stop()).toBe(0);
    }
  });
});

describe('real failures, diagnosed in plain words well before the deadline', () => {
  let ns: string;
  const app = gradleApp;
  beforeAll(async () => {
    ns = await newNamespace('e2e-fail');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
  });

  async function failing(manifest: string) {
    await kubectl(['delete', 'pods', '--all', '-n', ns, '--wait=true', '--grace-period=1'], { reject: false });
    return shipOnce([app.dir, '--load', LOAD, '-n', ns, '--port', '0', '--timeout', '5m', '--manifest', join(fixtures, manifest)]);
  }

  it('a sidecar whose image nobody built: ImagePullBackOff explained, its image and pull policy left as written', async () => {
    const r = await failing('sidecar-pod.yaml');
    expect(r.exitCode).toBe(12);
    expect(r.stderr).toMatch(/registry\.invalid\/nope\/sidecar:1\.0/);
    expect(r.stderr).toMatch(/did not build/i);
    const pod = (await listPods(ns, undefined, ['--show-managed-fields']))[0]!;
    const sidecar = pod.spec!.containers.find((c) => c.image?.startsWith('registry.invalid'));
    expect(sidecar?.image).toBe('registry.invalid/nope/sidecar:1.0');
    // ship's apply owns no pull policy on the sidecar (server-side apply records what each manager set).
    const ours = pod.metadata!.managedFields!.find((m) => m.manager === 'ship');
    const containers = (ours!.fieldsV1 as Record<string, Record<string, Record<string, unknown>>>)['f:spec']!['f:containers']!;
    expect(containers['k:{"name":"gradle-app"}']).toHaveProperty('f:imagePullPolicy');
    expect(containers['k:{"name":"sidecar"}']).not.toHaveProperty('f:imagePullPolicy');
    expect(r.ms).toBeLessThan(150_000);
  });

  it('a pod that needs a missing ConfigMap: CreateContainerConfigError naming it', async () => {
    const r = await failing('missing-configmap-pod.yaml');
    expect(r.exitCode).toBe(12);
    expect(r.stderr).toContain('ship-missing-config');
    expect(r.ms).toBeLessThan(150_000);
  });

  it('a pod asking for more CPU than the node has: Unschedulable with the scheduler\'s message', async () => {
    const r = await failing('huge-cpu-pod.yaml');
    expect(r.exitCode).toBe(12);
    expect(r.stderr).toMatch(/Insufficient cpu/);
    expect(r.ms).toBeLessThan(150_000);
  });
});
