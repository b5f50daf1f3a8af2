import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { LOG_TAIL, PodFailureError } from '../../src/core/wait-progress.js';
import type { PodApi } from '../../src/adapters/kube/pods.js';
import { waitForReady } from '../../src/adapters/kube/wait-ready.js';
import { loadCase } from './fixtures/pods/load.js';
import { InterruptedError, ShipError } from '../../src/errors.js';
import { settleOnFakeClock } from '../support/fake-clock.js';

/** A PodApi whose watch the test drives: push() delivers a pod list as a watch would. */
function fakeApi(events: Record<string, CoreV1Event[]> = {}, logs: Record<string, string[]> = {}) {
  let onChange: ((pods: V1Pod[]) => void) | undefined;
  let watchSignal: AbortSignal | undefined;
  const calls = { events: [] as string[], logs: [] as Array<{ pod: string; container: string; tailLines: number; previous: boolean }> };
  const api: PodApi = {
    watchPods(opts) {
      onChange = opts.onChange;
      watchSignal = opts.signal;
      return new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
    },
    async podEvents(_ns, name) {
      calls.events.push(name);
      return events[name] ?? [];
    },
    async podLogs(_ns, pod, container, opts) {
      calls.logs.push({ pod, container, ...opts });
      return logs[`${pod}/${container}`] ?? [];
    },
  };
  return {
    api,
    calls,
    push: (pods: V1Pod[]) => onChange!(pods),
    started: () => onChange !== undefined,
    get watchAborted() {
      return watchSignal?.aborted ?? false;
    },
  };
}

// Tests that check something has NOT happened yet run on vitest's fake clock: they move it by exact
// amounts (vi.advanceTimersByTimeAsync), so "not yet" holds by construction, however slow the machine.
afterEach(() => {
  vi.useRealTimers();
});

const until = (cond: () => boolean) => vi.waitFor(() => expect(cond()).toBe(true), { timeout: 2000, interval: 5 });

function base(lines: string[], extra: Partial<Parameters<typeof waitForReady>[1]> = {}) {
  return {
    namespace: 'default',
    labelSelector: 'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=kubernetes-spring',
    expected: 1,
    timeoutMs: 5_000,
    signal: new AbortController().signal,
    builtImages: ['kubernetes-spring:ship-3f2a9c1b7d0e'],
    onStatus: (l: string) => void lines.push(l),
    pollMs: 20,
    settleMs: 0,
    ...extra,
  };
}

function withName(pod: V1Pod, name: string): V1Pod {
  const p = structuredClone(pod);
  p.metadata!.name = name;
  p.metadata!.uid = name + '-uid';
  return p;
}

describe('waitForReady', () => {
  it('shows live status and resolves when the pod is Ready; the watch is stopped', async () => {
    const f = fakeApi();
    const lines: string[] = [];
    const p = waitForReady(f.api, base(lines));
    await until(f.started);
    f.push([loadCase('container-creating').pod]);
    await until(() => lines.length === 1);
    f.push([withName(loadCase('running-ready').pod, 'creating-pod')]);
    await expect(p).resolves.toEqual({ ready: ['creating-pod'] });
    expect(lines).toEqual(['READY 0/1 · creating-pod: ContainerCreating', 'READY 1/1 · creating-pod: Ready']);
    expect(f.watchAborted).toBe(true);
  });

  it('fails fast on a crash loop, with the last log line, the events and the previous run logs', async () => {
    const c = loadCase('crashloop-exit1');
    const f = fakeApi({ 'crash-pod': c.events }, { 'crash-pod/app': ['Starting gradleapp', 'fatal: CRASH_AT_START is set, exiting'] });
    const started = Date.now();
    const p = waitForReady(f.api, base([], { timeoutMs: 60_000 }));
    await until(f.started);
    f.push([c.pod]);
    const err = await p.catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(PodFailureError);
    const e = err as PodFailureError;
    expect(e.code).toBe('pod');
    expect(e.exitCode).toBe(12);
    expect(e.message).toContain('Its last log line: "fatal: CRASH_AT_START is set, exiting"');
    expect(e.diagnosis?.reason).toBe('CrashLoopBackOff');
    expect(e.details).toContain('Events:');
    expect(e.details.some((l) => /^ {2}Warning\s+BackOff/.test(l))).toBe(true);
    expect(f.calls.logs).toEqual([{ pod: 'crash-pod', container: 'app', tailLines: LOG_TAIL, previous: true }]);
    expect(f.watchAborted).toBe(true);
  });

  it('asks the node whether it has the image for a pull failure', async () => {
    const c = loadCase('image-pull-backoff-unresolvable');
    const f = fakeApi({ nope: c.events });
    const asked: string[] = [];
    const p = waitForReady(f.api, base([], { nodeHasImage: async (ref) => (asked.push(ref), false) }));
    await until(f.started);
    f.push([c.pod]);
    const e = (await p.catch((x: unknown) => x)) as PodFailureError;
    expect(e.code).toBe('pod');
    expect(asked).toEqual(['registry.invalid/nope:1.0']);
    expect(e.details).toContain('On the node: no');
  });

  it('times out with the current status and the best diagnosis so far', async () => {
    const c = loadCase('readiness-failing-short');
    const f = fakeApi({ 'not-ready-yet': c.events });
    const p = waitForReady(f.api, base([], { timeoutMs: 300, now: () => c.now }));
    await until(f.started);
    f.push([c.pod]);
    const e = (await p.catch((x: unknown) => x)) as PodFailureError;
    expect(e).toBeInstanceOf(PodFailureError);
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(/^Not Ready after 0s: READY 0\/1 · not-ready-yet: Running — Container "app" is running but its readiness probe/);
    expect(e.hint).toContain('Nothing listens');
    expect(e.details.some((l) => l.includes('Readiness probe failed'))).toBe(true);
  });

  it('times out plainly when no pod ever appears', async () => {
    const f = fakeApi();
    const p = waitForReady(f.api, base([], { timeoutMs: 150 }));
    await until(f.started);
    f.push([]);
    const e = (await p.catch((x: unknown) => x)) as ShipError;
    expect(e.code).toBe('timeout');
    expect(e.message).toContain('no pod with labels app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=kubernetes-spring appeared in namespace "default"');
  });

  it('does not count terminating pods, and waits for every live pod (an old Ready pod is not enough)', async () => {
    vi.useFakeTimers();
    const f = fakeApi();
    const lines: string[] = [];
    const p = waitForReady(f.api, base(lines));
    await until(f.started);
    const old = loadCase('terminating').pod; // Ready but being deleted
    const fresh = loadCase('container-creating').pod;
    const oldReady = withName(loadCase('running-ready').pod, 'old-rs-pod');
    f.push([old, fresh]);
    f.push([oldReady, fresh]);
    await until(() => lines.length >= 2);
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(60);
    expect(done).toBe(false);
    expect(lines.at(-1)).toBe('READY 1/1 · old-rs-pod: Ready, creating-pod: ContainerCreating');
    f.push([withName(loadCase('running-ready').pod, 'creating-pod')]);
    await expect(settleOnFakeClock(p)).resolves.toEqual({ ready: ['creating-pod'] });
  });

  it('a new pod crashing next to an old Ready one still fails', async () => {
    const c = loadCase('crashloop-exit1');
    const f = fakeApi({ 'crash-pod': c.events });
    const p = waitForReady(f.api, base([]));
    await until(f.started);
    f.push([withName(loadCase('running-ready').pod, 'old'), c.pod]);
    await expect(p).rejects.toMatchObject({ code: 'pod' });
  });

  it("an old ReplicaSet's crash-looping pod does not fail the rollout of a new one", async () => {
    vi.useFakeTimers();
    const f = fakeApi({ 'web-aaa-1': loadCase('crashloop-exit1').events });
    const p = waitForReady(f.api, base([]));
    await until(f.started);
    const owned = (pod: V1Pod, name: string, hash: string, created: string) => {
      const x = withName(pod, name);
      x.metadata!.labels = { ...x.metadata!.labels, 'pod-template-hash': hash };
      x.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${hash}`, uid: hash, controller: true }];
      x.metadata!.creationTimestamp = new Date(created);
      return x;
    };
    const old = owned(loadCase('crashloop-exit1').pod, 'web-aaa-1', 'aaa', '2025-11-27T10:00:00Z');
    f.push([old, owned(loadCase('container-creating').pod, 'web-bbb-1', 'bbb', '2025-11-27T10:04:00Z')]);
    await vi.advanceTimersByTimeAsync(80);
    f.push([old, owned(loadCase('running-ready').pod, 'web-bbb-1', 'bbb', '2025-11-27T10:04:00Z')]);
    await expect(settleOnFakeClock(p)).resolves.toEqual({ ready: ['web-bbb-1'] });
  });

  describe('right after a Deployment is applied, before its controller has made the new ReplicaSet', () => {
    const owned = (pod: V1Pod, name: string, hash: string) => {
      const x = withName(pod, name);
      x.metadata!.labels = { ...x.metadata!.labels, 'pod-template-hash': hash };
      x.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${hash}`, uid: hash, controller: true }];
      return x;
    };
    const oldCrashing = () => owned(loadCase('crashloop-exit1').pod, 'web-aaa-1', 'aaa');

    it('without the rollout facts, the old crashing pod alone looks like the app failing (the race the facts close)', async () => {
      const f = fakeApi({ 'web-aaa-1': loadCase('crashloop-exit1').events });
      const p = waitForReady(f.api, base([], { deployments: ['web'] }));
      await until(f.started);
      f.push([oldCrashing()]);
      await expect(p).rejects.toMatchObject({ code: 'pod' });
    });

    it('with them, the old pod is not judged until the controller has seen the new spec, then only the current hash counts', async () => {
      vi.useFakeTimers();
      const f = fakeApi({ 'web-aaa-1': loadCase('crashloop-exit1').events });
      const facts: Array<Map<string, { settled: boolean; currentHash?: string }>> = [];
      let settledNow = false;
      f.api.rollouts = async (_ns, names) => {
        const m = new Map(names.map((n) => [n, settledNow ? { settled: true, currentHash: 'bbb' } : { settled: false }]));
        facts.push(m);
        return m;
      };
      const lines: string[] = [];
      const p = waitForReady(f.api, base(lines, { deployments: ['web'] }));
      let done = false;
      void p.finally(() => (done = true)).catch(() => undefined);
      await until(f.started);
      f.push([oldCrashing()]);
      await vi.advanceTimersByTimeAsync(80);
      expect(done).toBe(false);
      // The controller catches up: ReplicaSet web-bbb is current; the old pod is still there, crashing.
      settledNow = true;
      f.push([oldCrashing()]);
      await vi.advanceTimersByTimeAsync(80);
      expect(done).toBe(false);
      f.push([oldCrashing(), owned(loadCase('running-ready').pod, 'web-bbb-1', 'bbb')]);
      await expect(settleOnFakeClock(p)).resolves.toEqual({ ready: ['web-bbb-1'] });
      // Asked until settled, then no more.
      expect(facts.filter((m) => m.get('web')?.settled)).toHaveLength(1);
    });

    it('a crash in the current ReplicaSet still fails fast', async () => {
      const f = fakeApi({ 'web-bbb-1': loadCase('crashloop-exit1').events });
      f.api.rollouts = async (_ns, names) => new Map(names.map((n) => [n, { settled: true, currentHash: 'bbb' }]));
      const p = waitForReady(f.api, base([], { deployments: ['web'] }));
      await until(f.started);
      f.push([owned(loadCase('running-ready').pod, 'web-aaa-1', 'aaa'), owned(loadCase('crashloop-exit1').pod, 'web-bbb-1', 'bbb')]);
      await expect(p).rejects.toMatchObject({ code: 'pod' });
    });

    it('when the Deployment cannot be read, the pods\' ages decide as before', async () => {
      const f = fakeApi({ 'web-aaa-1': loadCase('crashloop-exit1').events });
      f.api.rollouts = async () => {
        throw Object.assign(new Error('forbidden'), { code: 403 });
      };
      const p = waitForReady(f.api, base([], { deployments: ['web'] }));
      await until(f.started);
      f.push([oldCrashing()]);
      await expect(p).rejects.toMatchObject({ code: 'pod' });
    });
  });

  it('Unschedulable while an old pod terminates is not final; it is once that pod is gone', async () => {
    vi.useFakeTimers();
    const c = loadCase('unschedulable-cpu');
    const f = fakeApi({ 'huge-cpu-pod': c.events });
    const p = waitForReady(f.api, base([]));
    let settled = false;
    void p.catch(() => (settled = true));
    await until(f.started);
    f.push([loadCase('terminating').pod, c.pod]);
    await vi.advanceTimersByTimeAsync(80);
    expect(settled).toBe(false);
    f.push([c.pod]);
    const e = (await settleOnFakeClock(p).catch((x: unknown) => x)) as PodFailureError;
    expect(e.code).toBe('pod');
    expect(e.message).toContain('Insufficient cpu');
  });

  it('counts Completed Job pods as done and waits for the expected number', async () => {
    const f = fakeApi();
    const lines: string[] = [];
    const p = waitForReady(f.api, base(lines, { expected: 2 }));
    await until(f.started);
    const job = loadCase('completed-job-pod').pod;
    f.push([job]);
    await until(() => lines.length === 1);
    expect(lines[0]).toBe('READY 1/2 · migrate-x2k9q: Completed');
    f.push([job, loadCase('running-ready').pod]);
    await expect(p).resolves.toEqual({ ready: ['migrate-x2k9q', 'spring-pod'] });
  });

  it('a pod without a readiness probe counts only once it has stayed Ready; a crash in between is caught', async () => {
    vi.useFakeTimers();
    const f = fakeApi();
    const lines: string[] = [];
    const p = waitForReady(f.api, base(lines, { settleMs: 150 }));
    let done = false;
    void p.then(() => (done = true));
    await until(f.started);
    const ready = loadCase('running-ready').pod;
    ready.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime = new Date();
    f.push([ready]);
    await until(() => lines.length === 1);
    expect(lines[0]).toBe('READY 0/1 · spring-pod: Ready, checking it stays up');
    await vi.advanceTimersByTimeAsync(60);
    expect(done).toBe(false);
    // it restarted meanwhile: the clock starts again
    const restarted = structuredClone(ready);
    restarted.status!.containerStatuses![0].restartCount = 1;
    f.push([restarted]);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(false);
    await expect(settleOnFakeClock(p)).resolves.toEqual({ ready: ['spring-pod'] });
    expect(lines.at(-1)).toBe('READY 1/1 · spring-pod: Ready (1 restart)');
  });

  it('a pod without a probe that has been Ready for long (left by the last run) counts at once', async () => {
    const f = fakeApi();
    const p = waitForReady(f.api, base([], { settleMs: 60_000 }));
    await until(f.started);
    f.push([loadCase('running-ready').pod]); // Ready since 2025-11-27T10:00:20Z
    await expect(p).resolves.toEqual({ ready: ['spring-pod'] });
  });

  it('a pod with a readiness probe counts as soon as it is Ready', async () => {
    const f = fakeApi();
    const p = waitForReady(f.api, base([], { settleMs: 60_000 }));
    await until(f.started);
    const ready = loadCase('running-ready').pod;
    ready.spec!.containers[0].readinessProbe = { httpGet: { path: '/', port: 8080 } };
    f.push([ready]);
    await expect(p).resolves.toEqual({ ready: ['spring-pod'] });
  });

  it('stops on abort with InterruptedError and stops the watch', async () => {
    const f = fakeApi();
    const ac = new AbortController();
    const p = waitForReady(f.api, base([], { signal: ac.signal }));
    await until(f.started);
    f.push([loadCase('container-creating').pod]);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
    expect(f.watchAborted).toBe(true);
  });

  it('passes a watch failure through and resolves at once when nothing is expected', async () => {
    const api: PodApi = {
      watchPods: async () => {
        throw new ShipError('cluster', 'Listing pods in namespace "x" was refused (HTTP 403).');
      },
      podEvents: async () => [],
      podLogs: async () => [],
    };
    await expect(waitForReady(api, base([]))).rejects.toMatchObject({ code: 'cluster' });
    await expect(waitForReady(api, base([], { expected: 0 }))).resolves.toEqual({ ready: [] });
  });
});
