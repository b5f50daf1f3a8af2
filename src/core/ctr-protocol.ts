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
  /** Every image name with its target (parsed by parseImageTable). */
  table: () => ['images', 'ls'],
  remove: (names: string[]) => ['images', 'rm', ...names],
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


/** `ctr images ls` (the table, not -q): each name and the digest it points at. */
export function parseImageTable(stdout: string): Array<{ name: string; digest: string }> {
  const out: Array<{ name: string; digest: string }> = [];
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0] === 'REF') continue;
    if (/^sha256:[0-9a-f]{64}$/.test(f[2]!)) out.push({ name: f[0]!, digest: f[2]! });
  }
  return out;
}

/**
 * The names to delete so that the images `refs` name leave the node: each ref, and the names only
 * the import and the CRI added for the same image (`import-…@sha256:D`, `sha256:<ID>`) — unless
 * another name (a tag someone else uses) still points at it: then only the ref goes, and the image
 * stays for that name. `refs` are canonical (docker.io/library/app:ship-…).
 */
export function namesToRemove(table: Array<{ name: string; digest: string }>, refs: string[]): string[] {
  const going = new Set(refs);
  const out: string[] = [];
  for (const ref of refs) {
    const entry = table.find((e) => e.name === ref);
    if (!entry) continue;
    const same = table.filter((e) => e.digest === entry.digest);
    const helper = (n: string) => /^sha256:[0-9a-f]{64}$/.test(n) || (n.startsWith('import-') && n.endsWith(`@${entry.digest}`));
    const others = same.filter((e) => !going.has(e.name) && !helper(e.name));
    const names = others.length === 0 ? same.filter((e) => going.has(e.name) || helper(e.name)).map((e) => e.name) : [ref];
    for (const n of names) if (!out.includes(n)) out.push(n);
  }
  return out;
}
