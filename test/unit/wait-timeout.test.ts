// Issue 9 item 8: `timeout: 5` in ship.yaml (5 s, shorter than the wait's stay-up window) made
// every deploy fail with exit 13, and the hint read `kubectl -n NS describe pod ;`.

import { describe, expect, it, vi } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { parseConfig, mergeFlags } from '../../src/core/config.js';
import { toOptions } from '../../src/core/options.js';
import { MIN_WAIT_TIMEOUT_MS, STAY_UP_MS, waitTimeoutHint } from '../../src/core/wait-timeout.js';
import { NO_PROBE_SETTLE_MS, PodFailureError } from '../../src/core/wait-progress.js';
import { waitForReady } from '../../src/adapters/kube/wait-ready.js';
import type { PodApi } from '../../src/adapters/kube/pods.js';
import { ExitCode } from '../../src/errors.js';
import { caughtShipError } from '../support/ship-error.js';
import { loadCase } from './fixtures/pods/load.js';

const where = { projectDir: '/p/app', file: '/p/app/ship.yaml' };
const io = { cwd: '/p', env: {}, isTTY: false };


describe('a wait timeout too short to ever succeed is refused (exit 2)', () => {
  it('`timeout: 5` in ship.yaml names the file, the key, the line and the minimum', () => {
    const e = caughtShipError(() => parseConfig('port: 8080\ntimeout: 5\n', where));
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.message).toMatch(/^ship\.yaml: timeout: must be a duration of at least 10s .*\(a bare number counts as seconds\) \(got 5\)\.$/);
    expect(e.details).toEqual(['/p/app/ship.yaml, line 2']);
    expect(caughtShipError(() => parseConfig('timeout: 3s', where)).exitCode).toBe(ExitCode.usage);
  });

  it('--timeout 5 on the command line too; 10s, 90 and 5m are fine', () => {
    const e = caughtShipError(() => toOptions('/p/app', { timeout: '5' }, io));
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.message).toContain('--timeout 5 is shorter than 10s');
    expect(toOptions('/p/app', { timeout: '10s' }, io).timeoutMs).toBe(10_000);
    expect(toOptions('/p/app', mergeFlags(parseConfig('timeout: 90', where), {}), io).timeoutMs).toBe(90_000);
    expect(toOptions('/p/app', mergeFlags(parseConfig('timeout: 5m', where), {}), io).timeoutMs).toBe(300_000);
  });

  it('the minimum covers the stay-up window the wait really uses', () => {
    expect(NO_PROBE_SETTLE_MS).toBe(STAY_UP_MS);
    expect(MIN_WAIT_TIMEOUT_MS).toBeGreaterThan(NO_PROBE_SETTLE_MS);
  });
});

describe('the hint of a wait that ran out always names a pod, or no describe command', () => {
  it('pure', () => {
    expect(waitTimeoutHint({ namespace: 'ns', labelSelector: 'a=b', pod: 'p-1', seenPods: true })).toContain('kubectl -n ns describe pod p-1;');
    const none = waitTimeoutHint({ namespace: 'ns', labelSelector: 'a=b', seenPods: true });
    expect(none).not.toMatch(/describe pod/);
    expect(none).toContain('kubectl -n ns get pods -l a=b');
  });

  it('a pod still in its stay-up window when the time runs out is the one named', async () => {
    let onChange: ((pods: V1Pod[]) => void) | undefined;
    const api: PodApi = {
      watchPods(opts) {
        onChange = opts.onChange;
        return new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
      },
      podEvents: async () => [],
      podLogs: async () => [],
    };
    const p = waitForReady(api, {
      namespace: 'shop',
      labelSelector: 'app.kubernetes.io/name=demo',
      expected: 1,
      timeoutMs: 300,
      signal: new AbortController().signal,
      onStatus: () => {},
      pollMs: 20,
      settleMs: 60_000, // never settles within the 300 ms
    });
    await vi.waitFor(() => expect(onChange).toBeDefined(), { timeout: 2000, interval: 5 });
    const ready = loadCase('running-ready').pod; // no readiness probe
    ready.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime = new Date();
    onChange!([ready]);
    const e = (await p.catch((x: unknown) => x)) as PodFailureError;
    expect(e).toBeInstanceOf(PodFailureError);
    expect(e.code).toBe('timeout');
    expect(e.hint).toContain(`describe pod ${ready.metadata!.name};`);
    expect(e.hint).not.toMatch(/describe pod ;/);
  });
});
