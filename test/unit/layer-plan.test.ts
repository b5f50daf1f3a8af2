// Leaving out the layers a containerd already holds: the pure plan (src/core/layer-plan.ts), the
// re-packing of a docker save stream (save-filter.ts) on synthetic archives in Docker's two
// layouts, and the loader's fallback to the whole image when a partial import does not work.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { byteSize, ensureImage } from '../../src/adapters/loaders/ctr.js';
import type { CtrResult, CtrTarget } from '../../src/adapters/loaders/ctr-target.js';
import { filterSave } from '../../src/adapters/loaders/save-filter.js';
import { classifyEntry, commonHeld, digestOfPath, finishStream, LayerPlanError, layerSizesOfManifest, MEDIA_TYPES, shouldDrop, type ImageFacts } from '../../src/core/layer-plan.js';

const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const hex = (d: string) => d.slice(7);

// Two layers: a big "base" and a small "app" one, as Docker would save them.
const base = Buffer.alloc(4096, 'b');
const appLayer = Buffer.alloc(512, 'a');
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(base), sha(appLayer)] } }));
const ID = sha(config);
const V1_BASE = 'c'.repeat(64);
const V1_APP = '1'.repeat(64); // sorts first, as Docker's lexical order may put any layer first
const image: ImageFacts = { ref: 'kubernetes-spring:ship-abc', id: ID, diffIds: [sha(base), sha(appLayer)], os: 'linux', architecture: 'amd64' };

interface Entry {
  name: string;
  data?: Buffer;
  type?: 'file' | 'directory';
}

/** Docker ≤ 24 layout: <v1 id>/{VERSION,json,layer.tar}, <id>.json, manifest.json, repositories. */
function legacyArchive(): Entry[] {
  const manifest = [{ Config: `${hex(ID)}.json`, RepoTags: ['kubernetes-spring:ship-abc'], Layers: [`${V1_BASE}/layer.tar`, `${V1_APP}/layer.tar`] }];
  return [
    { name: `${V1_APP}/`, type: 'directory' },
    { name: `${V1_APP}/VERSION`, data: Buffer.from('1.0') },
    { name: `${V1_APP}/json`, data: Buffer.from('{}') },
    { name: `${V1_APP}/layer.tar`, data: appLayer },
    { name: `${hex(ID)}.json`, data: config },
    { name: `${V1_BASE}/`, type: 'directory' },
    { name: `${V1_BASE}/VERSION`, data: Buffer.from('1.0') },
    { name: `${V1_BASE}/json`, data: Buffer.from('{}') },
    { name: `${V1_BASE}/layer.tar`, data: base },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
    { name: 'repositories', data: Buffer.from('{}') },
  ];
}

/** Docker ≥ 25 layout: blobs named by digest, its own index.json and oci-layout. */
function ociArchive(): Entry[] {
  const manifest = [{ Config: `blobs/sha256/${hex(ID)}`, RepoTags: ['kubernetes-spring:ship-abc'], Layers: [`blobs/sha256/${hex(sha(base))}`, `blobs/sha256/${hex(sha(appLayer))}`] }];
  return [
    { name: `blobs/sha256/${hex(sha(appLayer))}`, data: appLayer },
    { name: `blobs/sha256/${hex(sha(base))}`, data: base },
    { name: `blobs/sha256/${hex(ID)}`, data: config },
    { name: 'index.json', data: Buffer.from('{"schemaVersion":2,"manifests":[]}') },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
  ];
}

function toTar(entries: Entry[]): Readable {
  const p = tarPack();
  for (const e of entries) {
    if (e.type === 'directory') p.entry({ name: e.name, type: 'directory' });
    else p.entry({ name: e.name }, e.data!);
  }
  p.finalize();
  return Readable.from(p as unknown as AsyncIterable<Buffer>);
}

async function readTar(stream: Readable): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = tarExtract();
  stream.on('error', (e) => ex.destroy(e));
  stream.pipe(ex as unknown as NodeJS.WritableStream);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.set(entry.header.name, Buffer.concat(chunks));
  }
  return out;
}

describe('the plan', () => {
  it('classifies the entries of both layouts', () => {
    expect(classifyEntry('manifest.json')).toBe('manifest');
    expect(classifyEntry('index.json')).toBe('oci-meta');
    expect(classifyEntry('oci-layout')).toBe('oci-meta');
    expect(classifyEntry('repositories')).toBe('legacy');
    expect(classifyEntry(`${V1_BASE}/json`)).toBe('legacy');
    expect(classifyEntry(`${V1_BASE}/VERSION`)).toBe('legacy');
    expect(classifyEntry(`${V1_BASE}/layer.tar`)).toBe('blob');
    expect(classifyEntry(`${hex(ID)}.json`)).toBe('blob');
    expect(digestOfPath(`blobs/sha256/${hex(ID)}`)).toBe(ID);
    expect(digestOfPath(`${V1_BASE}/layer.tar`)).toBeUndefined();
  });

  it('drops by digest when the path names one, by exact size for <id>/layer.tar, never anything else', () => {
    const held = new Map([[sha(base), base.length]]);
    expect(shouldDrop(`blobs/sha256/${hex(sha(base))}`, base.length, held)).toBe(true);
    expect(shouldDrop(`blobs/sha256/${hex(sha(base))}`, base.length + 1, held)).toBe(false);
    expect(shouldDrop(`blobs/sha256/${hex(sha(appLayer))}`, base.length, held)).toBe(false);
    expect(shouldDrop(`${V1_BASE}/layer.tar`, base.length, held)).toBe(true);
    expect(shouldDrop(`${V1_APP}/layer.tar`, appLayer.length, held)).toBe(false);
    expect(shouldDrop(`${hex(ID)}.json`, base.length, held)).toBe(false);
    expect(shouldDrop(`${V1_BASE}/layer.tar`, base.length, new Map())).toBe(false);
  });

  it('nothing left out → Docker\'s own files, unchanged', () => {
    const kept = [{ name: 'manifest.json', data: Buffer.from('[]') }];
    expect(finishStream({ sizes: new Map(), dropped: [], kept }, image, new Map())).toBe(kept);
  });

  it('a layer left out of the legacy layout → an OCI index and manifest naming every layer by digest', () => {
    const held = new Map([[sha(base), base.length]]);
    const archive = legacyArchive();
    const sizes = new Map(archive.filter((e) => e.data).map((e) => [e.name, e.data!.length]));
    const kept = [{ name: 'manifest.json', data: archive.find((e) => e.name === 'manifest.json')!.data! }];
    const tail = finishStream({ sizes, dropped: [`${V1_BASE}/layer.tar`], kept }, image, held);
    expect(tail.map((t) => t.name)).toEqual([expect.stringMatching(/^blobs\/sha256\/[0-9a-f]{64}$/), 'index.json', 'oci-layout']);
    const manifest = JSON.parse(tail[0]!.data.toString());
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: ID, size: config.length },
      layers: [
        { mediaType: MEDIA_TYPES.layer, digest: sha(base), size: base.length },
        { mediaType: MEDIA_TYPES.layer, digest: sha(appLayer), size: appLayer.length },
      ],
    });
    expect(tail[0]!.name).toBe(`blobs/sha256/${hex(sha(tail[0]!.data))}`);
    const index = JSON.parse(tail[1]!.data.toString());
    expect(index.manifests).toEqual([
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: sha(tail[0]!.data),
        size: tail[0]!.data.length,
        annotations: { 'io.containerd.image.name': 'docker.io/library/kubernetes-spring:ship-abc', 'org.opencontainers.image.ref.name': 'ship-abc' },
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ]);
    expect(JSON.parse(tail[2]!.data.toString())).toEqual({ imageLayoutVersion: '1.0.0' });
  });

  it('refuses when an entry left out is not a layer the target holds (a size that only matched by chance)', () => {
    const archive = legacyArchive();
    const sizes = new Map(archive.filter((e) => e.data).map((e) => [e.name, e.data!.length]));
    const kept = [{ name: 'manifest.json', data: archive.find((e) => e.name === 'manifest.json')!.data! }];
    // The node holds some other blob that happens to be as big as the app layer.
    const held = new Map([['sha256:' + 'e'.repeat(64), appLayer.length]]);
    expect(() => finishStream({ sizes, dropped: [`${V1_APP}/layer.tar`], kept }, image, held)).toThrow(LayerPlanError);
    expect(() => finishStream({ sizes, dropped: ['repositories'], kept }, image, new Map([[sha(base), base.length]]))).toThrow(/not a layer/);
    expect(() => finishStream({ sizes, dropped: [`${V1_BASE}/layer.tar`], kept: [] }, image, new Map([[sha(base), base.length]]))).toThrow(/no manifest.json/);
  });

  it('the OCI layout (Docker ≥ 25) keeps its own index: it already names the left-out blob by digest', () => {
    const archive = ociArchive();
    const sizes = new Map(archive.map((e) => [e.name, e.data!.length]));
    const kept = archive.filter((e) => ['index.json', 'manifest.json', 'oci-layout'].includes(e.name)).map((e) => ({ name: e.name, data: e.data! }));
    const tail = finishStream({ sizes, dropped: [`blobs/sha256/${hex(sha(base))}`], kept }, image, new Map([[sha(base), base.length]]));
    expect(tail).toBe(kept);
  });

  it('sizes read as people write them', () => {
    expect([byteSize(12), byteSize(340_000), byteSize(2_500_000), byteSize(21_000_000), byteSize(299_000_000)]).toEqual(['1 kB', '340 kB', '2.5 MB', '21 MB', '299 MB']);
  });

  it('reads layer sizes from a manifest, and keeps only layers every node holds with the same size', () => {
    const m = JSON.stringify({ layers: [{ digest: sha(base), size: 4096 }, { digest: 'nope', size: 3 }, { digest: sha(appLayer), size: -1 }] });
    expect([...layerSizesOfManifest(m)]).toEqual([[sha(base), 4096]]);
    expect(layerSizesOfManifest('not json').size).toBe(0);
    const a = new Map([
      [sha(base), 4096],
      [sha(appLayer), 512],
    ]);
    const b = new Map([
      [sha(base), 4096],
      [sha(appLayer), 511],
    ]);
    expect([...commonHeld([a, b])]).toEqual([[sha(base), 4096]]);
    expect(commonHeld([]).size).toBe(0);
  });
});

describe('re-packing a docker save stream', () => {
  it('legacy layout: the held layer is left out, the rest passes byte for byte, the OCI index ends the stream', async () => {
    const f = filterSave(toTar(legacyArchive()), image, new Map([[sha(base), base.length]]));
    const out = await readTar(f.stream);
    const stats = await f.stats;
    expect(stats).toEqual({ sentBytes: appLayer.length + config.length, reusedBytes: base.length, reusedLayers: 1, layers: 2 });
    expect(out.has(`${V1_BASE}/layer.tar`)).toBe(false);
    expect(out.get(`${V1_APP}/layer.tar`)!.equals(appLayer)).toBe(true);
    expect(out.get(`${hex(ID)}.json`)!.equals(config)).toBe(true);
    // Docker's legacy files and its manifest.json are not sent; the OCI files are.
    for (const gone of ['repositories', 'manifest.json', `${V1_APP}/json`, `${V1_APP}/VERSION`]) expect(out.has(gone), gone).toBe(false);
    const index = JSON.parse(out.get('index.json')!.toString());
    const manifestDigest = index.manifests[0].digest as string;
    const manifest = JSON.parse(out.get(`blobs/sha256/${hex(manifestDigest)}`)!.toString());
    expect(manifest.layers.map((l: { digest: string }) => l.digest)).toEqual([sha(base), sha(appLayer)]);
    expect(out.has('oci-layout')).toBe(true);
  });

  it('nothing held → the archive passes as Docker wrote it (minus legacy files)', async () => {
    const f = filterSave(toTar(legacyArchive()), image, new Map());
    const out = await readTar(f.stream);
    expect((await f.stats).reusedLayers).toBe(0);
    expect(out.get('manifest.json')!.toString()).toContain('layer.tar');
    expect(out.get(`${V1_BASE}/layer.tar`)!.equals(base)).toBe(true);
    expect(out.has('index.json')).toBe(false);
  });

  it('OCI layout: the held blob is left out by digest, Docker\'s index and layout stay', async () => {
    const f = filterSave(toTar(ociArchive()), image, new Map([[sha(base), base.length]]));
    const out = await readTar(f.stream);
    expect(out.has(`blobs/sha256/${hex(sha(base))}`)).toBe(false);
    expect(out.get(`blobs/sha256/${hex(sha(appLayer))}`)!.equals(appLayer)).toBe(true);
    expect(out.get('index.json')!.toString()).toBe('{"schemaVersion":2,"manifests":[]}');
    expect(out.has('oci-layout')).toBe(true);
    expect((await f.stats).reusedBytes).toBe(base.length);
  });

  it('a wrong guess (same size, other layer) fails the stream instead of sending an incomplete image', async () => {
    const f = filterSave(toTar(legacyArchive()), image, new Map([['sha256:' + 'e'.repeat(64), appLayer.length]]));
    const read = readTar(f.stream).catch((e: unknown) => e);
    await expect(f.stats).rejects.toThrow(LayerPlanError);
    expect(await read).toBeInstanceOf(Error);
  });

  it('a source that breaks fails the stream', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('unexpected EOF from docker'));
      },
    });
    const f = filterSave(broken, image, new Map([[sha(base), base.length]]));
    await expect(f.stats).rejects.toThrow('unexpected EOF from docker');
  });
});

describe('the loader with a node that holds the base layer', () => {
  /** A containerd that holds the base layer blob under an older manifest, and imports tars. */
  function target(opts: { refuseOci?: boolean }) {
    const manifestOld = 'sha256:' + '0'.repeat(64);
    const imports: Array<Map<string, Buffer>> = [];
    let imported = false;
    const commands: string[][] = [];
    const t: CtrTarget = {
      name: 'node-1',
      hint: 'ctr images ls',
      async snapshotter() {
        return 'overlayfs';
      },
      async ctr(args, o): Promise<CtrResult> {
        commands.push(args);
        const [a, b] = args;
        const ok = (stdout = ''): CtrResult => ({ exitCode: 0, stdout, stderr: '' });
        if (a === 'content' && b === 'ls') {
          const filters = args.slice(3);
          if (filters.some((f) => f === `digest==${sha(base)}`)) return ok(sha(base) + '\n');
          if (filters.some((f) => f.includes(`gc.ref.content.l.0"==${sha(base)}`))) return ok(manifestOld + '\n');
          if (filters.some((f) => f.includes('gc.ref.content.config') && f.endsWith(ID)) && imported) return ok('sha256:' + '9'.repeat(64) + '\n');
          return ok();
        }
        if (a === 'content' && b === 'get') return ok(JSON.stringify({ layers: [{ digest: sha(base), size: base.length }] }));
        if (a === 'images' && b === 'ls') return ok(imported ? 'docker.io/library/kubernetes-spring:ship-abc\n' : '');
        if (a === 'images' && b === 'import') {
          const files = await readTar(o.stdin!);
          imports.push(files);
          if (opts.refuseOci && files.has('oci-layout')) return { exitCode: 1, stdout: '', stderr: 'ctr: content digest not found' };
          imported = true;
          return ok('unpacking done\n');
        }
        return { exitCode: 2, stdout: '', stderr: 'unexpected ' + args.join(' ') };
      },
    };
    return { t, imports, commands };
  }

  const facts = { diffIds: [sha(base), sha(appLayer)], os: 'linux', architecture: 'amd64' };
  const ref = { ref: 'kubernetes-spring:ship-abc', id: ID };

  async function load(t: CtrTarget) {
    const info: string[] = [];
    let saves = 0;
    const outcomes = await ensureImage([t], ref, {
      onInfo: (m) => info.push(m),
      openSave: async () => (saves++, toTar(legacyArchive())),
      describe: async () => facts,
    });
    return { outcomes, info, saves };
  }

  it('sends only the app layer and says how much was reused', async () => {
    const { t, imports } = target({});
    const { outcomes, info, saves } = await load(t);
    expect(saves).toBe(1);
    expect(imports).toHaveLength(1);
    expect(imports[0]!.has(`${V1_BASE}/layer.tar`)).toBe(false);
    expect(outcomes[0]).toMatchObject({ node: 'node-1', action: 'loaded', transfer: { reusedLayers: 1, layers: 2, reusedBytes: base.length } });
    expect(info.some((m) => m.includes('without 1 of 2 layers'))).toBe(true);
  });

  it('a partial import that fails is redone with the whole image, and says so', async () => {
    const { t, imports } = target({ refuseOci: true });
    const { outcomes, info, saves } = await load(t);
    expect(saves).toBe(2);
    expect(imports).toHaveLength(2);
    expect(imports[1]!.get(`${V1_BASE}/layer.tar`)!.equals(base)).toBe(true);
    expect(outcomes[0]).toMatchObject({ action: 'loaded' });
    expect(outcomes[0]!.transfer).toBeUndefined();
    expect(info.find((m) => m.includes('sending the whole image'))).toContain('content digest not found');
  });
});
