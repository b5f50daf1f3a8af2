// The forward against the real test cluster (test/cluster/up.sh) and the gradle fixture app, run as
// the fixture's one-replica Deployment (test/fixtures/manifests/deployment.yaml) that ship itself
// builds, loads and deploys, holding its own forward as a developer runs it. Through ship's forward
// (the CLI's): requests under load and the replacement of a deleted pod. Through a forward started
// here (startForward, the same code, with its stats and events at hand): load, a 50 MB answer, the
// app closing the connection, a client half-close, the pod replaced under a running forward, two
// replicas, and close(). Prints the measured numbers (they are quoted in bench/README.md, Port-forward design).

import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKube, type Kube } from '../../src/adapters/kube/client.js';
import { startForward, type Forward, type ForwardEvent } from '../../src/adapters/kube/forward.js';
import { copyProject, deleteNamespace, KUBECONFIG, kubectl, LOAD, newNamespace, repo, shipHolding, waitForCluster, type ShipProcess } from './helpers.js';
import { portIsFree } from '../support/free-port.js';
import { raw } from '../support/raw-tcp.js';
import { sleep, until } from '../support/until.js';

/** A raw request whose answer is read as text, with how long it took. */
const rawText = async (...args: Parameters<typeof raw>) => {
  const started = Date.now();
  const r = await raw(...args);
  return { data: r.data.toString(), how: r.how, ms: Date.now() - started };
};

/** The fixture Deployment's pods (its own template label, and ship's). */
const SELECTOR = 'app=gradle-app,app.kubernetes.io/managed-by=ship';

let kube: Kube;
let ns = '';
let fwd: Forward | undefined;
let ship: (ShipProcess & { url: string }) | undefined;
const app = copyProject('test/fixtures/gradle-app');
const events: ForwardEvent[] = [];
const infos: string[] = [];

async function readyPods(): Promise<string[]> {
  const list = await kube.core.listNamespacedPod({ namespace: ns, labelSelector: SELECTOR });
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata!.name!);
}

/** GET that hashes the body as it streams. */
function getHashed(url: string, timeoutMs = 30_000): Promise<{ status: number; bytes: number; sha: string; text: string }> {
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

beforeAll(async () => {
  await waitForCluster(20 * 60_000);
  kube = openKube({ kubeconfig: KUBECONFIG, env: {} });
  ns = await newNamespace('e2e-fwd');
  ship = await shipHolding([app.dir, '--load', LOAD, '-n', ns, '--port', '0', '--manifest', join(repo, 'test/fixtures/manifests/deployment.yaml')]);
  const pod = (await readyPods())[0];
  expect(pod, 'ship reported Ready, so a pod is').toBeDefined();
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
  // Ctrl-C on ship holding its forward: exit 0.
  if (ship) expect(await ship.stop()).toBe(0);
  if (ns) await deleteNamespace(ns);
  app.remove();
});

describe('forward to the gradle app on the test cluster', () => {
  it('200 concurrent GET / without a failure', async () => {
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => getHashed(fwd!.url + '/')));
    const ms = Date.now() - started;
    const failures = results.filter((r) => r.status === 'rejected' || r.value.status !== 200 || r.value.text !== 'hello from gradle-app v1');
    console.log(`[forward e2e] 200 concurrent GET /: ${failures.length} failures, ${ms} ms`);
    expect(failures.map((f) => (f.status === 'rejected' ? String(f.reason) : f.value.status))).toEqual([]);
    expect(fwd!.stats().failed).toBe(0);
  });

  it("ship's own forward: 200 concurrent requests that each take 200 ms, 0 failures", async () => {
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => getHashed(ship!.url + '/slow?ms=200', 60_000)));
    const failed = results.filter((r) => r.status === 'rejected' || r.value.status !== 200);
    expect(failed.length).toBe(0);
  });

  it('a 50 MB answer arrives intact', async () => {
    const expected = await getHashed(fwd!.url + '/big.sha256?mb=50');
    const started = Date.now();
    const big = await getHashed(fwd!.url + '/big?mb=50', 120_000);
    const ms = Date.now() - started;
    console.log(`[forward e2e] GET /big?mb=50: ${big.bytes} bytes in ${ms} ms (${((big.bytes / 1048576 / ms) * 1000).toFixed(1)} MiB/s)`);
    expect(big.status).toBe(200);
    expect(big.bytes).toBe(50 * 1024 * 1024);
    expect(big.sha).toBe(expected.text.trim());
  });

  it('/close: the app closing the connection ends the client read, no hang', async () => {
    const r = await rawText(fwd!.localPort, 'GET /close HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 10_000 });
    console.log(`[forward e2e] GET /close: ${r.how} after ${r.ms} ms`);
    expect(r.how).toBe('end');
    expect(r.data).toMatch(/^HTTP\/1\.1 200/);
    expect(r.data).toContain('closing');
    expect(r.ms).toBeLessThan(5000);
  });

  it('a client half-close still gets the whole answer, then EOF', async () => {
    const r = await rawText(fwd!.localPort, 'GET /slow?ms=500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { halfClose: true, timeoutMs: 10_000 });
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
        const r = await getHashed(fwd!.url + '/', 10_000);
        if (r.status === 200 && fwd!.pod() !== old) {
          answered = r.text;
          break;
        }
      } catch {
        failures++;
      }
      await sleep(250);
    }
    const ms = Date.now() - deletedAt;
    console.log(`[forward e2e] pod ${old} deleted -> ${fwd!.pod()} answering after ${ms} ms (${failures} failed polls)`);
    expect(answered).toBe('hello from gradle-app v1');
    expect(fwd!.localPort).toBe(port);
    expect(fwd!.pod()).not.toBe(old);
    expect(events).toContainEqual({ type: 'retarget', from: old, to: fwd!.pod() });
    // And it holds up on the new pod too.
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => getHashed(fwd!.url + '/')));
    expect(results.filter((r) => r.status === 'rejected' || r.value.status !== 200)).toHaveLength(0);
    // ship's own forward serves the replacement on its same local port (its URL) too.
    const served = await until("ship's forward to answer from the replacement", () => getHashed(ship!.url + '/', 5000).then((r) => r.status === 200, () => false), {
      timeoutMs: 120_000,
      everyMs: 1000,
    }).catch(() => false);
    expect(served).toBe(true);
  });

  it('with two replicas, deleting the forwarded pod moves to the other Ready one without a failed request', async () => {
    await kubectl(['-n', ns, 'scale', 'deployment/gradle-app', '--replicas=2']);
    await until('the second replica to be Ready', async () => (await readyPods()).length >= 2, { timeoutMs: 180_000 });
    const old = fwd!.pod();
    const other = (await readyPods()).find((p) => p !== old)!;
    const deletedAt = Date.now();
    await kubectl(['-n', ns, 'delete', 'pod', old, '--wait=false']);
    // Requests keep going the whole time; none may fail.
    const statuses: Array<number | string> = [];
    while (Date.now() - deletedAt < 8000) {
      statuses.push(await getHashed(fwd!.url + '/', 10_000).then((r) => r.status, (e: Error) => e.message));
      await sleep(100);
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
