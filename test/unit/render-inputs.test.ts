// Kustomize and Helm through the manifest step: the rendered text goes through ship's own rewrite
// (fake kustomize/helm through the process runner), the flags and ship.yaml keys that select them,
// and `ship delete` finding a chart's objects by the release.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ProcessRunner, RunResult } from '../../src/adapters/process.js';
import { manifestImageNames } from '../../src/adapters/renderers.js';
import { planManifest } from '../../src/tasks/manifest.js';
import { toOptions } from '../../src/core/options.js';
import { parseConfig } from '../../src/core/config.js';
import { appSelectors, isShipObject } from '../../src/core/app-objects.js';
import { originalImageNames } from '../../src/core/render-plan.js';
import { caughtShipError } from '../support/ship-error.js';

/** What `kustomize build k8s/overlays/dev` prints for the overlay below. */
const OVERLAY_OUT = `apiVersion: v1
kind: Service
metadata:
  name: dev-spring
spec:
  selector: {app: spring}
  ports: [{port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dev-spring
spec:
  selector: {matchLabels: {app: spring}}
  template:
    metadata: {labels: {app: spring}}
    spec:
      containers:
      - name: spring
        image: registry.example.invalid/team/kubernetes-spring:dev
      - name: sidecar
        image: busybox:1
`;

const CHART_OUT = `---
# Source: spring-chart/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-spring-chart
  labels:
    app.kubernetes.io/name: spring-chart
    app.kubernetes.io/instance: app
    app.kubernetes.io/managed-by: Helm
spec:
  selector: {matchLabels: {app.kubernetes.io/name: spring-chart}}
  template:
    metadata: {labels: {app.kubernetes.io/name: spring-chart}}
    spec:
      containers:
      - name: app
        image: "kubernetes-spring:latest"
        imagePullPolicy: Always
`;

function runner(outputs: Record<string, string>) {
  const calls: string[] = [];
  const r: ProcessRunner = {
    async run(cmd, args): Promise<RunResult> {
      calls.push([cmd, ...args].join(' '));
      const out = outputs[cmd];
      if (out === undefined) return { exitCode: 127, tail: [], stdout: '', startError: Object.assign(new Error('ENOENT'), { code: 'ENOENT' }) };
      return { exitCode: 0, tail: [], stdout: out };
    },
  };
  return { runner: r, calls };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ship-inputs-'));
  await mkdir(join(dir, 'k8s/base'), { recursive: true });
  await mkdir(join(dir, 'k8s/overlays/dev'), { recursive: true });
  await writeFile(join(dir, 'k8s/base/kustomization.yaml'), 'resources: [deployment.yaml]\n');
  await writeFile(
    join(dir, 'k8s/overlays/dev/kustomization.yaml'),
    'resources: [../../base]\nnamePrefix: dev-\nimages:\n- name: kubernetes-spring\n  newName: registry.example.invalid/team/kubernetes-spring\n  newTag: dev\n',
  );
  await mkdir(join(dir, 'chart'));
  await writeFile(join(dir, 'chart/Chart.yaml'), 'apiVersion: v2\nname: spring-chart\nversion: 0.1.0\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const project = { name: 'kubernetes-spring', actuator: true };
const image = { repository: 'kubernetes-spring', tag: 'ship-0123456789ab' };

describe('a kustomize overlay through the manifest step', () => {
  it('rewrites the renamed app image to ship\'s tag, leaves the sidecar, and says so', async () => {
    const { runner: r, calls } = runner({ kustomize: OVERLAY_OUT });
    const m = await planManifest({ projectDir: dir, manifests: [], kustomize: join(dir, 'k8s/overlays/dev'), project, image, runner: r, namespace: 'team' });
    expect(calls).toEqual(['kustomize build k8s/overlays/dev']);
    expect(m.renderedBy).toBe('kustomize build k8s/overlays/dev');
    expect(m.replacedTags).toEqual(['registry.example.invalid/team/kubernetes-spring:dev']);
    expect(m.rewritten).toEqual([
      expect.objectContaining({ file: 'kustomize k8s/overlays/dev', kind: 'Deployment', name: 'dev-spring', container: 'spring', to: 'kubernetes-spring:ship-0123456789ab' }),
    ]);
    expect(m.otherImages).toEqual(['busybox:1']);
    const deploy = parseAllDocuments(m.yaml).map((d) => d.toJS()).find((d) => d.kind === 'Deployment');
    expect(deploy.metadata).toMatchObject({ namespace: 'team', labels: { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'kubernetes-spring' } });
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({ image: 'kubernetes-spring:ship-0123456789ab', imagePullPolicy: 'IfNotPresent' });
  });

  it('a --manifest directory holding a kustomization is rendered too (kubectl kustomize when kustomize is missing)', async () => {
    const { runner: r, calls } = runner({ kubectl: OVERLAY_OUT });
    const m = await planManifest({ projectDir: dir, manifests: [join(dir, 'k8s/overlays/dev')], project, image, runner: r });
    expect(calls).toEqual(['kustomize build k8s/overlays/dev', 'kubectl kustomize k8s/overlays/dev']);
    expect(m.rewritten).toHaveLength(1);
  });

  it('names the image ship builds like the project\'s manifests, not like the overlay\'s registry', async () => {
    const { runner: r } = runner({ kustomize: OVERLAY_OUT });
    expect(await manifestImageNames(dir, { manifests: [], kustomize: join(dir, 'k8s/overlays/dev') }, { app: 'kubernetes-spring', runner: r })).toEqual([
      'kubernetes-spring',
      'busybox:1',
    ]);
    expect(originalImageNames(['a/b:1'], [{ name: 'x', newName: 'y' }, { name: 'y', newName: 'a/b' }])).toEqual(['x']);
  });

  it('an empty rendering is a manifest error', async () => {
    const { runner: r } = runner({ kustomize: '\n' });
    const e = await planManifest({ projectDir: dir, manifests: [], kustomize: join(dir, 'k8s/base'), project, image, runner: r }).catch((x) => x);
    expect(e.code).toBe('manifest');
    expect(e.message).toBe('kustomize build k8s/base rendered nothing.');
  });
});

describe('a Helm chart through the manifest step', () => {
  it('runs helm template with the app as release and rewrites the chart\'s image', async () => {
    const { runner: r, calls } = runner({ helm: CHART_OUT });
    const m = await planManifest({ projectDir: dir, manifests: [], helm: { chart: join(dir, 'chart'), values: [], set: ['replicaCount=2'] }, project, image, runner: r, namespace: 'ns1' });
    expect(calls).toEqual(['helm template kubernetes-spring chart --namespace ns1 --set replicaCount=2 --skip-tests']);
    const deploy = parseAllDocuments(m.yaml)[0]!.toJS();
    // the chart's name label stays (its selector uses it); managed-by becomes ship
    expect(deploy.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'spring-chart', 'app.kubernetes.io/instance': 'app', 'app.kubernetes.io/managed-by': 'ship' });
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({ image: 'kubernetes-spring:ship-0123456789ab', imagePullPolicy: 'IfNotPresent' });
    expect(m.rewritten[0]!.file).toBe('helm chart');
  });
});

describe('flags and ship.yaml', () => {
  const io = { cwd: '/p', env: {}, isTTY: false };
  it('--kustomize, --helm with -f and --set become options with absolute paths', () => {
    expect(toOptions('.', { kustomize: 'k8s/overlays/dev' }, io).kustomize).toBe('/p/k8s/overlays/dev');
    expect(toOptions('.', { helm: 'chart', values: ['v.yaml', '/abs/w.yaml'], set: ['a=1'] }, io).helm).toEqual({ chart: '/p/chart', values: ['/p/v.yaml', '/abs/w.yaml'], set: ['a=1'] });
    expect(toOptions('.', {}, io)).not.toHaveProperty('helm');
  });

  it('refuses -f/--set without --helm and two manifest inputs at once', () => {
    expect(caughtShipError(() => toOptions('.', { set: ['a=1'] }, io)).message).toBe('--set only go with --helm CHART.');
    const e = caughtShipError(() => toOptions('.', { helm: 'chart', kustomize: 'k8s' }, io));
    expect(e.code).toBe('usage');
    expect(e.message).toContain('--helm and --kustomize cannot be combined');
    expect(caughtShipError(() => toOptions('.', { kustomize: 'k8s', manifest: ['a.yaml'] }, io)).message).toContain('--kustomize and --manifest');
  });

  it('ship.yaml takes kustomize, helm, values and set (paths relative to the project)', () => {
    const c = parseConfig('helm: chart\nvalues: [values-dev.yaml]\nset: [replicaCount=2]\n', { projectDir: '/p', file: '/p/ship.yaml' });
    expect(c).toEqual({ helm: '/p/chart', values: ['/p/values-dev.yaml'], set: ['replicaCount=2'] });
    expect(parseConfig('kustomize: k8s/overlays/dev\n', { projectDir: '/p', file: '/p/ship.yaml' })).toEqual({ kustomize: '/p/k8s/overlays/dev' });
    expect(caughtShipError(() => parseConfig('set: [replicaCount]\n', { projectDir: '/p', file: '/p/ship.yaml' })).code).toBe('usage');
  });
});

describe('what ship delete finds', () => {
  const obj = (labels: Record<string, string>) => ({ metadata: { name: 'x', labels } });
  it('the app\'s name label, or a chart\'s objects by the release named after the app', () => {
    expect(appSelectors('kubernetes-spring')).toEqual([
      'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=kubernetes-spring',
      'app.kubernetes.io/managed-by=ship,app.kubernetes.io/instance=kubernetes-spring',
    ]);
    expect(isShipObject(obj({ 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'spring-chart', 'app.kubernetes.io/instance': 'kubernetes-spring' }), 'kubernetes-spring')).toBe(true);
    expect(isShipObject(obj({ 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'kubernetes-spring' }), 'kubernetes-spring')).toBe(false);
    expect(isShipObject(obj({ 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/instance': 'other' }), 'kubernetes-spring')).toBe(false);
  });
});
