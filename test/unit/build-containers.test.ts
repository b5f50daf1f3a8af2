import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildContainerLog, runningIn, type ContainerOps } from '../../src/adapters/docker/build-containers.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ship-bc-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake engine: containers by ID with their running state; what was removed. */
function engine(containers: Record<string, boolean>, opts: { down?: boolean } = {}) {
  const removed: string[] = [];
  const state = { down: opts.down ?? false };
  const ops: ContainerOps = {
    async inspect(id) {
      if (state.down) throw new Error('connect ENOENT /var/run/docker.sock');
      return id in containers ? { running: containers[id]! } : undefined;
    },
    async remove(id) {
      removed.push(id);
      delete containers[id];
    },
  };
  return { ops, removed, state };
}

/** A pid that is certainly not running any more. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('intermediate containers of ship\'s builds', () => {
  it('reads the classic builder\'s "Running in" lines and nothing else', () => {
    expect(runningIn(' ---> Running in 3f2a9c1b7d0e')).toBe('3f2a9c1b7d0e');
    expect(runningIn('Running in 3f2a9c1b7d0e')).toBe('3f2a9c1b7d0e');
    expect(runningIn('echo Running in 3f2a9c1b7d0e')).toBeUndefined();
    expect(runningIn(' ---> 3f2a9c1b7d0e')).toBeUndefined();
  });

  it('a build that ended while the engine was down leaves a record; a later sweep removes the stopped containers', async () => {
    const dir = tempDir();
    const e = engine({ aaaaaaaaaaaa: false, bbbbbbbbbbbb: false }, { down: true });
    const log = buildContainerLog(dir, e.ops);
    const rec = log.start();
    rec.add('aaaaaaaaaaaa');
    await rec.finish();
    expect(readdirSync(dir)).toHaveLength(1);
    e.state.down = false;
    expect(await log.sweep()).toEqual(['aaaaaaaaaaaa']);
    expect(e.removed).toEqual(['aaaaaaaaaaaa']); // never bbbbbbbbbbbb: no build of ship's started it
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('a build that finished normally forgets its containers (the engine removed them)', async () => {
    const dir = tempDir();
    const e = engine({});
    const rec = buildContainerLog(dir, e.ops).start();
    rec.add('aaaaaaaaaaaa');
    expect(readdirSync(dir)).toHaveLength(1);
    await rec.finish();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('never touches the containers of a build that is still going: this process\'s, or another live ship\'s', async () => {
    const dir = tempDir();
    const e = engine({ aaaaaaaaaaaa: false, cccccccccccc: false });
    const mine = buildContainerLog(dir, e.ops);
    const going = mine.start();
    going.add('aaaaaaaaaaaa');
    const other = buildContainerLog(dir, e.ops, process.ppid).start(); // a live process
    other.add('cccccccccccc');
    expect(await buildContainerLog(dir, e.ops).sweep()).toEqual([]);
    expect(await mine.sweep()).toEqual([]);
    expect(e.removed).toEqual([]);
  });

  it('a dead run\'s running container is kept until it stops; a vanished one is forgotten', async () => {
    const dir = tempDir();
    const containers = { aaaaaaaaaaaa: true };
    const e = engine(containers, { down: true });
    const dead = buildContainerLog(dir, e.ops, deadPid()).start();
    dead.add('aaaaaaaaaaaa');
    dead.add('dddddddddddd');
    await dead.finish();
    e.state.down = false;
    const log = buildContainerLog(dir, e.ops);
    expect(await log.sweep()).toEqual([]);
    expect(readdirSync(dir)).toHaveLength(1);
    containers.aaaaaaaaaaaa = false;
    expect(await log.sweep()).toEqual(['aaaaaaaaaaaa']);
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('records nothing without a directory', async () => {
    const e = engine({ aaaaaaaaaaaa: false });
    const log = buildContainerLog(undefined, e.ops);
    const rec = log.start();
    rec.add('aaaaaaaaaaaa');
    await rec.finish();
    expect(await log.sweep()).toEqual([]);
  });
});
