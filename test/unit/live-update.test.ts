// liveUpdate's decisions with the cluster, Maven and the log replaced by fakes: what goes live,
// what falls back and why, and that a compile error or a refused change never touches the pods.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];
const state = {
  pods: [{ name: 'spring-pod', uid: 'u1', container: 'app', restarts: 0 }],
  compile: { ok: true } as { ok: true } | { ok: false; lines: string[] },
  output: new Map([['com/ex/A.class', 'a1']]),
  syncError: undefined as Error | undefined,
  restart: { kind: 'started', seconds: 1 } as Record<string, unknown>,
};

vi.mock('../../src/adapters/kube/app-pods.js', () => ({ listAppPods: async () => [] }));
vi.mock('../../src/adapters/live/app-pods.js', () => ({ livePods: () => state.pods }));
vi.mock('../../src/adapters/live/build-tool.js', () => ({
  compileLive: async () => {
    calls.push('compile');
    return state.compile;
  },
}));
vi.mock('../../src/adapters/live/pod-sync.js', () => ({
  syncIntoPod: async (_k: unknown, t: { pod: string }, req: { changed: string[]; removed: string[]; trigger: { name: string } }) => {
    calls.push(`sync ${t.pod} ${req.changed.join(',')} -${req.removed.join(',')} then ${req.trigger.name}`);
    if (state.syncError) throw state.syncError;
  },
}));
vi.mock('../../src/adapters/live/restart-watch.js', () => ({
  watchRestart: async (_k: unknown, t: { pod: string }) => {
    calls.push(`watch ${t.pod}`);
    return { outcome: Promise.resolve(state.restart), lines: ['boom'], stop: () => undefined };
  },
}));

const { liveUpdate } = await import('../../src/tasks/live.js');

function session() {
  return {
    kube: {} as never,
    namespace: 'ns',
    selector: 'app=x',
    imageRef: 'x:ship-dev-1',
    build: { tool: 'maven' as const, dir: '/p', cmd: 'mvn' },
    snapshotter: { snapshot: async () => new Map(state.output), locate: (p: string) => `/p/target/classes/${p}` } as never,
    podHolds: new Map([['com/ex/A.class', 'a0'], ['com/ex/Gone.class', 'g']]),
    pods: [{ name: 'spring-pod', uid: 'u1', container: 'app', restarts: 0 }],
    changeFacts: { dockerfile: 'Dockerfile', manifests: [] },
    updates: 0,
  };
}

const input = (s: ReturnType<typeof session>, files: string[]) => ({
  session: s,
  files: files.map((f) => `/p/${f}`),
  projectDir: '/p',
  savedAt: Date.now() - 1000,
  runner: {} as never,
  env: {},
  signal: new AbortController().signal,
  answer: async () => 200,
});

beforeEach(() => {
  calls.length = 0;
  state.pods = [{ name: 'spring-pod', uid: 'u1', container: 'app', restarts: 0 }];
  state.compile = { ok: true };
  state.output = new Map([['com/ex/A.class', 'a1']]);
  state.syncError = undefined;
  state.restart = { kind: 'started', seconds: 1 };
});

describe('liveUpdate', () => {
  it('a source save: compile, only the changed and removed files into the pod, trigger last, restart confirmed, app answers', async () => {
    const s = session();
    const r = await liveUpdate(input(s, ['src/main/java/com/ex/A.java']));
    expect(r).toMatchObject({ kind: 'synced', files: ['com/ex/A.class'], removed: ['com/ex/Gone.class'], pods: ['spring-pod'], status: 200 });
    expect(calls).toEqual(['compile', 'watch spring-pod', 'sync spring-pod com/ex/A.class -com/ex/Gone.class then .ship-restart']);
    expect(s.podHolds).toEqual(state.output);
    expect(s.updates).toBe(1);
    if (r.kind === 'synced') expect(r.timings.totalMs).toBeGreaterThanOrEqual(1000);
  });

  it('every Ready pod of the app gets the sync', async () => {
    state.pods = [
      { name: 'p-1', uid: 'u1', container: 'app', restarts: 0 },
      { name: 'p-2', uid: 'u2', container: 'app', restarts: 0 },
    ];
    const s = { ...session(), pods: state.pods };
    const r = await liveUpdate(input(s, ['src/main/resources/application.properties']));
    expect(r).toMatchObject({ kind: 'synced', pods: ['p-1', 'p-2'] });
    expect(calls.filter((c) => c.startsWith('sync'))).toHaveLength(2);
  });

  it('a pom change falls back before anything runs', async () => {
    const r = await liveUpdate(input(session(), ['src/main/java/A.java', 'pom.xml']));
    expect(r).toMatchObject({ kind: 'fallback', stage: 'plan', file: 'pom.xml' });
    expect(calls).toEqual([]);
  });

  it('a compile error is reported and the pods are not touched', async () => {
    state.compile = { ok: false, lines: ['[ERROR] A.java:[3,1] oops'] };
    const s = session();
    const r = await liveUpdate(input(s, ['src/main/java/com/ex/A.java']));
    expect(r).toMatchObject({ kind: 'compile-error', lines: ['[ERROR] A.java:[3,1] oops'] });
    expect(calls).toEqual(['compile']);
    expect(s.updates).toBe(0);
  });

  it('an unchanged build output syncs nothing', async () => {
    state.output = new Map([['com/ex/A.class', 'a0'], ['com/ex/Gone.class', 'g']]);
    expect(await liveUpdate(input(session(), ['src/main/java/com/ex/A.java']))).toEqual({ kind: 'nothing', why: 'the build output did not change' });
    expect(calls).toEqual(['compile']);
  });

  it('a replaced pod falls back: its image lacks the live updates', async () => {
    state.pods = [{ name: 'spring-pod', uid: 'u9', container: 'app', restarts: 0 }];
    const r = await liveUpdate(input(session(), ['src/main/java/com/ex/A.java']));
    expect(r).toMatchObject({ kind: 'fallback', stage: 'pods' });
    expect((r as { reason: string }).reason).toMatch(/spring-pod was replaced/);
    expect(calls).toEqual([]);
  });

  it('a change the restart cannot take falls back after the compile, before the sync', async () => {
    state.output = new Map([...session().podHolds, ['META-INF/spring-devtools.properties', 'x']]);
    expect(await liveUpdate(input(session(), ['src/main/resources/META-INF/spring-devtools.properties']))).toMatchObject({ kind: 'fallback', stage: 'plan', file: 'META-INF/spring-devtools.properties' });
    expect(calls).toEqual(['compile']);
  });

  it('a failed sync falls back, naming the pod and the error', async () => {
    state.syncError = new Error('the image has no tar');
    const r = await liveUpdate(input(session(), ['src/main/java/com/ex/A.java']));
    expect(r).toMatchObject({ kind: 'fallback', stage: 'sync' });
    expect((r as { reason: string }).reason).toBe('the sync into pod spring-pod failed (the image has no tar)');
  });

  it('a failed or unconfirmed restart falls back', async () => {
    state.restart = { kind: 'failed', message: 'APPLICATION FAILED TO START' };
    const r = await liveUpdate(input(session(), ['src/main/java/com/ex/A.java']));
    expect((r as { reason: string }).reason).toMatch(/^the restart in pod spring-pod failed \(APPLICATION FAILED TO START\): boom/);
    state.restart = { kind: 'timeout' };
    expect(await liveUpdate(input(session(), ['src/main/java/com/ex/A.java']))).toMatchObject({ kind: 'fallback', stage: 'restart', reason: 'pod spring-pod did not report a finished restart within 60 s' });
  });

  it('an app that does not answer after the restart falls back', async () => {
    const r = await liveUpdate({ ...input(session(), ['src/main/java/com/ex/A.java']), answer: async () => Promise.reject(new Error('HTTP 503')) });
    expect(r).toMatchObject({ kind: 'fallback', stage: 'answer', reason: 'the app did not answer after the restart (HTTP 503)' });
  });
});
