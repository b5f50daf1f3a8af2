// The log stream ship dev follows between deploys must end when it is stopped, also when the stop
// comes while the API server has not answered the log request yet (Ctrl-C right after a deploy):
// a follow stream that misses the abort never ends, and ship dev never exits.

import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamLog } from '../../src/adapters/kube/logs.js';
import type { Kube } from '../../src/adapters/kube/client.js';
import { startFakeApi } from '../support/fake-kube.js';

let api: Awaited<ReturnType<typeof startFakeApi>>;
let kube: Kube;
const open: ServerResponse[] = [];
let delayMs = 0;
let requests = 0;

beforeAll(async () => {
  // A kubelet-like follow stream: headers after delayMs, one line, then it stays open.
  api = await startFakeApi((req, res) => {
    requests += 1;
    open.push(res);
    setTimeout(() => {
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('gradle-app listening on 8080\n');
    }, delayMs);
  });
  kube = api.kube;
});

afterAll(async () => {
  for (const r of open) r.destroy();
  await api.close();
});

const target = { namespace: 'default', pod: 'gradle-app', container: 'gradle-app' };

describe('streamLog (follow) stops when aborted', () => {
  it('aborted while streaming: ends with "aborted" and the line it had', async () => {
    delayMs = 0;
    const abort = new AbortController();
    const lines: string[] = [];
    const p = streamLog(kube, target, { follow: true, signal: abort.signal }, (l) => lines.push(l));
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await expect(p).resolves.toBe('aborted');
    expect(lines).toEqual(['gradle-app listening on 8080']);
  });

  it('aborted while the request waits for its answer: ends at once instead of following forever', async () => {
    delayMs = 300;
    const before = requests;
    const abort = new AbortController();
    const p = streamLog(kube, target, { follow: true, signal: abort.signal }, () => undefined);
    while (requests === before) await new Promise((r) => setTimeout(r, 5));
    abort.abort(); // the answer is still 300 ms away
    const outcome = await Promise.race([p, new Promise((r) => setTimeout(() => r('still following after 3 s'), 3000))]);
    expect(outcome).toBe('aborted');
  });
});
