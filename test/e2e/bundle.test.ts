// The built CLI (dist/cli.js) runs its commands from dist/ship.cjs through V8's code cache
// (src/code-cache.ts); a few dependency modules ship never runs by default stay out of the bundle
// and are required from node_modules on first use (scripts/bundle.mjs). Needs `npm run build`,
// but neither Docker nor the cluster: `ship render --tag` renders without them.
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, repo } from './helpers.js';

let home: string;
const app = join(repo, 'test/fixtures/gradle-app');
const render = (cacheHome: string) =>
  execa(process.execPath, [cli, 'render', app, '--tag', 'code-cache-test'], { env: { ...process.env, XDG_CACHE_HOME: cacheHome }, reject: false });

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ship-e2e-cache-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('the code cache of the built CLI', () => {
  it('is written by the first run of a command and used, unchanged, by the next', async () => {
    const first = await render(home);
    expect(first.exitCode).toBe(0);
    const files = readdirSync(join(home, 'ship'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^ship-[0-9a-f]{16}-node${process.versions.node}-${process.arch}\\.v8cache$`));
    expect(readdirSync(join(repo, 'dist'))).toContain(files[0]); // the build's seed, same name
    const file = join(home, 'ship', files[0]!);
    const head = readFileSync(file).subarray(0, 200).toString('latin1');
    expect(JSON.parse(head.slice(0, head.indexOf('\n')))).toMatchObject({ covers: ['render'] });
    const written = statSync(file).mtimeMs;

    const second = await render(home);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toContain('image: gradle-app:code-cache-test');
    expect(statSync(file).mtimeMs).toBe(written);
  });

  it('a cache directory that cannot be written changes nothing in the run', async () => {
    const good = await render(home);
    const blocked = join(home, 'not-a-dir');
    writeFileSync(blocked, 'a file where the cache directory would go');
    const r = await render(blocked);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(good.stdout);
    expect(r.stderr).toBe(good.stderr);
  });

  it('--version and --help do not load the commands (no cache written)', async () => {
    for (const flag of ['--version', '--help']) {
      const r = await execa(process.execPath, [cli, flag], { env: { ...process.env, XDG_CACHE_HOME: home }, reject: false });
      expect(r.exitCode).toBe(0);
    }
    expect(readdirSync(home)).toEqual([]);
  });
});

describe('dist/ship.cjs', () => {
  it('requires the dependency modules it left out from node_modules, where they are what their importers expect', () => {
    const bundle = join(repo, 'dist/ship.cjs');
    const packages = [...readFileSync(bundle, 'latin1').matchAll(/require\("(?!node:)([^"]+\/[^"]+)"\)/g)].map((m) => m[1]!);
    expect([...new Set(packages)].sort()).toEqual(['docker-modem/lib/ssh.js', 'dockerode/lib/buildkit.js', 'dockerode/lib/session.js']);
    const req = createRequire(bundle);
    expect(req('docker-modem/lib/ssh.js')).toBeTypeOf('function');
    expect(req('dockerode/lib/session.js')).toBeTypeOf('function');
    expect(req('dockerode/lib/buildkit.js').followProgress).toBeTypeOf('function');
    expect(readFileSync(bundle, 'latin1')).toContain('require("whatwg-url")');
    expect(req('whatwg-url').URL).toBeTypeOf('function');
    // Loaded where they are used (dynamic import), from node_modules.
    expect(readFileSync(bundle, 'latin1')).toContain('require("yauzl")');
    expect(req('yauzl').open).toBeTypeOf('function');
    expect(readFileSync(bundle, 'latin1')).toContain('require("proper-lockfile")');
    expect(req('proper-lockfile').lock).toBeTypeOf('function');
  });
});
