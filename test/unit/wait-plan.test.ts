import { describe, expect, it } from 'vitest';
import { deploymentNames, expectedPods, outgoingPods, podSelector } from '../../src/core/wait-plan.js';

const tpl = (name?: string) => ({ metadata: { labels: { 'app.kubernetes.io/managed-by': 'ship', ...(name ? { 'app.kubernetes.io/name': name } : {}) } } });

describe('expectedPods', () => {
  it('counts pods per workload kind', () => {
    expect(expectedPods([{ kind: 'Pod', body: {} }])).toBe(1);
    expect(expectedPods([{ kind: 'Deployment', body: { spec: { replicas: 3 } } }])).toBe(3);
    expect(expectedPods([{ kind: 'Deployment', body: { spec: {} } }])).toBe(1);
    expect(expectedPods([{ kind: 'StatefulSet', body: { spec: { replicas: 0 } } }])).toBe(0);
    expect(expectedPods([{ kind: 'DaemonSet', body: {} }])).toBe(1);
    expect(expectedPods([{ kind: 'Job', body: { spec: { parallelism: 4, completions: 2 } } }])).toBe(2);
    expect(expectedPods([{ kind: 'Job', body: {} }])).toBe(1);
    expect(expectedPods([{ kind: 'CronJob', body: {} }, { kind: 'Service', body: {} }, { kind: 'ConfigMap', body: {} }])).toBe(0);
    expect(expectedPods([{ kind: 'Pod', body: {} }, { kind: 'Pod', body: {} }, { kind: 'ReplicaSet', body: { spec: { replicas: 2 } } }])).toBe(4);
  });
});

describe('podSelector', () => {
  it('uses the app name, or the name labels the templates carry', () => {
    expect(podSelector([{ kind: 'Pod', body: tpl('kubernetes-spring') }], 'kubernetes-spring')).toBe(
      'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=kubernetes-spring',
    );
    expect(podSelector([{ kind: 'Deployment', body: { spec: { template: tpl('web') } } }, { kind: 'Service', body: {} }], 'app')).toBe(
      'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=web',
    );
    expect(podSelector([{ kind: 'Pod', body: tpl('a') }, { kind: 'Deployment', body: { spec: { template: tpl() } } }], 'b')).toBe(
      'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name in (a,b)',
    );
    expect(podSelector([], 'x')).toBe('app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=x');
  });
});

describe('outgoingPods', () => {
  const pod = (name: string, rs: string, hash: string, created: string) => ({
    metadata: {
      name,
      labels: { 'pod-template-hash': hash },
      creationTimestamp: created,
      ownerReferences: [{ kind: 'ReplicaSet', name: rs, controller: true }],
    },
  });
  it("marks the pods of a Deployment's older ReplicaSets, per Deployment", () => {
    const oldWeb = pod('web-aaa-1', 'web-aaa', 'aaa', '2025-01-01T10:00:00Z');
    const newWeb = pod('web-bbb-1', 'web-bbb', 'bbb', '2025-01-01T10:05:00Z');
    const api = pod('api-ccc-1', 'api-ccc', 'ccc', '2025-01-01T09:00:00Z');
    const bare = { metadata: { name: 'bare', creationTimestamp: '2025-01-01T08:00:00Z' } };
    const out = outgoingPods([oldWeb, newWeb, api, bare]);
    expect([...out].map((p) => p.metadata.name)).toEqual(['web-aaa-1']);
  });
  it('marks nothing when each Deployment has one ReplicaSet', () => {
    expect(outgoingPods([pod('a', 'web-aaa', 'aaa', '2025-01-01T10:00:00Z'), pod('b', 'web-aaa', 'aaa', '2025-01-01T10:01:00Z')]).size).toBe(0);
  });
  it("with the controller's facts: unsettled → none of that Deployment's pods counts yet; settled → every other hash is outgoing", () => {
    const oldWeb = pod('web-aaa-1', 'web-aaa', 'aaa', '2025-01-01T10:00:00Z');
    const api = pod('api-ccc-1', 'api-ccc', 'ccc', '2025-01-01T09:00:00Z');
    const names = (s: Set<{ metadata: { name: string } }>) => [...s].map((p) => p.metadata.name).sort();
    expect(names(outgoingPods([oldWeb, api], new Map([['web', { settled: false }]])))).toEqual(['web-aaa-1']);
    // Only the old ReplicaSet has pods so far, and it is not the current one.
    expect(names(outgoingPods([oldWeb, api], new Map([['web', { settled: true, currentHash: 'bbb' }]])))).toEqual(['web-aaa-1']);
    // Even when its pods are newer than the current one's (a rollback to an older template).
    const newer = pod('web-aaa-2', 'web-aaa', 'aaa', '2025-01-01T11:00:00Z');
    const current = pod('web-bbb-1', 'web-bbb', 'bbb', '2025-01-01T10:30:00Z');
    expect(names(outgoingPods([newer, current], new Map([['web', { settled: true, currentHash: 'bbb' }]])))).toEqual(['web-aaa-2']);
    // Settled but no current ReplicaSet known (a paused Deployment): the pods' ages decide.
    expect(names(outgoingPods([newer, current], new Map([['web', { settled: true }]])))).toEqual(['web-bbb-1']);
  });
});

describe('deploymentNames', () => {
  it('the Deployments among the objects, once each', () => {
    const objects = [
      { kind: 'Deployment', name: 'web', body: {} },
      { kind: 'Service', name: 'web', body: {} },
      { kind: 'Deployment', body: { metadata: { name: 'api' } } },
      { kind: 'Deployment', name: 'web', body: {} },
    ];
    expect(deploymentNames(objects)).toEqual(['web', 'api']);
  });
});
