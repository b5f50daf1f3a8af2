// The kind loader against real parts: the Docker engine and a REAL containerd running inside
// containers labelled as kind nodes (ship.local/kind-node-lite, see test/docker/kind-node/build.sh;
// real kind nodes need --privileged, which these machines refuse). Two nodes (control-plane and
// worker) so the one-save-many-imports path runs for real.

import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocker } from '../../src/adapters/docker/client.js';
import { createLoader } from '../../src/adapters/loaders/index.js';
import { execaRunner } from '../../src/adapters/process.js';
import { ShipError } from '../../src/errors.js';
import { repo, run, sh } from './helpers.js';

const NODE_IMAGE = 'ship.local/kind-node-lite:1';
const BASE_IMAGE = 'eclipse-temurin:17-jre';
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `shiptest-${suffix}`;
const nodes = [`${CLUSTER}-control-plane`, `${CLUSTER}-worker`];

async function imageId(ref: string): Promise<string> {
  return (await sh('docker', ['image', 'inspect', '-f', '{{.Id}}', ref])).trim();
}

async function nodeImages(node: string): Promise<string[]> {
  return (await sh('docker', ['exec', node, 'ctr', '-n', 'k8s.io', 'images', 'ls', '-q'])).split('\n').filter(Boolean);
}

async function startNode(name: string, role: string): Promise<void> {
  await sh('docker', [
    'run', '-d', '--name', name,
    '--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
    '-v', '/var/lib/containerd',
    '--label', `io.x-k8s.kind.cluster=${CLUSTER}`, '--label', `io.x-k8s.kind.role=${role}`,
    NODE_IMAGE,
  ]);
  for (let i = 0; i < 100; i++) {
    try {
      await sh('docker', ['exec', name, 'ctr', 'version'], { timeout: 5000 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`containerd in ${name} did not answer`);
}

describe('kind loader against real containerd nodes', () => {
  const docker = createDocker(process.env);
  const loader = () => createLoader({ kind: 'kind', cluster: CLUSTER }, { docker, runner: execaRunner, env: process.env });
  const app = { ref: `ship-test/temurin-app:ship-${suffix}`, id: '' };
  const small = { ref: `ship-test/small:ship-${suffix}`, id: '' };
  const createdRefs: string[] = [];
  let work: string;

  beforeAll(async () => {
    await sh('bash', [join(repo, 'test/docker/kind-node/build.sh')]);
    await sh('bash', [join(repo, 'test/images/build.sh'), 'temurin']);
    // A ~realistic image: the JRE base (~300 MB) under an app-like name.
    await sh('docker', ['tag', BASE_IMAGE, app.ref]);
    createdRefs.push(app.ref);
    app.id = await imageId(app.ref);
    // A small image of its own (FROM scratch, content unique to this run).
    work = await mkdtemp(join(tmpdir(), 'ship-kind-loader-'));
    await writeFile(join(work, 'hello.txt'), `hello from ${suffix}\n`);
    await writeFile(join(work, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\nCMD ["/hello"]\n');
    await run('docker', ['build', '-q', '-t', small.ref, work], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    createdRefs.push(small.ref);
    small.id = await imageId(small.ref);
    await Promise.all([startNode(nodes[0]!, 'control-plane'), startNode(nodes[1]!, 'worker')]);
  });

  afterAll(async () => {
    await run('docker', ['rm', '-f', '-v', ...nodes]).catch(() => undefined);
    for (const ref of createdRefs) await run('docker', ['rmi', ref]).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('loads a ~300 MB image into both nodes; each node\'s containerd lists it, complete', async () => {
    expect(await loader().has(app)).toBe(false);
    const info: string[] = [];
    const r = await loader().load(app, { onInfo: (m) => info.push(m) });
    expect(r).toMatchObject({ loader: 'kind', action: 'loaded', nodes: [...nodes].sort() });
    const full = `docker.io/ship-test/temurin-app:ship-${suffix}`;
    for (const n of nodes) {
      expect(await nodeImages(n)).toContain(full);
      const check = await sh('docker', ['exec', n, 'ctr', '-n', 'k8s.io', 'images', 'check', `name==${full}`]);
      expect(check).toMatch(/complete/);
      // unpacked for the snapshotter the node's CRI config names
      const snaps = await sh('docker', ['exec', n, 'ctr', '-n', 'k8s.io', 'snapshots', '--snapshotter', 'overlayfs', 'ls']);
      expect(snaps.split('\n').filter((l) => l.startsWith('sha256:')).length).toBeGreaterThan(0);
    }
    expect(info.filter((m) => m.includes('imported'))).toHaveLength(2);
    expect(await loader().has(app)).toBe(true);
  });

  it('a second load is skipped (has() true, nothing imported)', async () => {
    expect(await loader().has(app)).toBe(true);
    const t0 = Date.now();
    const r = await loader().load(app, {});
    expect(r.action).toBe('skipped');
    expect(r.detail).toContain('already there');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('the same image ID under a new tag is only tagged', async () => {
    const retag = { ref: `ship-test/temurin-app:ship-${suffix}-again`, id: app.id };
    await sh('docker', ['tag', app.ref, retag.ref]);
    createdRefs.push(retag.ref);
    expect(await loader().has(retag)).toBe(false);
    const r = await loader().load(retag, {});
    expect(r.action).toBe('retagged');
    for (const n of nodes) expect(await nodeImages(n)).toContain(`docker.io/${retag.ref}`);
    expect(await loader().has(retag)).toBe(true);
  });

  it('a node that lacks the image gets it, the other is skipped', async () => {
    await loader().load(small, {});
    // Remove every name of that image on the worker (ours, CRI's sha256:<ID>, import-…@<digest>).
    const ctr = ['exec', nodes[1]!, 'ctr', '-n', 'k8s.io'];
    const line = (await sh('docker', [...ctr, 'images', 'ls', `name==docker.io/${small.ref}`])).split('\n')[1]!;
    const digest = line.split(/\s+/)[2]!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const names = (await sh('docker', [...ctr, 'images', 'ls', '-q', `target.digest==${digest}`])).split('\n').filter(Boolean);
    expect(names.length).toBeGreaterThanOrEqual(1);
    await sh('docker', [...ctr, 'images', 'rm', '--sync', ...names]);
    expect(await loader().has(small)).toBe(false);
    const r = await loader().load(small, {});
    expect(r.action).toBe('loaded');
    expect(r.detail).toBe(`loaded on ${nodes[1]}; already there on ${nodes[0]}`);
    expect(await nodeImages(nodes[1]!)).toContain(`docker.io/${small.ref}`);
  });

  it('a new build on the same base sends only its own layer: the base layer the nodes hold is left out', async () => {
    // An app image on the ~300 MB base the nodes already hold (the first test loaded it).
    const ctxDir = join(work, 'on-base');
    await run('mkdir', ['-p', ctxDir]);
    await writeFile(join(ctxDir, 'app.txt'), `app build ${suffix}\n`);
    await writeFile(join(ctxDir, 'Dockerfile'), `FROM ${app.ref}\nCOPY app.txt /app/app.txt\n`);
    const onBase = { ref: `ship-test/on-base:ship-${suffix}`, id: '' };
    await run('docker', ['build', '-q', '-t', onBase.ref, ctxDir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    createdRefs.push(onBase.ref);
    onBase.id = await imageId(onBase.ref);
    const diffIds = JSON.parse(await sh('docker', ['image', 'inspect', '-f', '{{json .RootFS.Layers}}', onBase.ref])) as string[];
    expect(diffIds).toHaveLength(2);

    const info: string[] = [];
    const r = await loader().load(onBase, { onInfo: (m) => info.push(m) });
    expect(r.action).toBe('loaded');
    // Only the small layer (and the config) went over the wire.
    const sent = /sent (\d+) kB; 1 of 2 layers, (\d+) MB, already there/.exec(r.detail ?? '');
    expect(sent, r.detail).not.toBeNull();
    expect(Number(sent![1])).toBeLessThan(100);
    expect(Number(sent![2])).toBeGreaterThan(200);
    expect(info.some((m) => m.includes('sending the whole image'))).toBe(false);
    // Each node has the image, complete (the base blob was already in its store), and unpacked:
    // the snapshot of the whole layer chain exists.
    const chainTop = 'sha256:' + createHash('sha256').update(`${diffIds[0]} ${diffIds[1]}`).digest('hex');
    for (const n of nodes) {
      expect(await nodeImages(n)).toContain(`docker.io/${onBase.ref}`);
      expect(await sh('docker', ['exec', n, 'ctr', '-n', 'k8s.io', 'images', 'check', `name==docker.io/${onBase.ref}`])).toMatch(/complete/);
      const snap = await sh('docker', ['exec', n, 'ctr', '-n', 'k8s.io', 'snapshots', '--snapshotter', 'overlayfs', 'info', chainTop]);
      expect(snap).toContain(chainTop);
    }
    expect(await loader().has(onBase)).toBe(true);
  });

  it('no node containers for another cluster name → ShipError(load)', async () => {
    const other = createLoader({ kind: 'kind', cluster: `nope-${suffix}` }, { docker, runner: execaRunner, env: process.env });
    const e = await other.load(small, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).code).toBe('load');
    expect((e as ShipError).message).toBe(`kind cluster "nope-${suffix}" has no node containers`);
    expect(await other.has(small)).toBeUndefined();
  });
});
