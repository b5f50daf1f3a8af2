import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKube } from '../../src/adapters/kube/client.js';
import { clusterFactsFromKube } from '../../src/adapters/loaders/kube-facts.js';
import type { LoaderDocker } from '../../src/adapters/loaders/types.js';
import { describeLoad, loaderChoiceFor, loadStep, resolveLoaderChoice, withAdvertisedRegistry, type Loaded } from '../../src/tasks/load.js';
import type { ShipOptions } from '../../src/core/model.js';
import { execaRunner } from '../../src/adapters/process.js';
import { ShipError } from '../../src/errors.js';
import { ApiException } from '@kubernetes/client-node';
import { parseRegistry } from '../../src/core/registry.js';
import { realProbes } from '../../src/commands/doctor.js';

const KUBECONFIG = `
apiVersion: v1
kind: Config
current-context: kind-dev
clusters:
- name: kind-dev
  cluster: {server: 'https://127.0.0.1:40123'}
- name: work
  cluster:
    server: https://127.0.0.1:50000
    certificate-authority: /home/u/.minikube/ca.crt
    extensions:
    - name: cluster_info
      extension: {provider: minikube.sigs.k8s.io, version: v1.34.0}
- name: prod
  cluster: {server: 'https://prod.example.com:6443'}
- name: dd
  cluster: {server: 'https://kubernetes.docker.internal:6443'}
contexts:
- name: kind-dev
  context: {cluster: kind-dev, user: kind-dev}
- name: work
  context: {cluster: work, user: work}
- name: prod
  context: {cluster: prod, user: prod}
- name: docker-desktop
  context: {cluster: dd, user: dd}
users:
- name: kind-dev
  user: {token: x}
- name: work
  user: {client-certificate: /home/u/.minikube/profiles/work/client.crt, client-key: /home/u/.minikube/profiles/work/client.key}
- name: prod
  user: {token: y}
- name: dd
  user: {token: z}
`;

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ship-load-task-'));
  file = join(dir, 'config');
  await writeFile(file, KUBECONFIG);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function opts(over: Partial<ShipOptions> = {}): ShipOptions {
  return {
    projectDir: '/p',
    skipTests: false,
    allowContexts: [],
    manifests: [],
    timeoutMs: 1000,
    port: { local: 8080 },
    smokePath: '/',
    smoke: true,
    hold: false,
    ci: true,
    json: false,
    ...over,
  };
}

describe('resolveLoaderChoice from a kubeconfig', () => {
  it('kind-<name> context → kind', () => {
    const kube = openKube({ kubeconfig: file, env: {} });
    expect(resolveLoaderChoice({ kube, opts: opts() })).toEqual({ kind: 'kind', cluster: 'dev' });
  });

  it('a minikube profile named otherwise is recognised by its extension and certificate paths', () => {
    const kube = openKube({ kubeconfig: file, context: 'work', env: {} });
    const facts = clusterFactsFromKube(kube, { allowContexts: [] });
    expect(facts.marks).toEqual({
      providers: ['minikube.sigs.k8s.io'],
      caFile: '/home/u/.minikube/ca.crt',
      certFile: '/home/u/.minikube/profiles/work/client.crt',
      keyFile: '/home/u/.minikube/profiles/work/client.key',
    });
    expect(resolveLoaderChoice({ kube, opts: opts() })).toEqual({ kind: 'minikube', profile: 'work' });
  });

  it('docker-desktop → shared; flags reach the decision', () => {
    const dd = openKube({ kubeconfig: file, context: 'docker-desktop', env: {} });
    expect(resolveLoaderChoice({ kube: dd, opts: opts() })).toEqual({ kind: 'shared', name: 'docker-desktop' });
    const prod = openKube({ kubeconfig: file, context: 'prod', env: {} });
    expect(() => resolveLoaderChoice({ kube: prod, opts: opts() })).toThrow(/not a local cluster ship knows/);
    expect(resolveLoaderChoice({ kube: prod, opts: opts({ allowContexts: ['prod'], registry: 'reg.example:5000' }) })).toEqual({ kind: 'registry', registry: 'reg.example:5000' });
    expect(resolveLoaderChoice({ kube: prod, opts: opts({ load: 'containerd:/run/k3s/containerd/containerd.sock' }) })).toMatchObject({ kind: 'containerd', socket: '/run/k3s/containerd/containerd.sock' });
  });
});

/** A cluster without a KEP-1755 local-registry ConfigMap. */
const noLocalRegistry = {
  readNamespacedConfigMap: async () => {
    throw Object.assign(new Error('configmaps "local-registry-hosting" not found'), { code: 404 });
  },
} as unknown as import('@kubernetes/client-node').CoreV1Api;

describe('advertised local registry (KEP-1755)', () => {
  const advertising = {
    readNamespacedConfigMap: async () => ({ data: { 'localRegistryHosting.v1': 'host: "localhost:5001"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n' } }),
  } as unknown as import('@kubernetes/client-node').CoreV1Api;

  it('a cluster that advertises one gets pushes to it instead of loads', async () => {
    const kube = { ...openKube({ kubeconfig: file, context: 'kind-dev', env: {} }), core: advertising };
    const choice = await withAdvertisedRegistry({ kube, opts: opts() }, resolveLoaderChoice({ kube, opts: opts() }));
    expect(choice).toMatchObject({ kind: 'registry', registry: 'localhost:5001' });
  });

  it('--load and --registry keep their say; no ConfigMap keeps the loader', async () => {
    const kube = { ...openKube({ kubeconfig: file, context: 'kind-dev', env: {} }), core: advertising };
    const forced = opts({ load: 'kind:dev' });
    expect(await withAdvertisedRegistry({ kube, opts: forced }, resolveLoaderChoice({ kube, opts: forced }))).toEqual({ kind: 'kind', cluster: 'dev' });
    const plain = { ...kube, core: noLocalRegistry };
    expect(await withAdvertisedRegistry({ kube: plain, opts: opts() }, resolveLoaderChoice({ kube: plain, opts: opts() }))).toEqual({ kind: 'kind', cluster: 'dev' });
  });

  it('an allowed context ship does not recognise uses the registry it advertises; without one, the refusal names --registry', async () => {
    let reads = 0;
    const counting = {
      readNamespacedConfigMap: async (...a: unknown[]) => {
        reads++;
        return (advertising.readNamespacedConfigMap as (...x: unknown[]) => Promise<unknown>)(...a);
      },
    } as unknown as import('@kubernetes/client-node').CoreV1Api;
    const prod = { ...openKube({ kubeconfig: file, context: 'prod', env: {} }), core: counting };
    expect(await loaderChoiceFor({ kube: prod, opts: opts({ allowContexts: ['prod'] }) })).toMatchObject({ kind: 'registry', registry: 'localhost:5001' });
    // Not allowed: refused without asking the cluster anything.
    reads = 0;
    await expect(loaderChoiceFor({ kube: prod, opts: opts() })).rejects.toThrow(/not a local cluster ship knows/);
    expect(reads).toBe(0);
    // Allowed, but no advertisement (404) or the cluster cannot be asked: the refusal with its hint.
    for (const core of [noLocalRegistry, { readNamespacedConfigMap: async () => Promise.reject(new Error('connect ECONNREFUSED')) }]) {
      const plain = { ...prod, core: core as unknown as import('@kubernetes/client-node').CoreV1Api };
      const e = await loaderChoiceFor({ kube: plain, opts: opts({ allowContexts: ['prod'] }) }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ShipError);
      expect((e as ShipError).message).toMatch(/is allowed, but ship has no way to get the image/);
      expect((e as ShipError).hint).toMatch(/--registry .*local-registry-hosting/);
    }
    // --registry given: that one, not the advertised one.
    expect(await loaderChoiceFor({ kube: prod, opts: opts({ allowContexts: ['prod'], registry: 'reg.example:5000' }) })).toEqual({ kind: 'registry', registry: 'reg.example:5000' });
  });

  it('--registry on a local cluster pushes there', () => {
    const kube = openKube({ kubeconfig: file, context: 'kind-dev', env: {} });
    expect(resolveLoaderChoice({ kube, opts: opts({ registry: 'localhost:5001' }) })).toEqual({ kind: 'registry', registry: 'localhost:5001' });
  });
});

describe('which registry a run pushes to (the one loader decision)', () => {
  type Core = import('@kubernetes/client-node').CoreV1Api;
  /** A cluster core that records what was asked and answers with `answer`. */
  function fakeCore(answer: object | Error): Core & { asked: unknown[] } {
    const asked: unknown[] = [];
    return {
      asked,
      readNamespacedConfigMap: async (param: unknown) => {
        asked.push(param);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    } as unknown as Core & { asked: unknown[] };
  }
  const advertised = () => fakeCore({ data: { 'localRegistryHosting.v1': 'host: "localhost:5001"\n' } });
  const kindDev = (core: Core) => ({ ...openKube({ kubeconfig: file, context: 'kind-dev', env: {} }), core });

  it('--registry wins and the ConfigMap is not read', async () => {
    const core = advertised();
    expect(await loaderChoiceFor({ kube: kindDev(core), opts: opts({ registry: '127.0.0.1:5000/a' }) })).toEqual({ kind: 'registry', registry: '127.0.0.1:5000/a' });
    expect(parseRegistry('127.0.0.1:5000/a')).toMatchObject({ host: '127.0.0.1:5000', prefix: 'a' });
    expect(await loaderChoiceFor({ kube: kindDev(core), opts: opts({ load: 'registry:localhost:6000' }) })).toEqual({ kind: 'registry', registry: 'localhost:6000' });
    expect(core.asked).toEqual([]);
  });

  it('without flags, the registry the cluster advertises', async () => {
    expect(await loaderChoiceFor({ kube: kindDev(advertised()), opts: opts() })).toMatchObject({
      kind: 'registry',
      registry: 'localhost:5001',
      target: { host: 'localhost:5001', source: expect.stringMatching(/local-registry-hosting/) },
    });
    const none = fakeCore(new ApiException(404, 'not found', {}, {}));
    expect(await loaderChoiceFor({ kube: kindDev(none), opts: opts() })).toEqual({ kind: 'kind', cluster: 'dev' });
    expect(none.asked).toEqual([{ name: 'local-registry-hosting', namespace: 'kube-public' }]);
  });

  it('--load naming another way skips the ConfigMap', async () => {
    const core = advertised();
    expect(await loaderChoiceFor({ kube: kindDev(core), opts: opts({ load: 'kind' }) })).toEqual({ kind: 'kind', cluster: 'dev' });
    expect(core.asked).toEqual([]);
  });

  it('ship doctor asks the same decision (the advertised registry included)', async () => {
    const { loaderChoice } = realProbes({ projectDir: dir, flags: {}, env: {} });
    expect(await loaderChoice(kindDev(advertised()))).toMatchObject({ kind: 'registry', registry: 'localhost:5001' });
    const forced = realProbes({ projectDir: dir, flags: { load: 'kind' }, env: {} });
    expect(await forced.loaderChoice(kindDev(advertised()))).toEqual({ kind: 'kind', cluster: 'dev' });
  });
});

describe('the load decision, then loadStep (as a run does: the check step decides, the load step loads)', () => {
  const ID = 'sha256:' + '9'.repeat(64);
  const image = { id: ID, repository: 'app', tag: 'ship-1', ref: 'app:ship-1', unchanged: false };
  function caseFor(context: string, over: Partial<ShipOptions> = {}, docker?: Partial<LoaderDocker>) {
    return { kube: { ...openKube({ kubeconfig: file, context, env: {} }), core: noLocalRegistry }, opts: opts(over), docker: docker as LoaderDocker, loaded: undefined as Loaded | undefined };
  }
  async function runTask(c: ReturnType<typeof caseFor>) {
    const task = { title: 'load', output: '', skipped: undefined as string | undefined, skip(m?: string) { this.skipped = m; } };
    const choice = await loaderChoiceFor(c);
    c.loaded = await loadStep({ signal: new AbortController().signal }, { choice, image, deps: { docker: c.docker, runner: execaRunner, env: {} } }, task);
    return task;
  }

  it('shared daemon: returns the load result and the loader, title says nothing was loaded', async () => {
    const ctx = caseFor('docker-desktop', {}, { inspectImage: async () => ({ id: ID, repoTags: [], size: 1, os: 'linux', architecture: 'amd64', labels: {} }) });
    const task = await runTask(ctx);
    expect(ctx.loaded?.result).toMatchObject({ loader: 'shared', action: 'shared' });
    expect(ctx.loaded?.loader.name).toBe('shared');
    expect(await ctx.loaded!.loader.has({ ref: 'app:ship-1', id: ID })).toBe(true);
    expect(task.title).toContain('app:ship-1');
    expect(task.title).toContain('docker-desktop');
  });

  it('kind: the per-node outcome reaches the title ("already on node(s) …" when skipped)', async () => {
    const docker: Partial<LoaderDocker> = {
      listContainers: async () => [{ id: 'n1', name: 'dev-control-plane', labels: { 'io.x-k8s.kind.cluster': 'dev', 'io.x-k8s.kind.role': 'control-plane' }, running: true }],
      exec: async (_id, cmd) => {
        const a = cmd.join(' ');
        if (a.includes('gc.ref.content.config')) return { exitCode: 0, stdout: 'sha256:' + 'a'.repeat(64) + '\n', stderr: '' };
        if (a.includes('images ls')) return { exitCode: 0, stdout: 'docker.io/library/app:ship-1\n', stderr: '' };
        return { exitCode: 0, stdout: '', stderr: '' };
      },
    };
    const ctx = caseFor('kind-dev', {}, docker);
    const task = await runTask(ctx);
    expect(ctx.loaded?.result).toMatchObject({ loader: 'kind', action: 'skipped', nodes: ['dev-control-plane'] });
    expect(task.title).toBe('load · app:ship-1 already on node(s) dev-control-plane');
    expect(task.skipped).toBe(task.title);
  });

  it('a context ship does not know fails with the kubeconfig error before touching Docker', async () => {
    const ctx = caseFor('prod', {}, {});
    const e = await runTask(ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).code).toBe('kubeconfig');
    expect(ctx.loaded).toBeUndefined();
  });

  it('describeLoad', () => {
    expect(describeLoad({ loader: 'kind', action: 'loaded', nodes: ['a', 'b'], detail: 'loaded on a, b' }, 'x:1')).toBe('x:1 · kind: loaded on a, b');
    expect(describeLoad({ loader: 'none', action: 'skipped', nodes: [], detail: 'not loaded (--load none)' }, 'x:1')).toBe('x:1: not loaded (--load none)');
  });
});
