// The source watcher of `ship dev` on a real temp directory: in-place writes, atomic saves
// (write a temp file, rename it over: what vim, JetBrains and sed -i do) again and again, new and
// removed directories, skipped output directories, and nothing after close.

import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchSources, type SourceWatcher } from '../../src/adapters/source-watch.js';

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// "Nothing was reported" is checked against a later event that WAS delivered: inotify hands a
// process its events in order (libuv reads them all from one descriptor), so once the later one
// has arrived the earlier one had its chance, however slow the machine.

describe('watchSources, one watch per directory (Linux)', () => {
  const platform = 'linux';
  let dir: string;
  let abort: AbortController;
  let seen: string[];
  let w: SourceWatcher;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ship-watch-'));
    mkdirSync(join(dir, 'src/main/java'), { recursive: true });
    mkdirSync(join(dir, 'build/libs'), { recursive: true });
    writeFileSync(join(dir, 'src/main/java/App.java'), 'v1');
    abort = new AbortController();
    seen = [];
  });
  afterEach(() => {
    abort.abort();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = () => {
    w = watchSources(dir, { signal: abort.signal, onChange: (f) => seen.push(f), skipDir: (rel) => rel === 'build' || rel.startsWith('build/'), platform });
  };
  const app = () => join(dir, 'src/main/java/App.java');

  it('sees in-place writes and every atomic save of the same file', async () => {
    start();
    writeFileSync(app(), 'v2');
    await until('the in-place write', () => seen.includes(app()));
    for (let i = 3; i <= 5; i++) {
      seen.length = 0;
      const tmp = join(dir, `src/main/java/.App.java.${i}.tmp`);
      writeFileSync(tmp, `v${i}`);
      renameSync(tmp, app());
      await until(`atomic save ${i}`, () => seen.includes(app()));
    }
    // And an append after those renames (the inode is the last temp file's).
    seen.length = 0;
    appendFileSync(app(), '\n// more');
    await until('the append', () => seen.includes(app()));
  });

  it('watches directories created later, forgets removed ones, skips build output', async () => {
    start();
    const before = w.size;
    expect(before).toBe(4); // the root, src, src/main, src/main/java (not build, not build/libs)
    writeFileSync(join(dir, 'build/libs/app.jar'), 'jar');
    writeFileSync(join(dir, 'src/main/java/After.java'), 'later');
    await until('the later source write', () => seen.includes(join(dir, 'src/main/java/After.java')));
    expect(seen.filter((f) => f.includes('/build/'))).toEqual([]);

    mkdirSync(join(dir, 'src/main/resources'));
    await until('the new directory', () => seen.includes(join(dir, 'src/main/resources')));
    await until('the new directory to be watched', () => w.size === before + 1);
    writeFileSync(join(dir, 'src/main/resources/app.yaml'), 'a: 1');
    await until('a file in the new directory', () => seen.includes(join(dir, 'src/main/resources/app.yaml')));

    rmSync(join(dir, 'src/main/resources'), { recursive: true });
    await until('the removal', () => w.size === before);
    mkdirSync(join(dir, 'src/main/resources'));
    await until('the directory again', () => w.size === before + 1);
    seen.length = 0;
    writeFileSync(join(dir, 'src/main/resources/app.yaml'), 'a: 2');
    await until('a file in the re-created directory', () => seen.includes(join(dir, 'src/main/resources/app.yaml')));
  });

  it('a directory created with files already in it (mkdir -p a/b && echo > a/b/f, a git checkout): the files are reported', async () => {
    start();
    // Written before the watcher can have seen the new directories: no watch of theirs existed yet.
    mkdirSync(join(dir, 'src/main/resources/static/css'), { recursive: true });
    writeFileSync(join(dir, 'src/main/resources/greeting.txt'), 'hi');
    writeFileSync(join(dir, 'src/main/resources/static/css/site.css'), 'body{}');
    await until('the files of the new directories', () => seen.includes(join(dir, 'src/main/resources/greeting.txt')) && seen.includes(join(dir, 'src/main/resources/static/css/site.css')));
  });

  it('reports nothing after close or abort', async () => {
    // A second watcher on the same tree, left open, tells when the write has been delivered.
    const control = new AbortController();
    const controlSeen: string[] = [];
    watchSources(dir, { signal: control.signal, onChange: (f) => controlSeen.push(f), platform });
    try {
      start();
      w.close();
      writeFileSync(app(), 'after close');
      await until('the write, seen by the open watcher', () => controlSeen.includes(app()));
      expect(seen).toEqual([]);
      controlSeen.length = 0;
      start();
      abort.abort();
      writeFileSync(app(), 'after abort');
      await until('the second write, seen by the open watcher', () => controlSeen.includes(app()));
      expect(seen).toEqual([]);
      expect(w.size).toBe(0);
    } finally {
      control.abort();
    }
  });
});
