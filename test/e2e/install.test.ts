// Installing ship the usual way puts a working `ship` on PATH: `npm pack` of a checkout with no
// dist/ (a fresh clone) runs the `prepare` script, which bundles dist/, and makes a tarball with the
// bundle, the CLI and the seed code cache; `npm install -g` of it gives a `ship` whose runtime
// dependencies resolve. Needs npm's cache or registry for the dependencies, but neither Docker nor
// the cluster; the repository's own dist/ is left alone.
import { execa } from 'execa';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string };
let tmp: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ship-e2e-install-'));
  // What a clone has (no dist/), with the repository's node_modules for the build.
  const checkout = join(tmp, 'checkout');
  for (const f of ['package.json', 'package-lock.json', 'README.md', 'LICENSE', 'tsconfig.json', 'scripts', 'src']) {
    if (existsSync(join(repo, f))) cpSync(join(repo, f), join(checkout, f), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(checkout, 'node_modules'));
  const packed = await execa('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: checkout });
  expect(existsSync(join(checkout, 'dist/ship.cjs'))).toBe(true); // built by prepare
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(tmp, info!.filename);
  files = info!.files.map((f) => f.path);
  await execa('npm', ['install', '--global', '--prefix', join(tmp, 'prefix'), '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: tmp });
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack, then npm install -g of the tarball', () => {
  it('packs the built CLI, the bundle and the seed code cache, and no sources or tests', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/cli.js', 'dist/ship.cjs']));
    expect(files.filter((f) => /^dist\/ship-[0-9a-f]{16}-node.*\.v8cache$/.test(f))).toHaveLength(1);
    expect(files.filter((f) => /^(src|test|scripts|bench|examples)\//.test(f))).toEqual([]);
  });

  it("puts a ship on PATH that prints package.json's version", async () => {
    const r = await execa(join(tmp, 'prefix/bin/ship'), ['--version'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('runs a command from the bundle (ship render --tag needs no Docker and no cluster)', async () => {
    const r = await execa(join(tmp, 'prefix/bin/ship'), ['render', join(repo, 'test/fixtures/gradle-app'), '--tag', 'install-test'], {
      env: { ...process.env, XDG_CACHE_HOME: join(tmp, 'cache') },
      reject: false,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('image: gradle-app:install-test');
  });

  it('resolves, from the installed bundle, the dependency modules it leaves out of it', () => {
    const req = createRequire(join(tmp, 'prefix/lib/node_modules', pkg.name, 'dist/ship.cjs'));
    expect(req('docker-modem/lib/ssh.js')).toBeTypeOf('function');
    expect(req('dockerode/lib/session.js')).toBeTypeOf('function');
    expect(req('dockerode/lib/buildkit.js').followProgress).toBeTypeOf('function');
    expect(req('whatwg-url').URL).toBeTypeOf('function');
  });
});
