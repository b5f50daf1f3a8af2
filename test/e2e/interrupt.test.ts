// Ctrl-C at the steps where ship has something running: the build's child processes, the watch of
// the wait step, the forward. ship must exit 130 promptly (0 once the deploy had finished and only
// the forward was held), leave no process, port or temp dir of its own behind.

import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOAD, copyProject, deleteNamespace, newNamespace, repo, shipEnv, shipHolding, spawnShip, type JsonEvent, type ShipProcess } from './helpers.js';
import { sleep } from '../support/until.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * ship's os.tmpdir(): a directory of this test's own, so that what ship leaves there is told apart
 * from what the other tests running on this machine put in /tmp at the same time.
 */
const shipTmp = mkdtempSync(join(tmpdir(), 'interrupt-tmpdir-'));
cleanups.push(() => rmSync(shipTmp, { recursive: true, force: true }));
/** Every process ship starts inherits this variable: what carries it after ship exited was left behind. */
const MARK = `SHIP_INTERRUPT_TEST=${process.pid}-${Date.now()}`;
const env = () => shipEnv({ TMPDIR: shipTmp, [MARK.split('=')[0]!]: MARK.split('=')[1]! });

function shipTempDirs(): string[] {
  return readdirSync(shipTmp).filter((n) => n.startsWith('ship-'));
}

/** ships still running when a test ends (it failed before its Ctrl-C) are killed, so they cannot disturb the next test. */
const running = new Set<ResultPromise>();
afterEach(async () => {
  for (const child of running) {
    child.kill('SIGKILL');
    await child;
  }
  running.clear();
});

/** Starts ship as a developer does (holding the forward, not CI); killed after the test if still running. */
function startShip(args: string[]): ShipProcess {
  const ship = spawnShip(args, { env: env(), timeoutMs: 600_000 });
  running.add(ship.child);
  void ship.child.then(() => running.delete(ship.child));
  return ship;
}

function isStep(step: string, status: string) {
  return (e: JsonEvent) => e.type === 'step' && e.step === step && e.status === status;
}

/**
 * Live processes started by ship (they carry MARK in their environment), or whose command line
 * mentions `marker`, or whose working directory is inside `dir`.
 */
function leftovers(marker?: string, dir?: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmdline === '') continue; // a zombie: already dead, waiting to be reaped
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const inDir = dir !== undefined && (cwd === dir || cwd.startsWith(dir + '/'));
      if (environ.includes(MARK) || (marker && cmdline.includes(marker)) || inDir) found.push(`${pid} ${cmdline} (cwd ${cwd})`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function lastResult(events: JsonEvent[]): JsonEvent | undefined {
  return events.at(-1)?.type === 'result' ? events.at(-1) : undefined;
}

describe('Ctrl-C', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await newNamespace('e2e-int');
    cleanups.push(() => deleteNamespace(ns));
  });

  it('during the build: exit 130 at once, and no process of the build is left', async () => {
    const app = copyProject('test/fixtures/gradle-app');
    cleanups.push(app.remove);
    // The build first sleeps (a duration unique to this run, so its process can be found), then builds.
    const marker = `sleep 30.${process.pid}${Date.now() % 100000}`;
    writeFileSync(join(app.dir, 'gradlew'), `#!/bin/sh\n# interrupt test: a slow build, Ctrl-C arrives while it sleeps\n${marker}\nexec gradle "$@"\n`, { mode: 0o755 });
    const ship = startShip([app.dir, '--load', LOAD, '-n', ns, '--port', '0']);
    await ship.next(isStep('build', 'start'));
    for (let i = 0; i < 100 && leftovers(marker, app.dir).length < 2; i++) await sleep(100);
    // Both are there before Ctrl-C (the wrapper script and its sleep): the check below can fail.
    expect(leftovers(marker, app.dir).length, 'the build is not running').toBeGreaterThanOrEqual(2);
    expect(leftovers().length, 'the build does not carry the mark').toBeGreaterThanOrEqual(2);

    const { exitCode, ms } = await ship.interrupt();
    expect(exitCode, ship.stderr()).toBe(130);
    expect(ms).toBeLessThan(10_000);
    expect(lastResult(ship.events)).toMatchObject({ ok: false, exitCode: 130 });
    expect(ship.events.find(isStep('build', 'fail'))).toMatchObject({ code: 'interrupted' });
    expect(ship.events.some(isStep('image', 'start'))).toBe(false);
    await sleep(3000);
    expect(leftovers(marker, app.dir)).toEqual([]);
    expect((await execa('pgrep', ['-f', marker], { reject: false })).stdout).toBe('');
    expect(shipTempDirs()).toEqual([]);
  });

  it('during the image build: exit 130 at once, the build container removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interrupt-image-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const marker = `slow-image-${process.pid}-${Date.now()}`;
    writeFileSync(join(dir, 'Dockerfile'), `FROM ship.local/busybox:1\nRUN echo ${marker} && sleep 30\nCMD ["sleep", "3600"]\n`);
    const containers = async () =>
      (await execa('docker', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Status}} {{.Command}}'])).stdout.split('\n').filter((l) => l.includes(marker));
    const ship = startShip([dir, '--load', LOAD, '-n', ns, '--port', '0']);
    await ship.next(isStep('image', 'start'));
    for (let i = 0; i < 100 && (await containers()).length === 0; i++) await sleep(100);
    expect(await containers(), 'the RUN is not running').toHaveLength(1);

    const { exitCode, ms } = await ship.interrupt();
    expect(exitCode, ship.stderr()).toBe(130);
    expect(ms).toBeLessThan(10_000);
    expect(lastResult(ship.events)).toMatchObject({ ok: false, exitCode: 130 });
    expect(ship.events.find(isStep('image', 'fail'))).toMatchObject({ code: 'interrupted' });
    let left = await containers();
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await sleep(200);
      left = await containers();
    }
    expect(left).toEqual([]);
    expect(leftovers()).toEqual([]);
    expect(shipTempDirs()).toEqual([]);
  });

  describe('after the build', () => {
    let app: string;
    beforeAll(() => {
      const p = copyProject('test/fixtures/gradle-app');
      cleanups.push(p.remove);
      app = p.dir;
    });

    it('during the load into the cluster: exit 130 at once, no loader process left', async () => {
      // A new file in the sources gives a new tag: the image has to be built and loaded again.
      writeFileSync(join(app, '.interrupt-load'), `${Date.now()}\n`);
      const ship = startShip([app, '--load', LOAD, '-n', ns, '--port', '0']);
      await ship.next(isStep('load', 'start'));
      // ctr, started by ship, is importing the image (it starts once docker save streams, which takes
      // a while when Docker is busy): the check after Ctrl-C can fail.
      const ctr = /^\d+ (\S*\/)?ctr .* import /m;
      const until = Date.now() + 60_000;
      while (Date.now() < until && !ctr.test(leftovers().join('\n')) && !ship.events.some(isStep('load', 'done'))) await sleep(25);
      expect(leftovers().join('\n'), `no ctr running:\n${ship.stderr()}`).toMatch(ctr);
      const { exitCode, ms } = await ship.interrupt();
      expect(exitCode, ship.stderr()).toBe(130);
      expect(ms).toBeLessThan(10_000);
      expect(lastResult(ship.events)).toMatchObject({ ok: false, exitCode: 130 });
      expect(ship.events.find(isStep('load', 'fail'))).toMatchObject({ code: 'interrupted' });
      expect(ship.events.some(isStep('manifest', 'start'))).toBe(false);
      await sleep(1000);
      expect(leftovers()).toEqual([]);
      expect(shipTempDirs()).toEqual([]);
    });

    it('during the wait for Ready: exit 130 promptly, the watch stopped', async () => {
      const waitNs = await newNamespace('e2e-int-wait');
      cleanups.push(() => deleteNamespace(waitNs));
      const ship = startShip([app, '--load', LOAD, '-n', waitNs, '--port', '0', '--manifest', join(repo, 'test/fixtures/manifests/never-ready-pod.yaml')]);
      await ship.next(isStep('wait', 'start'));
      await sleep(3000); // the watch is established and the pod is running, not Ready
      expect(ship.events.some(isStep('wait', 'fail'))).toBe(false);

      const { exitCode, ms } = await ship.interrupt();
      expect(exitCode, ship.stderr()).toBe(130);
      // The process only exits once nothing (no watch, no timer, no socket) keeps it alive.
      expect(ms).toBeLessThan(5_000);
      expect(lastResult(ship.events)).toMatchObject({ ok: false, exitCode: 130 });
      expect(ship.events.find(isStep('wait', 'fail'))).toMatchObject({ code: 'interrupted' });
      expect(leftovers()).toEqual([]);
      expect(shipTempDirs()).toEqual([]);
    });

    it('while the forward is held after a successful deploy: exit 0 and the local port is free again', async () => {
      const ship = await shipHolding([app, '--load', LOAD, '-n', ns, '--port', '0'], env());
      const port = Number(new URL(ship.url).port);
      const r = await fetch(ship.url + '/', { signal: AbortSignal.timeout(30_000) });
      expect(r.status).toBe(200);
      expect(await refused(port)).toBe('connected');

      const started = Date.now();
      expect(await ship.stop()).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await refused(port)).toBe('ECONNREFUSED');
      expect(ship.stderr()).toMatch(/Stopped the forward/);
      expect(leftovers()).toEqual([]);
      expect(shipTempDirs()).toEqual([]);
    });
  });
});
