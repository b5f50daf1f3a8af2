import { Agent as HttpsAgent } from 'node:https';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { agentKey, reuseConnections } from '../../src/adapters/kube/client.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'local', server: 'https://127.0.0.1:6443', caData: b64('ca-1') },
      { name: 'proxied', server: 'https://10.0.0.1:6443', caData: b64('ca-1'), proxyUrl: 'http://127.0.0.1:3128' },
    ],
    users: [
      { name: 'alice', certData: b64('cert-a'), keyData: b64('key-a') },
      { name: 'bob', certData: b64('cert-b'), keyData: b64('key-b') },
    ],
    contexts: [
      { name: 'a', cluster: 'local', user: 'alice' },
      { name: 'b', cluster: 'local', user: 'bob' },
      { name: 'p', cluster: 'proxied', user: 'alice' },
    ],
    currentContext: 'a',
  });
  return kc;
}

async function apiAgent(kc: KubeConfig) {
  const context = new RequestContext('https://127.0.0.1:6443/version', HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context.getAgent();
}

async function fetchAgent(kc: KubeConfig) {
  return (await kc.applyToFetchOptions({})).agent;
}

describe('reuseConnections', () => {
  it('without it, client-node makes a new agent for every request (what it works around)', async () => {
    const kc = kubeconfig();
    expect(await apiAgent(kc)).not.toBe(await apiAgent(kc));
  });

  it('typed API calls and watches share one keep-alive agent', async () => {
    const kc = kubeconfig();
    reuseConnections(kc);
    const first = await apiAgent(kc);
    expect(first).toBeInstanceOf(HttpsAgent);
    expect((first as HttpsAgent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect(await apiAgent(kc)).toBe(first);
    expect(await fetchAgent(kc)).toBe(first);
  });

  it('other credentials get an agent of their own', async () => {
    const kc = kubeconfig();
    reuseConnections(kc);
    const alice = await apiAgent(kc);
    kc.setCurrentContext('b');
    const bob = await apiAgent(kc);
    expect(bob).not.toBe(alice);
    expect(await apiAgent(kc)).toBe(bob);
  });

  it('a cluster behind a proxy keeps client-node agents', async () => {
    const kc = kubeconfig();
    reuseConnections(kc);
    kc.setCurrentContext('p');
    expect(await fetchAgent(kc)).not.toBe(await fetchAgent(kc));
  });
});

describe('agentKey', () => {
  const cluster = { name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false };
  it('is the same for the same server and options, certificates compared by content', () => {
    expect(agentKey(cluster, { ca: Buffer.from('x'), servername: 'k' })).toBe(agentKey(cluster, { servername: 'k', ca: Buffer.from('x'), key: undefined }));
    expect(agentKey(cluster, { ca: Buffer.from('x') })).not.toBe(agentKey(cluster, { ca: Buffer.from('y') }));
    expect(agentKey(cluster, { ca: Buffer.from('x') })).not.toBe(agentKey({ ...cluster, server: 'https://127.0.0.2:6443' }, { ca: Buffer.from('x') }));
  });

  it('is undefined (no sharing) for plain http, a proxy, or an option it cannot compare', () => {
    expect(agentKey({ ...cluster, server: 'http://127.0.0.1:8080', skipTLSVerify: true }, {})).toBeUndefined();
    expect(agentKey({ ...cluster, proxyUrl: 'socks5://127.0.0.1:1080' }, {})).toBeUndefined();
    expect(agentKey(cluster, { checkServerIdentity: () => undefined })).toBeUndefined();
    expect(agentKey(null, {})).toBeUndefined();
  });
});
