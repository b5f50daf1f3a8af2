import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, ShipError } from '../../src/errors.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/adapters/process.js';
import { ctrArgs, parseDigests, parseSnapshotter } from '../../src/core/ctr-protocol.js';
import { canonicalRef } from '../../src/core/image-ref.js';
import { summarize } from '../../src/adapters/loaders/ctr.js';
import { fanOut } from '../../src/adapters/loaders/fan-out.js';
import { createLoader } from '../../src/adapters/loaders/index.js';
import { findNodes } from '../../src/adapters/loaders/nodes.js';
import { kindFlavor } from '../../src/adapters/loaders/kind.js';
import { k3dFlavor } from '../../src/adapters/loaders/k3d.js';
import type { LoaderDocker } from '../../src/adapters/loaders/types.js';
import { extensionProviders } from '../../src/adapters/loaders/kube-facts.js';
import { rejectedShipError as caught } from '../support/ship-error.js';

// ---------------------------------------------------------------------------------------------
// A fake containerd that understands the ctr commands the loaders send.

const ID = 'sha256:' + 'a'.repeat(64);
const OTHER_ID = 'sha256:' + 'b'.repeat(64);
const MANIFEST = 'sha256:' + 'c'.repeat(64);
const REF = 'kubernetes-spring:ship-abc';
const FULL = 'docker.io/library/kubernetes-spring:ship-abc';

class FakeContainerd {
  /** name → target digest */
  images = new Map<string, string>();
  /** manifest digest → config digest (image ID); index digest → manifest digest */
  manifests = new Map<string, string>();
  indexes = new Map<string, string>();
  commands: string[][] = [];
  imported = 0;
  failImport = false;
  /** Import exits 0 but stores nothing. */
  lieOnImport = false;
  snapshotterConfig = '[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "overlayfs"\n';

  addImage(name: string, id: string, manifest = 'sha256:' + id.slice(7, 20).padEnd(64, 'd')) {
    this.manifests.set(manifest, id);
    this.images.set(name, manifest);
  }

  /** Import reads a little, then waits until aborted (a slow node). */
  hangImport = false;

  async run(args: string[], stdin?: Readable | NodeJS.ReadableStream, signal?: AbortSignal): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    this.commands.push(args);
    if (this.hangImport && args[1] === 'import') {
      return new Promise((_, reject) => {
        signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true });
      });
    }
    const filters = args.filter((a) => a.includes('=='));
    const value = (f: string) => f.slice(f.indexOf('==') + 2);
    if (args[0] === 'content' && args[1] === 'ls') {
      const out: string[] = [];
      for (const f of filters) {
        if (f.includes('gc.ref.content.config')) {
          for (const [m, c] of this.manifests) if (c === value(f)) out.push(m);
        } else if (/gc\.ref\.content\.m\.\d+/.test(f)) {
          for (const [i, m] of this.indexes) if (m === value(f)) out.push(i);
        }
      }
      return { exitCode: 0, stdout: out.join('\n') + (out.length ? '\n' : ''), stderr: '' };
    }
    if (args[0] === 'images' && args[1] === 'ls') {
      const want = filters.map(value);
      const out = [...this.images].filter(([, d]) => want.includes(d)).map(([n]) => n);
      return { exitCode: 0, stdout: out.join('\n'), stderr: '' };
    }
    if (args[0] === 'images' && args[1] === 'tag') {
      const [src, dst] = args.slice(-2) as [string, string];
      const d = this.images.get(src);
      if (!d) return { exitCode: 1, stdout: '', stderr: `ctr: image "${src}": not found` };
      this.images.set(dst, d);
      return { exitCode: 0, stdout: dst + '\n', stderr: '' };
    }
    if (args[0] === 'images' && args[1] === 'import') {
      const chunks: Buffer[] = [];
      for await (const c of stdin as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
      if (this.failImport) return { exitCode: 1, stdout: '', stderr: 'ctr: content digest sha256:123: not found' };
      this.imported++;
      if (this.lieOnImport) return { exitCode: 0, stdout: '', stderr: '' };
      const tar = JSON.parse(Buffer.concat(chunks).toString()) as { name: string; id: string };
      this.addImage(canonicalRef(tar.name), tar.id, MANIFEST);
      return { exitCode: 0, stdout: `unpacking ${tar.name}...done\n`, stderr: '' };
    }
    return { exitCode: 2, stdout: '', stderr: 'fake ctr: unknown command ' + args.join(' ') };
  }
}

interface FakeNode {
  id: string;
  name: string;
  labels: Record<string, string>;
  running?: boolean;
  ctrd: FakeContainerd;
}

function fakeDocker(nodes: FakeNode[], image = { ref: REF, id: ID }) {
  const calls = { streams: [] as Readable[], saves: 0, platforms: [] as Array<string | undefined>, execs: [] as Array<{ node: string; cmd: string[] }>, listLabels: [] as Array<Record<string, string>> };
  let saveError: Error | undefined;
  const docker: LoaderDocker = {
    async inspectImage(ref) {
      if (ref !== image.ref) return undefined;
      return { id: image.id, repoTags: [ref], size: 1, os: 'linux', architecture: 'amd64', labels: {} };
    },
    async saveImage(ref, opts) {
      calls.saves++;
      calls.platforms.push(opts?.platform);
      const body = JSON.stringify({ name: ref, id: image.id });
      if (saveError) {
        const err = saveError;
        return new Readable({
          read() {
            this.destroy(err);
          },
        });
      }
      const stream = Readable.from([Buffer.from(body)]);
      calls.streams.push(stream);
      return stream;
    },
    async listContainers(labels) {
      calls.listLabels.push(labels);
      return nodes
        .filter((n) => Object.entries(labels).every(([k, v]) => n.labels[k] === v))
        .map((n) => ({ id: n.id, name: n.name, labels: n.labels, running: n.running ?? true }));
    },
    async exec(id, cmd, opts) {
      const node = nodes.find((n) => n.id === id)!;
      calls.execs.push({ node: node.name, cmd });
      if (cmd[0] === 'containerd' || cmd[0] === 'cat') return { exitCode: 0, stdout: node.ctrd.snapshotterConfig, stderr: '' };
      const globals = cmd[1] === '-a' ? 5 : 3;
      return node.ctrd.run(cmd.slice(globals), opts?.stdin, opts?.signal);
    },
    // Node loaders never tag or push; a call would be a bug the test must see.
    async tagImage() {
      throw new Error('fake docker: tagImage is not expected from a node loader');
    },
    async pushImage() {
      throw new Error('fake docker: pushImage is not expected from a node loader');
    },
  };
  return {
    docker,
    calls,
    failSave(e: Error) {
      saveError = e;
    },
  };
}

function kindNode(name: string, role = 'control-plane', cluster = 'dev'): FakeNode {
  return { id: 'id-' + name, name, labels: { 'io.x-k8s.kind.cluster': cluster, 'io.x-k8s.kind.role': role }, ctrd: new FakeContainerd() };
}

const noRunner: ProcessRunner = {
  async run() {
    throw new Error('the process runner must not be used here');
  },
};

function kindLoader(d: LoaderDocker, cluster = 'dev') {
  return createLoader({ kind: 'kind', cluster }, { docker: d, runner: noRunner, env: {} });
}


// ---------------------------------------------------------------------------------------------

describe('pure helpers', () => {
  it.each([
    ['kubernetes-spring:ship-abc', 'docker.io/library/kubernetes-spring:ship-abc'],
    ['kubernetes-spring', 'docker.io/library/kubernetes-spring:latest'],
    ['me/app:1', 'docker.io/me/app:1'],
    ['docker.io/library/x:1', 'docker.io/library/x:1'],
    ['index.docker.io/me/app:2', 'docker.io/me/app:2'],
    ['ship.local/busybox:1', 'ship.local/busybox:1'],
    ['localhost:5000/app:tag', 'localhost:5000/app:tag'],
    ['localhost/app', 'localhost/app:latest'],
    ['registry:5000/a/b:c', 'registry:5000/a/b:c'],
    ['app@sha256:' + 'e'.repeat(64), 'docker.io/library/app@sha256:' + 'e'.repeat(64)],
  ])('canonicalRef(%s) = %s', (ref, full) => {
    expect(canonicalRef(ref)).toBe(full);
  });

  it('parseSnapshotter reads the CRI section of config version 2 and 3, not other sections', () => {
    const v2 = [
      'version = 2',
      '[plugins."io.containerd.grpc.v1.cri".containerd]',
      '  default_runtime_name = "runc"',
      '  snapshotter = "fuse-overlayfs"',
      '[plugins."io.containerd.snapshotter.v1.overlayfs"]',
      '  root_path = ""',
    ].join('\n');
    expect(parseSnapshotter(v2)).toBe('fuse-overlayfs');
    const v3 = "version = 3\n[plugins.'io.containerd.cri.v1.images']\n  snapshotter = 'native'\n";
    expect(parseSnapshotter(v3)).toBe('native');
    // A runtime's own snapshotter override is not the CRI default; an empty value is no answer.
    const runtimeOnly = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  snapshotter = "zfs"\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = ""\n';
    expect(parseSnapshotter(runtimeOnly)).toBeUndefined();
    expect(parseSnapshotter('[plugins."io.containerd.transfer.v1"]\n snapshotter = "x"')).toBeUndefined();
  });

  it('ctr command data', () => {
    expect(ctrArgs.manifestsOf(ID)).toEqual(['content', 'ls', '-q', `labels."containerd.io/gc.ref.content.config"==${ID}`]);
    expect(ctrArgs.importStdin('overlayfs')).toEqual(['images', 'import', '--digests', '--snapshotter=overlayfs', '-']);
    expect(ctrArgs.tag('a', 'b')).toEqual(['images', 'tag', '--force', 'a', 'b']);
    expect(ctrArgs.namesOf(['sha256:1', 'sha256:2'])).toEqual(['images', 'ls', '-q', 'target.digest==sha256:1', 'target.digest==sha256:2']);
    expect(ctrArgs.indexesOf([MANIFEST], 2)).toEqual([
      'content',
      'ls',
      '-q',
      `labels."containerd.io/gc.ref.content.m.0"==${MANIFEST}`,
      `labels."containerd.io/gc.ref.content.m.1"==${MANIFEST}`,
    ]);
    expect(parseDigests(`DIGEST\n${MANIFEST}\n${MANIFEST}\nnot-a-digest\n`)).toEqual([MANIFEST]);
  });

  it('summarize names what happened on which node', () => {
    const r = summarize('kind', [
      { node: 'n1', action: 'loaded', ms: 1 },
      { node: 'n2', action: 'skipped', ms: 1 },
      { node: 'n3', action: 'retagged', ms: 1 },
    ]);
    expect(r).toMatchObject({ loader: 'kind', action: 'loaded', nodes: ['n1', 'n2', 'n3'] });
    expect(r.detail).toBe('loaded on n1; tagged (same image already there) on n3; already there on n2');
    expect(summarize('kind', [{ node: 'n', action: 'skipped', ms: 0 }]).action).toBe('skipped');
    expect(summarize('kind', [{ node: 'n', action: 'retagged', ms: 0 }, { node: 'm', action: 'skipped', ms: 0 }]).action).toBe('retagged');
  });

  it('fanOut feeds every consumer the whole stream, and a dropped consumer does not stall the rest', async () => {
    const data = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const f = fanOut(Readable.from(data), 3);
    const sizes = [0, 0];
    const drain = (s: Readable, k: number) =>
      new Promise<void>((resolve, reject) => {
        s.pipe(
          new Writable({
            write(chunk: Buffer, _enc, cb) {
              sizes[k]! += chunk.length;
              setImmediate(cb);
            },
            final(cb) {
              cb();
              resolve();
            },
          }),
        ).on('error', reject);
      });
    // consumer 2 never reads; it gives up at once (like an import that failed)
    f.done(2);
    await Promise.all([drain(f.streams[0]!, 0), drain(f.streams[1]!, 1)]);
    expect(sizes).toEqual([64 * 64 * 1024, 64 * 64 * 1024]);
    f.close();
  });
});

describe('kind loader (fake Docker, fake containerd)', () => {
  it('finds node containers by label, leaves out the load balancer and other clusters', async () => {
    const nodes = [kindNode('dev-worker', 'worker'), kindNode('dev-control-plane'), kindNode('dev-external-load-balancer', 'external-load-balancer'), kindNode('other-control-plane', 'control-plane', 'other')];
    const { docker, calls } = fakeDocker(nodes);
    const found = await findNodes(docker, kindFlavor, 'dev');
    expect(found.map((n) => [n.name, n.role])).toEqual([
      ['dev-control-plane', 'control-plane'],
      ['dev-worker', 'worker'],
    ]);
    expect(calls.listLabels).toEqual([{ 'io.x-k8s.kind.cluster': 'dev' }]);
  });

  it('no node containers → ShipError(load) with the kind hints', async () => {
    const { docker } = fakeDocker([kindNode('other-control-plane', 'control-plane', 'other')]);
    const e = await caught(kindLoader(docker, 'dev').load({ ref: REF, id: ID }, {}));
    expect(e.code).toBe('load');
    expect(e.message).toBe('kind cluster "dev" has no node containers');
    expect(e.hint).toContain('kind get clusters');
    expect(e.hint).toContain('kind create cluster --name dev');
    expect(e.hint).toContain('Docker');
    // has() cannot tell rather than failing
    expect(await kindLoader(docker, 'dev').has({ ref: REF, id: ID })).toBeUndefined();
  });

  it('preflight (the check step, before the build): the same refusal for missing or stopped nodes, no exec for running ones', async () => {
    const { docker } = fakeDocker([kindNode('other-control-plane', 'control-plane', 'other')]);
    const e = await caught(kindLoader(docker, 'dev').preflight!());
    expect(e.message).toBe('kind cluster "dev" has no node containers');
    const stopped = kindNode('dev-control-plane');
    stopped.running = false;
    expect((await caught(kindLoader(fakeDocker([stopped]).docker).preflight!())).message).toContain('stopped node containers: dev-control-plane');
    const ok = fakeDocker([kindNode('dev-control-plane')]);
    await expect(kindLoader(ok.docker).preflight!()).resolves.toBeUndefined();
    expect(ok.calls.execs).toHaveLength(0);
  });

  it('a stopped node is reported, not exec-ed into', async () => {
    const n = kindNode('dev-control-plane');
    n.running = false;
    const { docker, calls } = fakeDocker([n]);
    const e = await caught(kindLoader(docker).load({ ref: REF, id: ID }, {}));
    expect(e.message).toContain('stopped');
    expect(e.hint).toContain('docker start dev-control-plane');
    expect(calls.execs).toHaveLength(0);
  });

  it('loads into every node from ONE docker save stream, with each node\'s snapshotter, then verifies', async () => {
    const cp = kindNode('dev-control-plane');
    const w = kindNode('dev-worker', 'worker');
    w.ctrd.snapshotterConfig = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "native"\n';
    const { docker, calls } = fakeDocker([cp, w]);
    const loader = kindLoader(docker);
    expect(await loader.has({ ref: REF, id: ID })).toBe(false);
    const info: string[] = [];
    const r = await loader.load({ ref: REF, id: ID }, { onInfo: (m) => info.push(m) });
    expect(r).toMatchObject({ loader: 'kind', action: 'loaded', nodes: ['dev-control-plane', 'dev-worker'] });
    expect(calls.saves).toBe(1);
    expect(calls.platforms).toEqual(['linux/amd64']);
    const imports = calls.execs.filter((e) => e.cmd.includes('import'));
    expect(imports).toEqual([
      { node: 'dev-control-plane', cmd: ['ctr', '-n', 'k8s.io', 'images', 'import', '--digests', '--snapshotter=overlayfs', '-'] },
      { node: 'dev-worker', cmd: ['ctr', '-n', 'k8s.io', 'images', 'import', '--digests', '--snapshotter=native', '-'] },
    ]);
    expect(calls.execs.filter((e) => e.cmd[0] === 'containerd')).toHaveLength(2);
    expect(cp.ctrd.images.get(FULL)).toBe(MANIFEST);
    expect(w.ctrd.images.get(FULL)).toBe(MANIFEST);
    expect(info.some((m) => m.startsWith('dev-worker: imported'))).toBe(true);
    expect(await loader.has({ ref: REF, id: ID })).toBe(true);
  });

  it('a second load is skipped without docker save', async () => {
    const cp = kindNode('dev-control-plane');
    cp.ctrd.addImage(FULL, ID);
    const { docker, calls } = fakeDocker([cp]);
    const r = await kindLoader(docker).load({ ref: REF, id: ID }, {});
    expect(r).toMatchObject({ action: 'skipped', nodes: ['dev-control-plane'] });
    expect(calls.saves).toBe(0);
    expect(cp.ctrd.commands.some((c) => c[1] === 'import' || c[1] === 'tag')).toBe(false);
  });

  it('same image under another name → tag only; a node without it → import; a node with it → skip', async () => {
    const a = kindNode('dev-control-plane');
    a.ctrd.addImage('docker.io/library/kubernetes-spring:ship-old', ID);
    a.ctrd.addImage('sha256:' + 'a'.repeat(64), ID); // CRI's own name for it
    const b = kindNode('dev-worker', 'worker');
    const c = kindNode('dev-worker2', 'worker');
    c.ctrd.addImage(FULL, ID);
    const { docker, calls } = fakeDocker([a, b, c]);
    const r = await kindLoader(docker).load({ ref: REF, id: ID }, {});
    expect(r.action).toBe('loaded');
    expect(r.detail).toBe('loaded on dev-worker; tagged (same image already there) on dev-control-plane; already there on dev-worker2');
    expect(a.ctrd.commands).toContainEqual(['images', 'tag', '--force', 'docker.io/library/kubernetes-spring:ship-old', FULL]);
    expect(a.ctrd.imported).toBe(0);
    expect(b.ctrd.imported).toBe(1);
    expect(c.ctrd.imported).toBe(0);
    expect(calls.saves).toBe(1);
  });

  it('a different image under the wanted tag is not "present": it is re-imported', async () => {
    const cp = kindNode('dev-control-plane');
    cp.ctrd.addImage(FULL, OTHER_ID);
    const { docker } = fakeDocker([cp]);
    const loader = kindLoader(docker);
    expect(await loader.has({ ref: REF, id: ID })).toBe(false);
    expect((await loader.load({ ref: REF, id: ID }, {})).action).toBe('loaded');
    expect(cp.ctrd.images.get(FULL)).toBe(MANIFEST);
  });

  it('a tag pointing at an index that holds the manifest counts as present', async () => {
    const cp = kindNode('dev-control-plane');
    const index = 'sha256:' + 'f'.repeat(64);
    cp.ctrd.manifests.set(MANIFEST, ID);
    cp.ctrd.indexes.set(index, MANIFEST);
    cp.ctrd.images.set(FULL, index);
    const { docker } = fakeDocker([cp]);
    expect(await kindLoader(docker).has({ ref: REF, id: ID })).toBe(true);
  });

  it('a failing import → ShipError(load) naming the node, with ctr\'s words in the details', async () => {
    const cp = kindNode('dev-control-plane');
    cp.ctrd.failImport = true;
    const { docker } = fakeDocker([cp]);
    const e = await caught(kindLoader(docker).load({ ref: REF, id: ID }, {}));
    expect(e.code).toBe('load');
    expect(e.message).toContain('dev-control-plane');
    expect(e.message).toContain('content digest sha256:123: not found');
    expect(e.hint).toContain('docker exec dev-control-plane ctr -n k8s.io images ls');
  });

  it('an import that exits 0 but leaves nothing → ShipError(load) from the verification', async () => {
    const cp = kindNode('dev-control-plane');
    cp.ctrd.lieOnImport = true;
    const { docker } = fakeDocker([cp]);
    const e = await caught(kindLoader(docker).load({ ref: REF, id: ID }, {}));
    expect(e.code).toBe('load');
    expect(e.message).toContain('is not on dev-control-plane after the import');
  });

  it('a docker save that breaks mid-stream → ShipError(load) about docker save', async () => {
    const cp = kindNode('dev-control-plane');
    const fake = fakeDocker([cp]);
    fake.failSave(new Error('unexpected EOF'));
    const e = await caught(kindLoader(fake.docker).load({ ref: REF, id: ID }, {}));
    expect(e.code).toBe('load');
    expect(e.message).toContain('docker save');
    expect(e.message).toContain('unexpected EOF');
  });

  it('Docker without the image → ShipError(load) before any import', async () => {
    const cp = kindNode('dev-control-plane');
    const { docker, calls } = fakeDocker([cp], { ref: 'other:1', id: ID });
    const e = await caught(kindLoader(docker).load({ ref: REF, id: ID }, {}));
    expect(e.message).toBe(`Docker has no image ${REF} to load.`);
    expect(calls.saves).toBe(0);
    expect(cp.ctrd.imported).toBe(0);
  });

  it('Ctrl-C during an import → InterruptedError, and the docker save stream is closed', async () => {
    const cp = kindNode('dev-control-plane');
    cp.ctrd.hangImport = true;
    const { docker, calls } = fakeDocker([cp]);
    const ac = new AbortController();
    const p = kindLoader(docker).load({ ref: REF, id: ID }, { signal: ac.signal, onInfo: (m) => m.startsWith('streaming') && setTimeout(() => ac.abort(), 20) });
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InterruptedError);
    expect(calls.streams).toHaveLength(1);
    expect(calls.streams[0]!.destroyed).toBe(true);
  });

  it('an image ID that is not a full digest is refused before touching a node', async () => {
    const { docker, calls } = fakeDocker([kindNode('dev-control-plane')]);
    const e = await caught(kindLoader(docker).load({ ref: REF, id: 'abc123' }, {}));
    expect(e.code).toBe('load');
    expect(calls.saves).toBe(0);
  });

  it('has() is undefined when a node cannot be asked', async () => {
    const { docker } = fakeDocker([kindNode('dev-control-plane')]);
    const broken: LoaderDocker = { ...docker, exec: async () => ({ exitCode: 1, stdout: '', stderr: 'ctr: failed to dial' }) };
    expect(await kindLoader(broken).has({ ref: REF, id: ID })).toBeUndefined();
  });
});

describe('k3d loader', () => {
  it('uses k3d labels, only server/agent nodes, and k3s\'s containerd socket and config', async () => {
    const mk = (name: string, role: string, cluster = 'demo'): FakeNode => ({
      id: 'id-' + name,
      name,
      labels: { 'k3d.cluster': cluster, 'k3d.role': role },
      ctrd: new FakeContainerd(),
    });
    const nodes = [mk('k3d-demo-server-0', 'server'), mk('k3d-demo-agent-0', 'agent'), mk('k3d-demo-serverlb', 'loadbalancer'), mk('k3d-x-server-0', 'server', 'x')];
    const { docker, calls } = fakeDocker(nodes);
    expect((await findNodes(docker, k3dFlavor, 'demo')).map((n) => n.name)).toEqual(['k3d-demo-agent-0', 'k3d-demo-server-0']);
    const r = await createLoader({ kind: 'k3d', cluster: 'demo' }, { docker, runner: noRunner, env: {} }).load({ ref: REF, id: ID }, {});
    expect(r).toMatchObject({ loader: 'k3d', action: 'loaded', nodes: ['k3d-demo-agent-0', 'k3d-demo-server-0'] });
    const ctrCalls = calls.execs.filter((e) => e.cmd[0] === 'ctr');
    expect(ctrCalls.length).toBeGreaterThan(0);
    for (const c of ctrCalls) expect(c.cmd.slice(0, 5)).toEqual(['ctr', '-a', '/run/k3s/containerd/containerd.sock', '-n', 'k8s.io']);
    expect(calls.execs.filter((e) => e.cmd[0] === 'cat').map((e) => e.cmd)).toContainEqual(['cat', '/var/lib/rancher/k3s/agent/etc/containerd/config.toml']);
    expect(calls.execs.map((e) => e.node)).not.toContain('k3d-demo-serverlb');
    const e = await caught(createLoader({ kind: 'k3d', cluster: 'nope' }, { docker, runner: noRunner, env: {} }).load({ ref: REF, id: ID }, {}));
    expect(e.message).toBe('k3d cluster "nope" has no node containers');
    expect(e.hint).toContain('k3d cluster list');
  });
});

// ---------------------------------------------------------------------------------------------
// Host containerd through a fake process runner.

function fakeRunner(handler: (cmd: string, args: string[], opts: RunOptions) => Promise<Partial<RunResult>> | Partial<RunResult>) {
  const calls: Array<{ cmd: string; args: string[]; opts: RunOptions }> = [];
  const runner: ProcessRunner = {
    async run(cmd, args, opts) {
      calls.push({ cmd, args, opts });
      const r = await handler(cmd, args, opts);
      return { exitCode: 0, tail: [], stdout: '', ...r };
    },
  };
  return { runner, calls };
}

describe('containerd loader (host socket)', () => {
  // ctr is faked; the socket file is real (the loader checks it exists before running ctr).
  let SOCK = '';
  let server: Server;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-loaders-'));
    SOCK = join(dir, 'containerd.sock');
    server = createServer();
    await new Promise<void>((resolve) => server.listen(SOCK, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('a socket path with nothing there → ShipError(load) at once, without running ctr', async () => {
    const { docker } = fakeDocker([]);
    const { runner, calls } = fakeRunner(() => ({}));
    const gone = join(dir, 'missing.sock');
    const e = await caught(createLoader({ kind: 'containerd', socket: gone, namespace: 'k8s.io' }, { docker, runner, env: {} }).load({ ref: REF, id: ID }, {}));
    expect(e.message).toBe(`No containerd socket at ${gone}.`);
    expect(e.hint).toContain('--load containerd:SOCKET');
    expect(calls).toHaveLength(0);
  });

  it('runs ctr -a SOCKET -n k8s.io on the host and streams docker save into the import', async () => {
    const ctrd = new FakeContainerd();
    const { docker, calls: dcalls } = fakeDocker([]);
    const { runner, calls } = fakeRunner(async (cmd, args, opts) => {
      expect(cmd).toBe('ctr');
      expect(args.slice(0, 4)).toEqual(['-a', SOCK, '-n', 'k8s.io']);
      const r = await ctrd.run(args.slice(4), opts.input as Readable | undefined);
      return { exitCode: r.exitCode, stdout: r.stdout, tail: r.stderr ? [r.stderr] : [] };
    });
    const loader = createLoader({ kind: 'containerd', socket: SOCK, namespace: 'k8s.io' }, { docker, runner, env: { PATH: '/usr/bin' } });
    expect(await loader.has({ ref: REF, id: ID })).toBe(false);
    const r = await loader.load({ ref: REF, id: ID }, {});
    expect(r).toMatchObject({ loader: 'containerd', action: 'loaded', nodes: [SOCK] });
    expect(dcalls.saves).toBe(1);
    const imp = calls.find((c) => c.args.includes('import'))!;
    expect(imp.args).toEqual(['-a', SOCK, '-n', 'k8s.io', 'images', 'import', '--digests', '--snapshotter=overlayfs', '-']);
    expect(imp.opts.input).toBeDefined();
    expect(imp.opts.env).toEqual({ PATH: '/usr/bin' });
    expect((await loader.load({ ref: REF, id: ID }, {})).action).toBe('skipped');
    expect(dcalls.saves).toBe(1);
  });

  it('several sockets (one per node): each containerd gets the image, and has() needs it on all', async () => {
    const SOCK2 = join(dir, 'containerd2.sock');
    const server2 = createServer();
    await new Promise<void>((resolve) => server2.listen(SOCK2, resolve));
    try {
      const nodes = new Map([
        [SOCK, new FakeContainerd()],
        [SOCK2, new FakeContainerd()],
      ]);
      const { docker, calls: dcalls } = fakeDocker([]);
      const { runner, calls } = fakeRunner(async (_c, args, opts) => {
        const r = await nodes.get(args[1]!)!.run(args.slice(4), opts.input as Readable | undefined);
        return { exitCode: r.exitCode, stdout: r.stdout, tail: r.stderr ? [r.stderr] : [] };
      });
      const loader = createLoader({ kind: 'containerd', socket: SOCK, sockets: [SOCK, SOCK2], namespace: 'k8s.io' }, { docker, runner, env: {} });
      expect(loader.name).toBe('containerd');
      const r = await loader.load({ ref: REF, id: ID }, {});
      expect(r).toMatchObject({ loader: 'containerd', action: 'loaded' });
      expect(r.nodes.sort()).toEqual([SOCK, SOCK2].sort());
      const imports = calls.filter((c) => c.args.includes('import')).map((c) => c.args[1]);
      expect(imports.sort()).toEqual([SOCK, SOCK2].sort());
      expect(await loader.has({ ref: REF, id: ID })).toBe(true);
      // the second node lost it: not there "everywhere" any more, and only that node is loaded again
      nodes.get(SOCK2)!.images.clear();
      expect(await loader.has({ ref: REF, id: ID })).toBe(false);
      calls.length = 0;
      await loader.load({ ref: REF, id: ID }, {});
      expect(calls.filter((c) => c.args.includes('import')).map((c) => c.args[1])).toEqual([SOCK2]);
      expect(dcalls.saves).toBeGreaterThanOrEqual(2);
    } finally {
      await new Promise((resolve) => server2.close(resolve));
    }
  });

  it('CONTAINERD_SNAPSHOTTER chooses the snapshotter', async () => {
    const ctrd = new FakeContainerd();
    const { docker } = fakeDocker([]);
    const { runner, calls } = fakeRunner(async (_c, args, opts) => {
      const r = await ctrd.run(args.slice(4), opts.input as Readable | undefined);
      return { exitCode: r.exitCode, stdout: r.stdout };
    });
    await createLoader({ kind: 'containerd', socket: SOCK, namespace: 'k8s.io' }, { docker, runner, env: { CONTAINERD_SNAPSHOTTER: 'native' } }).load({ ref: REF, id: ID }, {});
    expect(calls.find((c) => c.args.includes('import'))!.args).toContain('--snapshotter=native');
  });

  it('no ctr binary → ShipError(load) saying how to get it', async () => {
    const { docker } = fakeDocker([]);
    const { runner } = fakeRunner(() => ({ exitCode: 127, startError: Object.assign(new Error('spawn ctr ENOENT'), { code: 'ENOENT' }) }));
    const e = await caught(createLoader({ kind: 'containerd', socket: SOCK, namespace: 'k8s.io' }, { docker, runner, env: {} }).load({ ref: REF, id: ID }, {}));
    expect(e.code).toBe('load');
    expect(e.hint).toContain('apt-get install containerd');
  });

  it('an unreachable socket → ShipError(load) saying containerd does not answer there', async () => {
    const { docker } = fakeDocker([]);
    const { runner } = fakeRunner(() => ({
      exitCode: 1,
      tail: [`ctr: failed to dial "${SOCK}": connection error: desc = "transport: error while dialing: dial unix ${SOCK}: connect: no such file or directory"`],
    }));
    const e = await caught(createLoader({ kind: 'containerd', socket: SOCK, namespace: 'k8s.io' }, { docker, runner, env: {} }).load({ ref: REF, id: ID }, {}));
    expect(e.code).toBe('load');
    expect(e.hint).toContain(`containerd does not answer at ${SOCK}`);
    expect(e.details.join('\n')).toContain('failed to dial');
  });
});

describe('shared, none, registry', () => {
  it('shared: nothing to do; has() asks Docker for the same image ID', async () => {
    const { docker, calls } = fakeDocker([]);
    const loader = createLoader({ kind: 'shared', name: 'docker-desktop' }, { docker, runner: noRunner, env: {} });
    expect(await loader.load({ ref: REF, id: ID }, {})).toMatchObject({ loader: 'shared', action: 'shared', nodes: ['docker-desktop'] });
    expect(await loader.has({ ref: REF, id: ID })).toBe(true);
    expect(await loader.has({ ref: REF, id: OTHER_ID })).toBe(false);
    expect(await loader.has({ ref: 'missing:1', id: ID })).toBe(false);
    expect(calls.saves).toBe(0);
  });

  it('none: reports that nothing was loaded', async () => {
    const { docker } = fakeDocker([]);
    const r = await createLoader({ kind: 'none' }, { docker, runner: noRunner, env: {} }).load({ ref: REF, id: ID }, {});
    expect(r).toMatchObject({ loader: 'none', action: 'skipped', nodes: [] });
  });

  it('registry: the registry loader, which pushes', () => {
    const { docker } = fakeDocker([]);
    expect(createLoader({ kind: 'registry', registry: 'localhost:5001' }, { docker, runner: noRunner, env: {} }).name).toBe('registry');
  });
});

describe('kubeconfig marks', () => {
  it('extensionProviders reads minikube\'s provider extension of the cluster and the context', () => {
    const text = `
apiVersion: v1
kind: Config
clusters:
- name: dev
  cluster:
    server: https://192.168.58.2:8443
    certificate-authority: /home/u/.minikube/ca.crt
    extensions:
    - name: cluster_info
      extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
- name: other
  cluster: {server: https://10.0.0.1:6443}
contexts:
- name: dev
  context:
    cluster: dev
    user: dev
    extensions:
    - name: context_info
      extension: {provider: minikube.sigs.k8s.io}
`;
    expect(extensionProviders(text, 'dev', 'dev')).toEqual(['minikube.sigs.k8s.io', 'minikube.sigs.k8s.io']);
    expect(extensionProviders(text, 'other', 'nope')).toEqual([]);
    expect(extensionProviders(': not yaml :', 'a', 'b')).toEqual([]);
  });
});
