// Loading the kubeconfig and connecting to the cluster (@kubernetes/client-node).
// client-node's loadFromDefault() silently falls back to http://localhost:8080 when there is no
// kubeconfig; ship checks for a file and a context first and says plainly what is missing.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, delimiter } from 'node:path';
import { KubeConfig, CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { ShipError } from '../../errors.js';
import { describeKubeconfigError } from './kubeconfig-error.js';
import { unreachableError } from './errors.js';

export interface Kube {
  kc: KubeConfig;
  /** Name of the context in use. */
  context: string;
  /** Cluster name of that context. */
  cluster: string;
  /** Namespace of the context, or "default". */
  namespace: string;
  /** API server URL. */
  server: string;
  /** The kubeconfig files that were read. */
  files: string[];
  core: CoreV1Api;
}

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
}

/** The kubeconfig files ship reads: --kubeconfig, else $KUBECONFIG (a path list), else ~/.kube/config. */
export function kubeconfigPaths(opts: KubeOptions): string[] {
  const raw = opts.kubeconfig ?? opts.env.KUBECONFIG;
  if (raw) return raw.split(delimiter).filter(Boolean);
  const home = opts.env.HOME ?? homedir();
  return [join(home, '.kube', 'config')];
}

/** Read the kubeconfig and select the context; no network. */
export function loadKubeConfig(opts: KubeOptions): { kc: KubeConfig; files: string[] } {
  const paths = kubeconfigPaths(opts);
  const files = paths.filter((p) => existsSync(p));
  if (files.length === 0) {
    throw new ShipError('kubeconfig', `No kubeconfig found (looked at ${paths.join(', ')}).`, {
      hint: 'Create a local cluster (kind create cluster, minikube start) or point --kubeconfig / KUBECONFIG at an existing kubeconfig.',
    });
  }
  const kc = new KubeConfig();
  for (const [i, file] of files.entries()) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (e) {
      const why = describeKubeconfigError(e);
      throw new ShipError('kubeconfig', `The kubeconfig ${file} cannot be read: ${why.message}`, {
        hint: 'Check that it is valid YAML (kubectl config view --kubeconfig ' + file + ').',
        details: why.details,
      });
    }
    if (i === 0) kc.loadFromFile(file);
    else kc.mergeConfig(one, true);
  }
  const names = kc.getContexts().map((c) => c.name);
  if (opts.context) {
    if (!names.includes(opts.context)) {
      throw new ShipError('kubeconfig', `The context "${opts.context}" is not in ${files.join(', ')}.`, {
        hint: names.length ? `Contexts there: ${names.join(', ')}.` : 'That kubeconfig has no contexts at all.',
      });
    }
    kc.setCurrentContext(opts.context);
  } else if (!kc.getCurrentContext() || !names.includes(kc.getCurrentContext())) {
    throw new ShipError('kubeconfig', `The kubeconfig ${files.join(', ')} has no current context.`, {
      hint: names.length
        ? `Pick one with --context (${names.join(', ')}) or run: kubectl config use-context ${names[0]}`
        : 'Create a cluster first (kind create cluster, minikube start).',
    });
  }
  return { kc, files };
}

export function describeKube(kc: KubeConfig, files: string[]): Omit<Kube, 'core'> {
  const context = kc.getCurrentContext();
  const ctx = kc.getContextObject(context);
  const cluster = kc.getCurrentCluster();
  if (!ctx || !cluster) {
    throw new ShipError('kubeconfig', `The context "${context}" names a cluster that is not defined.`, {
      hint: 'Check the kubeconfig with: kubectl config view',
    });
  }
  return { kc, context, cluster: cluster.name, namespace: ctx.namespace || 'default', server: cluster.server, files };
}

/** Load the kubeconfig (no network). */
export function openKube(opts: KubeOptions): Kube {
  const { kc, files } = loadKubeConfig(opts);
  return { ...describeKube(kc, files), core: kc.makeApiClient(CoreV1Api) };
}

/** Ask the API server for its version; turns every connection failure into one clear error. */
export async function serverVersion(kube: Kube, timeoutMs = 10_000): Promise<string> {
  const api = kube.kc.makeApiClient(VersionApi);
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      api.getCode(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
      }),
    ]);
    return info.gitVersion;
  } catch (e) {
    throw unreachableError(kube, e);
  } finally {
    clearTimeout(timer);
  }
}
