import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { acquireRunLock, lockPaths, type LockHolder } from '../../src/adapters/run-lock.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ship-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const signal = new AbortController().signal;

describe('run lock', () => {
  it('a second run of the same project sees the first one, with its pid and command', async () => {
    const dir = tempDir();
    const projectDir = tempDir();
    const first = await acquireRunLock({ dir, projectDir, holder: { pid: 4242, command: 'ship dev', namespace: 'team' }, onBusy: () => false, signal });
    expect(first).toBeDefined();
    const seen: Array<LockHolder | undefined> = [];
    const second = await acquireRunLock({ dir, projectDir, holder: { pid: 1, command: 'ship' }, onBusy: (h) => (seen.push(h), false), signal });
    expect(second).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ pid: 4242, command: 'ship dev', namespace: 'team' });
    await first!.release();
    const third = await acquireRunLock({ dir, projectDir, holder: { pid: 1, command: 'ship' }, onBusy: () => false, signal });
    expect(third).toBeDefined();
    await third!.release();
  });

  it('another project is not held up', async () => {
    const dir = tempDir();
    const a = await acquireRunLock({ dir, projectDir: tempDir(), holder: { pid: 1, command: 'ship' }, onBusy: () => false, signal });
    const b = await acquireRunLock({ dir, projectDir: tempDir(), holder: { pid: 2, command: 'ship' }, onBusy: () => false, signal });
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    await a!.release();
    await b!.release();
  });

  it('waits while the holder runs and takes the lock once it is released', async () => {
    const dir = tempDir();
    const projectDir = tempDir();
    const first = await acquireRunLock({ dir, projectDir, holder: { pid: 1, command: 'ship' }, onBusy: () => false, signal });
    let busyCalls = 0;
    const second = acquireRunLock({
      dir,
      projectDir,
      holder: { pid: 2, command: 'ship' },
      pollMs: 20,
      onBusy: () => {
        busyCalls += 1;
        if (busyCalls === 2) void first!.release();
        return busyCalls < 50;
      },
      signal,
    });
    const got = await second;
    expect(got).toBeDefined();
    expect(busyCalls).toBeGreaterThanOrEqual(2);
    expect(busyCalls).toBeLessThan(50);
    await got!.release();
  });

  it('a run that was killed leaves a lock that goes stale', async () => {
    const dir = tempDir();
    const projectDir = tempDir();
    // A real process takes the lock and is killed with SIGKILL (no exit handler runs).
    const { target, holderFile } = lockPaths(dir, projectDir);
    const lockfileModule = new URL('../../node_modules/proper-lockfile/index.js', import.meta.url).pathname;
    const child = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      fs.writeFileSync(${JSON.stringify(target)}, 'x');
      require(${JSON.stringify(lockfileModule)}).lock(${JSON.stringify(target)}, { stale: 2000, update: 1000, realpath: false }).then(() => {
        fs.writeFileSync(${JSON.stringify(holderFile)}, JSON.stringify({ pid: process.pid, command: 'ship', since: Date.now() }));
        process.stdout.write('held');
        setInterval(() => {}, 1000);
      });
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
      child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const holders = new Set<number>();
    const got = await acquireRunLock({ dir, projectDir, holder: { pid: 3, command: 'ship' }, staleMs: 2000, pollMs: 100, onBusy: (h, waited) => (h && holders.add(h.pid), waited < 10_000), signal });
    expect(got).toBeDefined();
    expect(holders.has(child.pid!)).toBe(true);
    await got!.release();
  });
});
