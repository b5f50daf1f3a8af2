// Issue 9 item 1: two runs of one project at once. The policy on top of the run lock: a one-shot
// run waits for another one-shot run, refuses at once when ship dev holds the project, and gives
// up after --timeout; the error names the other run.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockProject, lockDirectory } from '../../src/pipeline/project-lock.js';
import { memoryOutput } from '../../src/pipeline/output.js';
import type { ShipOptions } from '../../src/core/model.js';
import { rejectedShipError } from '../support/ship-error.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ship-plock-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runOf(projectDir: string, cache: string, timeoutMs = 60_000) {
  const out = memoryOutput();
  const opts = { projectDir, timeoutMs, namespace: 'team' } as ShipOptions;
  return { opts, out, env: { XDG_CACHE_HOME: cache }, signal: new AbortController().signal };
}

describe('lockProject', () => {
  it('keeps its locks in ship cache directory', () => {
    expect(lockDirectory({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/ship/locks');
  });

  it('a run next to ship dev refuses at once with exit 18, naming ship dev and its pid', async () => {
    const cache = temp();
    const project = temp();
    const dev = runOf(project, cache);
    const release = await lockProject(dev, 'ship dev');
    const started = Date.now();
    const e = await rejectedShipError(lockProject(runOf(project, cache), 'ship'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(e.exitCode).toBe(18);
    expect(e.message).toContain(`Ship dev (pid ${process.pid}, namespace team) is using ${project}`);
    expect(e.hint).toContain(`kill ${process.pid}`);
    await release();
    // Released: the next run takes it.
    const again = await lockProject(runOf(project, cache), 'ship');
    await again();
  });

  it('a one-shot run waits for another one-shot run, says so once, and goes on when it ends', async () => {
    const cache = temp();
    const project = temp();
    const first = await lockProject(runOf(project, cache), 'ship');
    const second = runOf(project, cache);
    const took = lockProject(second, 'ship');
    // The waiting line appears while the first run still holds the project.
    for (let i = 0; i < 100 && !second.out.lines.some((l) => l.startsWith('waiting:')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(second.out.lines.filter((l) => l.startsWith('waiting:'))).toEqual([`waiting: ship (pid ${process.pid}, namespace team) is building or deploying ${project}; this run goes on when it is done.`]);
    await first();
    const release = await took;
    await release();
  });

  it('gives up after --timeout with exit 18', async () => {
    const cache = temp();
    const project = temp();
    const first = await lockProject(runOf(project, cache), 'ship');
    const e = await rejectedShipError(lockProject(runOf(project, cache, 600), 'ship'));
    expect(e.exitCode).toBe(18);
    expect(e.message).toMatch(/is using .* \(waited \d/);
    await first();
  });
});
