// A new namespace whose "default" ServiceAccount does not exist yet (right after an API server
// restart, or with kube-controller-manager down): the ServiceAccount admission plugin refuses the
// Pod with 403, which ship used to report as an RBAC problem. Now apply waits (bounded) for the
// ServiceAccount the controller-manager creates and applies again; when it never comes, the message
// says so and names the controller-manager. Issue 9 item 6.
import { describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { applyObjects } from '../../src/adapters/kube/apply.js';
import type { ApiResponse, KubeRest } from '../../src/adapters/kube/rest.js';
import type { Kube } from '../../src/adapters/kube/client.js';
import { renderManifest } from '../../src/core/manifest/render.js';
import { missingServiceAccount } from '../../src/core/service-account.js';
import { ExitCode } from '../../src/errors.js';
import { rejectedShipError } from '../support/ship-error.js';

const REFUSAL = 'pods "web" is forbidden: error looking up service account fresh/default: serviceaccount "default" not found';

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
  users: [{ name: 'u' }],
  contexts: [{ name: 'dev', cluster: 'c', user: 'u' }],
  currentContext: 'dev',
});
const kube: Kube = { kc, context: 'dev', cluster: 'c', namespace: 'fresh', server: 'https://127.0.0.1:1', files: [], core: kc.makeApiClient(CoreV1Api) };

const rendered = renderManifest({
  sources: [{ file: 'pod.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: web\n' }],
  image: { repository: 'web', tag: 'ship-1' },
  matchNames: ['web'],
  app: 'web',
});

/** A KubeRest whose ServiceAccount "default" appears after `accountAfter` GETs of it (never when undefined). */
function fakeRest(accountAfter: number | undefined) {
  const calls: string[] = [];
  let accountGets = 0;
  const rest: KubeRest = {
    async resource() {
      return { name: 'pods', namespaced: true };
    },
    async request(method, path): Promise<ApiResponse> {
      calls.push(`${method} ${path}`);
      if (path.endsWith('/serviceaccounts/default')) {
        accountGets++;
        return accountAfter !== undefined && accountGets > accountAfter ? { status: 200, body: { kind: 'ServiceAccount' } } : { status: 404, body: { message: 'serviceaccounts "default" not found' } };
      }
      if (method === 'GET') return { status: 404, body: { message: 'pods "web" not found' } };
      const exists = accountAfter !== undefined && accountGets > accountAfter;
      return exists
        ? { status: 201, body: { kind: 'Pod', metadata: { name: 'web', resourceVersion: '1' } } }
        : { status: 403, body: { kind: 'Status', code: 403, reason: 'Forbidden', message: REFUSAL } };
    },
  };
  return { rest, calls };
}

describe('apply into a namespace whose default ServiceAccount does not exist yet', () => {
  it('waits for the ServiceAccount and applies again', async () => {
    const { rest, calls } = fakeRest(3);
    const infos: string[] = [];
    const applied = await applyObjects(kube, rendered, { namespace: 'fresh', rest, onInfo: (m) => infos.push(m), serviceAccountPollMs: 10 });
    expect(applied).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: 'fresh', result: 'created' }]);
    expect(calls.filter((c) => c.startsWith('PATCH'))).toHaveLength(2);
    expect(calls.filter((c) => c === 'GET /api/v1/namespaces/fresh/serviceaccounts/default')).toHaveLength(4);
    expect(infos).toEqual(['pod/web: waiting for the ServiceAccount "default" of namespace "fresh" (kube-controller-manager creates it)']);
  });

  it('when it never comes: says so, names kube-controller-manager (exit 8), and does not point at RBAC', async () => {
    const { rest } = fakeRest(undefined);
    const started = Date.now();
    const e = await rejectedShipError(applyObjects(kube, rendered, { namespace: 'fresh', rest, serviceAccountWaitMs: 300, serviceAccountPollMs: 20 }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(e.code).toBe('cluster');
    expect(e.exitCode).toBe(ExitCode.cluster);
    expect(e.message).toBe('The cluster refused Pod web: the ServiceAccount "default" of namespace "fresh" does not exist, and it did not appear within 0 s.');
    expect(e.hint).toMatch(/^kube-controller-manager creates the "default" ServiceAccount of every new namespace: it does not seem to be running/);
    expect(e.hint).not.toMatch(/RBAC|auth can-i/);
    expect(e.details).toEqual([`API server: ${REFUSAL}`]);
  });
});

describe('missingServiceAccount (pure)', () => {
  it('reads the admission refusal', () => {
    expect(missingServiceAccount(403, REFUSAL)).toEqual({ namespace: 'fresh', name: 'default' });
    expect(missingServiceAccount(403, 'pods "x" is forbidden: error looking up service account ns/builder: serviceaccount "builder" not found')).toEqual({ namespace: 'ns', name: 'builder' });
    expect(missingServiceAccount(403, 'pods is forbidden: User "dev" cannot patch resource "pods"')).toBeUndefined();
    expect(missingServiceAccount(404, 'serviceaccounts "default" not found')).toBeUndefined();
  });
});
