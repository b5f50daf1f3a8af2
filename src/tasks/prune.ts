// After a `ship dev` deploy: remove ship's older images of the app, from the nodes and from
// Docker. Every edit builds one image (a new jar layer, ~20 MB for the example), so a day of edits
// kept gigabytes in both places (issue 9, item 5). The choice is imagesToPrune's (src/core/
// image-prune.ts): only images ship built for this app (its label and one of its tags: `ship-<hex>`,
// `ship-dev-<hex>`, `ship-<hex>-debug…`), never the newest KEEP_DEV_IMAGES of each of those kinds,
// never one a pod runs. An image is removed from Docker only once the
// nodes no longer hold it, so Docker's list stays the record of what is left to remove.

import type { DockerApi } from '../adapters/docker/api.js';
import type { ImageLoader } from '../adapters/loaders/index.js';
import { imagesToPrune, KEEP_DEV_IMAGES, type BuiltImage } from '../core/image-prune.js';
import { shortRef } from '../core/image-ref.js';
import { APP_LABEL } from './image.js';

export interface PruneInput {
  docker: Pick<DockerApi, 'listImages' | 'removeImage'>;
  /** The loader of the run; its removeImages (when it has one) takes the images off the nodes. */
  loader?: Pick<ImageLoader, 'name' | 'removeImages'>;
  app: string;
  /** The image this deploy runs (kept whatever its age). */
  current: string;
  /** The images pods run now, as their specs name them; undefined when the cluster cannot tell (nothing is removed then). */
  podImages: () => Promise<string[] | undefined>;
  keep?: number;
  signal?: AbortSignal;
}

export interface PruneResult {
  keep: number;
  /** Removed from Docker (and from the nodes before that). */
  removed: string[];
  /** Left for the next deploy: a node or Docker refused, or a container uses it. */
  left: string[];
  /** Why nothing was looked at, when it was not. */
  skipped?: string;
}

export async function pruneDevImages(input: PruneInput): Promise<PruneResult> {
  const keep = input.keep ?? KEEP_DEV_IMAGES;
  const inUseRaw = await input.podImages().catch(() => undefined);
  if (!inUseRaw) return { keep, removed: [], left: [], skipped: 'the cluster did not say which images its pods run' };
  const inUse = new Set([...inUseRaw, input.current].map(normal));

  const images: BuiltImage[] = (await input.docker.listImages({ [APP_LABEL]: input.app })).flatMap((i) =>
    i.repoTags.map((ref) => ({ ref, createdMs: i.createdMs, ...(i.labels[APP_LABEL] ? { app: i.labels[APP_LABEL] } : {}) })),
  );
  // In-use refs compared in Docker's short spelling (a pod spec may say docker.io/library/…).
  const candidates = imagesToPrune(
    images.map((i) => ({ ...i, ref: normal(i.ref) })),
    { app: input.app, keep, inUse },
  );
  const byNormal = new Map(images.map((i) => [normal(i.ref), i.ref]));
  const refs = candidates.map((c) => byNormal.get(c) ?? c);
  if (refs.length === 0) return { keep, removed: [], left: [] };

  let offNodes = refs;
  const left: string[] = [];
  if (input.loader?.removeImages) {
    const r = await input.loader.removeImages(refs, input.signal);
    offNodes = r.removed;
    left.push(...r.failed);
  }
  const removed: string[] = [];
  for (const ref of offNodes) {
    try {
      if (await input.docker.removeImage(ref)) removed.push(ref);
      else left.push(ref);
    } catch (e) {
      if (input.signal?.aborted) throw e;
      left.push(ref);
    }
  }
  return { keep, removed, left };
}

function normal(ref: string): string {
  try {
    return shortRef(ref);
  } catch {
    return ref;
  }
}

/** One line for the user: what was removed and how many are kept. */
export function describePrune(app: string, r: PruneResult, where: string | undefined): string | undefined {
  if (r.skipped) return `images · kept all of ${app}'s images: ${r.skipped}`;
  if (r.removed.length === 0 && r.left.length === 0) return undefined;
  const removed = r.removed.length ? `removed ${r.removed.length} older image${r.removed.length === 1 ? '' : 's'} of ${app} from Docker${where ? ` and ${where}` : ''}` : '';
  const left = r.left.length ? `${r.left.length} left for later (${r.left.slice(0, 2).join(', ')}${r.left.length > 2 ? ', …' : ''})` : '';
  return `images · ${[removed, left].filter(Boolean).join('; ')}; keeping the newest ${r.keep} of each kind and those pods run`;
}
