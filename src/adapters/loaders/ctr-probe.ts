// Asking one containerd what it already holds: the image (under which names), and which of its
// layers as blobs.
//
// How "is this exact image there" is answered without node.status.images (capped at 50):
// containerd labels each manifest blob with `containerd.io/gc.ref.content.config=<config digest>`,
// and the config digest of an image imported from `docker save` is Docker's image ID. So
//   1. `ctr content ls 'labels."containerd.io/gc.ref.content.config"==<ID>'` → manifests of this image
//   2. `ctr content ls 'labels."containerd.io/gc.ref.content.m.N"==<manifest>'` → indexes holding them
//   3. `ctr images ls -q 'target.digest==<d>' …` → every name that points at this image
// If the wanted name is among them the node has it; if only other names are, a tag is enough.

import { canonicalRef } from '../../core/image-ref.js';
import { ctrArgs, imageId, otherNames, parseDigests, parseNames } from '../../core/ctr-protocol.js';
import { layerSizesOfManifest, type HeldLayers } from '../../core/layer-plan.js';
import { InterruptedError } from '../../errors.js';
import { ctrOk, type CtrTarget } from './ctr-target.js';
import type { LocalImage } from './types.js';

export interface Presence {
  /** The wanted name points at this image. */
  present: boolean;
  /** Other names that point at this image (a tag is enough to add the wanted one). */
  others: string[];
}

/** Does this containerd have the image, under the wanted name or another one? */
export async function probe(target: CtrTarget, image: LocalImage, signal?: AbortSignal): Promise<Presence> {
  const id = imageId(image.id);
  const want = canonicalRef(image.ref);
  const manifests = parseDigests(await ctrOk(target, 'Listing image content', ctrArgs.manifestsOf(id), signal));
  if (manifests.length === 0) return { present: false, others: [] };
  let names = parseNames(await ctrOk(target, 'Listing images', ctrArgs.namesOf(manifests), signal));
  if (!names.includes(want)) {
    // Rarer: the name may point at an index (multi-platform) that holds one of these manifests.
    const indexes = parseDigests(await ctrOk(target, 'Listing image indexes', ctrArgs.indexesOf(manifests), signal));
    if (indexes.length > 0) names = [...names, ...parseNames(await ctrOk(target, 'Listing images', ctrArgs.namesOf(indexes), signal))];
  }
  return { present: names.includes(want), others: otherNames(names, want) };
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

