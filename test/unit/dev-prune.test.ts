// ship dev removes its older images of the app from the nodes and from Docker (issue 9, item 5).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneDevImages, describePrune, type PruneInput } from '../../src/tasks/prune.js';
import { pruneAfterDeploy } from '../../src/pipeline/dev-prune.js';
import { dev, type DevRun } from '../../src/pipeline/dev.js';
import { KEEP_DEV_IMAGES } from '../../src/core/image-prune.js';
import { namesToRemove, parseImageTable } from '../../src/core/ctr-protocol.js';
import { removeEverywhere } from '../../src/adapters/loaders/ctr.js';
import type { CtrTarget } from '../../src/adapters/loaders/ctr-target.js';
import type { ImageSummary } from '../../src/adapters/docker/api.js';
import type { RunContext } from '../../src/pipeline/context.js';
import type { ShipEvent } from '../../src/pipeline/output.js';
import type { Kube } from '../../src/adapters/kube/client.js';
import type { ProcessRunner } from '../../src/adapters/process.js';
import { until } from '../support/until.js';

const hex = (n: number) => n.toString(16).padStart(12, '0');
const shipImage = (n: number, app = 'demo'): ImageSummary => ({ id: `sha256:${hex(n).padEnd(64, '0')}`, repoTags: [`${app}:ship-${hex(n)}`], createdMs: 1_000 + n, labels: { 'io.ship.app': app } });

/** A fake Docker holding these images: what was removed, and refs it refuses (a container uses them). */
function fakeDocker(images: ImageSummary[], busy: string[] = []) {
  const removed: string[] = [];
  const docker: PruneInput['docker'] = {
    async listImages(labels) {
      return images.filter((i) => Object.entries(labels).every(([k, v]) => i.labels[k] === v));
    },
    async removeImage(ref) {
      if (busy.includes(ref)) return false;
      removed.push(ref);
      return true;
    },
  };
  return { docker, removed };
}

function fakeLoader(fail: string[] = []) {
  const asked: string[][] = [];
  return {
    asked,
    loader: {
      name: 'containerd',
      async removeImages(refs: string[]) {
        asked.push(refs);
        return { removed: refs.filter((r) => !fail.includes(r)), failed: refs.filter((r) => fail.includes(r)) };
      },
    },
  };
}

describe('pruneDevImages', () => {
  it(`keeps the newest ${KEEP_DEV_IMAGES} and those pods run; removes the older ones from the nodes, then from Docker`, async () => {
    const images = [...Array.from({ length: 7 }, (_, i) => shipImage(i)), shipImage(1, 'other'), { ...shipImage(2), repoTags: ['demo:v1'] }];
    const d = fakeDocker(images);
    const l = fakeLoader();
    const r = await pruneDevImages({
      docker: d.docker,
      loader: l.loader,
      app: 'demo',
      current: `demo:ship-${hex(6)}`,
      podImages: async () => [`docker.io/library/demo:ship-${hex(1)}`, 'ship.local/busybox:1'],
    });
    const expected = [3, 2, 0].map((n) => `demo:ship-${hex(n)}`);
    expect(l.asked).toEqual([expected]);
    expect(d.removed).toEqual(expected);
    expect(r).toEqual({ keep: KEEP_DEV_IMAGES, removed: expected, left: [] });
    expect(describePrune('demo', r, 'node ship-node')).toBe(`images · removed 3 older images of demo from Docker and node ship-node; keeping the newest ${KEEP_DEV_IMAGES} of each kind and those pods run`);
  });

  it('dev and debug images are pruned too, the newest of each kind kept apart from the project images', async () => {
    const kinds = (n: number): ImageSummary[] => [
      shipImage(n),
      { ...shipImage(n), id: `sha256:dev${n}`, repoTags: [`demo:ship-dev-${hex(n)}`], createdMs: 1_000 + n, labels: { 'io.ship.app': 'demo', 'io.ship.dev': 'true' } },
      { ...shipImage(n), id: `sha256:debug${n}`, repoTags: [`demo:ship-${hex(n)}-debug`] },
    ];
    const d = fakeDocker(Array.from({ length: 5 }, (_, n) => kinds(n)).flat());
    const r = await pruneDevImages({ docker: d.docker, app: 'demo', current: `demo:ship-dev-${hex(4)}`, podImages: async () => [`demo:ship-dev-${hex(0)}`] });
    expect(r.removed).toEqual([`demo:ship-${hex(1)}`, `demo:ship-${hex(0)}`, `demo:ship-dev-${hex(1)}`, `demo:ship-${hex(1)}-debug`, `demo:ship-${hex(0)}-debug`]);
  });

  it('an image a node did not let go of stays in Docker (tried again after the next deploy); one a container uses too', async () => {
    const d = fakeDocker(Array.from({ length: 6 }, (_, i) => shipImage(i)), [`demo:ship-${hex(1)}`]);
    const l = fakeLoader([`demo:ship-${hex(0)}`]);
    const r = await pruneDevImages({ docker: d.docker, loader: l.loader, app: 'demo', current: `demo:ship-${hex(5)}`, podImages: async () => [] });
    expect(d.removed).toEqual([`demo:ship-${hex(2)}`]);
    expect(r.left.sort()).toEqual([`demo:ship-${hex(0)}`, `demo:ship-${hex(1)}`]);
  });

  it('removes nothing when the cluster cannot say which images its pods run', async () => {
    const d = fakeDocker(Array.from({ length: 6 }, (_, i) => shipImage(i)));
    const l = fakeLoader();
    const r = await pruneDevImages({ docker: d.docker, loader: l.loader, app: 'demo', current: `demo:ship-${hex(5)}`, podImages: async () => undefined });
    expect(d.removed).toEqual([]);
    expect(l.asked).toEqual([]);
    expect(r.skipped).toBeDefined();
  });

  it('without a loader that removes (shared daemon, registry, minikube) it prunes Docker only', async () => {
    const d = fakeDocker(Array.from({ length: 4 }, (_, i) => shipImage(i)));
    const r = await pruneDevImages({ docker: d.docker, app: 'demo', current: `demo:ship-${hex(3)}`, podImages: async () => [] });
    expect(r.removed).toEqual([`demo:ship-${hex(0)}`]);
  });
});

// A piece of a real `ctr images ls` of the test cluster's containerd.
const D1 = 'sha256:890b56650eb0cacfe49042ff4ee81f4b91282812922a1362851889f7e5420ff6';
const D2 = 'sha256:fce3b1b7026b56bc539d9ae017bda75051afd8cb2ac47a55a2a05b3244d56322';
const TABLE = `REF                                            TYPE                                                 DIGEST  SIZE      PLATFORMS   LABELS
docker.io/library/demo:ship-0459c75592fd       application/vnd.docker.distribution.manifest.v2+json ${D1} 285.1 MiB linux/amd64 io.cri-containerd.image=managed
import-2026-11-30@${D1}                        application/vnd.docker.distribution.manifest.v2+json ${D1} 285.1 MiB linux/amd64 io.cri-containerd.image=managed
sha256:e16db6a9cf900dc9a836bdd1547feddbc9606e12e6f6be33914b147bbd3cc465 application/vnd.docker.distribution.manifest.v2+json ${D1} 285.1 MiB linux/amd64 io.cri-containerd.image=managed
docker.io/library/demo:ship-27845d2194b0       application/vnd.docker.distribution.manifest.v2+json ${D2} 285.1 MiB linux/amd64 io.cri-containerd.image=managed
docker.io/library/demo:stable                  application/vnd.docker.distribution.manifest.v2+json ${D2} 285.1 MiB linux/amd64 io.cri-containerd.image=managed
sha256:aaaa6a9cf900dc9a836bdd1547feddbc9606e12e6f6be33914b147bbd3cc465 application/vnd.docker.distribution.manifest.v2+json ${D2} 285.1 MiB linux/amd64 io.cri-containerd.image=managed
`;

describe('removing images from a containerd', () => {
  it('takes the import\'s and the CRI\'s names of the image too, unless another name still points at it', () => {
    const table = parseImageTable(TABLE);
    expect(table).toHaveLength(6);
    expect(namesToRemove(table, ['docker.io/library/demo:ship-0459c75592fd'])).toEqual([
      'docker.io/library/demo:ship-0459c75592fd',
      `import-2026-11-30@${D1}`,
      'sha256:e16db6a9cf900dc9a836bdd1547feddbc9606e12e6f6be33914b147bbd3cc465',
    ]);
    // demo:stable (someone else's tag) points at the same image: only ship's name goes.
    expect(namesToRemove(table, ['docker.io/library/demo:ship-27845d2194b0'])).toEqual(['docker.io/library/demo:ship-27845d2194b0']);
    expect(namesToRemove(table, ['docker.io/library/demo:ship-000000000000'])).toEqual([]);
  });

  it('runs ctr images ls, then one ctr images rm per node; a node that fails keeps the refs in Docker', async () => {
    const calls: string[][] = [];
    const target = (name: string, ok: boolean): CtrTarget => ({
      name,
      hint: '',
      async ctr(args) {
        calls.push([name, ...args]);
        if (!ok && args[1] === 'rm') return { exitCode: 1, stdout: '', stderr: 'ctr: failed to dial' };
        return { exitCode: 0, stdout: args[1] === 'ls' ? TABLE : '', stderr: '' };
      },
      snapshotter: async () => 'overlayfs',
    });
    const one = await removeEverywhere([target('node-a', true)], ['demo:ship-0459c75592fd']);
    expect(one).toEqual({ removed: ['demo:ship-0459c75592fd'], failed: [] });
    expect(calls.at(-1)).toEqual(['node-a', 'images', 'rm', 'docker.io/library/demo:ship-0459c75592fd', `import-2026-11-30@${D1}`, 'sha256:e16db6a9cf900dc9a836bdd1547feddbc9606e12e6f6be33914b147bbd3cc465']);
    const two = await removeEverywhere([target('node-a', true), target('node-b', false)], ['demo:ship-0459c75592fd']);
    expect(two).toEqual({ removed: [], failed: ['demo:ship-0459c75592fd'] });
  });
});

function fakeCtx(dir: string) {
  const abort = new AbortController();
  const events: ShipEvent[] = [];
  const lines: string[] = [];
  const ctx: RunContext = {
    opts: { projectDir: dir } as RunContext['opts'],
    out: { json: true, info: (m) => void lines.push(m), warn: (m) => void lines.push('warning: ' + m), event: (e) => void events.push(e) } as RunContext['out'],
    signal: abort.signal,
    env: { XDG_CACHE_HOME: join(dir, '.cache') },
    runner: {} as ProcessRunner,
    timings: [],
    cleanups: [],
  };
  return { ctx, abort, events, lines };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('ship dev prunes after each successful deploy', () => {
  it('pruneAfterDeploy reads the pods\' images from the cluster, says what it removed and how many it keeps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ship-prune-'));
    dirs.push(dir);
    const f = fakeCtx(dir);
    const d = fakeDocker(Array.from({ length: 5 }, (_, i) => shipImage(i)));
    f.ctx.docker = d.docker as RunContext['docker'];
    const kube = {
      core: {
        listPodForAllNamespaces: async () => ({ items: [{ spec: { containers: [{ name: 'c', image: `demo:ship-${hex(0)}` }] } }] }),
      },
    } as unknown as Kube;
    const l = fakeLoader();
    await pruneAfterDeploy(f.ctx, {
      deployed: { kube, app: 'demo', namespace: 'default', objects: [], appliedAt: 0 },
      image: { ref: `demo:ship-${hex(4)}` },
      loader: l.loader as never,
      load: { loader: 'containerd', action: 'loaded', nodes: ['/run/containerd.sock'] },
    });
    expect(d.removed).toEqual([`demo:ship-${hex(1)}`]); // 0 runs in a pod
    expect(f.lines.join('\n')).toMatch(/removed 1 older image of demo from Docker and node \/run\/containerd.sock; keeping the newest 3/);
    expect(f.events).toContainEqual(expect.objectContaining({ type: 'prune', keep: 3, removed: [`demo:ship-${hex(1)}`] }));
  });

  it('the loop calls it after a deploy that succeeded, never after one that failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ship-prune-'));
    dirs.push(dir);
    const f = fakeCtx(dir);
    const pruned: string[] = [];
    let runs = 0;
    const loop = dev(
      f.ctx,
      { interactive: false },
      {
        deploy: async () => {
          runs += 1;
          return { deployed: { kube: {} as Kube, app: 'demo', namespace: 'default', objects: [], appliedAt: 0 }, image: { ref: `demo:ship-${hex(runs)}` } } as unknown as DevRun;
        },
        prune: async (_c, r) => void pruned.push(r.image!.ref),
      },
      20,
    );
    await until('the first prune', () => pruned.length === 1);
    f.abort.abort();
    await loop;
    expect(pruned).toEqual([`demo:ship-${hex(1)}`]);
  });
});
