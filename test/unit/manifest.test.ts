import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { findManifests } from '../../src/adapters/manifest-files.js';
import { canonicalName } from '../../src/core/image-ref.js';
import { listImages } from '../../src/core/manifest/parse.js';
import { generatePodManifest } from '../../src/core/manifest/pod.js';
import { renderManifest } from '../../src/core/manifest/render.js';
import type { ManifestSource, RenderInput } from '../../src/core/manifest/types.js';
import { ShipError } from '../../src/errors.js';
import { caughtShipError as catchError } from '../support/ship-error.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/manifests/', import.meta.url));

async function fixture(name: string): Promise<ManifestSource> {
  const file = join(FIXTURES, name);
  return { file, text: await readFile(file, 'utf8') };
}

function input(sources: ManifestSource[], extra: Partial<RenderInput> = {}): RenderInput {
  return {
    sources,
    image: { repository: 'kubernetes-spring', tag: 'ship-abc' },
    matchNames: ['kubernetes-spring'],
    app: 'kubernetes-spring',
    ...extra,
  };
}

function docsOf(yamlText: string): Array<Record<string, any>> {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS())
    .filter((x) => x != null);
}


describe('renderManifest', () => {
  it('rewrites the seed spring-pod.yaml to the built tag with IfNotPresent and adds labels', async () => {
    const r = renderManifest(input([await fixture('spring-pod.yaml')]));
    const [pod] = docsOf(r.yaml);
    expect(pod).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'spring-pod',
        labels: { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'kubernetes-spring' },
      },
      spec: {
        containers: [
          {
            name: 'spring-container',
            image: 'kubernetes-spring:ship-abc',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 8080 }],
          },
        ],
      },
    });
    expect(r.objects).toHaveLength(1);
    expect(r.objects[0]).toMatchObject({ apiVersion: 'v1', kind: 'Pod', name: 'spring-pod', source: { file: join(FIXTURES, 'spring-pod.yaml'), doc: 0 } });
    expect(r.objects[0]!.namespace).toBeUndefined();
    expect(r.objects[0]!.body).toEqual(pod);
    expect(r.rewritten).toEqual([
      {
        file: join(FIXTURES, 'spring-pod.yaml'),
        kind: 'Pod',
        name: 'spring-pod',
        container: 'spring-container',
        from: 'kubernetes-spring',
        to: 'kubernetes-spring:ship-abc',
      },
    ]);
    expect(r.otherImages).toEqual([]);
  });

  it('keeps comments in a multi-document file and touches only the built image', async () => {
    const r = renderManifest(input([await fixture('multi.yaml')]));
    const [pod, svc, ...rest] = docsOf(r.yaml);
    expect(rest).toEqual([]);
    expect(pod!.spec.containers).toEqual([
      { name: 'app', image: 'kubernetes-spring:ship-abc', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080 }] },
      { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', 'infinity'] },
    ]);
    expect(pod!.metadata.labels).toEqual({
      app: 'spring',
      'app.kubernetes.io/managed-by': 'ship',
      'app.kubernetes.io/name': 'kubernetes-spring',
    });
    // The Service gets the labels on its metadata, never on its selector.
    expect(svc!.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'kubernetes-spring' });
    expect(svc!.spec.selector).toEqual({ app: 'spring' });
    for (const comment of ['# The app and its sidecar', '# the pod the app runs in', '# left alone', '# A service in front of it']) {
      expect(r.yaml).toContain(comment);
    }
    expect(r.rewritten.map((x) => [x.container, x.from])).toEqual([['app', 'docker.io/library/kubernetes-spring:old']]);
    expect(r.otherImages).toEqual(['busybox:1.36']);
    expect(r.objects.map((o) => [o.kind, o.name, o.source.doc])).toEqual([
      ['Pod', 'spring-pod', 0],
      ['Service', 'spring', 1],
    ]);
  });

  it('rewrites Deployment templates, initContainers included, and never touches selectors', async () => {
    const r = renderManifest(input([await fixture('deployment.yaml')]));
    const [dep] = docsOf(r.yaml);
    expect(dep!.spec.selector).toEqual({ matchLabels: { app: 'spring' } });
    expect(dep!.spec.template.metadata.labels).toEqual({
      app: 'spring',
      'app.kubernetes.io/managed-by': 'ship',
      'app.kubernetes.io/name': 'kubernetes-spring',
    });
    expect(dep!.spec.template.spec.initContainers).toEqual([
      { name: 'migrate', image: 'kubernetes-spring:ship-abc', imagePullPolicy: 'IfNotPresent', args: ['migrate'] },
      { name: 'wait', image: 'busybox:1.36' },
    ]);
    expect(dep!.spec.template.spec.containers).toEqual([{ name: 'app', image: 'kubernetes-spring:ship-abc', imagePullPolicy: 'IfNotPresent' }]);
    expect(dep!.spec.replicas).toBe(1);
    expect(r.rewritten.map((x) => x.container)).toEqual(['migrate', 'app']);
  });

  it('rewrites the pod template inside a CronJob jobTemplate', async () => {
    const r = renderManifest(input([await fixture('cronjob.yaml')]));
    const [cj] = docsOf(r.yaml);
    const tpl = cj!.spec.jobTemplate.spec.template;
    expect(tpl.spec.containers[0]).toEqual({ name: 'job', image: 'kubernetes-spring:ship-abc', imagePullPolicy: 'IfNotPresent' });
    expect(tpl.metadata.labels['app.kubernetes.io/managed-by']).toBe('ship');
    expect(r.rewritten).toMatchObject([{ kind: 'CronJob', name: 'nightly', container: 'job' }]);
  });

  it('does not let a label edit reach a selector through a YAML anchor', async () => {
    const r = renderManifest(input([await fixture('anchors.yaml')]));
    const [dep] = docsOf(r.yaml);
    expect(dep!.spec.selector.matchLabels).toEqual({ app: 'anchored' });
    expect(dep!.metadata.labels['app.kubernetes.io/managed-by']).toBe('ship');
    expect(dep!.spec.template.metadata.labels).toEqual({
      app: 'anchored',
      'app.kubernetes.io/managed-by': 'ship',
      'app.kubernetes.io/name': 'kubernetes-spring',
    });
    // The env anchor is untouched and still shared by both containers.
    expect(r.yaml).toContain('env: &env');
    expect(r.yaml).toContain('env: *env');
    expect(dep!.spec.template.spec.containers[1]).toEqual({ name: 'other', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'a' }] });
  });

  it('keeps an existing app.kubernetes.io/name label', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app.kubernetes.io/name: mine\nspec:\n  containers:\n    - name: c\n      image: kubernetes-spring\n';
    const [pod] = docsOf(renderManifest(input([{ file: 'p.yaml', text }])).yaml);
    expect(pod!.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'mine', 'app.kubernetes.io/managed-by': 'ship' });
  });

  it('--replicas on a Pod manifest makes N pods named name-1..name-N', async () => {
    const r = renderManifest(input([await fixture('spring-pod.yaml')], { replicas: 3 }));
    const docs = docsOf(r.yaml);
    expect(docs.map((d) => d.metadata.name)).toEqual(['spring-pod-1', 'spring-pod-2', 'spring-pod-3']);
    for (const d of docs) expect(d.spec.containers[0].image).toBe('kubernetes-spring:ship-abc');
    expect(r.objects.map((o) => o.name)).toEqual(['spring-pod-1', 'spring-pod-2', 'spring-pod-3']);
    expect(r.rewritten.map((x) => x.name)).toEqual(['spring-pod-1', 'spring-pod-2', 'spring-pod-3']);
  });

  it('--replicas on a Deployment sets spec.replicas', async () => {
    const r = renderManifest(input([await fixture('deployment.yaml')], { replicas: 4 }));
    const docs = docsOf(r.yaml);
    expect(docs).toHaveLength(1);
    expect(docs[0]!.spec.replicas).toBe(4);
  });

  it('rejects a replica count below 1', async () => {
    const e = catchError(() => renderManifest(input([{ file: 'x', text: '' }], { replicas: 0 })));
    expect(e.code).toBe('manifest');
  });

  it('sets the namespace only on namespaced objects that name none, and only when asked', () => {
    const text = [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: c\n      image: kubernetes-spring\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: other\n',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n',
    ].join('---\n');
    const without = renderManifest(input([{ file: 'm.yaml', text }]));
    expect(docsOf(without.yaml).map((d) => d.metadata.namespace)).toEqual([undefined, 'other', undefined]);
    const withNs = renderManifest(input([{ file: 'm.yaml', text }], { namespace: 'mine' }));
    expect(docsOf(withNs.yaml).map((d) => d.metadata.namespace)).toEqual(['mine', 'other', undefined]);
    expect(withNs.objects.map((o) => o.namespace)).toEqual(['mine', 'other', undefined]);
  });

  it('throws when no container uses the built image, listing the images found', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n    - name: d\n      image: busybox\n';
    const e = catchError(() => renderManifest(input([{ file: '/p/pod.yaml', text }])));
    expect(e.code).toBe('manifest');
    expect(e.message).toBe('No container in /p/pod.yaml uses the image ship built (kubernetes-spring).');
    expect(e.hint).toContain('nginx:1.27, busybox');
    expect(e.hint).toContain('"kubernetes-spring"');
  });

  it('does not mistake an image of another registry or with a similar name for the built one', () => {
    const text =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: quay.io/kubernetes-spring:1\n    - name: d\n      image: kubernetes-spring-admin\n';
    const e = catchError(() => renderManifest(input([{ file: 'pod.yaml', text }])));
    expect(e.message).toMatch(/^No container in pod.yaml uses/);
  });

  it('reports malformed YAML as file:line:col', async () => {
    const src = await fixture('malformed.yaml');
    const e = catchError(() => renderManifest(input([src])));
    expect(e.code).toBe('manifest');
    expect(e.message).toMatch(new RegExp(`^${src.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: \\S`));
    expect(e.message).not.toContain('\n');
    expect(e.hint).toBeTruthy();
  });

  it('reports an unknown field with its path and the closest valid name', async () => {
    const src = await fixture('typo.yaml');
    const e = catchError(() => renderManifest(input([src])));
    expect(e.code).toBe('manifest');
    expect(e.message).toBe(`${src.file}: unknown field "spec.containers[0].imagePullPolcy" in Pod spring-pod`);
    expect(e.hint).toContain('"imagePullPolicy"');
  });

  it('reports an unknown field in a Deployment template', () => {
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector: {}\n  template:\n    spec:\n      containerz: []\n';
    const e = catchError(() => renderManifest(input([{ file: 'd.yaml', text }])));
    expect(e.message).toBe('d.yaml: unknown field "spec.template.spec.containerz" in Deployment d');
    expect(e.hint).toContain('"containers"');
  });

  it('rejects a document without apiVersion, kind or metadata.name', () => {
    const e = catchError(() => renderManifest(input([{ file: 'x.yaml', text: 'kind: Pod\nmetadata: {}\n' }])));
    expect(e.code).toBe('manifest');
    expect(e.message).toBe('x.yaml (document 1) has no apiVersion, metadata.name.');
  });

  it('skips empty documents and leaves custom resources unchecked', () => {
    const text =
      '---\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  anything: 1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: kubernetes-spring\n';
    const r = renderManifest(input([{ file: 'm.yaml', text }]));
    expect(r.objects.map((o) => [o.kind, o.source.doc])).toEqual([
      ['Widget', 1],
      ['Pod', 2],
    ]);
  });

  it('takes several sources in order', async () => {
    const r = renderManifest(input([await fixture('spring-pod.yaml'), await fixture('cronjob.yaml')]));
    expect(r.objects.map((o) => o.kind)).toEqual(['Pod', 'CronJob']);
    expect(docsOf(r.yaml)).toHaveLength(2);
  });
});

describe('canonicalName (how the rewrite matches images)', () => {
  it('treats the Docker Hub spellings of one name alike', () => {
    for (const n of [
      'kubernetes-spring',
      'kubernetes-spring:1.0',
      'library/kubernetes-spring',
      'docker.io/kubernetes-spring',
      'docker.io/library/kubernetes-spring:old',
      'index.docker.io/library/kubernetes-spring@sha256:abc',
    ]) {
      expect(canonicalName(n)).toBe('docker.io/library/kubernetes-spring');
    }
    expect(canonicalName('localhost:5000/app:1')).toBe('localhost:5000/app');
    expect(canonicalName('me/app')).toBe('docker.io/me/app');
  });
});

describe('generatePodManifest', () => {
  it('generates a Pod with an actuator readiness probe that renders cleanly', () => {
    const text = generatePodManifest({ name: 'demo', image: 'demo', port: 8080, actuator: true });
    const pod = parse(text);
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata.name).toBe('demo');
    const [c] = pod.spec.containers;
    expect(c.name).toBe('demo');
    expect(c.image).toBe('demo');
    expect(c.imagePullPolicy).toBeUndefined();
    expect(c.ports).toEqual([{ containerPort: 8080 }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/actuator/health', port: 8080 });
    expect(c.readinessProbe.periodSeconds).toBe(2);
    const r = renderManifest({
      sources: [{ file: '<generated>', text }],
      image: { repository: 'demo', tag: 'ship-1' },
      matchNames: ['demo'],
      app: 'demo',
    });
    expect(r.rewritten).toHaveLength(1);
  });

  it('uses a TCP probe without actuator', () => {
    const pod = parse(generatePodManifest({ name: 'demo', image: 'demo', actuator: false }));
    expect(pod.spec.containers[0].readinessProbe.tcpSocket).toEqual({ port: 8080 });
    expect(pod.spec.containers[0].readinessProbe.httpGet).toBeUndefined();
  });
});

describe('findManifests', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-manifest-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n';
  const files = (srcs: ManifestSource[]) => srcs.map((s) => s.file.slice(dir.length + 1));

  it('returns [] for a project without manifests', async () => {
    await writeFile(join(dir, 'application.yaml'), 'server:\n  port: 8080\n');
    expect(await findManifests(dir, [])).toEqual([]);
  });

  it('finds k8s/ files and root YAML that holds Kubernetes objects, skipping the rest', async () => {
    await mkdir(join(dir, 'k8s'));
    await mkdir(join(dir, '.github', 'workflows'), { recursive: true });
    await writeFile(join(dir, 'k8s', 'b.yml'), POD);
    await writeFile(join(dir, 'k8s', 'a.yaml'), POD);
    await writeFile(join(dir, 'k8s', 'notes.txt'), POD);
    await writeFile(join(dir, 'spring-pod.yaml'), POD);
    await writeFile(join(dir, 'application.yaml'), 'spring:\n  application:\n    name: x\n');
    await writeFile(join(dir, 'application-dev.yml'), 'apiVersion: v1\nkind: Pod\n');
    await writeFile(join(dir, 'docker-compose.yml'), 'services:\n  app:\n    image: x\n');
    await writeFile(join(dir, 'ship.yaml'), 'apiVersion: v1\nkind: Pod\n');
    await writeFile(join(dir, 'other.yaml'), 'just: data\n');
    await writeFile(join(dir, '.github', 'workflows', 'ci.yaml'), POD);
    const found = await findManifests(dir, []);
    expect(files(found)).toEqual(['k8s/a.yaml', 'k8s/b.yml', 'spring-pod.yaml']);
    expect(found[0]!.text).toBe(POD);
  });

  it('finds kubernetes/ and deploy/ directories', async () => {
    await mkdir(join(dir, 'kubernetes'));
    await mkdir(join(dir, 'deploy'));
    await writeFile(join(dir, 'kubernetes', 'pod.yaml'), POD);
    await writeFile(join(dir, 'deploy', 'dep.yaml'), POD);
    await writeFile(join(dir, 'deploy', 'values.yaml'), 'replicaCount: 1\n');
    expect(files(await findManifests(dir, []))).toEqual(['kubernetes/pod.yaml', 'deploy/dep.yaml']);
  });

  it('uses only the explicit files and directories when given', async () => {
    await writeFile(join(dir, 'spring-pod.yaml'), POD);
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'm', 'z.yaml'), POD);
    await writeFile(join(dir, 'm', 'a.yml'), POD);
    await writeFile(join(dir, 'm', 'readme.md'), 'x');
    await writeFile(join(dir, 'one.yaml'), 'anything: 1\n');
    expect(files(await findManifests(dir, [join(dir, 'one.yaml')]))).toEqual(['one.yaml']);
    expect(files(await findManifests(dir, [join(dir, 'm')]))).toEqual(['m/a.yml', 'm/z.yaml']);
  });

  it('fails clearly for a missing explicit path or an empty directory', async () => {
    await expect(findManifests(dir, [join(dir, 'nope.yaml')])).rejects.toMatchObject({ code: 'manifest' });
    await mkdir(join(dir, 'empty'));
    await expect(findManifests(dir, [join(dir, 'empty')])).rejects.toMatchObject({ code: 'manifest' });
  });
});

describe('listImages', () => {
  it('lists the images of every pod template, init containers first, skipping broken documents', async () => {
    const sources = [await fixture('multi.yaml'), await fixture('deployment.yaml'), await fixture('malformed.yaml')];
    expect(listImages(sources)).toEqual([
      'docker.io/library/kubernetes-spring:old',
      'busybox:1.36',
      'library/kubernetes-spring@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'kubernetes-spring:1.0',
    ]);
  });
});
