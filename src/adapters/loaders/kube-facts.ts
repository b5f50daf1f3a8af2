// What cluster detection needs from the kubeconfig: names, server, and the marks a tool leaves
// (minikube's `extensions: [{extension: {provider: minikube.sigs.k8s.io}}]`, its ~/.minikube
// certificate paths). client-node drops `extensions`, so they are read from the files themselves.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Kube } from '../kube/client.js';
import type { ClusterFacts } from '../../core/cluster-detect.js';

interface Named<T> {
  name?: string;
  cluster?: T;
  context?: T;
}
interface WithExtensions {
  extensions?: Array<{ name?: string; extension?: { provider?: string } }>;
}

/** `provider` values of the named cluster's and context's extensions, from the kubeconfig text. */
export function extensionProviders(kubeconfigText: string, cluster: string, context: string): string[] {
  let doc: { clusters?: Array<Named<WithExtensions>>; contexts?: Array<Named<WithExtensions>> } | undefined;
  try {
    doc = parse(kubeconfigText) as typeof doc;
  } catch {
    return [];
  }
  const out: string[] = [];
  const collect = (e?: WithExtensions) => {
    for (const x of e?.extensions ?? []) if (typeof x?.extension?.provider === 'string') out.push(x.extension.provider);
  };
  collect(doc?.clusters?.find((c) => c?.name === cluster)?.cluster);
  collect(doc?.contexts?.find((c) => c?.name === context)?.context);
  return out;
}

export function clusterFactsFromKube(
  kube: Pick<Kube, 'kc' | 'context' | 'cluster' | 'server' | 'files'>,
  flags: { load?: string; allowContexts: string[]; registry?: string },
  readText: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): ClusterFacts {
  const ctxObj = kube.kc.getContextObject(kube.context);
  const user = ctxObj?.user ? kube.kc.getUser(ctxObj.user) : null;
  const cluster = kube.kc.getCluster(kube.cluster);
  const providers: string[] = [];
  for (const f of kube.files) {
    try {
      providers.push(...extensionProviders(readText(f), kube.cluster, kube.context));
    } catch {
      // an unreadable file was already reported by the kubeconfig loader
    }
  }
  return {
    context: kube.context,
    cluster: kube.cluster,
    server: kube.server,
    user: ctxObj?.user,
    loadFlag: flags.load,
    allowContexts: flags.allowContexts,
    registry: flags.registry,
    marks: { providers, caFile: cluster?.caFile, certFile: user?.certFile, keyFile: user?.keyFile },
  };
}
