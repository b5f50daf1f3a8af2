// LiveDev (src/pipeline/live.ts) with the cluster replaced: the pod watch asks for a redeploy only
// when a pod that ran live updates is replaced, and a live update's outcome becomes the one line,
// the JSON event, or the fallback the dev loop acts on.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryOutput } from '../../src/pipeline/output.js';

const pods = { now: [{ name: 'spring-pod', uid: 'u1', container: 'app', restarts: 0 }] };
const outcome: { next: Record<string, unknown> } = { next: {} };

vi.mock('../../src/tasks/live.js', async (orig) => ({
  ...(await orig<typeof import('../../src/tasks/live.js')>()),
  currentPods: async () => pods.now,
  liveUpdate: async () => outcome.next,
}));

const { LiveDev } = await import('../../src/pipeline/live.js');

type Session = Record<string, unknown>;
function withSession(live: InstanceType<typeof LiveDev>, updates: number): void {
  const session: Session = { kube: {}, namespace: 'ns', selector: 's', imageRef: 'x:ship-dev-1', pods: [{ name: 'spring-pod', uid: 'u1', container: 'app', restarts: 0 }], updates };
  (live as unknown as { session: Session; forward: Session }).session = session;
  (live as unknown as { forward: Session }).forward = { url: 'http://127.0.0.1:1', localPort: 1, remotePort: 8080, pod: 'spring-pod' };
}

beforeEach(() => {
  vi.useFakeTimers();
  pods.now = [{ name: 'spring-pod', uid: 'u1', container: 'app', restarts: 0 }];
});
afterEach(() => vi.useRealTimers());

describe('LiveDev.watchPods', () => {
  it('a pod replaced after live updates asks for a redeploy, with the reason', async () => {
    const live = new LiveDev({ live: true, podPollMs: 100 });
    withSession(live, 2);
    const out = memoryOutput(true);
    const asked: string[] = [];
    const stop = live.watchPods({ out }, () => false, (r) => asked.push(r));
    await vi.advanceTimersByTimeAsync(150);
    expect(asked).toEqual([]);
    pods.now = [{ name: 'spring-pod', uid: 'u2', container: 'app', restarts: 0 }];
    await vi.advanceTimersByTimeAsync(150);
    expect(asked).toEqual(['pod spring-pod was replaced or is not Ready after 2 live updates: the image lacks them']);
    expect(out.events).toContainEqual(expect.objectContaining({ type: 'live', status: 'fallback', stage: 'pods' }));
    // Asked once: the session is over until the redeploy starts a new one.
    await vi.advanceTimersByTimeAsync(500);
    expect(asked).toHaveLength(1);
    stop();
  });

  it('without live updates a replacement runs the current image: followed, no redeploy', async () => {
    const live = new LiveDev({ live: true, podPollMs: 100 });
    withSession(live, 0);
    const asked: string[] = [];
    const stop = live.watchPods({ out: memoryOutput() }, () => false, (r) => asked.push(r));
    pods.now = [{ name: 'spring-pod', uid: 'u2', container: 'app', restarts: 0 }];
    await vi.advanceTimersByTimeAsync(350);
    expect(asked).toEqual([]);
    stop();
  });

  it('never looks while a run or an update is busy', async () => {
    const live = new LiveDev({ live: true, podPollMs: 100 });
    withSession(live, 1);
    const asked: string[] = [];
    const stop = live.watchPods({ out: memoryOutput() }, () => true, (r) => asked.push(r));
    pods.now = [];
    await vi.advanceTimersByTimeAsync(500);
    expect(asked).toEqual([]);
    stop();
  });
});

describe('LiveDev.update', () => {
  const ctx = () => ({ opts: { projectDir: '/p', smokePath: '/' }, out: memoryOutput(true), env: {}, signal: new AbortController().signal, runner: {} }) as never;

  it('a sync prints one line and a live end event with the split', async () => {
    const live = new LiveDev({ live: true });
    withSession(live, 0);
    outcome.next = { kind: 'synced', files: ['a/B.class'], removed: [], pods: ['spring-pod'], status: 200, timings: { compileMs: 400, syncMs: 90, restartMs: 1100, answerMs: 30, totalMs: 2100 } };
    const c = ctx() as { out: ReturnType<typeof memoryOutput> };
    expect(await live.update(c as never, ['/p/src/main/java/B.java'], Date.now())).toBe(true);
    expect(c.out.lines).toEqual(['synced 1 class → spring-pod (restart 1.1 s) · served 2.1 s after save']);
    expect(c.out.events.at(-1)).toMatchObject({ type: 'live', status: 'end', ok: true, compileMs: 400, syncMs: 90, restartMs: 1100, answerMs: 30, totalMs: 2100 });
  });

  it('a fallback says why, ends the session and hands the batch to the redeploy', async () => {
    const live = new LiveDev({ live: true });
    withSession(live, 0);
    outcome.next = { kind: 'fallback', stage: 'plan', file: 'pom.xml', reason: 'pom.xml changed (dependencies or build configuration): the image is rebuilt' };
    const c = ctx() as { out: ReturnType<typeof memoryOutput> };
    expect(await live.update(c as never, ['/p/pom.xml'], Date.now())).toBe(false);
    expect(c.out.lines).toEqual(['live update not possible: pom.xml changed (dependencies or build configuration): the image is rebuilt → full rebuild and redeploy']);
    expect(c.out.events.at(-1)).toMatchObject({ type: 'live', status: 'fallback', stage: 'plan', file: 'pom.xml' });
    // No session any more: the next batch goes to the redeploy too, until a deploy starts a new one.
    expect(await live.update(c as never, ['/p/src/main/java/B.java'], Date.now())).toBe(false);
  });

  it('a compile error is handled (no redeploy): the pods keep their code', async () => {
    const live = new LiveDev({ live: true });
    withSession(live, 0);
    outcome.next = { kind: 'compile-error', lines: ['[ERROR] B.java:[1,1] oops'], compileMs: 800 };
    const c = ctx() as { out: ReturnType<typeof memoryOutput> };
    expect(await live.update(c as never, ['/p/src/main/java/B.java'], Date.now())).toBe(true);
    expect(c.out.lines[0]).toBe('warning: live update: compile failed (800 ms); the pods keep the last good code');
    expect(c.out.events.at(-1)).toMatchObject({ type: 'live', status: 'end', ok: false, error: 'compile' });
  });

  it('--no-live: no session, every batch redeploys', async () => {
    const live = new LiveDev({ live: false });
    expect(await live.update(ctx(), ['/p/src/main/java/B.java'], Date.now())).toBe(false);
  });
});

describe('LiveDev.deployOptions', () => {
  it('the dev-image step with live update, the debug steps with --debug, nothing for --no-live alone', () => {
    expect(new LiveDev({ live: false }).deployOptions()).toEqual({});
    expect(Object.keys(new LiveDev({ live: true }).deployOptions())).toEqual(['imageExtra']);
    expect(new LiveDev({ live: true }).deployOptions().imageExtra?.step).toBe('dev-image');
    const debug = new LiveDev({ live: false, debugPort: 5005 }).deployOptions();
    expect([debug.imageExtra?.step, debug.afterSmoke?.step]).toEqual(['debug-image', 'debug']);
  });
});

describe('LiveDev.update when the update itself throws', () => {
  it('is a fallback with the error, never a silent stop', async () => {
    const live = new LiveDev({ live: true });
    withSession(live, 0);
    outcome.next = undefined as never;
    const c = { opts: { projectDir: '/p', smokePath: '/' }, out: memoryOutput(true), env: {}, signal: new AbortController().signal, runner: {} };
    const spy = vi.spyOn(await import('../../src/tasks/live.js'), 'liveUpdate').mockRejectedValueOnce(new Error('log stream refused'));
    expect(await live.update(c as never, ['/p/src/main/java/B.java'], Date.now())).toBe(false);
    expect(c.out.events.at(-1)).toMatchObject({ type: 'live', status: 'fallback', reason: 'the live update failed (log stream refused)' });
    spy.mockRestore();
  });
});

describe('debugPortFlag', () => {
  it('off without --debug; 5005 by default; a bad or busy port is an error before anything is built', async () => {
    vi.useRealTimers();
    const { debugPortFlag } = await import('../../src/pipeline/live.js');
    const { createServer } = await import('node:net');
    expect(await debugPortFlag({})).toBeUndefined();
    await expect(debugPortFlag({ debugPort: 'x' })).rejects.toMatchObject({ code: 'usage' });
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      await expect(debugPortFlag({ debug: true, debugPort: String(port) })).rejects.toMatchObject({ code: 'forward', message: expect.stringMatching(/^--debug: .*already in use/), hint: expect.stringMatching(/--debug-port/) });
    } finally {
      server.close();
    }
  });
});
