// The immutable image tag. It is derived from what goes INTO the image — the project's sources,
// the Dockerfile, the builder choice and the base images' IDs — never from build output (which
// embeds timestamps), so an unchanged project gets the same tag and ship can skip build and image.
// Never `latest`: a Pod re-applied with the same tag would keep running the old container.
//
// Pure: which files count as sources is decided here, the files are listed and hashed by
// src/adapters/source-files.ts, and the digest over what it found is computed here.

import { createHash } from 'node:crypto';
import { shortName } from './image-ref.js';

/** Directories that never hold sources, at any depth. */
const NEVER_SOURCE_DIRS = new Set(['.git', '.gradle', 'node_modules', '.idea', '.vscode', '.mvn/wrapper/dists', '.settings']);
/** Build output directories: skipped unless they sit inside a `src` tree (a Java package may be called `build`). */
const OUTPUT_DIRS = new Set(['build', 'target', 'out']);
const NEVER_SOURCE_FILES = [/\.iml$/, /^\.DS_Store$/, /\.swp$/, /~$/];

/** Whether the walk skips directory `name` (at `rel`, relative with '/'); `insideSrc`: below a `src` directory. */
export function skipSourceDir(name: string, rel: string, insideSrc: boolean): boolean {
  if (NEVER_SOURCE_DIRS.has(name) || NEVER_SOURCE_DIRS.has(rel)) return true;
  return !insideSrc && OUTPUT_DIRS.has(name);
}

/** Whether a file named `name` is never a source (editor and OS leftovers). */
export function skipSourceFile(name: string): boolean {
  return NEVER_SOURCE_FILES.some((re) => re.test(name));
}

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

export interface SourceFile {
  rel: string;
  kind: 'file' | 'exec' | 'symlink';
}

/** A source file with what the digest covers: a symlink's target, else the content's hex sha256. */
export interface HashedSourceFile extends SourceFile {
  link?: string;
  contentSha256?: string;
}

/**
 * Hex sha256 over the image's inputs, given the project's source files (sorted, as sourceFiles
 * lists them). Stable across runs, machines and file-system order.
 */
export function digestOf(input: Omit<DigestInput, 'projectDir'>, files: HashedSourceFile[]): string {
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
  for (const file of files) {
    field('path', file.rel);
    field('mode', file.kind);
    if (file.kind === 'symlink') field('link', file.link ?? '');
    else field('content', file.contentSha256 ?? '');
  }
  return h.digest('hex');
}

export function tagFor(digest: string): string {
  return 'ship-' + digest.slice(0, 12);
}

// ---------------------------------------------------------------------------------------------
// Image names

/**
 * The repository ship builds into: the image the manifests use for the app, when it is clear which
 * one that is — the one named like the project (any registry, path or tag), or the only image the
 * manifests use at all — else rootProject.name, the Maven artifactId or the directory name, made a
 * valid repository name. Of several images none named like the project, none is taken (not even the
 * first): it may be a sidecar's or an init container's, which ship must never replace with the app.
 */
export function imageNameFor(input: { manifestImages?: string[]; rootProjectName?: string; artifactId?: string; dirName: string }): string {
  const candidates = [input.rootProjectName, input.artifactId, input.dirName].map((c) => toRepositoryName(c ?? '')).filter((n) => n !== '');
  const images = [...new Set((input.manifestImages ?? []).map((i) => shortName(i)).filter((n) => n !== ''))];
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
