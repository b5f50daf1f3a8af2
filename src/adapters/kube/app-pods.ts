// Reading an app's pods by label, in one namespace or in all of them, and one pod by name.

import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from './client.js';
import { clusterError } from './errors.js';

/** The pods matching `selector` in `namespace`; a refusal is a ShipError naming the app. */
export async function listAppPods(kube: Kube, namespace: string, selector: string, app: string): Promise<V1Pod[]> {
  try {
    return (await kube.core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  } catch (e) {
    throw clusterError(`list the pods of "${app}" in namespace "${namespace}"`, kube, e);
  }
}

/** The pods matching `selector` in every namespace; [] when that cannot be listed (e.g. not allowed). */
export async function listAppPodsEverywhere(kube: Kube, selector: string): Promise<V1Pod[]> {
  try {
    return (await kube.core.listPodForAllNamespaces({ labelSelector: selector })).items;
  } catch {
    return [];
  }
}

/** The pod of that exact name, or undefined when there is none. */
export async function readPodIfAny(kube: Kube, name: string, namespace: string): Promise<V1Pod | undefined> {
  try {
    return await kube.core.readNamespacedPod({ name, namespace });
  } catch (e) {
    if ((e as { code?: number }).code !== 404) throw clusterError(`read pod "${name}"`, kube, e);
    return undefined;
  }
}

/**
 * The images every pod of the cluster names (containers and init containers), in every namespace
 * when that may be listed, else in `namespace`; undefined when neither can be read.
 */
export async function podImages(kube: Kube, namespace: string): Promise<string[] | undefined> {
  const imagesOf = (pods: V1Pod[]) =>
    pods.flatMap((p) => [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].map((c) => c.image ?? '').filter(Boolean));
  try {
    return imagesOf((await kube.core.listPodForAllNamespaces({})).items);
  } catch {
    try {
      return imagesOf((await kube.core.listNamespacedPod({ namespace })).items);
    } catch {
      return undefined;
    }
  }
}
