// What the build output directory (target/classes, build/classes) holds: path → content digest.
// Files whose size and mtime did not move since the last look are not read again.

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

  constructor(readonly dir: string) {}

  async snapshot(): Promise<OutputSnapshot> {
    const out: OutputSnapshot = new Map();
    await this.walk('', out);
    for (const path of this.seen.keys()) if (!out.has(path)) this.seen.delete(path);
    return out;
  }

  private async walk(rel: string, out: OutputSnapshot): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(this.dir, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && rel === '') return;
      throw e;
    }
    await Promise.all(
      entries.map(async (e) => {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) return this.walk(path, out);
        if (!e.isFile()) return;
        const abs = join(this.dir, path);
        const st = await stat(abs);
        const prev = this.seen.get(path);
        if (prev && prev.size === st.size && prev.mtimeMs === st.mtimeMs) {
          out.set(path, prev.digest);
          return;
        }
        const digest = createHash('sha1').update(await readFile(abs)).digest('hex');
        this.seen.set(path, { size: st.size, mtimeMs: st.mtimeMs, digest });
        out.set(path, digest);
      }),
    );
  }
}
