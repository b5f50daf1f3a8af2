// A pod whose sandbox cannot be created because the node's runtime is down (issue 9 item 6): the
// wait used to sit out the whole --timeout (5 minutes by default). The diagnosis is certain after
// repeated FailedCreatePodSandBox reports that the runtime cannot be reached — within ~30 s — and
// names the node and its runtime (exit 12).
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { diagnosePod } from '../../src/core/diagnose/index.js';
import { RUNTIME_DOWN_REPEAT_MS, RUNTIME_DOWN_SETTLE_MS, unreachableRuntime } from '../../src/core/diagnose/pod-warnings.js';
import { podFailure } from '../../src/core/wait-progress.js';
import { ExitCode } from '../../src/errors.js';

const T0 = Date.parse('2026-11-30T05:00:00Z');
const REFUSED =
  'Failed to create pod sandbox: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/ship-cluster/containerd.sock: connect: connection refused"';
const GONE = 'Failed to create pod sandbox: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory"';

const pod: V1Pod = {
  metadata: { name: 'web', namespace: 'ns', uid: 'web-uid', creationTimestamp: new Date(T0) },
  spec: { nodeName: 'ship-node', containers: [{ name: 'app', image: 'web:ship-1' }] },
  status: {
    phase: 'Pending',
    containerStatuses: [{ name: 'app', image: 'web:ship-1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
  },
};

function sandboxEvent(message: string, firstMs: number, lastMs: number, count: number): CoreV1Event {
  return {
    metadata: { name: `web.${firstMs}`, namespace: 'ns' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'ns' },
    type: 'Warning',
    reason: 'FailedCreatePodSandBox',
    message,
    count,
    firstTimestamp: new Date(T0 + firstMs),
    lastTimestamp: new Date(T0 + lastMs),
    source: { component: 'kubelet', host: 'ship-node' },
  };
}

const scheduled: CoreV1Event = {
  metadata: { name: 'web.sched', namespace: 'ns' },
  involvedObject: { kind: 'Pod', name: 'web', namespace: 'ns' },
  type: 'Normal',
  reason: 'Scheduled',
  message: 'Successfully assigned ns/web to ship-node',
  firstTimestamp: new Date(T0),
  lastTimestamp: new Date(T0),
};

describe('FailedCreatePodSandBox: the node runtime does not answer', () => {
  it('repeated reports over 10 s are certain: names the node, the runtime and its socket (exit 12)', () => {
    const events = [scheduled, sandboxEvent(REFUSED, 1_000, 12_000, 3)];
    const d = diagnosePod({ pod, events, now: T0 + 1_000 + RUNTIME_DOWN_REPEAT_MS + 1_000 })!;
    expect(d.certain).toBe(true);
    expect(d.reason).toBe('FailedCreatePodSandBox');
    expect(d.message).toBe(
      'Pod "web" cannot start: the container runtime of node "ship-node" (containerd, /run/ship-cluster/containerd.sock) does not answer (connection refused); the kubelet could not create the pod\'s sandbox 3 times.',
    );
    expect(d.hint).toMatch(/^containerd is down on the node ship-node: restart it/);
    expect(podFailure(d, events, T0 + 20_000).exitCode).toBe(ExitCode.pod);
  });

  it('a single report is not certain at once (a runtime restarting answers again in a second or two), but is after RUNTIME_DOWN_SETTLE_MS', () => {
    const events = [scheduled, sandboxEvent(GONE, 1_000, 1_000, 1)];
    expect(diagnosePod({ pod, events, now: T0 + 3_000 })!.certain).toBe(false);
    const later = diagnosePod({ pod, events, now: T0 + 1_000 + RUNTIME_DOWN_SETTLE_MS })!;
    expect(later.certain).toBe(true);
    expect(later.message).toContain('(containerd, /run/containerd/containerd.sock) does not answer (its socket does not exist)');
    expect(RUNTIME_DOWN_SETTLE_MS).toBeLessThanOrEqual(30_000);
  });

  it("as recorded on the test cluster: one report (the kubelet stops syncing pods once its runtime is down), the scheduler's Scheduled event a few hundred ms 'later' than the report's whole-second time", () => {
    const sched: CoreV1Event = { ...scheduled, firstTimestamp: undefined, lastTimestamp: undefined, eventTime: new Date(T0 + 1_400) as unknown as CoreV1Event['eventTime'] };
    const events = [sched, sandboxEvent(REFUSED, 1_000, 1_000, 1)];
    const d = diagnosePod({ pod, events, now: T0 + 1_000 + RUNTIME_DOWN_SETTLE_MS })!;
    expect(d.certain).toBe(true);
    expect(d.message).toContain('the kubelet could not create the pod\'s sandbox once');
  });

  it('two reports within a second are not yet certain', () => {
    const d = diagnosePod({ pod, events: [scheduled, sandboxEvent(REFUSED, 1_000, 1_800, 2)], now: T0 + 2_000 })!;
    expect(d.certain).toBe(false);
  });

  it('not when anything happened to the pod after the last report (the runtime came back)', () => {
    const pulled: CoreV1Event = { ...scheduled, metadata: { name: 'web.pulled' }, reason: 'Pulled', message: 'Container image already present', firstTimestamp: new Date(T0 + 40_000), lastTimestamp: new Date(T0 + 40_000) };
    const d = diagnosePod({ pod, events: [scheduled, sandboxEvent(REFUSED, 1_000, 12_000, 3), pulled], now: T0 + 41_000 });
    expect(d?.certain ?? false).toBe(false);
  });

  it('a sandbox failure of the network plugin is not taken for a runtime that is down', () => {
    const cni = 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "abc": plugin type="bridge" failed (add): failed to allocate for range 0: no IP addresses available in range set';
    expect(unreachableRuntime(cni)).toBeUndefined();
    const d = diagnosePod({ pod, events: [scheduled, sandboxEvent(cni, 1_000, 40_000, 9)], now: T0 + 60_000 })!;
    expect(d.certain).toBe(false);
  });

  it('names CRI-O by its socket', () => {
    expect(unreachableRuntime('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /var/run/crio/crio.sock: connect: connection refused"')).toEqual({
      socket: '/var/run/crio/crio.sock',
      runtime: 'CRI-O',
      why: 'connection refused',
    });
  });
});
