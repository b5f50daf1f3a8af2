// Re-packs a `docker save` stream on its way into `ctr images import -`, leaving out the layers the
// target containerd already holds (src/core/layer-plan.ts explains why that is safe and how an
// entry is recognised). Streams entry by entry with backpressure: nothing is buffered but the few
// small JSON files Docker writes, and no temp file is written.

import { PassThrough, type Readable } from 'node:stream';
import { extract as tarExtract, pack as tarPack, type Header } from 'tar-stream';
import { classifyEntry, cleanEntryName, finishStream, shouldDrop, type HeldLayers, type ImageFacts, type StreamSeen } from '../../core/layer-plan.js';

export interface FilterStats {
  /** Bytes of layer and config data sent on. */
  sentBytes: number;
  /** Bytes of layers left out because the target holds them. */
  reusedBytes: number;
  /** Number of layers left out. */
  reusedLayers: number;
  layers: number;
}

export interface FilteredSave {
  stream: Readable;
  /** Settles when the last byte has been handed on (rejects when the plan or the source failed). */
  stats: Promise<FilterStats>;
}

function entryEnd(entry: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    entry.on('end', resolve);
    entry.on('error', reject);
    entry.resume();
  });
}

async function readAll(entry: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of entry) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function filterSave(source: Readable, image: ImageFacts, held: HeldLayers): FilteredSave {
  const extract = tarExtract();
  const pack = tarPack();
  // What the import reads: a Node stream (tar-stream's own are streamx streams, which pipe to one
  // destination only; the loader may fan this out to several nodes).
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let finished = false;
  source.on('error', (e) => extract.destroy(e));
  pack.on('error', (e: Error) => out.destroy(e));
  // The consumer went away (its import failed, or ship is stopping): stop reading Docker's stream.
  out.on('close', () => {
    if (!finished) {
      extract.destroy(new Error('the import stopped reading'));
      pack.destroy();
      source.destroy();
    }
  });
  source.pipe(extract);
  pack.pipe(out);

  const seen: StreamSeen = { sizes: new Map(), dropped: [], kept: [] };
  const stats: FilterStats = { sentBytes: 0, reusedBytes: 0, reusedLayers: 0, layers: image.diffIds.length };

  const pass = (header: Partial<Header> & Pick<Header, 'name'>, entry: Readable) =>
    new Promise<void>((resolve, reject) => {
      const out = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      entry.on('error', reject);
      entry.pipe(out);
    });

  const run = (async () => {
    for await (const source of extract) {
      // tar-stream's streams are streamx streams; Node's stream API is what is used here.
      const entry = source as unknown as Readable;
      const h = source.header;
      const name = cleanEntryName(h.name);
      if (h.type === 'symlink') {
        // Docker links a layer shared by two images in one archive; kept for Docker's format.
        pack.entry({ name, type: 'symlink', linkname: h.linkname ?? '', mode: h.mode, mtime: h.mtime });
        await entryEnd(entry);
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        await entryEnd(entry); // directories: containerd's importer ignores them
        continue;
      }
      const size = h.size ?? 0;
      seen.sizes.set(name, size);
      const kind = classifyEntry(name);
      if (kind === 'manifest' || kind === 'oci-meta') {
        seen.kept.push({ name, data: await readAll(entry) });
      } else if (kind === 'legacy') {
        await entryEnd(entry);
      } else if (shouldDrop(name, size, held)) {
        seen.dropped.push(name);
        stats.reusedBytes += size;
        stats.reusedLayers += 1;
        await entryEnd(entry);
      } else {
        stats.sentBytes += size;
        await pass({ name, size, mode: h.mode ?? 0o644, mtime: h.mtime, type: 'file' }, entry);
      }
    }
    for (const tail of finishStream(seen, image, held)) {
      await new Promise<void>((resolve, reject) => pack.entry({ name: tail.name, size: tail.data.length, mode: 0o644 }, tail.data, (err) => (err ? reject(err) : resolve())));
    }
    finished = true;
    pack.finalize();
    return stats;
  })();
  run.catch((e: unknown) => {
    finished = true;
    source.destroy();
    pack.destroy(e instanceof Error ? e : new Error(String(e)));
  });
  return { stream: out, stats: run };
}
