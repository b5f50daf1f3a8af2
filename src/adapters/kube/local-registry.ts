// KEP-1755: a cluster advertises its local registry in the kube-public/local-registry-hosting
// ConfigMap. This reads it; parsing and the push target are in src/core/registry.ts, and whether a
// run pushes there is the loader decision's (loaderChoiceFor, src/tasks/load.ts).

import { ApiException } from '@kubernetes/client-node';
import type { CoreV1Api } from '@kubernetes/client-node';
import { ShipError, errorMessage } from '../../errors.js';
import {
  LOCAL_REGISTRY_CONFIGMAP,
  parseLocalRegistryHosting,
  targetFromHosting,
  type LocalRegistryHosting,
  type RegistryTarget,
} from '../../core/registry.js';

/**
 * The cluster's advertised local registry, or undefined when the ConfigMap does not exist (404) or
 * this user may not read it (403: then ship cannot use it either). Other failures are a cluster error.
 */
export async function readLocalRegistryHosting(core: Pick<CoreV1Api, 'readNamespacedConfigMap'>): Promise<LocalRegistryHosting | undefined> {
  const { namespace, name } = LOCAL_REGISTRY_CONFIGMAP;
  let data: Record<string, string> | undefined;
  try {
    const cm = await core.readNamespacedConfigMap({ name, namespace });
    data = cm.data;
  } catch (e) {
    const code = e instanceof ApiException ? e.code : (e as { code?: unknown }).code;
    if (code === 404 || code === 403) return undefined;
    throw new ShipError('cluster', `The ${namespace}/${name} ConfigMap cannot be read: ${errorMessage(e)}`, {
      hint: `Check the cluster with: kubectl -n ${namespace} get configmap ${name}`,
      cause: e,
    });
  }
  return parseLocalRegistryHosting(data);
}

/** The push target the cluster advertises (push to `host`, nodes pull from `hostFromContainerRuntime`), if any. */
export async function localRegistryTarget(core: Pick<CoreV1Api, 'readNamespacedConfigMap'>): Promise<RegistryTarget | undefined> {
  return targetFromHosting(await readLocalRegistryHosting(core));
}
