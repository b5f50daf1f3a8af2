// The end-to-end scenarios: the built ship CLI against the real test cluster.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD, copyProject, deleteNamespace, kubectl, newNamespace, repo, shipHolding, shipOnce, stepStatus } from './helpers.js';

const fixtures = join(repo, 'test/fixtures/manifests');

async function get(url: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, body: await r.text() };
}

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
    const pods = JSON.parse((await kubectl(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/managed-by=ship', '-o', 'json'])).stdout).items;
    const ready = pods
      .filter((p: any) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
      .map((p: any) => p.metadata.name);
    expect(ready).toEqual(expect.arrayContaining(['spring-pod-1', 'spring-pod-2', 'spring-pod-3']));
  });
});

describe('Gradle fixture app through ./gradlew clean build', () => {
  let ns: string;
  const app = copyProject('test/fixtures/gradle-app');
  let firstUrl = '';
  beforeAll(async () => {
    ns = await newNamespace('e2e-gradle');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
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
  const app = copyProject('test/fixtures/gradle-app');
  beforeAll(async () => {
    ns = await newNamespace('e2e-fail');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  async function failing(manifest: string) {
    await kubectl(['delete', 'pods', '--all', '-n', ns, '--wait=true', '--grace-period=1'], { reject: false });
    return shipOnce([app.dir, '--load', LOAD, '-n', ns, '--port', '0', '--timeout', '5m', '--manifest', join(fixtures, manifest)]);
  }

  it('an app that exits 1 at start: CrashLoopBackOff with its log line', async () => {
    const r = await failing('crash-pod.yaml');
    expect(r.exitCode).toBe(12);
    expect(r.stderr).toMatch(/CrashLoopBackOff|exit(ed)? (with )?(code )?1/i);
    expect(r.stderr).toContain('CRASH_AT_START is set');
    expect(r.ms).toBeLessThan(150_000);
  });

  it('a sidecar whose image nobody built: ImagePullBackOff explained, its image and pull policy left as written', async () => {
    const r = await failing('sidecar-pod.yaml');
    expect(r.exitCode).toBe(12);
    expect(r.stderr).toMatch(/registry\.invalid\/nope\/sidecar:1\.0/);
    expect(r.stderr).toMatch(/did not build/i);
    const pod = JSON.parse((await kubectl(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/managed-by=ship', '-o', 'json', '--show-managed-fields'])).stdout).items[0];
    const sidecar = pod.spec.containers.find((c: any) => c.image.startsWith('registry.invalid'));
    expect(sidecar.image).toBe('registry.invalid/nope/sidecar:1.0');
    // ship's apply owns no pull policy on the sidecar (server-side apply records what each manager set).
    const ours = pod.metadata.managedFields.find((m: any) => m.manager === 'ship');
    const containers = ours.fieldsV1['f:spec']['f:containers'];
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

describe('the forward under load (a Deployment)', () => {
  let ns: string;
  const app = copyProject('test/fixtures/gradle-app');
  let ship: Awaited<ReturnType<typeof shipHolding>>;
  beforeAll(async () => {
    ns = await newNamespace('e2e-fwd');
    ship = await shipHolding([app.dir, '--load', LOAD, '-n', ns, '--port', '0', '--manifest', join(fixtures, 'deployment.yaml')]);
  });
  afterAll(async () => {
    if (ship) expect(await ship.stop()).toBe(0);
    await deleteNamespace(ns);
    app.remove();
  });

  it('200 concurrent requests, 0 failures', async () => {
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => get(ship.url + '/slow?ms=200', 60_000)));
    const failed = results.filter((r) => r.status === 'rejected' || r.value.status !== 200);
    expect(failed.length).toBe(0);
  });

  it('a 50 MB response arrives intact', async () => {
    const expected = (await get(ship.url + '/big.sha256?mb=50')).body.trim();
    const r = await fetch(ship.url + '/big?mb=50', { signal: AbortSignal.timeout(120_000) });
    const body = Buffer.from(await r.arrayBuffer());
    expect(body.length).toBe(50 * 1024 * 1024);
    expect(createHash('sha256').update(body).digest('hex')).toBe(expected);
  });

  it('the app closing a connection ends the client\'s read (no hang)', async () => {
    const ended = await new Promise<string>((resolveEnd, reject) => {
      const timer = setTimeout(() => reject(new Error('the read did not end within 10 s')), 10_000);
      const req = request(ship.url + '/close', { agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => res.socket?.once('close', () => (clearTimeout(timer), resolveEnd(body))) ?? resolveEnd(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(ended.length).toBeGreaterThan(0);
  });

  it('deleting the pod: the forward serves the replacement on the same local port', async () => {
    const pods = JSON.parse((await kubectl(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/managed-by=ship', '-o', 'json'])).stdout).items;
    await kubectl(['delete', 'pod', pods[0].metadata.name, '-n', ns, '--wait=false']);
    const deadline = Date.now() + 120_000;
    let served = false;
    while (Date.now() < deadline && !served) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = JSON.parse((await kubectl(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/managed-by=ship', '-o', 'json'])).stdout).items;
      const replacement = now.find((p: any) => p.metadata.name !== pods[0].metadata.name && p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
      if (!replacement) continue;
      served = await get(ship.url + '/', 5000).then((r) => r.status === 200, () => false);
    }
    expect(served).toBe(true);
  });
});
