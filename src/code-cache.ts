// Runs a CommonJS bundle through V8's code cache, so a run does not parse and compile ship's
// megabytes of bundled dependencies again (Node 20 has no compile cache of its own:
// module.enableCompileCache arrives in Node 22).
//
// The cache is made at the end of a run (`save()`), not right after compiling: by then it holds
// the bytecode of every function the run used, including the lazily compiled ones, which a cache
// taken at compile time lacks (bench/README.md has the figures). A cache file names the bundle's
// hash, the Node version and the CPU architecture; its header lists the purposes (commands) whose
// runs made it, so the first run of another command makes it again, covering both.
//
// Where the user's cache has no file yet (or cannot be written), a seed made by the build is used
// (`seedDir`: dist/, made by scripts/bundle.mjs with the build's Node; V8 refuses it under another
// Node): it holds every module's top-level code, so a first run compiles only what it calls.
//
// The cache is an optimisation only: a cache file that is missing, damaged or refused by V8 is
// made again, and a cache directory that cannot be read or written never fails a run.

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/** How a load used the cache. */
export type CacheState =
  | 'off' // no cache directory
  | 'hit' // V8 accepted the cache, and it was made by runs of this purpose
  | 'partial' // V8 accepted the cache, but runs of this purpose did not make it
  | 'seeded' // no cache of the user's: V8 accepted the build's seed
  | 'miss' // no cache file, or a damaged one
  | 'rejected'; // V8 refused the cache (another V8 build or flags, another source)

export interface CodeCacheOptions {
  /** The CommonJS file to run. */
  file: string;
  /** What identifies the file's content (its hash, from the build): part of the cache file's name. */
  key: string;
  /** Where cache files go; undefined runs without a cache. */
  cacheDir: string | undefined;
  /** What this run uses the file for (the command). */
  purpose: string;
  /** The file is ASCII only (as esbuild writes it): read it as one-byte text, which is quicker. */
  ascii?: boolean;
  /** Where the build's seed cache is (read only), for runs without a cache of their own. */
  seedDir?: string;
}

export interface LoadedBundle<T> {
  exports: T;
  state: CacheState;
  cacheFile: string | undefined;
  /**
   * Writes a new cache from this run, unless the one loaded was a hit; never throws; true when it
   * wrote one. A run that failed (`succeeded` false) may have compiled only part of its command:
   * it writes a cache only where there was none usable, and marks it as covering nothing, so the
   * next run that succeeds makes it again.
   */
  save(succeeded?: boolean): boolean;
}

interface Header {
  v: 1;
  covers: string[];
  size: number;
  crc: number;
}

const PREFIX = 'ship-';
const SUFFIX = '.v8cache';
/**
 * Cache files of other bundles or Node versions (another ship install, or earlier builds of a
 * clone: each build is a new bundle) are removed beyond the newest few, and once nothing has
 * written them for a week.
 */
const KEEP_OTHERS = 2;
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

export function cacheFileName(key: string): string {
  return `${PREFIX}${key}-node${process.versions.node}-${process.arch}${SUFFIX}`;
}

function readCache(file: string): { header: Header; data: Buffer } | undefined {
  try {
    const buf = readFileSync(file);
    const nl = buf.indexOf(10);
    if (nl <= 0 || nl > 4096) return undefined;
    const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as Header;
    const data = buf.subarray(nl + 1);
    if (header.v !== 1 || !Array.isArray(header.covers) || header.size !== data.length || header.crc !== crc32(data)) return undefined;
    return { header, data };
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, file: string, header: Header, data: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written aside, then renamed: a reader never sees half a file, and runs in parallel do not mix.
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(header)}\n`);
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function pruneOthers(dir: string, keep: string, now: number): void {
  const others: { path: string; mtime: number }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === keep || !name.startsWith(PREFIX) || !(name.endsWith(SUFFIX) || name.endsWith('.tmp'))) continue;
    try {
      others.push({ path, mtime: statSync(path).mtimeMs });
    } catch {
      // another run removed it first
    }
  }
  // A temporary file is another run's write in progress, unless it is old (that run was killed).
  const caches = others.filter((o) => !o.path.endsWith('.tmp')).sort((a, b) => b.mtime - a.mtime);
  const stale = [...caches.filter((o, i) => i >= KEEP_OTHERS || now - o.mtime > PRUNE_AFTER_MS), ...others.filter((o) => o.path.endsWith('.tmp') && now - o.mtime > 3600_000)];
  for (const o of stale) rmSync(o.path, { force: true });
}

/** Compiles and runs `file` as a CommonJS module, with V8's code cache when one is there. */
export function loadWithCodeCache<T>(opts: CodeCacheOptions): LoadedBundle<T> {
  const { file, cacheDir, purpose } = opts;
  const cacheFile = cacheDir ? join(cacheDir, cacheFileName(opts.key)) : undefined;
  let cached = cacheFile ? readCache(cacheFile) : undefined;
  const seeded = !cached && opts.seedDir !== undefined && (cached = readCache(join(opts.seedDir, cacheFileName(opts.key)))) !== undefined;

  const source = readFileSync(file, opts.ascii ? 'latin1' : 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData: cached?.data,
  });
  let state: CacheState;
  if (!cached) state = cacheFile ? 'miss' : 'off';
  else if (script.cachedDataRejected) state = 'rejected';
  else if (seeded) state = 'seeded';
  else state = cached.header.covers.includes(purpose) ? 'hit' : 'partial';

  const module = { exports: {} as T };
  const run = script.runInThisContext() as (exports: T, require: NodeJS.Require, module: { exports: T }, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));

  let saved = false;
  return {
    get exports() {
      return module.exports;
    },
    state,
    cacheFile,
    save(succeeded = true) {
      if (!cacheDir || !cacheFile || saved || state === 'hit' || state === 'off') return false;
      if (!succeeded && (state === 'partial' || state === 'seeded')) return false;
      try {
        const data = script.createCachedData();
        const before = state === 'partial' && cached ? cached.header.covers : [];
        const covers = succeeded ? [...new Set([...before, purpose])] : [];
        writeCache(cacheDir, cacheFile, { v: 1, covers, size: data.length, crc: crc32(data) }, data);
        saved = true;
        pruneOthers(cacheDir, cacheFile, Date.now());
      } catch {
        // a cache directory ship cannot write only costs the next run its cache
      }
      return saved;
    },
  };
}
