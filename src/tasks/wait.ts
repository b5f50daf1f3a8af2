// Step: wait. Until the app's pods are Ready — or until a failure is certain (crash loop, pull
// error, missing ConfigMap, unschedulable...), which ends the wait at once with a diagnosis.

import type { ListrTask } from 'listr2';
import { ShipError } from '../errors.js';
import { openKube, type Kube } from '../adapters/kube/client.js';
import { PodFailureError } from '../core/wait-progress.js';
import type { PodApi } from '../adapters/kube/pods.js';
import { waitForReady } from '../adapters/kube/wait-ready.js';
import { shortRef } from '../core/image-ref.js';
import { deploymentNames, expectedPods, podSelector } from '../core/wait-plan.js';
import type { ShipContext } from '../pipeline/context.js';

export function waitTask(): ListrTask<ShipContext> {
  return {
    title: 'wait',
    task: async (ctx, task) => {
      await waitForApp(ctx, {
        onStatus: (line) => (task.output = line),
        onTitle: (title) => (task.title = title),
      });
    },
  };
}

/**
 * Waits for the pods of ctx.manifest (selector: managed-by=ship + the app's name label) in
 * ctx.namespace; sets ctx.readyPods. On a diagnosed failure emits a `diagnosis` event, then throws.
 * `source` replaces the cluster in tests.
 */
export async function waitForApp(
  ctx: ShipContext,
  ui: { onStatus: (line: string) => void; onTitle?: (title: string) => void },
  source?: Kube | PodApi,
): Promise<string[]> {
  if (!ctx.manifest || !ctx.project) throw new ShipError('internal', 'The wait step ran before the manifest was rendered.');
  const cluster = source ?? (ctx.kube ??= openKube({ kubeconfig: ctx.opts.kubeconfig, context: ctx.opts.context, env: ctx.env }));
  const namespace = ctx.namespace ?? ctx.kube?.namespace ?? 'default';
  const expected = expectedPods(ctx.manifest.objects);
  const image = ctx.image;
  const loader = ctx.loader;
  ui.onTitle?.(`wait · ${expected} pod${expected === 1 ? '' : 's'} Ready`);
  try {
    const { ready } = await waitForReady(cluster, {
      namespace,
      labelSelector: podSelector(ctx.manifest.objects, ctx.project.name),
      expected,
      deployments: deploymentNames(ctx.manifest.objects),
      timeoutMs: ctx.opts.timeoutMs,
      signal: ctx.signal,
      builtImages: image ? [image.ref] : [],
      // Only the image ship built has an ID the loader can look for on the node.
      nodeHasImage:
        image && loader
          ? async (ref) => (shortRef(ref) === shortRef(image.ref) ? loader.has({ ref: image.ref, id: image.id }, ctx.signal) : undefined)
          : undefined,
      onStatus: ui.onStatus,
    });
    ctx.readyPods = ready;
    ui.onTitle?.(`wait · ${ready.length ? ready.join(', ') : 'nothing to wait for'} Ready`);
    return ready;
  } catch (e) {
    if (e instanceof PodFailureError && e.diagnosis) {
      const d = e.diagnosis;
      ctx.out.event({
        type: 'diagnosis',
        reason: d.reason,
        message: d.message,
        pod: d.pod,
        container: d.container,
        details: d.details,
        hint: d.hint,
        certain: d.certain,
        outcome: e.code,
      });
    }
    throw e;
  }
}
