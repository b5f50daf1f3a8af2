// The Docker build context: the project directory as a tar stream, filtered by .dockerignore
// (the rules are src/core/dockerignore.ts). Files ship generates (a Dockerfile) are added to the
// tar in memory: nothing is ever written into the user's project.

import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import tarFs from 'tar-fs';
import { addWithParents, cleanRel, hasExceptions, makeIgnoreFilter } from '../core/dockerignore.js';

export interface PackOptions {
  /** The Dockerfile's path relative to the context (always kept in the tar). */
  dockerfileName: string;
  /** Files added to the tar in memory (relative name → content), e.g. a generated Dockerfile. They win over files of the same name. */
  extraFiles?: Record<string, string>;
  /**
   * Pack only these context-relative paths (plus extraFiles) instead of the whole filtered tree.
   * Used with a generated Dockerfile, which needs nothing but the jar.
   */
  only?: string[];
}

/**
 * The context as a tar stream. The walk (and .dockerignore read) happens asynchronously; errors
 * (unreadable file, missing `only` path) arrive as an 'error' on the returned stream.
 */
export function packContext(dir: string, opts: PackOptions): NodeJS.ReadableStream {
  const out = new PassThrough();
  void (async () => {
    const extra = new Map(Object.entries(opts.extraFiles ?? {}).map(([k, v]) => [cleanRel(k), v]));
    const keep = opts.only ? await keepOnly(dir, opts.only) : await keepFiltered(dir, opts.dockerfileName);
    for (const name of extra.keys()) keep.delete(name);
    const pack = tarFs.pack(dir, {
      ignore: (abs: string) => !keep.has(cleanRel(relative(dir, abs))),
      sort: true,
      finalize: false,
      finish: (p) => {
        for (const [name, content] of extra) {
          p.entry({ name, mode: 0o644, mtime: new Date(0), type: 'file' }, content);
        }
        p.finalize();
      },
    } as tarFs.PackOptions & { sort: boolean });
    pack.on('error', (e: Error) => out.destroy(e));
    pack.pipe(out);
  })().catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
}

/** Every kept path and each directory on the way to one. */
async function keepFiltered(dir: string, dockerfileName: string): Promise<Set<string>> {
  const text = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
  const keepPath = makeIgnoreFilter(text, dockerfileName);
  const descendIntoIgnored = hasExceptions(text);
  const keep = new Set<string>();

  // Returns whether anything under rel was kept.
  async function walk(rel: string): Promise<boolean> {
    let any = false;
    const names = (await readdir(rel === '' ? dir : join(dir, rel))).sort();
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(dir, childRel));
      const kept = keepPath(childRel);
      if (st.isDirectory()) {
        if (kept) {
          keep.add(childRel);
          await walk(childRel);
          any = true;
        } else if (descendIntoIgnored && (await walk(childRel))) {
          keep.add(childRel);
          any = true;
        }
      } else if (kept) {
        keep.add(childRel);
        any = true;
      }
    }
    return any;
  }
  await walk('');
  // The Dockerfile is always sent, even from an ignored directory.
  addWithParents(keep, cleanRel(dockerfileName));
  return keep;
}

async function keepOnly(dir: string, only: string[]): Promise<Set<string>> {
  const keep = new Set<string>();
  for (const p of only) {
    const rel = cleanRel(p);
    await lstat(join(dir, rel)); // a missing path is an error here, not a silently smaller context
    addWithParents(keep, rel);
  }
  return keep;
}
