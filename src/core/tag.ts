// The immutable image tag. It is derived from what goes INTO the image — the project's sources,
// the Dockerfile, the builder choice and the base images' IDs — never from build output (which
// embeds timestamps), so an unchanged project gets the same tag and ship can skip build and image.
// Never `latest`: a Pod re-applied with the same tag would keep running the old container.

import { sameRepository, shortName } from './image-ref.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Directories that never hold sources, at any depth. */
const NEVER_SOURCE_DIRS = new Set(['.git', '.gradle', 'node_modules', '.idea', '.vscode', '.mvn/wrapper/dists', '.settings']);
/** Build output directories: skipped unless they sit inside a `src` tree (a Java package may be called `build`). */
const OUTPUT_DIRS = new Set(['build', 'target', 'out']);
const NEVER_SOURCE_FILES = [/\.iml$/, /^\.DS_Store$/, /\.swp$/, /~$/];

export interface DigestInput {
  projectDir: string;
  /** The Dockerfile text (or ship's generated-recipe identifier when ship writes it). */
  dockerfileText: string;
  builder: string;
  skipTests?: boolean;
  buildArgs?: Record<string, string>;
  /** Image IDs of the FROM images (in FROM order). */
  baseImageIds: string[];
}

/** Hex sha256 over the image's inputs. Stable across runs, machines and file-system order. */
export async function inputDigest(input: DigestInput): Promise<string> {
  const h = createHash('sha256');
  const field = (name: string, value: string) => {
    h.update(`${name}\0${Buffer.byteLength(value)}\0`);
    h.update(value);
    h.update('\0');
  };
  field('recipe', 'ship-input-digest/v1');
  field('dockerfile', input.dockerfileText);
  field('builder', input.builder);
  field('skipTests', String(input.skipTests ?? false));
  const args = Object.entries(input.buildArgs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  field('buildArgs', JSON.stringify(args));
  field('baseImages', JSON.stringify(input.baseImageIds));
  for (const file of await sourceFiles(input.projectDir)) {
    field('path', file.rel);
    field('mode', file.kind);
    if (file.kind === 'symlink') field('link', await readlink(join(input.projectDir, file.rel)));
    else field('content', await fileSha256(join(input.projectDir, file.rel)));
  }
  return h.digest('hex');
}

export function tagFor(digest: string): string {
  return 'ship-' + digest.slice(0, 12);
}

interface SourceFile {
  rel: string;
  kind: 'file' | 'exec' | 'symlink';
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
        if (NEVER_SOURCE_DIRS.has(name) || NEVER_SOURCE_DIRS.has(childRel)) continue;
        if (!insideSrc && OUTPUT_DIRS.has(name)) continue;
        await walk(childRel, insideSrc || name === 'src');
      } else if (st.isSymbolicLink()) {
        files.push({ rel: childRel, kind: 'symlink' });
      } else if (st.isFile()) {
        if (NEVER_SOURCE_FILES.some((re) => re.test(basename(childRel)))) continue;
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

// ---------------------------------------------------------------------------------------------
// Image names

/** The repository an image reference names, short form (`docker.io/library/x:1` → `x`). */
export const normalizeImageName = shortName;

/** Whether two references name the same repository. */
export const sameImageName = sameRepository;

/**
 * The repository ship builds into: the image the manifests use for the app, when it is clear which
 * one that is — the one named like the project (any registry, path or tag), or the only image the
 * manifests use at all — else rootProject.name, the Maven artifactId or the directory name, made a
 * valid repository name. Of several images none named like the project, none is taken (not even the
 * first): it may be a sidecar's or an init container's, which ship must never replace with the app.
 */
export function imageNameFor(input: { manifestImages?: string[]; rootProjectName?: string; artifactId?: string; dirName: string }): string {
  const candidates = [input.rootProjectName, input.artifactId, input.dirName].map((c) => toRepositoryName(c ?? '')).filter((n) => n !== '');
  const images = [...new Set((input.manifestImages ?? []).map((i) => normalizeImageName(i)).filter((n) => n !== ''))];
  const named = images.find((n) => candidates.includes(n.split('/').at(-1)!));
  if (named) return named;
  if (images.length === 1) return images[0]!;
  return candidates[0] ?? 'app';
}

/** Lowercase; runs of anything but [a-z0-9] become one separator; no separator at either end. */
export function toRepositoryName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, (m) => (m.includes('.') && !m.includes('-') ? '.' : '-'))
    .replace(/^[._-]+|[._-]+$/g, '');
}
