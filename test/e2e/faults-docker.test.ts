// dockerd stopped in the middle of a run (issue 9, item 2), on the real Docker engine and the test
// cluster. Stops the shared dockerd: run under the e2e lock (flock /tmp/ship-e2e.lock …).
//   - during the image step (a RUN step running): exit 6 naming the daemon — it was exit 1,
//     "internal error: Error: aborted" — and the intermediate container left in the engine is
//     removed by the next run, which deploys;
//   - during the build step (the build tool running, Docker not in use): exit 6 naming the daemon.

import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyProject, deleteNamespace, LOAD, newNamespace, shipOnce, spawnShip, stepStatus, waitForCluster, type ShipProcess } from './helpers.js';
import { appOf, removeAppImages, startDockerd, stopDockerd } from './faults.js';
import { until } from '../support/until.js';

let ns = '';
const copies: Array<{ dir: string; remove: () => void }> = [];

beforeAll(async () => {
  await waitForCluster(20 * 60_000);
  ns = await newNamespace('e2e-dockerd');
});

afterAll(async () => {
  await startDockerd();
  await deleteNamespace(ns);
  for (const c of copies.splice(0)) {
    await removeAppImages(appOf(c.dir));
    c.remove();
  }
});

/** The ID of the running container whose command holds `marker` (the build's RUN step). */
async function runningStepContainer(marker: string): Promise<string | undefined> {
  const r = await execa('docker', ['ps', '--no-trunc', '--format', '{{.ID}} {{.Command}}'], { reject: false });
  return r.stdout.split('\n').find((l) => l.includes(marker))?.split(' ')[0];
}

/** Stops dockerd while ship runs, waits for ship to exit, starts dockerd again; ship's exit code. */
async function exitWithDockerdStopped(run: ShipProcess, during: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number> {
  let code: number;
  try {
    await stopDockerd(signal);
    code = (await run.child).exitCode ?? -1;
  } finally {
    await startDockerd();
  }
  const said = run.stderr().split('\n').filter((l) => /✖|hint|daemon/i.test(l));
  console.log(`ship with dockerd stopped (${signal}) during ${during}: exit ${code}\n${said.join('\n')}`);
  return code;
}

function expectDaemonNamed(exitCode: number, stderr: string) {
  expect(stderr).not.toMatch(/internal error|bug in ship/i);
  expect(stderr).toMatch(/Docker daemon/);
  expect(stderr).toContain('unix:///var/run/docker.sock');
  expect(exitCode).toBe(6);
}

describe('dockerd stopped during a run', () => {
  // SIGTERM: dockerd kills the RUN step's container and reports it (137) before it goes; SIGKILL:
  // the connection drops mid-build ("Error: aborted", as in the issue) and the step's container is
  // left behind for dockerd to find when it starts again.
  it.each(['SIGTERM', 'SIGKILL'] as const)('during the image step (%s): exit 6 naming the daemon; the next run leaves no intermediate container', async (signal) => {
    const app = copyProject('test/fixtures/busybox-app', 'ship-dockerd-');
    copies.push(app);
    const dockerfile = join(app.dir, 'Dockerfile');
    const original = readFileSync(dockerfile, 'utf8');
    const marker = `ship-fault-${Date.now()}`;
    writeFileSync(dockerfile, original.replace(/^CMD /m, `RUN echo ${marker} && sleep 120\nCMD `));

    const run = spawnShip([app.dir, '--load', LOAD, '-n', ns, '--detach'], { timeoutMs: 300_000 });
    const container = await until('the RUN step to be running', () => runningStepContainer(marker), { timeoutMs: 120_000, everyMs: 200 });
    expectDaemonNamed(await exitWithDockerdStopped(run, 'the image step', signal), run.stderr());
    expect(run.stderr()).toMatch(/stopped during the image build/);

    // What the engine kept of the interrupted step: a container that, once dockerd is back, no longer runs.
    const state = async () => {
      const r = await execa('docker', ['inspect', '--format', '{{.State.Status}}', container!], { reject: false });
      return r.exitCode === 0 ? r.stdout.trim() : 'gone';
    };
    const left = await until('the step container to stop', async () => ((await state()) === 'running' ? undefined : await state()), { timeoutMs: 60_000, everyMs: 500 });
    console.log(`intermediate container ${container!.slice(0, 12)} after dockerd came back: ${left}`);

    writeFileSync(dockerfile, original);
    const next = await shipOnce([app.dir, '--load', LOAD, '-n', ns]);
    expect(next.exitCode, next.stderr).toBe(0);
    expect(stepStatus(next.events, 'image')).toBe('done');
    const after = await execa('docker', ['inspect', container!], { reject: false });
    expect(after.exitCode, `container ${container} is still there after the next run`).not.toBe(0);
  });

  it('during the build step (the build tool running): exit 6 naming the daemon', async () => {
    const app = copyProject('test/fixtures/gradle-app', 'ship-dockerd-build-');
    copies.push(app);
    // The build tool runs for a while before it builds (as a Maven or Gradle build does).
    const gradlew = join(app.dir, 'gradlew');
    writeFileSync(gradlew, `#!/bin/sh\necho "build: starting"\nsleep 6\nexec gradle "$@"\n`);
    chmodSync(gradlew, 0o755);
    const run = spawnShip([app.dir, '--load', LOAD, '-n', ns, '--detach'], { timeoutMs: 300_000 });
    await run.next((e) => e.type === 'step' && e.step === 'build' && e.status === 'start', { timeoutMs: 120_000 });
    expectDaemonNamed(await exitWithDockerdStopped(run, 'the build step'), run.stderr());
    // The build itself finished; the image step is where Docker was needed.
    expect(stepStatus(run.events, 'build')).toBe('done');
    expect(stepStatus(run.events, 'image')).toBe('fail');
  });
});
