// Step: load. Get the image ship built into the cluster's image store (kind/k3d nodes' containerd,
// a containerd on this machine, minikube, or nothing for a shared Docker daemon).

import type { ListrTask } from 'listr2';
import { ShipError } from '../errors.js';
import { chooseLoader, describeChoice, type LoaderChoice } from '../core/cluster-detect.js';
import { clusterFactsFromKube } from '../adapters/loaders/kube-facts.js';
import { createLoader } from '../adapters/loaders/index.js';
import { execaRunner } from '../adapters/process.js';
import { localRegistryTarget } from '../adapters/kube/local-registry.js';
import type { LoadResult, ShipContext } from '../pipeline/context.js';

/** The loader for this context and these flags. The pipeline calls it before the image step too
 * (minikube's docker runtime changes which Docker daemon the image is built in). */
export function resolveLoaderChoice(ctx: Pick<ShipContext, 'kube' | 'opts'>): LoaderChoice {
  if (!ctx.kube) throw new ShipError('internal', 'The loader was chosen before the kubeconfig was read.');
  return chooseLoader(clusterFactsFromKube(ctx.kube, { load: ctx.opts.load, allowContexts: ctx.opts.allowContexts, registry: ctx.opts.registry }));
}

/**
 * A cluster that advertises a local registry (KEP-1755's kube-public/local-registry-hosting
 * ConfigMap) gets pushes to it instead of loads — unless --load or --registry said otherwise.
 */
export async function withAdvertisedRegistry(ctx: Pick<ShipContext, 'kube' | 'opts'>, choice: LoaderChoice): Promise<LoaderChoice> {
  if (ctx.opts.load || ctx.opts.registry || choice.kind === 'registry' || !ctx.kube) return choice;
  const target = await localRegistryTarget(ctx.kube.core);
  return target ? { kind: 'registry', registry: target.host, target } : choice;
}

/**
 * The whole decision: flags and context name (resolveLoaderChoice), then the cluster's advertised
 * registry — which is also what lets an allowed context ship does not recognise (--allow-context)
 * work without --registry: otherwise ship would have no way to get the image there.
 */
export async function loaderChoiceFor(ctx: Pick<ShipContext, 'kube' | 'opts'>): Promise<LoaderChoice> {
  let choice: LoaderChoice;
  try {
    choice = resolveLoaderChoice(ctx);
  } catch (e) {
    const { kube, opts } = ctx;
    if (!(e instanceof ShipError) || !kube || !opts.allowContexts.includes(kube.context) || opts.load || opts.registry) throw e;
    const target = await localRegistryTarget(kube.core).catch(() => undefined);
    if (!target) throw e;
    return { kind: 'registry', registry: target.host, target };
  }
  return withAdvertisedRegistry(ctx, choice);
}

export function loadTask(): ListrTask<ShipContext> {
  return {
    title: 'load',
    task: async (ctx, task) => {
      const choice = (ctx.loaderChoice ??= await loaderChoiceFor(ctx));
      task.title = `load · ${describeChoice(choice)}`;
      ctx.load = await loadImage(ctx, choice, (m) => (task.output = m));
      task.title = `load · ${describeLoad(ctx.load, ctx.image!.ref)}`;
      // Nothing had to move: show (and record) the step as skipped.
      if (ctx.load.action === 'skipped' || ctx.load.action === 'shared') task.skip(task.title);
    },
  };
}

/** Create the loader, keep it on the context (the wait step asks it `has`), and load. */
export async function loadImage(ctx: ShipContext, choice: LoaderChoice, onInfo?: (m: string) => void): Promise<LoadResult> {
  if (!ctx.image) throw new ShipError('internal', 'The load step ran before the image step.');
  if (!ctx.docker) throw new ShipError('internal', 'The load step needs the Docker connection.');
  const loader = createLoader(choice, { docker: ctx.docker, runner: ctx.runner ?? execaRunner, env: ctx.env });
  ctx.loader = loader;
  return loader.load({ ref: ctx.image.ref, id: ctx.image.id }, { signal: ctx.signal, onInfo });
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
