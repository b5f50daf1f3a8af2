// The labelled objects of an app through the Kubernetes object API: list them over every kind ship
// applies, delete one. An interface (ObjectsApi) so unit tests hand in a fake.

import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { errorMessage } from '../../errors.js';
import { SHIP_KINDS, appSelectors, describeObject, isShipObject, toFound, type FoundObject, type KindSpec } from '../../core/app-objects.js';
import type { Kube } from './client.js';
import { clusterError } from './errors.js';

export interface ObjectsApi {
  /** Labelled objects of one kind in a namespace; [] when the server does not serve the kind. */
  list(kind: KindSpec, namespace: string, labelSelector: string): Promise<KubernetesObject[]>;
  /** Delete one object; an object that is already gone is not an error. */
  delete(o: FoundObject, opts: { gracePeriodSeconds?: number }): Promise<void>;
}

export function kubeObjectsApi(kube: Kube): ObjectsApi {
  const api = KubernetesObjectApi.makeApiClient(kube.kc);
  const unserved = new Set<string>();
  return {
    async list(kind, namespace, labelSelector) {
      const key = `${kind.apiVersion}/${kind.kind}`;
      if (unserved.has(key)) return [];
      try {
        const res = await api.list(kind.apiVersion, kind.kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
        return res.items ?? [];
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code === 404 || /Unrecognized API version and kind/.test(errorMessage(e))) {
          unserved.add(key);
          return [];
        }
        throw clusterError(`list ${kind.kind} objects in namespace "${namespace}"`, kube, e);
      }
    },
    async delete(o, opts) {
      try {
        await api.delete(
          { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, namespace: o.namespace } },
          undefined,
          undefined,
          opts.gracePeriodSeconds,
          undefined,
          'Background',
        );
      } catch (e) {
        if ((e as { code?: number }).code === 404) return;
        throw clusterError(`delete ${describeObject(o)} in namespace "${o.namespace}"`, kube, e);
      }
    },
  };
}

/** Every labelled object of the app in the namespace, over all the kinds ship applies. */
export async function listAppObjects(api: ObjectsApi, namespace: string, app: string): Promise<FoundObject[]> {
  const lists = await Promise.all(
    SHIP_KINDS.flatMap((k) => appSelectors(app).map(async (selector) => ({ k, items: await api.list(k, namespace, selector) }))),
  );
  const found: FoundObject[] = [];
  const seen = new Set<string>();
  for (const { k, items } of lists) {
    for (const o of items) {
      const key = `${k.kind}/${o.metadata?.name ?? ''}`;
      if (!isShipObject(o, app) || seen.has(key)) continue;
      seen.add(key);
      found.push(toFound(k, o, namespace));
    }
  }
  return found;
}

