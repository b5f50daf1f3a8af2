import { describe, expect, it } from 'vitest';
import { imagesToPrune, KEEP_DEV_IMAGES, type BuiltImage } from '../../src/core/image-prune.js';

const img = (n: number, app = 'demo', tag = `ship-${n.toString(16).padStart(12, '0')}`): BuiltImage => ({ ref: `demo:${tag}`, app, createdMs: 1_000 + n });

describe('imagesToPrune', () => {
  it('keeps the newest few of the app and removes the older ones', () => {
    const images = Array.from({ length: 8 }, (_, i) => img(i));
    const gone = imagesToPrune(images, { app: 'demo', inUse: [] });
    expect(gone).toHaveLength(8 - KEEP_DEV_IMAGES);
    expect(gone).toEqual([img(4), img(3), img(2), img(1), img(0)].map((i) => i.ref));
  });

  it('never removes an image a pod still runs, one of another app, one ship did not build, or a --tag of the user', () => {
    const images = [img(9), img(8), img(7), img(1), img(2, 'other'), { ref: 'demo:ship-000000000003', createdMs: 1 }, img(0, 'demo', 'v1.2')];
    const gone = imagesToPrune(images, { app: 'demo', inUse: ['demo:ship-000000000001'] });
    expect(gone).toEqual([]);
  });

  it('keeps as many as asked', () => {
    const images = Array.from({ length: 5 }, (_, i) => img(i));
    expect(imagesToPrune(images, { app: 'demo', keep: 1, inUse: [] })).toEqual([img(3), img(2), img(1), img(0)].map((i) => i.ref));
  });

  it('keeps the newest few of each kind: project, dev and debug images are counted apart', () => {
    const hex = (n: number) => n.toString(16).padStart(12, '0');
    const at = (ref: string, n: number): BuiltImage => ({ ref: `demo:${ref}`, app: 'demo', createdMs: 1_000 + n });
    // One deploy of `ship dev` makes a project image and its dev image (and with --debug --no-live, a debug image).
    const project = Array.from({ length: 5 }, (_, n) => at(`ship-${hex(n)}`, 10 * n));
    const dev = Array.from({ length: 5 }, (_, n) => at(`ship-dev-${hex(n)}`, 10 * n + 1));
    const debug = Array.from({ length: 5 }, (_, n) => at(`ship-${hex(n)}-debug${n % 2 ? '' : 5006}`, 10 * n + 2));
    const gone = imagesToPrune([...dev, ...debug, ...project], { app: 'demo', inUse: [dev[0]!.ref] });
    expect(gone).toEqual([project[1], project[0], dev[1], debug[1], debug[0]].map((i) => i!.ref));
  });

  it('never removes a dev or debug image of another app, of a --tag of the user, or one ship did not label', () => {
    const images: BuiltImage[] = [
      ...Array.from({ length: 4 }, (_, n) => ({ ref: `demo:ship-dev-${'a'.repeat(11)}${n}`, app: 'other', createdMs: n })),
      ...Array.from({ length: 4 }, (_, n) => ({ ref: `demo:v1.${n}-debug`, app: 'demo', createdMs: n })),
      ...Array.from({ length: 4 }, (_, n) => ({ ref: `demo:ship-${'b'.repeat(11)}${n}-debug`, createdMs: n })),
      ...Array.from({ length: 4 }, (_, n) => ({ ref: `demo:ship-dev-${n}`, app: 'demo', createdMs: n })),
    ];
    expect(imagesToPrune(images, { app: 'demo', keep: 1, inUse: [] })).toEqual([]);
  });
});
