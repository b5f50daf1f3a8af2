// What the build output directories hold, merged as the pod's classes directory holds them
// (Maven: target/classes; Gradle: build/classes/java/main, build/resources/main, …): path →
// content digest. A path in two directories is taken from the first (classpath order). Files
// whose size and mtime did not move since the last look are not read again.

import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutputSnapshot } from '../../core/live-plan.js';

interface Seen {
  size: number;
  mtimeMs: number;
  digest: string;
}

export class OutputSnapshotter {
  private readonly seen = new Map<string, Seen>();
  /** Path → the output directory it was read from, as of the last snapshot. */
  private readonly from = new Map<string, string>();

  /** The output directories, in classpath order. */
  constructor(readonly dirs: string[]) {}

  async snapshot(): Promise<OutputSnapshot> {
    const perDir = await Promise.all(
      this.dirs.map(async (dir) => {
        const out: OutputSnapshot = new Map();
        await this.walk(dir, '', out);
        return [dir, out] as const;
      }),
    );
    const merged: OutputSnapshot = new Map();
    this.from.clear();
    for (const [dir, out] of perDir) {
      for (const [path, digest] of out) {
        if (merged.has(path)) continue;
        merged.set(path, digest);
        this.from.set(path, dir);
      }
    }
    const present = new Set(perDir.flatMap(([dir, out]) => [...out.keys()].map((path) => `${dir}\0${path}`)));
    for (const key of this.seen.keys()) if (!present.has(key)) this.seen.delete(key);
    return merged;
  }

  /** The absolute path of a file of the last snapshot. */
  locate(path: string): string {
    const dir = this.from.get(path);
    if (!dir) throw new Error(`${path} is in no output directory`);
    return join(dir, path);
  }

  private async walk(dir: string, rel: string, out: OutputSnapshot): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(dir, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw e;
    }
    await Promise.all(
      entries.map(async (e) => {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) return this.walk(dir, path, out);
        if (!e.isFile()) return;
        const abs = join(dir, path);
        const st = await stat(abs);
        const key = `${dir}\0${path}`;
        const prev = this.seen.get(key);
        if (prev && prev.size === st.size && prev.mtimeMs === st.mtimeMs) {
          out.set(path, prev.digest);
          return;
        }
        const digest = createHash('sha1').update(await readFile(abs)).digest('hex');
        this.seen.set(key, { size: st.size, mtimeMs: st.mtimeMs, digest });
        out.set(path, digest);
      }),
    );
  }
}
