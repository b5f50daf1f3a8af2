// A token the API server rejects (401): ship says its credentials were refused for the context, and
// what to do (exit 7, kubeconfig) — not "cannot be reached … is the cluster running?". Issue 9 item 6.
import { afterEach, describe, expect, it } from 'vitest';
import { serverVersion } from '../../src/adapters/kube/client.js';
import { clusterError } from '../../src/adapters/kube/errors.js';
import { listAppPods } from '../../src/adapters/kube/app-pods.js';
import { ExitCode } from '../../src/errors.js';
import { startFakeApi } from '../support/fake-kube.js';
import { rejectedShipError } from '../support/ship-error.js';

const UNAUTHORIZED = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function api401() {
  const fake = await startFakeApi((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(UNAUTHORIZED);
  });
  close = fake.close;
  return fake.kube;
}

describe('a rejected token (401)', () => {
  it('the first call (server version) says the credentials were refused for the context: exit 7', async () => {
    const kube = await api401();
    const e = await rejectedShipError(serverVersion(kube));
    expect(e.code).toBe('kubeconfig');
    expect(e.exitCode).toBe(ExitCode.kubeconfig);
    expect(e.message).toBe(`The cluster (${kube.server}) refused ship's credentials for context "fake" (401 Unauthorized).`);
    expect(e.message).not.toMatch(/cannot be reached|HTTP-Code/);
    expect(e.hint).toMatch(/expired or been revoked/);
    expect(e.hint).toMatch(/Refresh the kubeconfig/);
    expect(e.hint).not.toMatch(/Is the cluster running/);
  });

  it('any later call classified by clusterError says the same', async () => {
    const kube = await api401();
    const e = await rejectedShipError(listAppPods(kube, 'default', 'app=x', 'app'));
    expect(e.code).toBe('kubeconfig');
    expect(e.message).toContain('refused ship\'s credentials for context "fake" (401 Unauthorized)');
  });

  it('a server that does not answer is still "cannot be reached" (exit 8)', async () => {
    const kube = await api401();
    await close!();
    close = undefined;
    const e = await rejectedShipError(serverVersion(kube, 2000));
    expect(e.code).toBe('cluster');
    expect(e.message).toMatch(/cannot be reached: .*ECONNREFUSED/);
    expect(e.hint).toMatch(/Is the cluster running/);
  });

  it('clusterError keeps 403 as an RBAC refusal', () => {
    const e = clusterError('list pods', { context: 'c', server: 'https://s' }, Object.assign(new Error('x'), { code: 403, body: '{"message":"pods is forbidden"}' }));
    expect(e.code).toBe('cluster');
    expect(e.hint).toMatch(/auth can-i/);
  });
});
