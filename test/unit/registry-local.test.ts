import { ApiException } from '@kubernetes/client-node';
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { localRegistryTarget, readLocalRegistryHosting } from '../../src/adapters/kube/local-registry.js';

type Core = Pick<CoreV1Api, 'readNamespacedConfigMap'>;

function fakeCore(answer: V1ConfigMap | Error): Core & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    readNamespacedConfigMap: (async (param: unknown) => {
      asked.push(param);
      if (answer instanceof Error) throw answer;
      return answer;
    }) as Core['readNamespacedConfigMap'],
  };
}

describe('reading the local-registry-hosting ConfigMap', () => {
  it('reads kube-public/local-registry-hosting and gives the push target', async () => {
    const core = fakeCore({ data: { 'localRegistryHosting.v1': 'host: "localhost:5001"\nhostFromContainerRuntime: "kind-registry:5000"\n' } });
    expect(await localRegistryTarget(core)).toMatchObject({ host: 'localhost:5001', pullHost: 'kind-registry:5000', prefix: '' });
    expect(core.asked).toEqual([{ name: 'local-registry-hosting', namespace: 'kube-public' }]);
  });
  it('is undefined when the ConfigMap does not exist or may not be read', async () => {
    expect(await readLocalRegistryHosting(fakeCore(new ApiException(404, 'not found', {}, {})))).toBeUndefined();
    expect(await readLocalRegistryHosting(fakeCore(new ApiException(403, 'forbidden', {}, {})))).toBeUndefined();
    expect(await localRegistryTarget(fakeCore({ data: {} }))).toBeUndefined();
  });
  it('turns other failures into a cluster error', async () => {
    await expect(readLocalRegistryHosting(fakeCore(new ApiException(500, 'boom', {}, {})))).rejects.toMatchObject({ code: 'cluster' });
    await expect(readLocalRegistryHosting(fakeCore(new Error('connect ECONNREFUSED 127.0.0.1:6443')))).rejects.toMatchObject({
      code: 'cluster',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
