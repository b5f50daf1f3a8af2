// Throwaway copies of the fixture projects for the docker and e2e tests (tests edit sources, and
// builds write into them).
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');

/**
 * A copy of repo/rel without its build output. A file of its own makes the copy's sources, and so
 * its image tag, new: the first run really builds.
 */
export function copyProject(rel: string, prefix = 'ship-e2e-'): { dir: string; remove: () => void } {
  const src = join(repo, rel);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(src, dir, { recursive: true, filter: (p) => !/^\/(build|target|\.gradle)(\/|$)/.test(p.slice(src.length)) });
  writeFileSync(join(dir, '.e2e-copy'), `${dir} ${Date.now()} ${Math.random()}\n`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
