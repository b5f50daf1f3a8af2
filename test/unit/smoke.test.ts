import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getOnce, smokeStep, waitForAnswer } from '../../src/tasks/smoke.js';
import type { ShipOptions } from '../../src/core/model.js';
import { InterruptedError, ShipError } from '../../src/errors.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(statusFor: (n: number) => number): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.statusCode = statusFor(hits);
    res.end(`answer ${hits}`);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, hits: () => hits };
}

describe('waitForAnswer', () => {
  it('retries 503 twice, then returns the 200', async () => {
    const { url, hits } = await serve((n) => (n <= 2 ? 503 : 200));
    const seen: string[] = [];
    const r = await waitForAnswer(url, { deadline: Date.now() + 5000, backoffMs: 10, onAttempt: (m) => seen.push(m) });
    expect(r).toEqual({ status: 200, attempts: 3 });
    expect(hits()).toBe(3);
    expect(seen).toEqual(['attempt 1: HTTP 503', 'attempt 2: HTTP 503']);
  });

  it('accepts a 404 (below 500) at once', async () => {
    const { url } = await serve(() => 404);
    expect(await waitForAnswer(url, { deadline: Date.now() + 5000 })).toEqual({ status: 404, attempts: 1 });
  });

  it('fails with ShipError(smoke) before a short deadline when the app always answers 500', async () => {
    const { url, hits } = await serve(() => 500);
    const started = Date.now();
    const err = await waitForAnswer(url, { deadline: Date.now() + 800, backoffMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShipError);
    expect((err as ShipError).code).toBe('smoke');
    expect((err as ShipError).message).toMatch(new RegExp(`^No answer below 500 from ${url} within [0-9.]+s: HTTP 500$`));
    expect((err as ShipError).hint).toMatch(/ship logs/);
    expect((err as ShipError).hint).toMatch(/--smoke-path/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(hits()).toBeGreaterThan(2);
  });

  it('retries connection errors and reports the last one', async () => {
    // A port that was free a moment ago: connection refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await waitForAnswer(`http://127.0.0.1:${port}/`, { deadline: Date.now() + 500, backoffMs: 20 }).catch((e: unknown) => e);
    expect((err as ShipError).code).toBe('smoke');
    expect((err as ShipError).message).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a request that never answers (per-request timeout)', async () => {
    const server = createServer(() => {
      /* never answers */
    });
    servers.push(server);
    server.on('connection', (s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await expect(getOnce(url, 300)).rejects.toThrow(/no answer within 0.3s/);
    server.closeAllConnections();
  });

  it('stops on abort with InterruptedError', async () => {
    const { url } = await serve(() => 503);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const err = await waitForAnswer(url, { deadline: Date.now() + 10_000, backoffMs: 50, signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
  });
});

describe('smokeStep', () => {
  function inputsFor(url: string, smokePath: string, timeoutMs = 60_000) {
    return {
      run: { opts: { smokePath, timeoutMs } as unknown as ShipOptions, signal: new AbortController().signal },
      input: { forward: { localPort: 1, remotePort: 8080, url, pod: 'p' }, appliedAt: Date.now() - 1500 },
    };
  }

  it('GETs the smoke path through the forward and records the status and the time since apply', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.statusCode = paths.length === 1 ? 502 : 200;
      res.end();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { run, input } = inputsFor(base, '/actuator/health');
    const fakeTask = { title: '', output: '' };
    const smoke = await smokeStep(run, input, fakeTask);
    expect(paths).toEqual(['/actuator/health', '/actuator/health']);
    expect(smoke.status).toBe(200);
    expect(smoke.sinceApplyMs).toBeGreaterThanOrEqual(1500);
    expect(fakeTask.title).toBe(`smoke · GET ${base}/actuator/health → 200`);
  });

  it('stops at the --timeout counted from apply when that comes before 60 s', async () => {
    const { url } = await serve(() => 503);
    const { run, input } = inputsFor(url.replace(/\/$/, ''), '/', 2300); // applied 1.5 s ago: about 0.8 s left
    const started = Date.now();
    let smoke: unknown;
    const err = await smokeStep(run, input, { title: '', output: '' }).then((r) => void (smoke = r), (e: unknown) => e);
    expect((err as ShipError).code).toBe('smoke');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(smoke).toBeUndefined();
  });
});
