// The wait tells "the cluster stopped answering" from "the pod is slow" (issue 9 item 6): the real
// waitForReady and pod watch against a fake API server on loopback that goes away (connection
// refused) and, in the second case, comes back on the same port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Kube } from '../../src/adapters/kube/client.js';
import { waitForReady } from '../../src/adapters/kube/wait-ready.js';
import { ClusterContact, clusterLostFailure, serverAnswered, statusWhileLost } from '../../src/core/wait-progress.js';
import { ExitCode, ShipError } from '../../src/errors.js';

const pod = (ready: boolean) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'ns', uid: 'web-uid', resourceVersion: ready ? '2' : '1', creationTimestamp: new Date().toISOString(), labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'x:1', readinessProbe: { httpGet: { path: '/', port: 8080 } } }] },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() }],
    containerStatuses: [{ name: 'app', image: 'x:1', imageID: '', ready, restartCount: 0, started: true, state: { running: { startedAt: new Date().toISOString() } } }],
  },
});

/** An API server that lists one pod (Ready or not) and holds watches open, sending what changed since the version asked for. */
function apiServer(ready: () => boolean): Server {
  return createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    res.writeHead(200, { 'content-type': 'application/json' });
    if (url.searchParams.get('watch') === 'true') {
      const current = pod(ready());
      if (url.searchParams.get('resourceVersion') !== current.metadata.resourceVersion) res.write(JSON.stringify({ type: 'MODIFIED', object: current }) + '\n');
      else res.write('');
      return; // held open
    }
    if (url.pathname.endsWith('/events')) return res.end(JSON.stringify({ kind: 'EventList', items: [], metadata: {} }));
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: ready() ? '2' : '1' }, items: [pod(ready())] }));
  });
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function listen(s: Server, port = 0): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

async function stop(s: Server): Promise<void> {
  servers.splice(servers.indexOf(s), 1);
  s.closeAllConnections();
  await new Promise<void>((r) => s.close(() => r()));
}

function kubeAt(port: number): Kube {
  const server = `http://127.0.0.1:${port}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'dev', cluster: 'c', user: 'u', namespace: 'ns' }],
    currentContext: 'dev',
  });
  return { kc, context: 'dev', cluster: 'c', namespace: 'ns', server, files: [], core: kc.makeApiClient(CoreV1Api) };
}

const opts = (timeoutMs: number, lines: string[]) => ({
  namespace: 'ns',
  labelSelector: 'app=web',
  expected: 1,
  timeoutMs,
  signal: new AbortController().signal,
  onStatus: (l: string) => void lines.push(l),
  pollMs: 100,
  settleMs: 0,
});

describe('the API server stops answering during the wait', () => {
  it('for longer than the timeout: a cluster error (exit 8) saying since when, the error and the server — not "raise --timeout"', async () => {
    const s = apiServer(() => false);
    const port = await listen(s);
    const kube = kubeAt(port);
    const lines: string[] = [];
    const p = waitForReady(kube, opts(2_500, lines)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 400));
    expect(lines.at(-1)).toBe('READY 0/1 · web: Running');
    const downAt = Date.now();
    await stop(s);
    const e = (await p) as ShipError;
    expect(e).toBeInstanceOf(ShipError);
    expect(e.code).toBe('cluster');
    expect(e.exitCode).toBe(ExitCode.cluster);
    expect(e.message).toMatch(/^The cluster stopped answering during the wait: no answer from the API server \(http:\/\/127\.0\.0\.1:\d+, context "dev"\) since \d\d:\d\d:\d\d UTC \(\d+s before the 2s timeout ran out\): .*ECONNREFUSED/);
    const since = /since (\d\d:\d\d:\d\d) UTC/.exec(e.message)![1];
    // The first failed read after the server went away, within a few seconds even on a busy machine.
    const sinceMs = Date.parse(`${new Date(downAt).toISOString().slice(0, 10)}T${since}Z`);
    expect(sinceMs).toBeGreaterThanOrEqual(Math.floor(downAt / 1000) * 1000);
    expect(sinceMs).toBeLessThan(downAt + 3_000);
    expect(e.message).not.toMatch(/Not Ready after/);
    expect(e.hint).not.toMatch(/raise --timeout/);
    expect(e.hint).toContain('kubectl --context dev get nodes');
    expect(e.details).toEqual(['Last seen before it stopped answering: READY 0/1 · web: Running']);
    expect(lines.some((l) => /^READY 0\/1 · web: Running · the cluster has not answered for \d+s$/.test(l))).toBe(true);
  });

  it('and back within the timeout: the wait recovers and succeeds', async () => {
    let ready = false;
    const s = apiServer(() => ready);
    const port = await listen(s);
    const kube = kubeAt(port);
    const lines: string[] = [];
    const p = waitForReady(kube, opts(15_000, lines));
    await new Promise((r) => setTimeout(r, 300));
    await stop(s);
    await new Promise((r) => setTimeout(r, 1_500));
    ready = true;
    const back = Date.now();
    await listen(apiServer(() => ready), port);
    await expect(p).resolves.toEqual({ ready: ['web'] });
    const recoveredMs = Date.now() - back;
    console.log(`[wait-cluster-lost] recovered ${recoveredMs} ms after the fake API server came back`);
    expect(recoveredMs).toBeLessThan(5_000);
  });

  it('a pod that is just slow while the cluster answers still times out as before (exit 13)', async () => {
    const port = await listen(apiServer(() => false));
    const e = (await waitForReady(kubeAt(port), opts(800, [])).catch((x: unknown) => x)) as ShipError;
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(/^Not Ready after/);
  });
});

describe('ClusterContact (pure)', () => {
  it('remembers since when the cluster is silent and its last error; an answer clears it', () => {
    const c = new ClusterContact();
    expect(c.lost()).toBeUndefined();
    c.noAnswer(1_000, 'connect ECONNREFUSED\n10.250.0.1:6443');
    c.noAnswer(5_000, 'socket hang up');
    expect(c.lost()).toEqual({ since: 1_000, error: 'socket hang up' });
    c.answered();
    expect(c.lost()).toBeUndefined();
    c.noAnswer(9_000, 'x');
    expect(c.outageCount).toBe(2);
    expect(statusWhileLost('READY 0/1', c.lost(), 21_000)).toBe('READY 0/1 · the cluster has not answered for 12s');
  });

  it('an HTTP status below 500 is an answer; none, or a 5xx of a server still starting, is not', () => {
    expect(serverAnswered(403)).toBe(true);
    expect(serverAnswered(404)).toBe(true);
    expect(serverAnswered(503)).toBe(false);
    expect(serverAnswered(undefined)).toBe(false);
  });

  it('clusterLostFailure is exit 8', () => {
    const e = clusterLostFailure({ lost: { since: Date.parse('2026-01-01T10:00:00Z'), error: 'ECONNREFUSED' }, cluster: {}, timeoutMs: 30_000, status: 'READY 0/1', now: Date.parse('2026-01-01T10:00:40Z') });
    expect(e.exitCode).toBe(8);
    expect(e.message).toBe('The cluster stopped answering during the wait: no answer from the API server since 10:00:00 UTC (40s before the 30s timeout ran out): ECONNREFUSED');
  });
});
