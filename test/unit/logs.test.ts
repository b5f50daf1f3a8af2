import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { formatLogLine, hasEverRun, parseLogFlags, planStreams } from '../../src/commands/logs.js';
import { LineSplitter, containerRunId, logError } from '../../src/adapters/kube/logs.js';
import { chooseContainer, pickPod } from '../../src/core/pod-choice.js';
import { splitDirAndPod } from '../../src/commands/target.js';
import { ShipError } from '../../src/errors.js';

function pod(name: string, state: 'running' | 'waiting' | 'terminated', opts: { id?: string; restarts?: number; containers?: string[]; deleting?: boolean; ready?: boolean; created?: string; annotations?: Record<string, string> } = {}): V1Pod {
  const containers = opts.containers ?? ['app'];
  return {
    metadata: { name, namespace: 'default', creationTimestamp: (opts.created ?? '2026-01-01T00:00:00Z') as unknown as Date, ...(opts.deleting ? { deletionTimestamp: new Date() } : {}), annotations: opts.annotations },
    spec: { containers: containers.map((c) => ({ name: c, image: 'demo:1' })) },
    status: {
      phase: state === 'running' ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }],
      containerStatuses: containers.map((c) => ({
        name: c,
        image: 'demo:1',
        imageID: '',
        ready: Boolean(opts.ready),
        restartCount: opts.restarts ?? 0,
        containerID: state === 'waiting' ? undefined : `containerd://${opts.id ?? name + '-' + c}`,
        state: state === 'running' ? { running: {} } : state === 'waiting' ? { waiting: { reason: 'ContainerCreating' } } : { terminated: { exitCode: 1 } },
      })),
    },
  } as V1Pod;
}

describe('log flags', () => {
  it('turns --tail and --since into API parameters', () => {
    expect(parseLogFlags({ tail: '20', since: '5m' })).toEqual({ follow: false, previous: false, tailLines: 20, sinceSeconds: 300 });
    expect(parseLogFlags({ follow: true, tail: '-1' })).toEqual({ follow: true, previous: false, tailLines: undefined, sinceSeconds: undefined });
    expect(parseLogFlags({ since: '1500ms' }).sinceSeconds).toBe(2);
  });
  it('refuses bad values and --previous with --follow as usage errors', () => {
    for (const f of [{ tail: 'ten' }, { tail: '-5' }, { since: 'yesterday' }, { follow: true, previous: true }]) {
      expect(() => parseLogFlags(f)).toThrow(ShipError);
      try {
        parseLogFlags(f);
      } catch (e) {
        expect((e as ShipError).code).toBe('usage');
      }
    }
  });
  it('prefixes lines with the pod when asked', () => {
    expect(formatLogLine('demo-1', 'hello', true)).toBe('[demo-1] hello');
    expect(formatLogLine('demo-1', 'hello', false)).toBe('hello');
  });
});

describe('which streams to open while following', () => {
  it('opens one stream per pod with a started container, once', () => {
    const seen = new Map<string, string>();
    const first = planStreams([pod('a', 'running'), pod('b', 'waiting'), pod('c', 'running', { deleting: true })], seen, undefined);
    expect(first).toEqual([{ pod: 'a', container: 'app', runId: 'containerd://a-app', first: true }]);
    seen.set('a', first[0].runId);
    expect(planStreams([pod('a', 'running'), pod('b', 'waiting')], seen, undefined)).toEqual([]);
    // b starts: a new stream for b only.
    expect(planStreams([pod('a', 'running'), pod('b', 'running')], seen, undefined).map((s) => s.pod)).toEqual(['b']);
  });
  it('a restarted container (new container ID) gets a new stream, shown whole', () => {
    const seen = new Map([['a', 'containerd://old']]);
    expect(planStreams([pod('a', 'running', { id: 'new', restarts: 1 })], seen, undefined)).toEqual([{ pod: 'a', container: 'app', runId: 'containerd://new', first: false }]);
  });
  it('uses the named container, and skips pods that lack it', () => {
    const seen = new Map<string, string>();
    const s = planStreams([pod('a', 'running', { containers: ['app', 'sidecar'] }), pod('b', 'running')], seen, 'sidecar');
    expect(s).toEqual([{ pod: 'a', container: 'sidecar', runId: 'containerd://a-sidecar', first: true }]);
  });
  it('a container that has not started has no run to stream', () => {
    expect(containerRunId(pod('a', 'waiting'), 'app')).toBeUndefined();
    expect(hasEverRun(pod('a', 'waiting'), 'app')).toBe(false);
    // Waiting in CrashLoopBackOff: its last run's log can still be read.
    expect(hasEverRun(pod('a', 'waiting', { restarts: 3 }), 'app')).toBe(true);
    expect(containerRunId(pod('a', 'terminated'), 'app')).toBe('containerd://a-app');
  });
});

describe('lines', () => {
  it('splits chunks into lines, across chunk borders, and flushes a last partial line', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('line 0\nli');
    s.push('ne 1\r\nline');
    expect(lines).toEqual(['line 0', 'line 1']);
    s.push(' 2');
    s.flush();
    expect(lines).toEqual(['line 0', 'line 1', 'line 2']);
  });
});

describe('errors from the log API', () => {
  const t = { namespace: 'default', pod: 'demo', container: 'app' };
  it('--previous without a restart says there is no previous run', () => {
    const e = logError(t, { previous: true }, { code: 400, body: JSON.stringify({ message: 'previous terminated container "app" in pod "demo" not found' }) });
    expect(e.code).toBe('pod');
    expect(e.message).toMatch(/has not restarted/);
    expect(e.hint).toMatch(/--previous/);
  });
  it('a container that is still starting is named as such', () => {
    const e = logError(t, {}, { code: 400, body: { message: 'container "app" in pod "demo" is waiting to start: ContainerCreating' } });
    expect(e.message).toMatch(/has not started yet/);
  });
});

describe('choosing the pod, container and directory', () => {
  it('prefers a Ready pod, then a running one, then the newest', () => {
    expect(pickPod([pod('a', 'running'), pod('b', 'running', { ready: true })]).metadata?.name).toBe('b');
    expect(pickPod([pod('a', 'waiting'), pod('b', 'running')]).metadata?.name).toBe('b');
    expect(pickPod([pod('a', 'waiting', { created: '2026-01-01T00:00:00Z' }), pod('b', 'waiting', { created: '2026-01-02T00:00:00Z' })]).metadata?.name).toBe('b');
    expect(pickPod([pod('a', 'running', { ready: true, deleting: true }), pod('b', 'waiting')]).metadata?.name).toBe('b');
  });
  it('takes --container, else the default-container annotation, else the first', () => {
    const p = pod('a', 'running', { containers: ['app', 'side'] });
    expect(chooseContainer(p)).toBe('app');
    expect(chooseContainer(p, 'side')).toBe('side');
    expect(chooseContainer(pod('a', 'running', { containers: ['app', 'side'], annotations: { 'kubectl.kubernetes.io/default-container': 'side' } }))).toBe('side');
    expect(() => chooseContainer(p, 'nope')).toThrow(/has no container "nope"/);
  });
  it('reads one word as a directory when it is one, else as a pod', () => {
    const dirs = new Set(['/work/app']);
    const isDir = (p: string) => dirs.has(p);
    expect(splitDirAndPod([undefined, undefined], '/work', isDir)).toEqual({ dir: '.' });
    expect(splitDirAndPod(['app', undefined], '/work', isDir)).toEqual({ dir: 'app' });
    expect(splitDirAndPod(['demo-pod', undefined], '/work', isDir)).toEqual({ dir: '.', pod: 'demo-pod' });
    expect(splitDirAndPod(['x', 'demo-pod'], '/work', isDir)).toEqual({ dir: 'x', pod: 'demo-pod' });
  });
});
