// ship dev's pieces: which changed paths count as sources, the debounce, and the loop itself with
// fake steps (the real pipeline runs in test/e2e/lifecycle.test.ts) on a real temp directory.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce, dev, isSourceChange, type DevHooks } from '../../src/pipeline/dev.js';
import { runSteps } from '../../src/pipeline/run.js';
import type { RunContext } from '../../src/pipeline/context.js';
import type { Deployed } from '../../src/pipeline/up.js';
import type { ShipEvent } from '../../src/pipeline/output.js';
import type { Kube } from '../../src/adapters/kube/client.js';
import type { ProcessRunner } from '../../src/adapters/process.js';
import { InterruptedError, ShipError } from '../../src/errors.js';

describe('isSourceChange', () => {
  const p = '/home/me/app';
  it.each([
    ['src/main/java/demo/App.java'],
    ['src/main/resources/application.yaml'],
    ['build.gradle'],
    ['build.gradle.kts'],
    ['pom.xml'],
    ['Dockerfile'],
    ['k8s/pod.yaml'],
    ['.mvn/wrapper/maven-wrapper.properties'],
    // Packages and resources may carry an output directory's name: inside src they are sources.
    ['src/main/java/com/acme/build/Builder.java'],
    ['src/main/resources/static/out/app.js'],
    ['module-a/src/main/java/bin/Tool.java'],
  ])('%s is a source', (rel) => {
    expect(isSourceChange(p, `${p}/${rel}`)).toBe(true);
  });

  it.each([
    ['build/libs/app.jar'],
    ['build'],
    ['target/classes/demo/App.class'],
    ['module-a/build/tmp/x'],
    ['out/production/App.class'],
    ['bin/main/App.class'],
    ['.gradle/8.0/fileHashes/fileHashes.lock'],
    ['.git/index'],
    ['.idea/workspace.xml'],
    ['.vscode/settings.json'],
    ['node_modules/x/index.js'],
    ['src/main/java/App.java~'],
    ['src/main/java/.App.java.swp'],
    ['src/main/java/.App.java.swx'],
    ['src/main/java/#App.java#'],
    ['src/main/java/.#App.java'],
    ['src/main/java/4913'],
    ['src/main/java/App.java___jb_tmp___'],
    ['notes.tmp'],
  ])('%s is not a source', (rel) => {
    expect(isSourceChange(p, `${p}/${rel}`)).toBe(false);
  });

  it('the project directory itself and paths outside it are not sources', () => {
    expect(isSourceChange(p, p)).toBe(false);
    expect(isSourceChange(p, '/home/me/other/App.java')).toBe(false);
    expect(isSourceChange(p, '/home/me/app2/App.java')).toBe(false);
  });

  it('accepts a path relative to the project directory', () => {
    expect(isSourceChange(p, 'src/main/java/App.java')).toBe(true);
    expect(isSourceChange(p, 'build/libs/app.jar')).toBe(false);
    expect(isSourceChange(p, '../elsewhere/App.java')).toBe(false);
  });
});

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a burst of changes fires once, after the quiet period, with every file once', () => {
    const fired: string[][] = [];
    const on = debounce(500, (files) => fired.push(files));
    on('a');
    vi.advanceTimersByTime(300);
    on('b');
    vi.advanceTimersByTime(300);
    on('a');
    vi.advanceTimersByTime(499);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([['a', 'b']]);
  });

  it('changes after a fire start a new batch', () => {
    const fired: string[][] = [];
    const on = debounce(100, (files) => fired.push(files));
    on('a');
    vi.advanceTimersByTime(100);
    on('b');
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([['a'], ['b']]);
  });

  it('cancel drops what is pending', () => {
    const fired: string[][] = [];
    const on = debounce(100, (files) => fired.push(files));
    on('a');
    on.cancel();
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
    on('b');
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([['b']]);
  });
});

// ---- the loop, with fake steps ----

type Outcome = 'ok' | ShipError | { hold: Promise<void> };

interface Harness {
  ctx: RunContext;
  abort: AbortController;
  events: ShipEvent[];
  text: () => string;
  /** The steps each run got (names), and whether they included the forward. */
  runs: Array<{ forward: boolean; steps: string[] }>;
  logs: Array<{ start: number; since?: number; stopped?: number }>;
  cleanups: number;
  hooks: DevHooks;
}

/**
 * `plan[n]` is what run n+1 does: 'ok', a ShipError thrown by its build (or check, for code
 * 'docker'), or a hold that keeps its build running until resolved. Runs past the plan succeed.
 */
function harness(dir: string, plan: Outcome[], opts: { cleanup?: boolean } = {}): Harness {
  const abort = new AbortController();
  const events: ShipEvent[] = [];
  let text = '';
  const human = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  const ctx: RunContext = {
    opts: { projectDir: dir } as RunContext['opts'],
    out: {
      human,
      json: true,
      info: (m) => void (text += m + '\n'),
      warn: (m) => void (text += 'warning: ' + m + '\n'),
      event: (e) => void events.push(e),
    },
    signal: abort.signal,
    env: {},
    runner: {} as ProcessRunner,
    timings: [],
    cleanups: [],
  };
  const h: Harness = { ctx, abort, events, text: () => text, runs: [], logs: [], cleanups: 0, hooks: {} };
  let run = 0;
  h.hooks = {
    // A fake deploy through the real step runner: check, build, apply, and the forward until one is open.
    deploy: (c, render, o) => {
      const outcome = plan[run] ?? 'ok';
      run += 1;
      const n = run;
      const forward = !o.forward;
      h.runs.push({ forward, steps: [] });
      const mark = (name: string) => h.runs[n - 1].steps.push(name);
      const fail = (where: string) => {
        if (outcome instanceof ShipError && (outcome.code === 'docker' ? 'check' : 'build') === where) throw outcome;
      };
      const names = ['check', 'build', 'apply', ...(forward ? ['forward'] : [])];
      return runSteps(c, names, render, async (steps) => {
        await steps.run('check', async () => (mark('check'), fail('check')));
        await steps.run('build', async () => {
          mark('build');
          fail('build');
          if (typeof outcome === 'object' && 'hold' in outcome) {
            await Promise.race([outcome.hold, new Promise((_, reject) => c.signal.addEventListener('abort', () => reject(new InterruptedError()), { once: true }))]);
          }
        });
        const deployed = await steps.run('apply', async (): Promise<Deployed> => {
          mark('apply');
          return { kube: {} as Kube, app: 'app', namespace: 'default', objects: [{ apiVersion: 'v1', kind: 'Pod', name: 'app', namespace: 'default', result: 'created' }], appliedAt: Date.now() };
        });
        o.onApplied?.(deployed);
        let fwd = o.forward;
        if (!fwd) {
          fwd = await steps.run('forward', async () => {
            mark('forward');
            c.cleanups.push(() => void (text += 'forward closed\n'));
            return { localPort: 40000, remotePort: 8080, url: 'http://127.0.0.1:40000', pod: 'app' };
          });
          o.onForward?.(fwd);
        }
        return { forward: fwd, deployed };
      });
    },
    followLogs: async (_c, since) => {
      const entry: { start: number; since?: number; stopped?: number } = { start: Date.now(), since };
      h.logs.push(entry);
      return async () => void (entry.stopped = Date.now());
    },
    ...(opts.cleanup ? { cleanup: async () => void (h.cleanups += 1) } : {}),
  };
  return h;
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const devRuns = (h: Harness) => h.events.filter((e) => e.type === 'dev-run') as Array<Record<string, unknown>>;

describe('dev loop (fake steps, real file watching)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ship-dev-unit-'));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'build'));
    writeFileSync(join(dir, 'src/App.java'), 'v1');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('deploys, redeploys on a source change (forward kept, logs restarted), ignores build output; Ctrl-C ends it cleanly', async () => {
    const h = harness(dir, []);
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first run', () => devRuns(h).length === 1);
    expect(devRuns(h)[0]).toMatchObject({ run: 1, ok: true, url: 'http://127.0.0.1:40000' });
    expect(h.runs[0]).toEqual({ forward: true, steps: ['check', 'build', 'apply', 'forward'] });
    expect(h.logs).toHaveLength(1);

    // Build output, then a source change: the watcher delivers events in order, so a reported
    // build/app.jar would be in the second run's batch or make a run before it.
    writeFileSync(join(dir, 'build/app.jar'), 'jar');
    writeFileSync(join(dir, 'src/App.java'), 'v2');
    await until('the second run', () => devRuns(h).length === 2);
    expect(h.runs).toHaveLength(2);
    expect(h.text()).not.toContain('build/app.jar');
    expect(devRuns(h)[1]).toMatchObject({ run: 2, ok: true });
    // The forward opened by the first run is kept: later runs do not open another.
    expect(h.runs[1]).toEqual({ forward: false, steps: ['check', 'build', 'apply'] });
    expect(h.text()).toMatch(/change: src\/App\.java → redeploying/);
    // The log stream was stopped for the redeploy and started again after it.
    expect(h.logs).toHaveLength(2);
    expect(h.logs[0].stopped).toBeDefined();
    expect(h.logs[1].since).toBeUndefined();

    h.abort.abort();
    await expect(loop).resolves.toBeUndefined();
    expect(h.logs[1].stopped).toBeDefined();
    expect(h.text()).toContain('forward closed');
    expect(h.text()).not.toContain('--cleanup');
  });

  it('a failed build is reported (warning, dev-run event), the logs resume from where they stopped, and the next change deploys', async () => {
    const h = harness(dir, ['ok', new ShipError('build', './gradlew clean build failed with exit code 1.', { hint: 'Run it yourself', details: ["App.java:3: error: ';' expected"] })]);
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first run', () => devRuns(h).length === 1);
    writeFileSync(join(dir, 'src/App.java'), 'broken');
    await until('the failed run', () => devRuns(h).length === 2);
    expect(devRuns(h)[1]).toMatchObject({ run: 2, ok: false, step: 'build', code: 'build', exitCode: 4, error: './gradlew clean build failed with exit code 1.', hint: 'Run it yourself' });
    expect(h.text()).toMatch(/warning: run 2 failed: \.\/gradlew clean build failed with exit code 1\.\n {2}hint: Run it yourself/);
    expect(h.text()).toContain("App.java:3: error: ';' expected");
    expect(h.text()).toMatch(/last good deploy keeps serving/);
    expect(h.runs[1].steps).toEqual(['check', 'build']);
    await until('the logs to resume', () => h.logs.length === 2);
    expect(h.logs[1].since).toBe(h.logs[0].stopped);

    writeFileSync(join(dir, 'src/App.java'), 'v3');
    await until('the third run', () => devRuns(h).length === 3);
    expect(devRuns(h)[2]).toMatchObject({ run: 3, ok: true });
    h.abort.abort();
    await loop;
  });

  it('an edit saved while the first deploy runs is not lost: a second run follows', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const h = harness(dir, [{ hold }]);
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first build to start', () => h.runs.length === 1 && h.runs[0].steps.includes('build'));
    writeFileSync(join(dir, 'src/App.java'), 'v2 during the build');
    await new Promise((r) => setTimeout(r, 150)); // past the debounce, while the build still runs
    release();
    await until('the second run', () => devRuns(h).length === 2);
    expect(devRuns(h).map((e) => e.ok)).toEqual([true, true]);
    h.abort.abort();
    await loop;
  });

  it('a first run that fails in the check step ends dev with that error', async () => {
    const h = harness(dir, [new ShipError('docker', 'Docker is not reachable.', { hint: 'Start Docker' })], { cleanup: true });
    await expect(dev(h.ctx, { interactive: false }, h.hooks, 30)).rejects.toMatchObject({ code: 'docker' });
    expect(h.cleanups).toBe(0);
  });

  it('a first run whose build fails keeps watching; the fix deploys and opens the forward then', async () => {
    const h = harness(dir, [new ShipError('build', 'build failed')]);
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the failed run', () => devRuns(h).length === 1);
    expect(h.text()).toMatch(/Fix the sources; ship redeploys on save/);
    expect(h.text()).not.toMatch(/last good deploy/);
    expect(h.logs).toHaveLength(0); // nothing deployed: no logs to follow
    writeFileSync(join(dir, 'src/App.java'), 'fixed');
    await until('the second run', () => devRuns(h).length === 2);
    expect(h.runs[1].forward).toBe(true);
    expect(h.runs[1].steps).toContain('forward');
    h.abort.abort();
    await expect(loop).resolves.toBeUndefined();
  });

  it('Ctrl-C during the first deploy: interrupted (exit 130); --cleanup deletes only when something was applied', async () => {
    const h = harness(dir, [{ hold: new Promise(() => undefined) }], { cleanup: true });
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first build to start', () => h.runs[0]?.steps.includes('build') ?? false);
    h.abort.abort();
    const e = await loop.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(InterruptedError);
    expect((e as ShipError).exitCode).toBe(130);
    expect(h.cleanups).toBe(0); // the build was interrupted: nothing applied, nothing to delete
  });

  it('--cleanup: Ctrl-C after a deploy deletes what was deployed, once', async () => {
    const h = harness(dir, [], { cleanup: true });
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first run', () => devRuns(h).length === 1);
    h.abort.abort();
    await loop;
    expect(h.cleanups).toBe(1);
    expect(h.text()).toContain('--cleanup: deleting what ship deployed');
  });

  it('a log stream that does not stop holds up neither the next deploy nor Ctrl-C (5 s at most each)', async () => {
    const h = harness(dir, []);
    h.hooks.followLogs = async () => () => new Promise<void>(() => undefined);
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first run', () => devRuns(h).length === 1);
    writeFileSync(join(dir, 'src/App.java'), 'v2');
    await until('the second run', () => devRuns(h).length === 2, 8000);
    expect(h.text()).toMatch(/warning: the app's log stream did not stop within 5 s; going on without it/);
    const stopped = Date.now();
    h.abort.abort();
    await loop;
    expect(Date.now() - stopped).toBeLessThan(7000);
  }, 20_000);

  it('without the cleanup hook (no --cleanup) nothing is deleted', async () => {
    const h = harness(dir, []);
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first run', () => devRuns(h).length === 1);
    h.abort.abort();
    await loop;
    expect(h.cleanups).toBe(0);
    expect(h.text()).not.toContain('--cleanup');
  });
});

describe('dev loop: the live update hooks (fake steps, real file watching)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ship-dev-live-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/App.java'), 'v1');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a batch handled by beforeRedeploy makes no run; one it declines redeploys; afterDeploy follows each good run', async () => {
    const h = harness(dir, []);
    const handled: Array<{ files: string[]; savedAt: number }> = [];
    let after = 0;
    let answer = true;
    const saved = Date.now();
    h.hooks.afterDeploy = async () => void (after += 1);
    h.hooks.beforeRedeploy = async (files, savedAt) => (handled.push({ files, savedAt }), answer);
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first run', () => devRuns(h).length === 1);
    expect(after).toBe(1);
    writeFileSync(join(dir, 'src/App.java'), 'v2');
    await until('the live update', () => handled.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(devRuns(h)).toHaveLength(1);
    expect(handled[0]!.files).toEqual([join(dir, 'src/App.java')]);
    // The time of the first save of the batch, not of the end of the debounce.
    expect(handled[0]!.savedAt).toBeGreaterThanOrEqual(saved);
    answer = false;
    writeFileSync(join(dir, 'src/App.java'), 'v3');
    await until('the redeploy', () => devRuns(h).length === 2);
    expect(after).toBe(2);
    expect(h.text()).toMatch(/change: src\/App\.java → redeploying/);
    h.abort.abort();
    await loop;
  });

  it('the watch may ask for a redeploy: it runs with the reason, without asking live update', async () => {
    const h = harness(dir, []);
    let ask!: (reason: string) => void;
    let busyNow!: () => boolean;
    let asked = 0;
    h.hooks.beforeRedeploy = async () => (asked += 1, true);
    h.hooks.watch = (isBusy, redeploy) => {
      ask = redeploy;
      busyNow = isBusy;
      return () => undefined;
    };
    const loop = dev(h.ctx, { interactive: false }, h.hooks, 30);
    await until('the first run', () => devRuns(h).length === 1);
    expect(busyNow()).toBe(false);
    ask('pod app was replaced after 1 live update: the image lacks them');
    await until('the redeploy', () => devRuns(h).length === 2);
    expect(asked).toBe(0);
    expect(h.text()).toMatch(/pod app was replaced after 1 live update: the image lacks them → redeploying/);
    h.abort.abort();
    await loop;
  });
});
