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
});
