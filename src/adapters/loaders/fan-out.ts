// One readable stream into several consumers (one `ctr images import -` per node).

import { PassThrough, type Readable } from 'node:stream';

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
