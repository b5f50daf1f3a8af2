import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheFileName, loadWithCodeCache } from '../../src/code-cache.js';
import { cacheDirectory } from '../../src/core/cache-dir.js';

interface Bundle {
  where(): [string, string, string];
  add(a: number, b: number): number;
  big(n: number): number;
}

// A function long enough that its bytecode shows in the cache's size once it has been compiled.
const bigBody = Array.from({ length: 400 }, (_, i) => `  s = (s * 31 + n * ${i} + ${i % 7}) % 1000003;`).join('\n');
const source = `'use strict';
const dep = require('./dep.cjs');
exports.where = () => [__filename, __dirname, dep.value];
exports.add = (a, b) => a + b;
exports.big = function big(n) {
  let s = 0;
${bigBody}
  return s;
};
`;

let dir: string;
let file: string;
let cacheDir: string;
const load = (purpose = 'up', key = 'k1') => loadWithCodeCache<Bundle>({ file, key, cacheDir, purpose });
const cachePath = (key = 'k1') => join(cacheDir, cacheFileName(key));
const header = (key = 'k1') => {
  const buf = readFileSync(cachePath(key));
  return JSON.parse(buf.subarray(0, buf.indexOf(10)).toString()) as { covers: string[]; size: number };
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ship-code-cache-'));
  file = join(dir, 'bundle.cjs');
  writeFileSync(file, source);
  writeFileSync(join(dir, 'dep.cjs'), "exports.value = 'from dep';\n");
  cacheDir = join(dir, 'cache', 'ship');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('cacheDirectory', () => {
  it('is $XDG_CACHE_HOME/ship when that is absolute, else ~/.cache/ship, else none', () => {
    expect(cacheDirectory({ XDG_CACHE_HOME: '/x/cache' }, '/home/u')).toBe('/x/cache/ship');
    expect(cacheDirectory({ XDG_CACHE_HOME: 'relative/cache' }, '/home/u')).toBe('/home/u/.cache/ship');
    expect(cacheDirectory({}, '/home/u')).toBe('/home/u/.cache/ship');
    expect(cacheDirectory({}, undefined)).toBeUndefined();
    expect(cacheDirectory({}, '')).toBeUndefined();
  });

  it('names the bundle key, the Node version and the architecture in the file name', () => {
    expect(cacheFileName('abc123')).toBe(`ship-abc123-node${process.versions.node}-${process.arch}.v8cache`);
  });
});

describe('loadWithCodeCache', () => {
  it('runs the file as CommonJS (exports, require relative to it, __filename, __dirname)', () => {
    const b = load();
    expect(b.exports.add(2, 3)).toBe(5);
    expect(b.exports.where()).toEqual([file, dir, 'from dep']);
  });

  it('misses, writes the cache when asked, then hits and leaves the file alone', () => {
    const first = load();
    expect(first.state).toBe('miss');
    expect(first.save()).toBe(true);
    expect(header().covers).toEqual(['up']);
    const written = statSync(cachePath()).mtimeMs;

    const second = load();
    expect(second.state).toBe('hit');
    expect(second.exports.add(1, 1)).toBe(2);
    expect(second.save()).toBe(false);
    expect(statSync(cachePath()).mtimeMs).toBe(written);
    expect(readdirSync(cacheDir)).toEqual([cacheFileName('k1')]); // no temp file left
  });

  it('makes the cache again on the first run of another purpose, covering both', () => {
    load('up').save();
    const status = load('status');
    expect(status.state).toBe('partial');
    expect(status.save()).toBe(true);
    expect(header().covers).toEqual(['up', 'status']);
    expect(load('up').state).toBe('hit');
    expect(load('status').state).toBe('hit');
  });

  it('includes the functions the run compiled after loading (the cache is taken at save time)', () => {
    const idle = load();
    idle.save();
    const withoutBig = header().size;
    rmSync(cacheDir, { recursive: true });

    const busy = load();
    expect(busy.exports.big(3)).toBeTypeOf('number');
    busy.save();
    expect(header().size).toBeGreaterThan(withoutBig);
  });

  it('treats a damaged cache file as missing and writes a good one', () => {
    load().save();
    const buf = readFileSync(cachePath());
    buf[buf.length - 10] ^= 0xff;
    writeFileSync(cachePath(), buf);
    const b = load();
    expect(b.state).toBe('miss');
    expect(b.exports.add(2, 2)).toBe(4);
    expect(b.save()).toBe(true);
    expect(load().state).toBe('hit');

    writeFileSync(cachePath(), 'not a cache');
    expect(load().state).toBe('miss');
  });

  it('runs without it when V8 refuses the cache (made for another source), and replaces it', () => {
    load().save();
    writeFileSync(file, source.replace('a + b', 'b + a + 0'));
    const b = load();
    expect(b.state).toBe('rejected');
    expect(b.exports.add(2, 5)).toBe(7);
    expect(b.save()).toBe(true);
    expect(load().state).toBe('hit');
  });

  it('a failed run writes a cache only where there was none, covering nothing, so the next good run makes it again', () => {
    const failed = load();
    expect(failed.save(false)).toBe(true);
    expect(header().covers).toEqual([]);
    const again = load();
    expect(again.state).toBe('partial');
    expect(again.save(false)).toBe(false);
    expect(again.save(true)).toBe(true);
    expect(header().covers).toEqual(['up']);
    expect(load().state).toBe('hit');
  });

  it('never fails a run when the cache directory cannot be written', () => {
    writeFileSync(join(dir, 'cache'), 'a file where the cache directory would go');
    const b = load();
    expect(b.state).toBe('miss');
    expect(b.exports.add(1, 2)).toBe(3);
    expect(b.save()).toBe(false);
  });

  it('reads an ASCII file as one-byte text, with the same result and cache', () => {
    load().save();
    const b = loadWithCodeCache<Bundle>({ file, key: 'k1', cacheDir, purpose: 'up', ascii: true });
    expect(b.state).toBe('hit');
    expect(b.exports.where()).toEqual([file, dir, 'from dep']);
  });

  it('runs without a cache when there is no cache directory', () => {
    const b = loadWithCodeCache<Bundle>({ file, key: 'k1', cacheDir: undefined, purpose: 'up' });
    expect(b.state).toBe('off');
    expect(b.exports.add(1, 2)).toBe(3);
    expect(b.save()).toBe(false);
  });

  it("uses the build's seed where the user has no cache, then writes the user's own", () => {
    const seedDir = join(dir, 'seed');
    expect(loadWithCodeCache<Bundle>({ file, key: 'k1', cacheDir: seedDir, purpose: 'seed' }).save(false)).toBe(true);
    const withSeed = (cd: string | undefined) => loadWithCodeCache<Bundle>({ file, key: 'k1', cacheDir: cd, purpose: 'up', seedDir });

    const failed = withSeed(cacheDir);
    expect(failed.state).toBe('seeded');
    expect(failed.exports.add(2, 3)).toBe(5);
    expect(failed.save(false)).toBe(false); // the seed is as good as what a failed run would write

    const first = withSeed(cacheDir);
    expect(first.state).toBe('seeded');
    expect(first.save()).toBe(true);
    expect(header().covers).toEqual(['up']);
    expect(withSeed(cacheDir).state).toBe('hit');

    const noDir = withSeed(undefined);
    expect(noDir.state).toBe('seeded');
    expect(noDir.save()).toBe(false);
  });

  it('a seed V8 refuses (made for another source) counts as no cache', () => {
    const seedDir = join(dir, 'seed');
    writeFileSync(file, source.replace('a + b', 'b + a + 0'));
    loadWithCodeCache<Bundle>({ file, key: 'k1', cacheDir: seedDir, purpose: 'seed' }).save(false);
    writeFileSync(file, source);
    const b = loadWithCodeCache<Bundle>({ file, key: 'k1', cacheDir, purpose: 'up', seedDir });
    expect(b.state).toBe('rejected');
    expect(b.exports.add(2, 5)).toBe(7);
    expect(b.save()).toBe(true);
    expect(load().state).toBe('hit');
  });

  it('removes cache files of other bundles beyond the newest two or unwritten for a week, old temporary files, and nothing else', () => {
    mkdirSync(cacheDir, { recursive: true });
    const ago = (f: string, seconds: number) => utimesSync(f, Date.now() / 1000 - seconds, Date.now() / 1000 - seconds);
    const files = {
      old: join(cacheDir, cacheFileName('old')), // 8 days
      newest: join(cacheDir, cacheFileName('newest')), // 1 minute
      second: join(cacheDir, cacheFileName('second')), // 1 hour
      third: join(cacheDir, cacheFileName('third')), // 2 hours: beyond the newest two
      oldTmp: join(cacheDir, `${cacheFileName('k1')}.123.tmp`), // 2 hours: a killed write
      freshTmp: join(cacheDir, `${cacheFileName('k1')}.456.tmp`), // a write in progress
      unrelated: join(cacheDir, 'notes.txt'),
    };
    for (const f of Object.values(files)) writeFileSync(f, 'x');
    ago(files.old, 8 * 24 * 3600);
    ago(files.newest, 60);
    ago(files.second, 3600);
    ago(files.third, 7200);
    ago(files.oldTmp, 7200);
    ago(files.unrelated, 8 * 24 * 3600);
    load().save();
    expect(readdirSync(cacheDir).sort()).toEqual(
      [cacheFileName('k1'), cacheFileName('newest'), cacheFileName('second'), `${cacheFileName('k1')}.456.tmp`, 'notes.txt'].sort(),
    );
  });
});
