// containerd's `ctr` as data: the commands ship runs (arguments after ctr's global flags) and the
// parsing of what they print. Pure; the loaders run the commands (src/adapters/loaders/).

import { ShipError } from '../errors.js';

export const K8S_NAMESPACE = 'k8s.io';
export const DEFAULT_SNAPSHOTTER = 'overlayfs';

export function imageId(id: string): string {
  const hex = id.startsWith('sha256:') ? id.slice(7) : id;
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ShipError('load', `"${id}" is not a full image ID (sha256:<64 hex digits>).`, {
      hint: 'This is a bug in ship: the image step should hand over the full ID from Docker.',
    });
  }
  return 'sha256:' + hex;
}

/** Command data (arguments after ctr's global flags). */
export const ctrArgs = {
  manifestsOf: (id: string) => ['content', 'ls', '-q', `labels."containerd.io/gc.ref.content.config"==${id}`],
  indexesOf: (manifests: string[], width = 8) =>
    ['content', 'ls', '-q', ...manifests.flatMap((m) => Array.from({ length: width }, (_, i) => `labels."containerd.io/gc.ref.content.m.${i}"==${m}`))],
  namesOf: (digests: string[]) => ['images', 'ls', '-q', ...digests.map((d) => `target.digest==${d}`)],
  tag: (source: string, target: string) => ['images', 'tag', '--force', source, target],
  importStdin: (snapshotter: string) => ['images', 'import', '--digests', `--snapshotter=${snapshotter}`, '-'],
  /** Which of these blobs the content store holds. */
  blobs: (digests: string[]) => ['content', 'ls', '-q', ...digests.map((d) => `digest==${d}`)],
  /** Manifests that list any of these layers (at a position below `width`). */
  manifestsWithLayers: (digests: string[], width: number) =>
    ['content', 'ls', '-q', ...digests.flatMap((d) => Array.from({ length: width }, (_, i) => `labels."containerd.io/gc.ref.content.l.${i}"==${d}`))],
  get: (digest: string) => ['content', 'get', digest],
};

/** Digests printed by `ctr content ls -q` (one per line). */
export function parseDigests(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const d = line.trim().split(/\s+/)[0];
    if (d && /^sha256:[0-9a-f]{64}$/.test(d) && !out.includes(d)) out.push(d);
  }
  return out;
}

/** Names printed by `ctr images ls -q`. */
export function parseNames(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'REF');
}

/**
 * The snapshotter from a containerd config (`containerd config dump`, or k3s's config.toml): the
 * `snapshotter = "…"` key in a CRI section — `[plugins."io.containerd.grpc.v1.cri".containerd]`
 * (config version 2) or `[plugins.'io.containerd.cri.v1.images']` (version 3).
 */
export function parseSnapshotter(toml: string): string | undefined {
  let section = '';
  for (const raw of toml.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      section = line;
      continue;
    }
    const m = /^snapshotter\s*=\s*["']([^"']*)["']/.exec(line);
    if (m && m[1] && /cri/.test(section) && !/runtimes/.test(section)) return m[1];
  }
  return undefined;
}

/**
 * The names other than `want` that point at an image, best tag source first: CRI keeps its own
 * "sha256:<ID>" name and `ctr import --digests` adds "import-…@sha256:…": both are valid sources
 * for a tag, but a plain name is preferred when there is one.
 */
export function otherNames(names: string[], want: string): string[] {
  return names.filter((n) => n !== want).sort((a, b) => rank(a) - rank(b));
}

function rank(name: string): number {
  if (name.startsWith('sha256:')) return 2;
  if (name.startsWith('import-')) return 1;
  return 0;
}

