// Which of ship's own images of an app to remove after a `ship dev` deploy: every edit builds one
// (a new jar layer, ~20 MB for the example), so a day of edits would keep gigabytes. ship keeps
// the newest few of each kind and the ones pods still run, and never touches an image it did not build.

/** How many of an app's ship-built images of each kind `ship dev` keeps (besides those in use). */
export const KEEP_DEV_IMAGES = 3;

export interface BuiltImage {
  /** repository:tag as ship tagged it. */
  ref: string;
  /** The app label ship put on the image (io.ship.app); undefined for images ship did not build. */
  app?: string;
  /** Creation time, ms since the epoch. */
  createdMs: number;
}

/**
 * The tags ship makes, by kind: the project image (`ship-` and 12 hex digits), the dev image of
 * live update (`ship-dev-<hex>`, labelled by ship) and the debug image of --debug without live
 * update (`ship-<hex>-debug[port]`, which inherits the label from the project image it is built
 * on). A --tag of the user's, and its `-debug` image, match none: they are never pruned.
 */
const SHIP_TAGS = {
  project: /:ship-[0-9a-f]{12}$/,
  dev: /:ship-dev-[0-9a-f]{12}$/,
  debug: /:ship-[0-9a-f]{12}-debug(\d+)?$/,
} as const;

export type ShipImageKind = keyof typeof SHIP_TAGS;
const KINDS = Object.keys(SHIP_TAGS) as ShipImageKind[];

/**
 * The refs to remove: ship-tagged images of `app`, older than the newest `keep` of their kind,
 * and not in use. `inUse` holds refs that pods of the app run now (compared as written in the pod spec).
 */
export function imagesToPrune(images: BuiltImage[], opts: { app: string; keep?: number; inUse: Iterable<string> }): string[] {
  const keep = opts.keep ?? KEEP_DEV_IMAGES;
  const inUse = new Set(opts.inUse);
  const own = images.filter((i) => i.app === opts.app);
  return KINDS.flatMap((kind) =>
    own
      .filter((i) => SHIP_TAGS[kind].test(i.ref))
      .sort((a, b) => b.createdMs - a.createdMs || a.ref.localeCompare(b.ref))
      .slice(keep)
      .filter((i) => !inUse.has(i.ref))
      .map((i) => i.ref),
  );
}
