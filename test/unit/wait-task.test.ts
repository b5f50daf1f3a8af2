import { describe, expect, it, vi } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { waitStep, type WaitInput } from '../../src/tasks/wait.js';
import type { PodApi } from '../../src/adapters/kube/pods.js';
import type { WatchPodsOptions } from '../../src/adapters/kube/pod-watch.js';
import { memoryOutput } from '../../src/pipeline/output.js';
import type { ShipOptions } from '../../src/core/model.js';
import { loadCase } from './fixtures/pods/load.js';

function fake(pods: V1Pod[], events: Record<string, ReturnType<typeof loadCase>['events']> = {}) {
  const seen: Array<Omit<WatchPodsOptions, 'onChange' | 'signal'>> = [];
  const api: PodApi = {
    watchPods(opts) {
      seen.push({ namespace: opts.namespace, labelSelector: opts.labelSelector });
      queueMicrotask(() => opts.onChange(pods));
      return new Promise<void>((r) => opts.signal.addEventListener('abort', () => r(), { once: true }));
    },
    podEvents: async (_ns, name) => events[name] ?? [],
    podLogs: async () => ['boom'],
  };
  return { api, seen };
}

function context() {
  return { opts: { timeoutMs: 5_000 } as ShipOptions, out: memoryOutput(true), signal: new AbortController().signal };
}

function inputs(cluster: WaitInput['cluster'], extra: Partial<WaitInput> = {}): WaitInput {
  return {
    cluster,
    namespace: 'apps',
    app: 'kubernetes-spring',
    image: { id: 'sha256:1', repository: 'kubernetes-spring', tag: 'ship-3f2a9c1b7d0e', ref: 'kubernetes-spring:ship-3f2a9c1b7d0e', unchanged: false },
    manifest: {
      yaml: '',
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          name: 'spring-pod',
          body: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'kubernetes-spring' } } },
          source: { file: 'x', doc: 0 },
        },
      ],
      rewritten: [],
      otherImages: [],
    },
    ...extra,
  };
}

/** The step's line, recording each title and output it shows. */
function line(titles: string[], lines: string[]) {
  return {
    set title(t: string) {
      titles.push(t);
    },
    set output(l: string) {
      lines.push(l);
    },
  } as { title: string; output: string };
}

describe('waitStep', () => {
  it('waits in the resolved namespace with the app selector and returns the Ready pods', async () => {
    const ready = loadCase('running-ready').pod;
    ready.spec!.containers[0].readinessProbe = { httpGet: { path: '/', port: 8080 } };
    const f = fake([ready]);
    const ctx = context();
    const titles: string[] = [];
    const lines: string[] = [];
    await expect(waitStep(ctx, inputs(f.api), line(titles, lines))).resolves.toEqual(['spring-pod']);
    expect(f.seen).toEqual([{ namespace: 'apps', labelSelector: 'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=kubernetes-spring' }]);
    expect(titles).toEqual(['wait · 1 pod Ready', 'wait · spring-pod Ready']);
    expect(lines).toEqual(['READY 1/1 · spring-pod: Ready']);
  });

  it('emits a diagnosis event before throwing, and asks the loader about the built image', async () => {
    const c = loadCase('err-image-pull-built-not-loaded');
    c.pod.status!.containerStatuses![0].state = { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "kubernetes-spring:ship-3f2a9c1b7d0e"' } };
    const f = fake([c.pod], { 'spring-pod': c.events });
    const has = vi.fn(async () => false);
    const ctx = context();
    let ready: unknown;
    const err = await waitStep(ctx, inputs(f.api, { loader: { name: 'containerd', has, load: vi.fn() } as unknown as WaitInput['loader'] }), line([], [])).then(
      (r) => void (ready = r),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'pod' });
    expect(has).toHaveBeenCalledWith({ ref: 'kubernetes-spring:ship-3f2a9c1b7d0e', id: 'sha256:1' }, ctx.signal);
    expect(ctx.out.events).toHaveLength(1);
    expect(ctx.out.events[0]).toMatchObject({ type: 'diagnosis', reason: 'ImagePullBackOff', pod: 'spring-pod', container: 'app', certain: true, outcome: 'pod' });
    const diagnosis = ctx.out.events[0];
    expect(diagnosis?.type === 'diagnosis' && diagnosis.message).toContain('ship built this image, but it is not on the node');
    expect(ready).toBeUndefined();
  });
});
