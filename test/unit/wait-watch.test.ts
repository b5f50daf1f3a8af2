// watchPods against a small fake API server on loopback: the real client-node Watch and list
// calls, with the server deciding when a watch ends, expires (410) or stays open.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { watchPods } from '../../src/adapters/kube/pod-watch.js';
import { podEvents, podLogs } from '../../src/adapters/kube/pod-reads.js';
import type { Kube } from '../../src/adapters/kube/client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const pod = (name: string, rv: string, phase = 'Pending') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'ns', uid: name + '-uid', resourceVersion: rv, creationTimestamp: '2025-11-27T10:00:00Z' },
  spec: { containers: [{ name: 'app', image: 'x:1' }] },
  status: { phase },
});

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function fakeApiServer(handler: Handler): Promise<{ kube: Kube; openWatches: () => number }> {
  let open = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.searchParams.get('watch') === 'true') {
      open++;
      res.on('close', () => open--);
    }
    handler(req, res, url);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'ns' }],
    currentContext: 'x',
  });
  const kube: Kube = { kc, context: 'x', cluster: 'c', namespace: 'ns', server: `http://127.0.0.1:${port}`, files: [], core: kc.makeApiClient(CoreV1Api) };
  return { kube, openWatches: () => open };
}

function json(res: ServerResponse, body: unknown, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const line = (res: ServerResponse, type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + '\n');

describe('watchPods (fake API server)', () => {
  it('lists, watches, re-watches from the last version when a watch ends, re-lists on 410, and stops on abort', async () => {
    const lists: string[] = [];
    const watches: Array<string | null> = [];
    const { kube, openWatches } = await fakeApiServer((_req, res, url) => {
      if (url.pathname !== '/api/v1/namespaces/ns/pods') return json(res, { kind: 'Status', code: 404 }, 404);
      if (url.searchParams.get('watch') !== 'true') {
        lists.push(url.searchParams.get('labelSelector') ?? '');
        return json(res, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: lists.length === 1 ? '10' : '50' }, items: lists.length === 1 ? [pod('a', '10')] : [pod('b', '50')] });
      }
      watches.push(url.searchParams.get('resourceVersion'));
      res.writeHead(200, { 'content-type': 'application/json' });
      if (watches.length === 1) {
        line(res, 'MODIFIED', pod('a', '11', 'Running'));
        line(res, 'BOOKMARK', { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '12' } });
        res.end(); // the server ends the watch (its timeout)
      } else if (watches.length === 2) {
        line(res, 'ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 12 (40)', reason: 'Expired', code: 410 });
        res.end();
      } else {
        line(res, 'ADDED', pod('c', '51'));
        // stays open until the client goes away
      }
    });
    const seen: string[][] = [];
    const ac = new AbortController();
    const done = watchPods(kube, {
      namespace: 'ns',
      labelSelector: 'app.kubernetes.io/name=demo',
      signal: ac.signal,
      onChange: (pods: V1Pod[]) => seen.push(pods.map((p) => `${p.metadata!.name}:${p.status?.phase}`)),
    });
    await vi.waitFor(() => expect(seen.at(-1)).toEqual(['b:Pending', 'c:Pending']), { timeout: 5000 });
    expect(lists).toEqual(['app.kubernetes.io/name=demo', 'app.kubernetes.io/name=demo']);
    expect(watches).toEqual(['10', '12', '50']);
    expect(seen).toContainEqual(['a:Running']);
    expect(openWatches()).toBe(1);
    ac.abort();
    await done;
    await vi.waitFor(() => expect(openWatches()).toBe(0), { timeout: 2000 });
  });

  it('gives typed pods (Date timestamps) like the API client does', async () => {
    const { kube } = await fakeApiServer((_req, res, url) => {
      if (url.searchParams.get('watch') !== 'true') return json(res, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
      res.writeHead(200, { 'content-type': 'application/json' });
      line(res, 'ADDED', pod('a', '2'));
    });
    const ac = new AbortController();
    let got: V1Pod | undefined;
    const done = watchPods(kube, { namespace: 'ns', labelSelector: 'x=y', signal: ac.signal }, (pods) => (got = pods[0] ?? got));
    await vi.waitFor(() => expect(got).toBeDefined(), { timeout: 5000 });
    expect(got!.metadata!.creationTimestamp).toBeInstanceOf(Date);
    ac.abort();
    await done;
  });

  it('retries a failing list with backoff and turns 403 into a clear error', async () => {
    let calls = 0;
    const { kube } = await fakeApiServer((_req, res) => {
      calls++;
      if (calls === 1) return json(res, { kind: 'Status', code: 500, message: 'etcd is busy' }, 500);
      return json(res, { kind: 'Status', code: 403, message: 'pods is forbidden' }, 403);
    });
    const ac = new AbortController();
    const err = await watchPods(kube, { namespace: 'ns', labelSelector: 'x=y', signal: ac.signal, onChange: () => {} }).catch((e: unknown) => e);
    expect(calls).toBe(2);
    expect(err).toMatchObject({ code: 'cluster', message: 'Listing pods in namespace "ns" was refused (HTTP 403).' });
  });

  it('returns at once when the signal is already aborted, without listing', async () => {
    let calls = 0;
    const { kube } = await fakeApiServer((_req, res) => {
      calls++;
      json(res, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
    });
    const ac = new AbortController();
    ac.abort();
    await watchPods(kube, { namespace: 'ns', labelSelector: 'x=y', signal: ac.signal, onChange: () => {} });
    expect(calls).toBe(0);
  });
});

describe('podEvents and podLogs (fake API server)', () => {
  it('selects events by pod name, drops those of an older pod with the same name, oldest first', async () => {
    let selector = '';
    const ev = (name: string, uid: string, t: string) => ({
      metadata: { name, namespace: 'ns' },
      involvedObject: { kind: 'Pod', name: 'p', uid },
      reason: name,
      lastTimestamp: t,
    });
    const { kube } = await fakeApiServer((_req, res, url) => {
      selector = url.searchParams.get('fieldSelector') ?? '';
      json(res, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: [ev('late', 'new', '2025-11-27T10:02:00Z'), ev('old', 'gone', '2025-11-27T09:00:00Z'), ev('early', 'new', '2025-11-27T10:01:00Z')] });
    });
    const events = await podEvents(kube, 'ns', 'p', 'new');
    expect(selector).toBe('involvedObject.name=p');
    expect(events.map((e) => e.reason)).toEqual(['early', 'late']);
  });

  it('reads the last log lines, and [] when there is no previous run', async () => {
    const { kube } = await fakeApiServer((_req, res, url) => {
      if (url.searchParams.get('previous') === 'true') return json(res, { kind: 'Status', code: 400, message: 'previous terminated container "app" not found' }, 400);
      expect(url.pathname).toBe('/api/v1/namespaces/ns/pods/p/log');
      expect(url.searchParams.get('tailLines')).toBe('40');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('one\ntwo\n');
    });
    expect(await podLogs(kube, 'ns', 'p', 'app', { tailLines: 40, previous: false })).toEqual(['one', 'two']);
    expect(await podLogs(kube, 'ns', 'p', 'app', { tailLines: 40, previous: true })).toEqual([]);
  });
});
