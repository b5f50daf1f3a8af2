// The forward against the real test cluster (test/cluster/up.sh) and the gradle fixture app, run as
// a one-replica Deployment: load through the forward, a 50 MB answer, the app closing the
// connection, a client half-close, the pod replaced under a running forward, and close().
// Prints the measured numbers (they are quoted in bench/README.md, Port-forward design).

import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKube, type Kube } from '../../src/adapters/kube/client.js';
import { startForward, type Forward, type ForwardEvent } from '../../src/adapters/kube/forward.js';
import { copyProject, deleteNamespace, KUBECONFIG, kubectl, newNamespace, SOCKET } from './helpers.js';
import { portIsFree } from '../support/free-port.js';

const IMAGE = 'gradle-app:fwdtest';
const SELECTOR = 'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=fwdtest';

let kube: Kube;
let ns = '';
let fwd: Forward | undefined;
const events: ForwardEvent[] = [];
const infos: string[] = [];

async function clusterReady(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await kubectl(['get', 'nodes', '--no-headers'], { reject: false });
    if (r.exitCode === 0 && /\sReady\s/.test(r.stdout)) return;
    if (Date.now() > end) throw new Error(`the test cluster is not Ready: ${r.stdout}${r.stderr}`);
    await new Promise((res) => setTimeout(res, 5000));
  }
}

async function buildAndLoadImage(): Promise<void> {
  const project = copyProject('test/fixtures/gradle-app');
  try {
    await execa('./gradlew', ['clean', 'build'], { cwd: project.dir });
    await execa('docker', ['build', '-q', '-t', IMAGE, project.dir]);
  } finally {
    project.remove();
  }
  await execa('bash', ['-o', 'pipefail', '-c', `docker save ${IMAGE} | ctr -a ${SOCKET} -n k8s.io images import -`]);
}

function deployment(namespace: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'fwdtest', namespace, labels: { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'fwdtest' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'fwdtest' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'fwdtest' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: IMAGE,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 3 },
            },
          ],
        },
      },
    },
  });
}

async function readyPods(): Promise<string[]> {
  const list = await kube.core.listNamespacedPod({ namespace: ns, labelSelector: SELECTOR });
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata!.name!);
}

async function waitReady(timeoutMs: number, not?: string): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ready = (await readyPods()).filter((p) => p !== not);
    if (ready.length) return ready[0];
    if (Date.now() > end) throw new Error('no Ready pod: ' + (await kubectl(['-n', ns, 'describe', 'pods'], { reject: false })).stdout.slice(-3000));
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** GET that hashes the body as it streams. */
function get(url: string, timeoutMs = 30_000): Promise<{ status: number; bytes: number; sha: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let text = '';
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
        if (text.length < 200) text += c.toString('latin1');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha: hash.digest('hex'), text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Raw request; resolves with what arrived and how the connection ended ('end', an error code, or 'hang'). */
function raw(port: number, text: string, halfClose: boolean, timeoutMs: number): Promise<{ data: string; how: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let data = '';
    let done = false;
    const finish = (how: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data, how, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish('hang'), timeoutMs);
    s.on('data', (c: Buffer) => (data += c.toString()));
    s.on('end', () => finish('end'));
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    s.on('connect', () => (halfClose ? s.end(text) : s.write(text)));
  });
}

beforeAll(async () => {
  await clusterReady(20 * 60_000);
  kube = openKube({ kubeconfig: KUBECONFIG, env: {} });
  await buildAndLoadImage();
  ns = await newNamespace('fwdtest');
  await kubectl(['apply', '-f', '-'], { input: deployment(ns) });
  const pod = await waitReady(180_000);
  fwd = await startForward(kube, {
    namespace: ns,
    labelSelector: SELECTOR,
    pod,
    localPort: 0,
    remotePort: 8080,
    onInfo: (m) => infos.push(m),
    onEvent: (e) => events.push(e),
    podWaitMs: 90_000,
  });
});

afterAll(async () => {
  await fwd?.close();
  if (ns) await deleteNamespace(ns);
});

describe('forward to the gradle app on the test cluster', () => {
  it('200 concurrent GET / without a failure', async () => {
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => get(fwd!.url + '/')));
    const ms = Date.now() - started;
    const failures = results.filter((r) => r.status === 'rejected' || r.value.status !== 200 || r.value.text !== 'hello from gradle-app v1');
    console.log(`[forward e2e] 200 concurrent GET /: ${failures.length} failures, ${ms} ms`);
    expect(failures.map((f) => (f.status === 'rejected' ? String(f.reason) : f.value.status))).toEqual([]);
    expect(fwd!.stats().failed).toBe(0);
  });

  it('a 50 MB answer arrives intact', async () => {
    const expected = await get(fwd!.url + '/big.sha256?mb=50');
    const started = Date.now();
    const big = await get(fwd!.url + '/big?mb=50', 120_000);
    const ms = Date.now() - started;
    console.log(`[forward e2e] GET /big?mb=50: ${big.bytes} bytes in ${ms} ms (${((big.bytes / 1048576 / ms) * 1000).toFixed(1)} MiB/s)`);
    expect(big.status).toBe(200);
    expect(big.bytes).toBe(50 * 1024 * 1024);
    expect(big.sha).toBe(expected.text.trim());
  });

  it('/close: the app closing the connection ends the client read, no hang', async () => {
    const r = await raw(fwd!.localPort, 'GET /close HTTP/1.1\r\nHost: x\r\n\r\n', false, 10_000);
    console.log(`[forward e2e] GET /close: ${r.how} after ${r.ms} ms`);
    expect(r.how).toBe('end');
    expect(r.data).toMatch(/^HTTP\/1\.1 200/);
    expect(r.data).toContain('closing');
    expect(r.ms).toBeLessThan(5000);
  });

  it('a client half-close still gets the whole answer, then EOF', async () => {
    const r = await raw(fwd!.localPort, 'GET /slow?ms=500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', true, 10_000);
    console.log(`[forward e2e] half-close GET /slow?ms=500: ${r.how} after ${r.ms} ms`);
    expect(r.how).toBe('end');
    expect(r.data).toMatch(/^HTTP\/1\.1 200/);
    expect(r.data).toContain('slept 500 ms');
  });

  it('a deleted pod is replaced behind the same local port', async () => {
    const port = fwd!.localPort;
    const old = fwd!.pod();
    const deletedAt = Date.now();
    await kubectl(['-n', ns, 'delete', 'pod', old, '--wait=false']);
    // Poll through the forward until the replacement answers (up to 90 s).
    let answered = '';
    let failures = 0;
    while (Date.now() - deletedAt < 90_000) {
      try {
        const r = await get(fwd!.url + '/', 10_000);
        if (r.status === 200 && fwd!.pod() !== old) {
          answered = r.text;
          break;
        }
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const ms = Date.now() - deletedAt;
    console.log(`[forward e2e] pod ${old} deleted -> ${fwd!.pod()} answering after ${ms} ms (${failures} failed polls)`);
    expect(answered).toBe('hello from gradle-app v1');
    expect(fwd!.localPort).toBe(port);
    expect(fwd!.pod()).not.toBe(old);
    expect(events).toContainEqual({ type: 'retarget', from: old, to: fwd!.pod() });
    // And it holds up on the new pod too.
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => get(fwd!.url + '/')));
    expect(results.filter((r) => r.status === 'rejected' || r.value.status !== 200)).toHaveLength(0);
  });

  it('with two replicas, deleting the forwarded pod moves to the other Ready one without a failed request', async () => {
    await kubectl(['-n', ns, 'scale', 'deployment/fwdtest', '--replicas=2']);
    const end = Date.now() + 180_000;
    while ((await readyPods()).length < 2) {
      if (Date.now() > end) throw new Error('the second replica never became Ready');
      await new Promise((r) => setTimeout(r, 500));
    }
    const old = fwd!.pod();
    const other = (await readyPods()).find((p) => p !== old)!;
    const deletedAt = Date.now();
    await kubectl(['-n', ns, 'delete', 'pod', old, '--wait=false']);
    // Requests keep going the whole time; none may fail.
    const statuses: Array<number | string> = [];
    while (Date.now() - deletedAt < 8000) {
      statuses.push(await get(fwd!.url + '/', 10_000).then((r) => r.status, (e: Error) => e.message));
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`[forward e2e] 2 replicas, pod ${old} deleted -> ${fwd!.pod()}; ${statuses.length} requests during the switch, ${statuses.filter((s) => s !== 200).length} failed`);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(fwd!.pod()).not.toBe(old);
    expect([other, ...(await readyPods())]).toContain(fwd!.pod());
  });

  it('close() frees the local port', async () => {
    const port = fwd!.localPort;
    expect(await portIsFree(port)).toBe(false);
    await fwd!.close();
    expect(await portIsFree(port)).toBe(true);
    fwd = undefined;
  });
});
