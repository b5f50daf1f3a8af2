// Which of ship's own images of an app to remove after a `ship dev` deploy: every edit builds one
// (a new jar layer, ~20 MB for the example), so a day of edits would keep gigabytes. ship keeps
// the newest few and the ones pods still run, and never touches an image it did not build.

/** How many of an app's ship-built images `ship dev` keeps (besides those in use). */
export const KEEP_DEV_IMAGES = 3;

export interface BuiltImage {
  /** repository:tag as ship tagged it. */
  ref: string;
  /** The app label ship put on the image (io.ship.app); undefined for images ship did not build. */
  app?: string;
  /** Creation time, ms since the epoch. */
  createdMs: number;
}

/** Tags ship makes: `ship-` and 12 hex digits (a --tag of the user's is never pruned). */
const SHIP_TAG = /:ship-[0-9a-f]{12}$/;

/**
 * The refs to remove: ship-tagged images of `app`, older than the newest `keep`, and not in use.
 * `inUse` holds refs that pods of the app run now (compared as written in the pod spec).
 */
export function imagesToPrune(images: BuiltImage[], opts: { app: string; keep?: number; inUse: Iterable<string> }): string[] {
  const keep = opts.keep ?? KEEP_DEV_IMAGES;
  const inUse = new Set(opts.inUse);
  const own = images
    .filter((i) => i.app === opts.app && SHIP_TAG.test(i.ref))
    .sort((a, b) => b.createdMs - a.createdMs || a.ref.localeCompare(b.ref));
  return own.slice(keep).filter((i) => !inUse.has(i.ref)).map((i) => i.ref);
}
