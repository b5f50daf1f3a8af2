// Step: load. Put the image ship built into the cluster's image store (kind/k3d nodes' containerd,
// a containerd on this machine, minikube, a registry, or nothing for a shared Docker daemon).
// The loader decision (loaderChoiceFor) and the loader's preflight are made here once; the check
// step and `ship doctor` use them too.

import { ShipError } from '../errors.js';
import { chooseLoader, describeChoice, type LoaderChoice } from '../core/cluster-detect.js';
import type { ImageResult, ShipOptions } from '../core/model.js';
import type { Kube } from '../adapters/kube/client.js';
import { clusterFactsFromKube } from '../adapters/loaders/kube-facts.js';
import { createLoader, type ImageLoader, type LoadResult, type LoaderDeps } from '../adapters/loaders/index.js';
import { localRegistryTarget } from '../adapters/kube/local-registry.js';
import type { StepEnv, StepUi } from './types.js';

/** What the loader decision reads: the context and the flags that can override it. */
export interface LoaderQuestion {
  kube: Kube;
  opts: Pick<ShipOptions, 'load' | 'allowContexts' | 'registry'>;
}

/** The loader for this context and these flags, from the kubeconfig alone (no cluster call). */
export function resolveLoaderChoice(q: LoaderQuestion): LoaderChoice {
  return chooseLoader(clusterFactsFromKube(q.kube, { load: q.opts.load, allowContexts: q.opts.allowContexts, registry: q.opts.registry }));
}

/**
 * A cluster that advertises a local registry (KEP-1755's kube-public/local-registry-hosting
 * ConfigMap) gets pushes to it instead of loads — unless --load or --registry said otherwise.
 */
export async function withAdvertisedRegistry(q: LoaderQuestion, choice: LoaderChoice): Promise<LoaderChoice> {
  if (q.opts.load || q.opts.registry || choice.kind === 'registry') return choice;
  const target = await localRegistryTarget(q.kube.core);
  return target ? { kind: 'registry', registry: target.host, target } : choice;
}

/**
 * The whole decision: flags and context name (resolveLoaderChoice), then the cluster's advertised
 * registry — which is also what lets an allowed context ship does not recognise (--allow-context)
 * work without --registry: otherwise ship would have no way to get the image there.
 */
export async function loaderChoiceFor(q: LoaderQuestion): Promise<LoaderChoice> {
  let choice: LoaderChoice;
  try {
    choice = resolveLoaderChoice(q);
  } catch (e) {
    const { kube, opts } = q;
    if (!(e instanceof ShipError) || !opts.allowContexts.includes(kube.context) || opts.load || opts.registry) throw e;
    const target = await localRegistryTarget(kube.core).catch(() => undefined);
    if (!target) throw e;
    return { kind: 'registry', registry: target.host, target };
  }
  return withAdvertisedRegistry(q, choice);
}

/** The loader's cheap checks that can fail before the build (kind/k3d: the node containers exist and run). */
export async function preflightLoader(choice: LoaderChoice, deps: LoaderDeps, signal?: AbortSignal): Promise<void> {
  await createLoader(choice, deps).preflight?.(signal);
}

export interface Loaded {
  result: LoadResult;
  /** The loader used; the wait step asks it whether a node has the image. */
  loader: ImageLoader;
}

export async function loadStep(run: Pick<StepEnv, 'signal'>, input: { choice: LoaderChoice; image: ImageResult; deps: LoaderDeps }, ui: StepUi): Promise<Loaded> {
  const { choice, image } = input;
  ui.title = `load · ${describeChoice(choice)}`;
  const loader = createLoader(choice, input.deps);
  const result = await loader.load({ ref: image.ref, id: image.id }, { signal: run.signal, onInfo: (m) => (ui.output = m) });
  ui.title = `load · ${describeLoad(result, image.ref)}`;
  // Nothing had to move: show (and record) the step as skipped.
  if (result.action === 'skipped' || result.action === 'shared') ui.skip(ui.title);
  return { result, loader };
}

export function describeLoad(r: LoadResult, ref: string): string {
  switch (r.action) {
    case 'skipped':
      return r.nodes.length ? `${ref} already on node(s) ${r.nodes.join(', ')}` : `${ref}: ${r.detail ?? 'skipped'}`;
    case 'shared':
      return `${ref} · ${r.detail ?? 'shared Docker daemon, nothing to load'}`;
    default:
      return `${ref} · ${r.loader}: ${r.detail ?? r.action}`;
  }
}
