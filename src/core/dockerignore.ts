// Which paths of the Docker build context are sent: .dockerignore the way `docker build` reads it
// (patterns match paths RELATIVE to the context; a file is out when it or a parent matches and no
// later `!` exception brings it back; the Dockerfile and .dockerignore are always sent). Pure: the
// walk and the tar are src/adapters/build-context.ts.

import { sep } from 'node:path';
import dockerignoreModule from '@balena/dockerignore';

// The package is CommonJS with `factory.default = factory`; under NodeNext, TypeScript types the
// default import as the module object, so take its `default` (the same function at run time).
const dockerignore = dockerignoreModule.default;

/**
 * A filter over context-relative paths (forward slashes): true = the path goes into the context.
 * The Dockerfile and .dockerignore are always kept, as Docker keeps them.
 */
export function makeIgnoreFilter(dockerignoreText: string, dockerfileName: string): (relPath: string) => boolean {
  const patterns = dockerignoreText
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const ig = dockerignore().add(patterns);
  const always = new Set([cleanRel(dockerfileName), '.dockerignore']);
  return (relPath: string) => {
    const rel = cleanRel(relPath);
    if (rel === '' || always.has(rel)) return true;
    return !ig.ignores(rel);
  };
}

/** Whether the .dockerignore has `!` exceptions (then an ignored directory may still hold kept files). */
export function hasExceptions(dockerignoreText: string): boolean {
  return dockerignoreText.split(/\r?\n/).some((l) => l.trim().startsWith('!'));
}

/** A context-relative path with forward slashes, no leading ./ or /, no trailing /; '' for the root. */
export function cleanRel(p: string): string {
  let s = p.split(sep).join('/').replace(/\/+/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  if (s.startsWith('/')) s = s.slice(1);
  if (s.endsWith('/')) s = s.slice(0, -1);
  return s === '.' ? '' : s;
}

/** Adds `rel` and every directory on the way to it. */
export function addWithParents(keep: Set<string>, rel: string) {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) keep.add(parts.slice(0, i).join('/'));
}
