// A Kube for a fake API server on 127.0.0.1 (token auth, plain HTTP), for unit tests.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Kube } from '../../src/adapters/kube/client.js';

export function fakeKube(port: number, namespace = 'default'): Kube {
  const server = `http://127.0.0.1:${port}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'dev', token: 't' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'dev' }],
    currentContext: 'fake',
  });
  return { kc, context: 'fake', cluster: 'fake', namespace, server, files: [], core: kc.makeApiClient(CoreV1Api) };
}

/** An HTTP server on 127.0.0.1 answering as the API server, and a Kube pointing at it. */
export async function startFakeApi(handler: RequestListener): Promise<{ kube: Kube; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    kube: fakeKube(port),
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
