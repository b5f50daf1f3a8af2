// The containerd side of loading, shared by every loader that talks to a containerd with `ctr`:
// kind and k3d nodes (ctr runs inside the node container via docker exec) and a containerd on this
// machine (ctr runs here against its socket). They differ only in how one ctr command is run;
// everything else — is the image there, retag, import, verify — is here, once.
//
// How "is this exact image there" is answered without node.status.images (capped at 50):
// containerd labels each manifest blob with `containerd.io/gc.ref.content.config=<config digest>`,
// and the config digest of an image imported from `docker save` is Docker's image ID. So
//   1. `ctr content ls 'labels."containerd.io/gc.ref.content.config"==<ID>'` → manifests of this image
//   2. `ctr content ls 'labels."containerd.io/gc.ref.content.m.N"==<manifest>'` → indexes holding them
//   3. `ctr images ls -q 'target.digest==<d>' …` → every name that points at this image
// If the wanted name is among them the node has it; if only other names are, a tag is enough.

import { canonicalRef } from '../../core/image-ref.js';
import { commonHeld, layerSizesOfManifest, type HeldLayers } from '../../core/layer-plan.js';
import { PassThrough, type Readable } from 'node:stream';
import { filterSave, type FilterStats } from './save-filter.js';
import { ShipError, InterruptedError } from '../../errors.js';
import type { LoadResult } from './types.js';

export const K8S_NAMESPACE = 'k8s.io';
export const DEFAULT_SNAPSHOTTER = 'overlayfs';

export interface CtrResult {
  exitCode: number;
  stdout: string;
  /** stderr, or the tail of combined output when the runner does not separate them. */
  stderr: string;
}

/** One containerd that ship can run `ctr` against (a node, or the host's socket). */
export interface CtrTarget {
  /** Node name (kind-control-plane) or socket path: shown to the user. */
  readonly name: string;
  /** Run `ctr <global args> ARGS`; the target adds its own address and namespace flags. */
  ctr(args: string[], opts: { stdin?: Readable; signal?: AbortSignal }): Promise<CtrResult>;
  /** The snapshotter the CRI plugin uses (images are unpacked for it). */
  snapshotter(signal?: AbortSignal): Promise<string>;
  /** A hint for failures of this target (where to look). */
  readonly hint: string;
}

export interface ImageRef {
  /** As Docker names it: kubernetes-spring:ship-abc */
  ref: string;
  /** Docker image ID, sha256:… (= the config digest in containerd). */
  id: string;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers: command data and output parsing.

/** Docker's short names as containerd stores them (`x:1` → `docker.io/library/x:1`). */
export const normalizeRef = canonicalRef;

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

// ---------------------------------------------------------------------------------------------
// Talking to one target.

function ctrFailure(target: CtrTarget, what: string, r: CtrResult): ShipError {
  const text = (r.stderr || r.stdout).trim();
  const lines = text ? text.split('\n').slice(-15) : [];
  let hint = target.hint;
  if (/permission denied/i.test(text)) hint = `ship cannot open the containerd socket of ${target.name}: run as a user that may (usually root). ${hint}`;
  else if (/no such file|connection refused|connect: |failed to dial/i.test(text)) hint = `containerd does not answer at ${target.name}. ${hint}`;
  return new ShipError('load', `${what} on ${target.name} failed (ctr exit ${r.exitCode})${lines.length ? ': ' + lines[lines.length - 1] : ''}`, {
    hint,
    details: lines,
  });
}

async function ctrOk(target: CtrTarget, what: string, args: string[], signal?: AbortSignal): Promise<string> {
  const r = await target.ctr(args, { signal });
  if (signal?.aborted) throw new InterruptedError();
  if (r.exitCode !== 0) throw ctrFailure(target, what, r);
  return r.stdout;
}

export interface Presence {
  /** The wanted name points at this image. */
  present: boolean;
  /** Other names that point at this image (a tag is enough to add the wanted one). */
  others: string[];
}

/** Does this containerd have the image, under the wanted name or another one? */
export async function probe(target: CtrTarget, image: ImageRef, signal?: AbortSignal): Promise<Presence> {
  const id = imageId(image.id);
  const want = normalizeRef(image.ref);
  const manifests = parseDigests(await ctrOk(target, 'Listing image content', ctrArgs.manifestsOf(id), signal));
  if (manifests.length === 0) return { present: false, others: [] };
  let names = parseNames(await ctrOk(target, 'Listing images', ctrArgs.namesOf(manifests), signal));
  if (!names.includes(want)) {
    // Rarer: the name may point at an index (multi-platform) that holds one of these manifests.
    const indexes = parseDigests(await ctrOk(target, 'Listing image indexes', ctrArgs.indexesOf(manifests), signal));
    if (indexes.length > 0) names = [...names, ...parseNames(await ctrOk(target, 'Listing images', ctrArgs.namesOf(indexes), signal))];
  }
  // CRI keeps its own "sha256:<ID>" name and `ctr import --digests` adds "import-…@sha256:…":
  // both are valid sources for a tag, but prefer a plain name when there is one.
  const others = names.filter((n) => n !== want).sort((a, b) => rank(a) - rank(b));
  return { present: names.includes(want), others };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function rank(name: string): number {
  if (name.startsWith('sha256:')) return 2;
  if (name.startsWith('import-')) return 1;
  return 0;
}

export type NodeAction = 'loaded' | 'retagged' | 'skipped';

export interface NodeOutcome {
  node: string;
  action: NodeAction;
  ms: number;
  /** A load that left out layers the node already held: what was sent and what was reused. */
  transfer?: FilterStats;
}

export interface SaveFacts {
  /** diffIDs of the image's layers, bottom first (Docker's RootFS.Layers). */
  diffIds: string[];
  os: string;
  architecture: string;
  variant?: string;
}

export interface EnsureOptions {
  signal?: AbortSignal;
  onInfo?: (m: string) => void;
  /** Opens a fresh `docker save` stream of the image (called only if a node needs it; twice if a partial import has to be redone whole). */
  openSave: () => Promise<Readable>;
  /** The image's layers and platform: with them, layers a node already holds are not sent again. */
  describe?: () => Promise<SaveFacts>;
}

/**
 * The image's layers this containerd already holds as blobs, with their exact sizes (read from a
 * manifest there that lists them). Only an optimisation: any failure means "none".
 */
export async function heldLayers(target: CtrTarget, diffIds: string[], signal?: AbortSignal): Promise<HeldLayers> {
  const held: HeldLayers = new Map();
  try {
    const r = await target.ctr(ctrArgs.blobs(diffIds), { signal });
    const have = r.exitCode === 0 ? parseDigests(r.stdout).filter((d) => diffIds.includes(d)) : [];
    if (have.length === 0) return held;
    const m = await target.ctr(ctrArgs.manifestsWithLayers(have, Math.max(diffIds.length, 8)), { signal });
    const manifests = m.exitCode === 0 ? parseDigests(m.stdout) : [];
    for (const manifest of manifests.slice(0, 4)) {
      const got = await target.ctr(ctrArgs.get(manifest), { signal });
      if (got.exitCode !== 0) continue;
      for (const [d, size] of layerSizesOfManifest(got.stdout)) if (have.includes(d)) held.set(d, size);
      if (held.size === have.length) break;
    }
  } catch (e) {
    if (signal?.aborted) throw new InterruptedError();
    return new Map();
  }
  return held;
}

type ImportOutcome = { ok: true; ms: number } | { ok: false; error: unknown };

/** One stream into `ctr images import -` on each target (fanned out), with a result per target. */
async function importEach(targets: CtrTarget[], snapshotters: string[], source: Readable, image: ImageRef, signal?: AbortSignal): Promise<ImportOutcome[]> {
  const inputs = fanOut(source, targets.length);
  try {
    return await Promise.all(
      targets.map(async (t, k): Promise<ImportOutcome> => {
        const t0 = Date.now();
        const saveFailed = () =>
          new ShipError('load', `docker save of ${image.ref} failed: ${inputs.error!.message}`, {
            hint: 'Check that Docker still has the image: docker image inspect ' + image.ref,
            cause: inputs.error,
          });
        let r: CtrResult;
        try {
          r = await t.ctr(ctrArgs.importStdin(snapshotters[k]!), { stdin: inputs.streams[k], signal });
        } catch (e) {
          if (signal?.aborted) throw new InterruptedError();
          return { ok: false, error: inputs.error ? saveFailed() : e };
        } finally {
          inputs.done(k);
        }
        if (signal?.aborted) throw new InterruptedError();
        if (inputs.error) return { ok: false, error: saveFailed() };
        if (r.exitCode !== 0) return { ok: false, error: ctrFailure(t, `Importing ${image.ref}`, r) };
        return { ok: true, ms: Date.now() - t0 };
      }),
    );
  } finally {
    inputs.close();
  }
}

/** 21 MB, 2.5 MB, 340 kB. */
export function byteSize(bytes: number): string {
  if (bytes < 1e6) return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}
const mb = byteSize;

/**
 * Make sure every target has the image under its name: skip where it is, tag where the same image
 * is there under another name, import (one `docker save` stream, fanned out) everywhere else, then
 * check again. No temp file.
 */
export async function ensureImage(targets: CtrTarget[], image: ImageRef, opts: EnsureOptions): Promise<NodeOutcome[]> {
  const { signal } = opts;
  const want = normalizeRef(image.ref);
  const started = Date.now();
  // The snapshotter is only needed for an import; ask for it alongside the probe, not after it.
  const snapshotterOf = targets.map((t) => t.snapshotter(signal).catch(() => DEFAULT_SNAPSHOTTER));
  const presence = await Promise.all(targets.map((t) => probe(t, image, signal)));

  const outcomes: NodeOutcome[] = [];
  const toImport: CtrTarget[] = [];
  await Promise.all(
    targets.map(async (t, i) => {
      const p = presence[i]!;
      if (p.present) {
        outcomes[i] = { node: t.name, action: 'skipped', ms: Date.now() - started };
        opts.onInfo?.(`${t.name}: already has ${want}`);
      } else if (p.others.length > 0) {
        await ctrOk(t, `Tagging ${p.others[0]} as ${want}`, ctrArgs.tag(p.others[0]!, want), signal);
        outcomes[i] = { node: t.name, action: 'retagged', ms: Date.now() - started };
        opts.onInfo?.(`${t.name}: same image already there as ${p.others[0]}, tagged ${want}`);
      } else {
        toImport.push(t);
      }
    }),
  );

  if (toImport.length > 0) {
    const snapshotters = await Promise.all(toImport.map((t) => snapshotterOf[targets.indexOf(t)]!));
    if (signal?.aborted) throw new InterruptedError();
    const names = toImport.map((t) => t.name).join(', ');
    let remaining = toImport;
    // Layers every importing node already holds (an earlier build on the same base) are not sent.
    const facts = opts.describe ? await opts.describe().catch(() => undefined) : undefined;
    const held = facts && facts.diffIds.length > 0 ? commonHeld(await Promise.all(toImport.map((t) => heldLayers(t, facts.diffIds, signal)))) : new Map<string, number>();
    if (signal?.aborted) throw new InterruptedError();
    if (facts && held.size > 0) {
      const reused = [...held.values()].reduce((a, b) => a + b, 0);
      opts.onInfo?.(`streaming ${image.ref} into ${names} without ${held.size} of ${facts.diffIds.length} layers (${mb(reused)}) already there`);
      const filtered = filterSave(await opts.openSave(), { ref: image.ref, id: imageId(image.id), ...facts }, held);
      const results = await importEach(toImport, snapshotters, filtered.stream, image, signal);
      const stats = await filtered.stats.catch((e: unknown) => e as Error);
      remaining = [];
      toImport.forEach((t, k) => {
        const r = results[k]!;
        if (r.ok && !(stats instanceof Error)) {
          outcomes[targets.indexOf(t)] = { node: t.name, action: 'loaded', ms: r.ms, transfer: stats };
          opts.onInfo?.(`${t.name}: imported ${want} in ${(r.ms / 1000).toFixed(1)}s, sent ${mb(stats.sentBytes)}, ${stats.reusedLayers} of ${stats.layers} layers (${mb(stats.reusedBytes)}) already there`);
        } else {
          remaining.push(t);
          const why = stats instanceof Error ? stats.message : r.ok ? 'unknown' : errorText(r.error);
          opts.onInfo?.(`${t.name}: the import without the layers it holds did not work (${why}); sending the whole image`);
        }
      });
    }
    if (remaining.length > 0) {
      const toSend = remaining;
      if (toSend === toImport) opts.onInfo?.(`streaming ${image.ref} into ${names}`);
      const sendSnapshotters = toSend.map((t) => snapshotters[toImport.indexOf(t)]!);
      const results = await importEach(toSend, sendSnapshotters, await opts.openSave(), image, signal);
      toSend.forEach((t, k) => {
        const r = results[k]!;
        if (!r.ok) throw r.error;
        outcomes[targets.indexOf(t)] = { node: t.name, action: 'loaded', ms: r.ms };
        opts.onInfo?.(`${t.name}: imported ${want} in ${(r.ms / 1000).toFixed(1)}s`);
      });
    }
  }

  // Nothing keeps running after the load: wait for snapshotter lookups that were not needed.
  await Promise.all(snapshotterOf);
  // Verify: a node that was tagged or imported must now answer yes.
  await Promise.all(
    targets.map(async (t, i) => {
      if (outcomes[i]!.action === 'skipped') return;
      const after = await probe(t, image, signal);
      if (!after.present) {
        throw new ShipError('load', `${want} (${image.id.slice(0, 19)}) is not on ${t.name} after ${outcomes[i]!.action === 'loaded' ? 'the import' : 'tagging'}.`, {
          hint: `Look at the node's images: ${t.hint}`,
        });
      }
    }),
  );
  return outcomes;
}

/** Whether every target has the image under its name; undefined when a target cannot be asked. */
export async function hasEverywhere(targets: CtrTarget[], image: ImageRef, signal?: AbortSignal): Promise<boolean | undefined> {
  if (targets.length === 0) return false;
  try {
    const all = await Promise.all(targets.map((t) => probe(t, image, signal)));
    return all.every((p) => p.present);
  } catch (e) {
    if (e instanceof InterruptedError || signal?.aborted) throw new InterruptedError();
    return undefined;
  }
}

/** Summarise per-node outcomes as the step's LoadResult. */
export function summarize(loader: string, outcomes: NodeOutcome[]): LoadResult {
  const action: LoadResult['action'] = outcomes.some((o) => o.action === 'loaded')
    ? 'loaded'
    : outcomes.some((o) => o.action === 'retagged')
      ? 'retagged'
      : 'skipped';
  const words: Record<NodeAction, string> = { loaded: 'loaded', retagged: 'tagged (same image already there)', skipped: 'already there' };
  const groups = (['loaded', 'retagged', 'skipped'] as const)
    .map((a) => {
      const these = outcomes.filter((o) => o.action === a);
      const nodes = these.map((o) => o.node);
      // One stream fed every node that was loaded, so one transfer figure covers them all.
      const t = these.find((o) => o.transfer)?.transfer;
      const transfer = t ? ` (sent ${mb(t.sentBytes)}; ${t.reusedLayers} of ${t.layers} layers, ${mb(t.reusedBytes)}, already there)` : '';
      return nodes.length ? `${words[a]} on ${nodes.join(', ')}${transfer}` : '';
    })
    .filter(Boolean);
  return { loader, action, nodes: outcomes.map((o) => o.node), detail: groups.join('; ') };
}

/**
 * One readable into several consumers (one per node) with backpressure: the source only moves as
 * fast as the slowest consumer. A consumer that finishes early (its import failed) is dropped so it
 * cannot stall the others.
 */
export function fanOut(source: Readable, n: number): { streams: Readable[]; done(k: number): void; close(): void; readonly error?: Error } {
  const state: { error?: Error } = {};
  source.on('error', (e) => {
    state.error = e;
  });
  if (n === 1) {
    return {
      streams: [source],
      done: () => undefined,
      close: () => {
        if (!source.destroyed) source.destroy();
      },
      get error() {
        return state.error;
      },
    };
  }
  const outs = Array.from({ length: n }, () => new PassThrough({ highWaterMark: 1 << 20 }));
  const live = new Set(outs.keys());
  source.on('error', (e) => {
    for (const k of live) outs[k]!.destroy(e);
  });
  for (const o of outs) source.pipe(o);
  return {
    streams: outs,
    done(k) {
      if (!live.delete(k)) return;
      const o = outs[k]!;
      source.unpipe(o);
      o.resume(); // drain whatever is buffered so nothing waits on it
      if (live.size === 0 && !source.destroyed) source.destroy();
    },
    close() {
      for (const k of [...live]) this.done(k);
      if (!source.destroyed) source.destroy();
    },
    get error() {
      return state.error;
    },
  };
}
