// Issue 9 item 5: `MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]` from
// followAppLogs at the 11th redeploy of ship dev. The run's signal lives for the whole session:
// whatever a follow (or a step) adds to it must be gone when that follow (or step) ends.

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Kube } from '../../src/adapters/kube/client.js';
import { startFakeApi } from '../support/fake-kube.js';
import { followAppLogs } from '../../src/commands/logs.js';
import { memoryOutput } from '../../src/pipeline/output.js';
import { waitForAnswer } from '../../src/tasks/smoke.js';

let api: Awaited<ReturnType<typeof startFakeApi>>;
let kube: Kube;
const open = new Set<ServerResponse>();
const pod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'demo-1', namespace: 'default', resourceVersion: '5', labels: { 'app.kubernetes.io/name': 'demo' } },
  spec: { containers: [{ name: 'demo' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'demo', ready: true, restartCount: 0, image: 'x', imageID: 'x', containerID: 'containerd://1', state: { running: { startedAt: new Date().toISOString() } } }] },
};

beforeAll(async () => {
  // The API: a pod list, a watch that stays open, a follow log stream that stays open.
  api = await startFakeApi((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    open.add(res);
    res.on('close', () => open.delete(res));
    if (url.pathname.endsWith('/log')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started\n');
    } else if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: pod }) + '\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '5' }, items: [pod] }));
    }
  });
  kube = api.kube;
});

afterAll(async () => {
  for (const r of open) r.destroy();
  await api.close();
});

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => void process.off('warning', onWarning));

describe('ship dev: 20 redeploys (smoke retry + log follow) on one session signal (issue 9 item 5)', () => {
  it('leaves no abort listener on the session signal and emits no MaxListenersExceededWarning', async () => {
    process.on('warning', onWarning);
    const session = new AbortController();
    const out = memoryOutput();
    const deployed = { kube, app: 'demo', namespace: 'default', sinceMs: Date.now() };
    // The app behind the forward: its first answer after each redeploy is a 503 (still starting).
    let fresh = true;
    const app = createServer((_req, res) => {
      res.statusCode = fresh ? 503 : 200;
      fresh = false;
      res.end();
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/`;
    const before = getEventListeners(session.signal, 'abort').length;
    for (let i = 0; i < 20; i++) {
      // One redeploy's smoke check (one retry), then the logs followed until the next change.
      fresh = true;
      await waitForAnswer(url, { deadline: Date.now() + 10_000, signal: session.signal, backoffMs: 10 });
      const stop = await followAppLogs(deployed, { signal: session.signal, out });
      // Wait until the follow streams (bounded), then stop it, as the next redeploy does.
      for (let n = 0; n < 200 && !out.lines.some((l) => l.includes('started')); n++) await new Promise((r) => setTimeout(r, 10));
      expect(out.lines.some((l) => l.includes('started'))).toBe(true);
      await stop();
      out.lines.length = 0;
    }
    await new Promise((r) => setImmediate(r));
    await new Promise<void>((resolve) => app.close(() => resolve()));
    expect(getEventListeners(session.signal, 'abort').length).toBe(before);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  }, 60_000);
});
