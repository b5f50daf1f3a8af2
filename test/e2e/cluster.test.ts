// The test cluster itself behaves like a user's kind cluster: two nodes, Services routed by
// kube-proxy, names answered by CoreDNS through the kube-dns Service, and no MissingClusterDNS
// warning on any pod. Busybox pods (sh, nslookup, wget, httpd), in a namespace of their own.

import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOCKET, SOCKET_NODE2, deleteNamespace, kubectl, newNamespace } from './helpers.js';

const BUSYBOX = 'ship.local/busybox:1';
let ns = '';

/** Both nodes' containerd get the busybox image (the tests' own image; ship is not involved here). */
async function importEverywhere(image: string): Promise<void> {
  for (const socket of [SOCKET, SOCKET_NODE2]) {
    await execa('bash', ['-c', `docker save ${image} | ctr -a ${socket} -n k8s.io images import - >/dev/null`]);
  }
}

function pod(name: string, command: string, node?: 'second', extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      terminationGracePeriodSeconds: 1,
      ...(node ? { nodeSelector: { 'ship.local/node': 'second' }, tolerations: [{ key: 'ship.local/second-node', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
      containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', command], ...extra }],
    },
  };
}

async function apply(...objects: unknown[]): Promise<void> {
  await kubectl(['apply', '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
}

async function podJson(name: string) {
  return JSON.parse((await kubectl(['get', 'pod', name, '-n', ns, '-o', 'json'])).stdout);
}

beforeAll(async () => {
  await importEverywhere(BUSYBOX);
  ns = await newNamespace('e2e-cluster');
});
afterAll(async () => {
  await deleteNamespace(ns);
});

describe('the test cluster', () => {
  it('has two Ready nodes; the second is tainted so only pods that ask for it run there', async () => {
    const nodes = JSON.parse((await kubectl(['get', 'nodes', '-o', 'json'])).stdout).items;
    const byName = Object.fromEntries(nodes.map((n: any) => [n.metadata.name, n]));
    expect(Object.keys(byName).sort()).toEqual(['ship-node', 'ship-node2']);
    for (const n of nodes) expect(n.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    expect(byName['ship-node2'].spec.taints).toEqual([{ key: 'ship.local/second-node', value: 'true', effect: 'NoSchedule' }]);
    expect(byName['ship-node2'].status.addresses).toContainEqual({ type: 'InternalIP', address: '10.250.0.2' });
  });

  it('routes a Service across nodes and answers its name through CoreDNS, with no MissingClusterDNS event', async () => {
    // a web server on the first node, clients on both nodes
    await apply(
      pod('web', 'echo served-by-$(hostname) > /tmp/index.html; exec httpd -f -p 8080 -h /tmp', undefined, {
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
      }),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
      pod('client-1', 'sleep 3600'),
      pod('client-2', 'echo hello-from-node2; exec sleep 3600', 'second'),
    );
    for (const p of ['web', 'client-1', 'client-2']) await kubectl(['wait', '--for=condition=Ready', `pod/${p}`, '-n', ns, '--timeout=120s']);
    expect((await podJson('client-1')).spec.nodeName).toBe('ship-node');
    expect((await podJson('client-2')).spec.nodeName).toBe('ship-node2');
    expect((await podJson('web')).spec.nodeName).toBe('ship-node');
    // the API server reaches the second node's kubelet (logs; exec below)
    expect((await kubectl(['logs', 'client-2', '-n', ns])).stdout).toContain('hello-from-node2');

    const svcIp = (await kubectl(['get', 'service', 'web', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    for (const client of ['client-1', 'client-2']) {
      // the kubelet wrote the cluster DNS into the pod's resolv.conf (short names: the database
      // test resolves "postgres" through this search path from Java)
      const resolv = (await kubectl(['exec', client, '-n', ns, '--', 'cat', '/etc/resolv.conf'])).stdout;
      expect(resolv).toContain('nameserver 10.96.0.10');
      expect(resolv).toContain(`search ${ns}.svc.cluster.local svc.cluster.local cluster.local`);
      // busybox's own resolver (its static glibc crashes on any NSS lookup in a FROM scratch image:
      // names, and wget's "http" service lookup too, so the request goes through nc)
      const fqdn = await kubectl(['exec', client, '-n', ns, '--', 'nslookup', `web.${ns}.svc.cluster.local`]);
      expect(fqdn.stdout).toContain(svcIp);
      // the Service's cluster IP, through kube-proxy on the client's node, to the pod on the first node
      const reply = await kubectl(['exec', client, '-n', ns, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${svcIp} 80`]);
      expect(reply.stdout).toMatch(/^HTTP\/1\.[01] 200/);
      expect(reply.stdout.trim().endsWith('served-by-web')).toBe(true);
      // the API server through the kubernetes Service (what in-cluster clients such as CoreDNS use)
      const api = await kubectl(['exec', client, '-n', ns, '--', 'nslookup', 'kubernetes.default.svc.cluster.local']);
      expect(api.stdout).toContain('10.96.0.1');
    }

    const events = JSON.parse((await kubectl(['get', 'events', '-n', ns, '-o', 'json'])).stdout).items;
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e: any) => e.reason === 'MissingClusterDNS')).toEqual([]);
  });

  it('runs CoreDNS in kube-system behind the kube-dns Service, as kind does', async () => {
    const svc = JSON.parse((await kubectl(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json'])).stdout);
    expect(svc.spec.clusterIP).toBe('10.96.0.10');
    const deploy = JSON.parse((await kubectl(['get', 'deployment', 'coredns', '-n', 'kube-system', '-o', 'json'])).stdout);
    expect(deploy.status.readyReplicas).toBe(deploy.spec.replicas);
  });
});
