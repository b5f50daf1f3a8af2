// The project's source files on disk, for the image tag: the walk (what counts as a source is
// decided in src/core/tag.ts), each file's content hash or link target, and the digest over them.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { digestOf, skipSourceDir, skipSourceFile, type DigestInput, type HashedSourceFile, type SourceFile } from '../core/tag.js';

/** Hex sha256 over the image's inputs. Stable across runs, machines and file-system order. */
export async function inputDigest(input: DigestInput): Promise<string> {
  const files: HashedSourceFile[] = [];
  for (const file of await sourceFiles(input.projectDir)) {
    if (file.kind === 'symlink') files.push({ ...file, link: await readlink(join(input.projectDir, file.rel)) });
    else files.push({ ...file, contentSha256: await fileSha256(join(input.projectDir, file.rel)) });
  }
  return digestOf(input, files);
}

/** The project's source files (relative paths with '/', sorted), build output and tool state skipped. */
export async function sourceFiles(projectDir: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  async function walk(rel: string, insideSrc: boolean) {
    const names = await readdir(rel === '' ? projectDir : join(projectDir, rel));
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(projectDir, childRel));
      if (st.isDirectory()) {
        if (skipSourceDir(name, childRel, insideSrc)) continue;
        await walk(childRel, insideSrc || name === 'src');
      } else if (st.isSymbolicLink()) {
        files.push({ rel: childRel, kind: 'symlink' });
      } else if (st.isFile()) {
        if (skipSourceFile(basename(childRel))) continue;
        files.push({ rel: childRel, kind: st.mode & 0o111 ? 'exec' : 'file' });
      }
    }
  }
  await walk('', false);
  // Code-unit order, independent of the file system and locale.
  return files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
