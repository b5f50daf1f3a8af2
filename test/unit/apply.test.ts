// applyObjects against a small fake API server on loopback: the real transport (client-node's
// discovery, auth and fetch library) talks HTTP to it, so the tests check what goes over the wire.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { applyObjects, changedPodField } from '../../src/adapters/kube/apply.js';
import { renderManifest } from '../../src/core/manifest/render.js';
import type { RenderedManifest } from '../../src/core/manifest/types.js';
import { ShipError } from '../../src/errors.js';
import type { Kube } from '../../src/adapters/kube/client.js';
import { rejectedShipError as applyError } from '../support/ship-error.js';

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType?: string;
  authorization?: string;
  body: string;
}

/** Just enough of an API server: discovery, GET, apply PATCH with the behaviours ship relies on, DELETE. */
class FakeApi {
  objects = new Map<string, any>();
  namespaces = new Set(['default', 'team']);
  requests: Recorded[] = [];
  forbidden = false;
  /** GETs that still see a deleted Pod before it is gone (terminating). */
  terminatingGets = 2;
  private rv = 100;
  private uid = 0;
  private terminating = new Map<string, number>();

  discovery: Record<string, Array<{ name: string; kind: string; namespaced: boolean }>> = {
    '/api/v1': [
      { name: 'pods', kind: 'Pod', namespaced: true },
      { name: 'services', kind: 'Service', namespaced: true },
      { name: 'namespaces', kind: 'Namespace', namespaced: false },
    ],
    '/apis/apps/v1': [{ name: 'deployments', kind: 'Deployment', namespaced: true }],
  };

  handle(req: Recorded): { status: number; body: unknown } {
    this.requests.push(req);
    const { method, path } = req;
    if (method === 'GET' && this.discovery[path]) {
      const groupVersion = path.replace(/^\/apis?\//, '');
      return {
        status: 200,
        body: {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion,
          resources: this.discovery[path]!.map((r) => ({ ...r, singularName: '', verbs: ['get', 'patch', 'delete'] })),
        },
      };
    }
    if (method === 'GET' && /^\/apis?\/[^/]+(\/[^/]+)?$/.test(path)) return notFound('the server could not find the requested resource');
    if (this.forbidden) return status(403, 'Forbidden', `pods is forbidden: User "dev" cannot patch resource "pods"`);
    const m = /\/namespaces\/([^/]+)\//.exec(path);
    const ns = m?.[1];
    const name = path.split('/').pop()!;
    if (method === 'GET') {
      const left = this.terminating.get(path);
      if (left !== undefined) {
        if (left <= 0) {
          this.terminating.delete(path);
          this.objects.delete(path);
        } else this.terminating.set(path, left - 1);
      }
      const obj = this.objects.get(path);
      return obj ? { status: 200, body: obj } : notFound(`pods "${name}" not found`);
    }
    if (method === 'DELETE') {
      if (!this.objects.has(path)) return notFound(`pods "${name}" not found`);
      this.terminating.set(path, this.terminatingGets);
      return { status: 200, body: this.objects.get(path) };
    }
    if (method === 'PATCH') {
      if (req.contentType !== 'application/apply-patch+yaml') return status(415, 'UnsupportedMediaType', 'apply only');
      const body = JSON.parse(req.body);
      if (body.spec?.containerz !== undefined) {
        // What a 1.34 API server answers to server-side apply of an undeclared field: a 500.
        return status(500, 'InternalError', `failed to create typed patch object (/${name}; /v1, Kind=Pod): .spec.containerz: field not declared in schema`);
      }
      if (ns && !this.namespaces.has(ns)) {
        return { status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `namespaces "${ns}" not found`, details: { name: ns, kind: 'namespaces' } } };
      }
      const existing = this.objects.get(path);
      if (existing && this.terminating.has(path)) return status(409, 'AlreadyExists', 'object is being deleted');
      if (existing && body.kind === 'Pod' && specWithoutImages(existing.spec) !== specWithoutImages(body.spec)) {
        return status(422, 'Invalid', `Pod "${name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\``);
      }
      const same = existing && JSON.stringify(stripMeta(existing)) === JSON.stringify(stripMeta(body));
      if (same) return { status: 200, body: existing };
      const dryRun = req.query.get('dryRun') === 'All';
      const stored = {
        ...body,
        metadata: { ...body.metadata, namespace: ns, uid: existing?.metadata.uid ?? `uid-${++this.uid}`, resourceVersion: String(dryRun ? existing?.metadata.resourceVersion ?? '' : ++this.rv) },
      };
      if (!dryRun) this.objects.set(path, stored);
      return { status: existing ? 200 : 201, body: stored };
    }
    return status(405, 'MethodNotAllowed', method);
  }

  patches() {
    return this.requests.filter((r) => r.method === 'PATCH');
  }
}

function status(code: number, reason: string, message: string) {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message } };
}
function notFound(message: string) {
  return status(404, 'NotFound', message);
}
interface StoredObject {
  metadata: Record<string, unknown>;
  [field: string]: unknown;
}
function stripMeta(o: StoredObject) {
  const { metadata, ...rest } = o;
  const { uid: _u, resourceVersion: _r, namespace: _n, ...meta } = metadata;
  return { ...rest, metadata: meta };
}
function specWithoutImages(spec: { containers: Record<string, unknown>[] }): string {
  return JSON.stringify({ ...spec, containers: spec.containers.map(({ image: _i, ...c }) => c) });
}

let server: Server;
let fake: FakeApi;
let kube: Kube;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const body = await readBody(req);
    const out = fake.handle({
      method: req.method!,
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body,
    });
    res.writeHead(out.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'dev', token: 'secret-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'dev' }],
    currentContext: 'fake',
  });
  kube = { kc, context: 'fake', cluster: 'fake', namespace: 'default', server: `http://127.0.0.1:${port}`, files: [], core: kc.makeApiClient(CoreV1Api) };
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  fake = new FakeApi();
});

const POD = (image: string, port = 8080) => `apiVersion: v1
kind: Pod
metadata:
  name: spring-pod
spec:
  containers:
    - name: spring-container
      image: ${image}
      ports:
        - containerPort: ${port}
`;

function render(text: string, tag = 'ship-abc', extra: { namespace?: string } = {}): RenderedManifest {
  return renderManifest({
    sources: [{ file: 'spring-pod.yaml', text }],
    image: { repository: 'kubernetes-spring', tag },
    matchNames: ['kubernetes-spring'],
    app: 'kubernetes-spring',
    ...extra,
  });
}


describe('applyObjects', () => {
  it('creates with server-side apply: field manager ship, force, strict validation, the body as rendered', async () => {
    const rendered = render(POD('kubernetes-spring'));
    const applied = await applyObjects(kube, rendered, { namespace: 'default' });
    expect(applied).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'spring-pod', namespace: 'default', result: 'created' }]);
    const [p] = fake.patches();
    expect(p!.path).toBe('/api/v1/namespaces/default/pods/spring-pod');
    expect(Object.fromEntries(p!.query)).toEqual({ fieldManager: 'ship', force: 'true', fieldValidation: 'Strict' });
    expect(p!.contentType).toBe('application/apply-patch+yaml');
    expect(p!.authorization).toBe('Bearer secret-token');
    expect(JSON.parse(p!.body)).toEqual(rendered.objects[0]!.body);
    // A GET before the apply tells created from configured.
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/pods/')).length).toBe(1);
  });

  it('reports unchanged on a re-apply, and replaces a Pod whose image changes (no in-place swap)', async () => {
    await applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'default' });
    const firstUid = fake.objects.get('/api/v1/namespaces/default/pods/spring-pod').metadata.uid;
    expect(await applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'default' })).toMatchObject([{ result: 'unchanged' }]);
    const info: string[] = [];
    const changed = await applyObjects(kube, render(POD('kubernetes-spring'), 'ship-def'), { namespace: 'default', onInfo: (m) => info.push(m) });
    expect(changed).toMatchObject([{ result: 'recreated' }]);
    const now = fake.objects.get('/api/v1/namespaces/default/pods/spring-pod');
    expect(now.spec.containers[0].image).toBe('kubernetes-spring:ship-def');
    expect(now.metadata.uid).not.toBe(firstUid);
    expect(info.join('\n')).toMatch(/recreated \(new image/);
  });

  it('recreates a Pod that refuses an in-place change and says which field', async () => {
    await applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'default' });
    const firstUid = fake.objects.get('/api/v1/namespaces/default/pods/spring-pod').metadata.uid;
    const info: string[] = [];
    const applied = await applyObjects(kube, render(POD('kubernetes-spring', 9090)), { namespace: 'default', onInfo: (m) => info.push(m) });
    expect(applied).toMatchObject([{ name: 'spring-pod', result: 'recreated' }]);
    expect(info).toEqual(['pod spring-pod: recreated (a Pod cannot change spec.containers[0].ports[0].containerPort in place)']);
    const del = fake.requests.find((r) => r.method === 'DELETE')!;
    expect(JSON.parse(del.body)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 1, preconditions: { uid: firstUid } });
    const now = fake.objects.get('/api/v1/namespaces/default/pods/spring-pod');
    expect(now.metadata.uid).not.toBe(firstUid);
    expect(now.spec.containers[0].ports[0].containerPort).toBe(9090);
    // It waited for the old Pod to be gone: the re-create came after GETs that saw it terminating.
    const order = fake.requests.map((r) => r.method).join(',');
    expect(order).toMatch(/DELETE,GET,GET,GET,PATCH$/);
  });

  it('gives up waiting for a Pod that never goes away', async () => {
    await applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'default' });
    fake.terminatingGets = 1_000_000;
    const e = await applyError(applyObjects(kube, render(POD('kubernetes-spring', 9090)), { namespace: 'default', deleteTimeoutMs: 600 }));
    expect(e.code).toBe('apply');
    expect(e.message).toMatch(/pod\/spring-pod is still terminating/);
  });

  it('stops waiting when the signal aborts', async () => {
    await applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'default' });
    fake.terminatingGets = 1_000_000;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 400);
    const e = await applyError(applyObjects(kube, render(POD('kubernetes-spring', 9090)), { namespace: 'default', signal: ac.signal }));
    expect(e.code).toBe('interrupted');
  });

  it('turns a strict-validation refusal into a manifest error naming the file and object', async () => {
    // Bypass the client-side check so the body reaches the server with the typo, as a CRD's would.
    const rendered = render(POD('kubernetes-spring'));
    (rendered.objects[0]!.body.spec as Record<string, unknown>).containerz = [];
    const e = await applyError(applyObjects(kube, rendered, { namespace: 'default' }));
    expect(e.code).toBe('manifest');
    expect(e.message).toContain('spring-pod.yaml: the cluster rejected Pod spring-pod:');
    expect(e.message).toContain('.spec.containerz: field not declared in schema');
  });

  it('explains a missing namespace', async () => {
    const e = await applyError(applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'nope' }));
    expect(e.code).toBe('apply');
    expect(e.message).toBe('The namespace "nope" does not exist (applying Pod spring-pod).');
    expect(e.hint).toContain('kubectl --context fake create namespace nope');
    expect(e.hint).toContain('--namespace');
  });

  it('points at RBAC on 403', async () => {
    fake.forbidden = true;
    const e = await applyError(applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'default' }));
    expect(e.code).toBe('apply');
    expect(e.message).toContain('(403)');
    expect(e.hint).toContain('kubectl auth can-i patch pod -n default');
  });

  it('uses the manifest namespace over the default one, and applies Deployments under /apis', async () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: team
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: kubernetes-spring
`;
    const applied = await applyObjects(kube, render(text), { namespace: 'default' });
    expect(applied).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'team', result: 'created' }]);
    expect(fake.patches()[0]!.path).toBe('/apis/apps/v1/namespaces/team/deployments/web');
  });

  it('applies Namespaces first and without a namespace in the path', async () => {
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: fresh
spec:
  containers:
    - name: c
      image: kubernetes-spring
---
apiVersion: v1
kind: Namespace
metadata:
  name: fresh
`;
    fake.namespaces.add('fresh');
    const applied = await applyObjects(kube, render(text), { namespace: 'default' });
    expect(applied.map((a) => [a.kind, a.namespace])).toEqual([
      ['Namespace', undefined],
      ['Pod', 'fresh'],
    ]);
    expect(fake.patches().map((p) => p.path)).toEqual(['/api/v1/namespaces/fresh', '/api/v1/namespaces/fresh/pods/p']);
  });

  it('reports a kind the cluster does not serve as a manifest error', async () => {
    const text = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
---
${POD('kubernetes-spring')}`;
    const e = await applyError(applyObjects(kube, render(text), { namespace: 'default' }));
    expect(e.code).toBe('manifest');
    expect(e.message).toBe('spring-pod.yaml: the cluster does not know Widget in example.com/v1 (Widget w).');
  });

  it('passes dryRun=All and persists nothing', async () => {
    const applied = await applyObjects(kube, render(POD('kubernetes-spring')), { namespace: 'default', dryRun: true });
    expect(applied).toMatchObject([{ result: 'created' }]);
    expect(fake.patches()[0]!.query.get('dryRun')).toBe('All');
    expect(fake.objects.size).toBe(0);
  });

  it('reports an unreachable API server as a cluster error', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'gone', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'u' }],
      currentContext: 'gone',
    });
    const gone: Kube = { ...kube, kc, context: 'gone', server: 'http://127.0.0.1:1' };
    const e = await applyError(applyObjects(gone, render(POD('kubernetes-spring')), { namespace: 'default' }));
    expect(e.code).toBe('cluster');
  });
});

describe('changedPodField', () => {
  it('names the first field the manifest sets differently, ignoring images and server defaults', () => {
    const live = { containers: [{ name: 'c', image: 'a:1', ports: [{ containerPort: 8080, protocol: 'TCP' }], terminationMessagePath: '/dev/termination-log' }], restartPolicy: 'Always' };
    expect(changedPodField(live, { containers: [{ name: 'c', image: 'a:2', ports: [{ containerPort: 8080 }] }] })).toBeUndefined();
    expect(changedPodField(live, { containers: [{ name: 'c', image: 'a:2', ports: [{ containerPort: 8081 }] }] })).toBe('spec.containers[0].ports[0].containerPort');
    expect(changedPodField(live, { containers: [{ name: 'c', image: 'a:1', env: [{ name: 'X', value: '1' }] }] })).toBe('spec.containers[0].env');
    expect(changedPodField(live, { containers: [] })).toBe('spec.containers');
  });
});
