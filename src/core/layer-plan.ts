// Sending a containerd only the image layers it lacks. Pure planning for the loader's re-packing
// of a `docker save` stream (src/adapters/loaders/save-filter.ts does the streaming).
//
// Why this is safe: containerd stores blobs by digest. A layer from `docker save` is the
// uncompressed layer tar, so its digest is the layer's diffID, and a containerd that already holds
// a blob with that digest (an earlier version of the app, or any image on the same base, loaded
// from Docker) does not need the bytes again. `ctr images import` of an OCI layout ingests whatever
// blobs the tar holds and takes the image from index.json, so a layout whose manifest names a blob
// that is not in the tar but is already in the store imports and unpacks like a complete one.
// Docker's older archive format (manifest.json pointing at `<id>/layer.tar`) cannot leave a layer
// out, so when a layer is left out ship writes the OCI index and manifest itself, at the end of the
// stream, from what it saw: the config (digest = image ID), each layer's size, and the diffIDs.
//
// Which entry is which layer: Docker ≥ 25 names layer blobs by digest (`blobs/sha256/<hex>`);
// Docker ≤ 24 names them `<v1 id>/layer.tar`, and manifest.json (which maps paths to layer
// positions) comes last. For those, an entry is left out when its size equals the exact size of a
// layer the target holds, and the choice is checked once manifest.json arrives: every entry left
// out must be a layer the target holds with that size, or the plan fails and ship sends the whole
// image instead.

import { createHash } from 'node:crypto';
import { canonicalRef, parseImageRef } from './image-ref.js';

export const MEDIA_TYPES = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar',
  index: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Layers a target already holds: blob digest → exact size in bytes. */
export type HeldLayers = Map<string, number>;

export interface ImageFacts {
  /** The name the image gets in containerd (as Docker names it; normalised here). */
  ref: string;
  /** Docker's image ID = the config blob's digest. */
  id: string;
  /** diffIDs from the image config, bottom layer first. */
  diffIds: string[];
  os: string;
  architecture: string;
  variant?: string;
}

/** What one entry of a `docker save` stream is, for re-packing. */
export type EntryKind =
  /** Docker's manifest.json: kept back until the end (it decides the output format). */
  | 'manifest'
  /** index.json / oci-layout of Docker ≥ 25's OCI layout: kept back until the end. */
  | 'oci-meta'
  /** Docker's legacy v1 files (`<id>/VERSION`, `<id>/json`, `repositories`): containerd never reads them. */
  | 'legacy'
  /** A blob: config or layer. */
  | 'blob';

export function cleanEntryName(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

export function classifyEntry(name: string): EntryKind {
  if (name === 'manifest.json') return 'manifest';
  if (name === 'index.json' || name === 'oci-layout') return 'oci-meta';
  if (name === 'repositories' || /^[0-9a-f]{64}\/(VERSION|json)$/.test(name)) return 'legacy';
  return 'blob';
}

/** The digest an OCI layout path names (`blobs/sha256/<hex>`), if it names one. */
export function digestOfPath(name: string): string | undefined {
  const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
  return m ? `sha256:${m[1]}` : undefined;
}

/** Whether to leave this entry out of the stream: the target already holds it (see the file comment). */
export function shouldDrop(name: string, size: number, held: HeldLayers): boolean {
  if (held.size === 0) return false;
  const digest = digestOfPath(name);
  if (digest) return held.get(digest) === size;
  if (/^[0-9a-f]{64}\/layer\.tar$/.test(name)) return [...held.values()].includes(size);
  return false;
}

interface SaveManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export interface StreamSeen {
  /** Size of every regular entry, by cleaned name. */
  sizes: Map<string, number>;
  /** Entries left out. */
  dropped: string[];
  /** Entries kept back (manifest.json, index.json, oci-layout), in the order they came. */
  kept: Array<{ name: string; data: Buffer }>;
}

export interface TailEntry {
  name: string;
  data: Buffer;
}

export class LayerPlanError extends Error {}

function layerDigest(path: string, i: number, diffIds: string[]): string {
  return digestOfPath(path) ?? diffIds[i]!;
}

/**
 * After the last entry: check the entries left out and give the entries that end the stream.
 * Nothing left out → Docker's own files as they came (ctr reads the archive exactly as Docker
 * wrote it). Throws LayerPlanError when an entry was left out that the target may not hold.
 */
export function finishStream(seen: StreamSeen, image: ImageFacts, held: HeldLayers): TailEntry[] {
  if (seen.dropped.length === 0) return seen.kept;
  const manifestEntry = seen.kept.find((k) => k.name === 'manifest.json');
  if (!manifestEntry) throw new LayerPlanError('the docker save stream has no manifest.json');
  let entries: SaveManifestEntry[];
  try {
    entries = JSON.parse(manifestEntry.data.toString('utf8')) as SaveManifestEntry[];
  } catch {
    throw new LayerPlanError('the manifest.json of the docker save stream is not JSON');
  }
  if (!Array.isArray(entries) || entries.length !== 1 || !Array.isArray(entries[0]?.Layers)) {
    throw new LayerPlanError(`expected one image in the docker save stream, found ${Array.isArray(entries) ? entries.length : 'none'}`);
  }
  const m = entries[0]!;
  if (m.Layers.length !== image.diffIds.length) {
    throw new LayerPlanError(`the stream lists ${m.Layers.length} layers, the image config ${image.diffIds.length}`);
  }
  for (const name of seen.dropped) {
    const i = m.Layers.indexOf(name);
    if (i < 0) throw new LayerPlanError(`${name} was left out but is not a layer of the image`);
    const digest = layerDigest(name, i, image.diffIds);
    if (held.get(digest) !== seen.sizes.get(name)) throw new LayerPlanError(`${name} (${digest}) was left out but the target does not hold it`);
  }

  // Docker ≥ 25 wrote an OCI layout: its index and manifest name every blob by digest, and the
  // blobs left out are in the target's store, so its own files are right as they are.
  if (seen.kept.some((k) => k.name === 'oci-layout') && seen.kept.some((k) => k.name === 'index.json')) return seen.kept;

  const configSize = seen.sizes.get(m.Config);
  if (configSize === undefined) throw new LayerPlanError(`the image config ${m.Config} is not in the stream`);
  const layers = m.Layers.map((path, i) => {
    const size = seen.sizes.get(path);
    if (size === undefined) throw new LayerPlanError(`layer ${path} is not in the stream`);
    return { mediaType: MEDIA_TYPES.layer, digest: layerDigest(path, i, image.diffIds), size };
  });
  // Same field order as containerd's own conversion of a Docker archive, so the manifest (and its
  // digest) is the one `ctr images import` would have made from the complete archive.
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: image.id, size: configSize },
      layers,
    }),
  );
  const manifestDigest = 'sha256:' + createHash('sha256').update(manifest).digest('hex');
  const name = canonicalRef(image.ref);
  const tag = parseImageRef(name).tag;
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: manifestDigest,
        size: manifest.length,
        annotations: { 'io.containerd.image.name': name, ...(tag ? { 'org.opencontainers.image.ref.name': tag } : {}) },
        platform: { architecture: image.architecture, os: image.os, ...(image.variant ? { variant: image.variant } : {}) },
      },
    ],
  };
  return [
    { name: `blobs/sha256/${manifestDigest.slice(7)}`, data: manifest },
    { name: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
  ];
}

/** The layers of a manifest blob (as `ctr content get` prints it): digest → size. */
export function layerSizesOfManifest(json: string): Map<string, number> {
  const out = new Map<string, number>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return out;
  }
  const layers = (parsed as { layers?: unknown }).layers;
  if (!Array.isArray(layers)) return out;
  for (const l of layers as Array<{ digest?: unknown; size?: unknown }>) {
    if (typeof l.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(l.digest) && Number.isSafeInteger(l.size) && (l.size as number) >= 0) {
      out.set(l.digest, l.size as number);
    }
  }
  return out;
}

/** Layers every one of several targets holds with the same size (one stream feeds them all). */
export function commonHeld(perTarget: HeldLayers[]): HeldLayers {
  if (perTarget.length === 0) return new Map();
  const [first, ...rest] = perTarget;
  const out: HeldLayers = new Map();
  for (const [d, size] of first!) if (rest.every((h) => h.get(d) === size)) out.set(d, size);
  return out;
}
