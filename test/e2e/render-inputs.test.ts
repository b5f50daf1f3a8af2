// Team-shaped manifests: a kustomize base with a dev overlay, and a Helm chart, deployed by ship
// through the same rewrite, apply and wait as plain files; the chart is then deleted by ship.

import { execa } from 'execa';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { LOAD, TOOLS_BIN, cli, copyProject, deleteNamespace, kubectl, newNamespace, repo, shipEnv, shipOnce } from './helpers.js';

const fixtures = join(repo, 'test/fixtures');
/** ship with helm and kustomize (built by test/cluster/lib/build.sh tools) on its PATH. */
const withTools = () => shipEnv({ PATH: `${TOOLS_BIN}:${process.env.PATH}` });

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  return { status: r.status, body: await r.text() };
}

describe('a kustomize base with a dev overlay (namePrefix, images:, a patch)', () => {
  let ns: string;
  const app = copyProject('examples/kubernetes-test-spring');
  beforeAll(async () => {
    cpSync(join(fixtures, 'kustomize'), join(app.dir, 'k8s'), { recursive: true });
    ns = await newNamespace('e2e-kustomize');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('renders with kubectl kustomize, deploys dev-spring with the image ship built, and serves it', async () => {
    // no kustomize binary on this PATH: kubectl kustomize renders
    const r = await shipOnce([app.dir, '--kustomize', join(app.dir, 'k8s/overlays/dev'), '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0']);
    expect(r.exitCode, r.stderr).toBe(0);
    const manifest = r.events.find((e) => e.type === 'manifest');
    expect(manifest?.files).toEqual(['kustomize k8s/overlays/dev']);
    const smoke = r.events.find((e) => e.type === 'result');
    expect(smoke?.ok).toBe(true);

    const deploy = JSON.parse((await kubectl(['get', 'deployment', 'dev-spring', '-n', ns, '-o', 'json'])).stdout);
    const c = deploy.spec.template.spec.containers[0];
    // the overlay's images: entry renamed and tagged the app image; ship still knew it and deployed its own
    expect(c.image).toMatch(/^kubernetes-spring:ship-[0-9a-f]{12}$/);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.env).toEqual([{ name: 'GREETING_ENV', value: 'dev' }]);
    expect(deploy.metadata.labels).toMatchObject({ team: 'ships', 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'kubernetes-spring' });
    expect(deploy.status.readyReplicas).toBe(1);
    const svc = JSON.parse((await kubectl(['get', 'service', 'dev-spring', '-n', ns, '-o', 'json'])).stdout);
    expect(svc.metadata.labels['app.kubernetes.io/managed-by']).toBe('ship');
  });

  it('ship render prints the overlay after ship\'s rewrite, with the kustomize binary when present', async () => {
    const r = await execa(process.execPath, [cli, 'render', app.dir, '--manifest', join(app.dir, 'k8s/overlays/dev'), '--tag', 'ship-0123456789ab'], {
      env: withTools(),
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(['Deployment/dev-spring', 'Service/dev-spring']);
    const deploy = docs.find((d) => d.kind === 'Deployment');
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({ image: 'kubernetes-spring:ship-0123456789ab', imagePullPolicy: 'IfNotPresent' });
    expect(r.stderr).toContain('kustomize build');
  });
});

describe('a Helm chart with a values file and --set', () => {
  let ns: string;
  const app = copyProject('examples/kubernetes-test-spring');
  const chart = join(fixtures, 'helm-chart');
  beforeAll(async () => {
    ns = await newNamespace('e2e-helm');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('is rendered by helm template (release = the app), deployed, served; then ship delete removes all of it', async () => {
    const r = await shipOnce(
      [app.dir, '--helm', chart, '-f', join(chart, 'values-dev.yaml'), '--set', 'replicaCount=2', '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0'],
      withTools(),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const name = 'kubernetes-spring-spring-chart';
    const deploy = JSON.parse((await kubectl(['get', 'deployment', name, '-n', ns, '-o', 'json'])).stdout);
    expect(deploy.status.readyReplicas).toBe(2);
    expect(deploy.spec.template.spec.containers[0].image).toMatch(/^kubernetes-spring:ship-[0-9a-f]{12}$/);
    expect(deploy.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(deploy.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'kubernetes-spring', 'app.kubernetes.io/managed-by': 'ship' });
    const cm = JSON.parse((await kubectl(['get', 'configmap', name, '-n', ns, '-o', 'json'])).stdout);
    expect(cm.data.GREETING).toBe('from values-dev.yaml');
    // the chart's test pod (helm.sh/hook: test) is not part of the app
    expect((await kubectl(['get', 'pod', `${name}-test`, '-n', ns], { reject: false })).exitCode).not.toBe(0);

    const del = await execa(process.execPath, [cli, 'delete', app.dir, '-n', ns, '--json'], { env: shipEnv(), reject: false, timeout: 180_000 });
    expect(del.exitCode, del.stderr).toBe(0);
    const result = del.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'result');
    expect(result.deleted.map((o: any) => `${o.kind}/${o.name}`).sort()).toEqual(
      [`ConfigMap/${name}`, `Deployment/${name}`, `Service/${name}`, `ServiceAccount/${name}`].sort(),
    );
    const left = (await kubectl(['get', 'deployment,service,configmap,serviceaccount,pods', '-n', ns, '-l', 'app.kubernetes.io/managed-by=ship', '-o', 'name'])).stdout;
    expect(left.trim()).toBe('');
  });

  it('ship render shows the chart after ship\'s rewrite', async () => {
    const r = await execa(process.execPath, [cli, 'render', app.dir, '--helm', chart, '--set', 'greeting=rendered', '--tag', 'ship-0123456789ab'], { env: withTools(), reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    expect(cm.data.GREETING).toBe('rendered');
    expect(docs.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0].image).toBe('kubernetes-spring:ship-0123456789ab');
    expect(docs.some((d) => d.kind === 'Pod')).toBe(false);
  });
});
