// Getting one image into the containerd of every node, shared by every loader that talks to a
// containerd with `ctr`: kind and k3d nodes (ctr runs inside the node container via docker exec)
// and a containerd on this machine (ctr runs here against its socket). They differ only in how one
// ctr command is run (CtrTarget); is the image there, retag, import, verify — is here, once.

import { canonicalRef } from '../../core/image-ref.js';
import { commonHeld } from '../../core/layer-plan.js';
import { ctrArgs, imageId, namesToRemove, parseImageTable, DEFAULT_SNAPSHOTTER } from '../../core/ctr-protocol.js';
import type { Readable } from 'node:stream';
import { filterSave, type FilterStats } from './save-filter.js';
import { ShipError, InterruptedError, errorMessage } from '../../errors.js';
import { ctrFailure, ctrOk, type CtrResult, type CtrTarget } from './ctr-target.js';
import { heldLayers, probe } from './ctr-probe.js';
import { fanOut } from './fan-out.js';
import type { LoadResult, LocalImage } from './types.js';

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

type ImportOutcome = { ok: true; ms: number } | { ok: false; error: unknown };

/** One stream into `ctr images import -` on each target (fanned out), with a result per target. */
async function importEach(targets: CtrTarget[], snapshotters: string[], source: Readable, image: LocalImage, signal?: AbortSignal): Promise<ImportOutcome[]> {
  const inputs = fanOut(source, targets.length);
  try {
    return await Promise.all(
      targets.map(async (t, k): Promise<ImportOutcome> => {
        const t0 = Date.now();
        // The Docker engine going away mid-save is its own failure (exit 6), said as the adapter said it.
        const saveFailed = () =>
          inputs.error instanceof ShipError ? inputs.error : new ShipError('load', `docker save of ${image.ref} failed: ${inputs.error!.message}`, {
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
export async function ensureImage(targets: CtrTarget[], image: LocalImage, opts: EnsureOptions): Promise<NodeOutcome[]> {
  const { signal } = opts;
  const want = canonicalRef(image.ref);
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
          const why = stats instanceof Error ? stats.message : r.ok ? 'unknown' : errorMessage(r.error);
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
export async function hasEverywhere(targets: CtrTarget[], image: LocalImage, signal?: AbortSignal): Promise<boolean | undefined> {
  if (targets.length === 0) return false;
  try {
    const all = await Promise.all(targets.map((t) => probe(t, image, signal)));
    return all.every((p) => p.present);
  } catch (e) {
    if (e instanceof InterruptedError || signal?.aborted) throw new InterruptedError();
    return undefined;
  }
}

/**
 * Removes these images (refs as Docker names them) from every target: the names and the import's
 * and the CRI's names of the same image, unless another name still points at it. Resolves with the
 * refs that are on no target any more and those that could not be removed.
 */
export async function removeEverywhere(targets: CtrTarget[], refs: string[], signal?: AbortSignal): Promise<{ removed: string[]; failed: string[] }> {
  const failed = new Set<string>();
  const wanted = refs.map((r) => canonicalRef(r));
  await Promise.all(
    targets.map(async (t) => {
      try {
        const table = parseImageTable(await ctrOk(t, 'Listing the images', ctrArgs.table(), signal));
        const names = namesToRemove(table, wanted);
        if (names.length > 0) await ctrOk(t, `Removing ${names.length} old images`, ctrArgs.remove(names), signal);
      } catch (e) {
        if (signal?.aborted) throw new InterruptedError();
        for (const r of refs) failed.add(r);
      }
    }),
  );
  return { removed: refs.filter((r) => !failed.has(r)), failed: [...failed] };
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

