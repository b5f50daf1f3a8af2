// Small tar streams built from a list of entries (tar-stream): the files of a live sync, the
// dev image's build context. Names are relative and never climb out (`..`); order is kept.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pack } from 'tar-stream';

export interface TarEntry {
  /** Path inside the archive (`/`-separated, relative). */
  name: string;
  /** A directory entry, or a file read from this absolute path, or given as content. */
  from: 'directory' | string | Buffer;
  /** Default 0666 for files, 0777 for directories: writable by whatever user the container runs as. */
  mode?: number;
}

export function tarOf(entries: TarEntry[]): Readable {
  const p = pack();
  const out = new PassThrough();
  p.on('error', (e: Error) => out.destroy(e));
  p.pipe(out);
  void (async () => {
    for (const e of entries) {
      if (e.name.startsWith('/') || e.name.split('/').includes('..') || e.name === '') throw new Error(`refusing to pack "${e.name}": not a relative path`);
      if (e.from === 'directory') {
        p.entry({ name: e.name, type: 'directory', mode: e.mode ?? 0o777, mtime: new Date() });
        continue;
      }
      if (Buffer.isBuffer(e.from)) {
        p.entry({ name: e.name, mode: e.mode ?? 0o666, mtime: new Date() }, e.from);
        continue;
      }
      const path = e.from;
      const st = await stat(path);
      await new Promise<void>((resolve, reject) => {
        const entry = p.entry({ name: e.name, size: st.size, mode: e.mode ?? 0o666, mtime: st.mtime }, (err) => (err ? reject(err) : resolve()));
        const src = createReadStream(path);
        src.on('error', reject);
        src.pipe(entry as unknown as NodeJS.WritableStream);
      });
    }
    p.finalize();
  })().catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
}
