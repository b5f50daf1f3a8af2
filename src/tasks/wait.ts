// Step: wait. Until the app's pods are Ready — or until a failure is certain (crash loop, pull
// error, missing ConfigMap, unschedulable...), which ends the wait at once with a diagnosis.

import type { Kube } from '../adapters/kube/client.js';
import type { PodApi } from '../adapters/kube/pods.js';
import { waitForReady } from '../adapters/kube/wait-ready.js';
import { PodFailureError } from '../core/wait-progress.js';
import type { ImageLoader } from '../adapters/loaders/index.js';
import { shortRef } from '../core/image-ref.js';
import type { RenderedManifest } from '../core/manifest/types.js';
import type { ImageResult } from '../core/model.js';
import { deploymentNames, expectedPods, podSelector } from '../core/wait-plan.js';
import type { StepEnv, StepLine } from './types.js';

export interface WaitInput {
  /** The cluster (tests: a PodApi fake). */
  cluster: Kube | PodApi;
  namespace: string;
  manifest: RenderedManifest;
  /** The app's name: with managed-by=ship, the pods' label selector. */
  app: string;
  /** The image ship built, and the loader that put it on the nodes (asked when a pull fails). */
  image?: ImageResult;
  loader?: ImageLoader;
}

/**
 * Waits for the pods of the manifest in the namespace; returns the pods that became Ready. On a
 * diagnosed failure emits a `diagnosis` event, then throws.
 */
export async function waitStep(run: Pick<StepEnv, 'opts' | 'out' | 'signal'>, input: WaitInput, ui: StepLine): Promise<string[]> {
  const { manifest, image, loader, namespace } = input;
  const expected = expectedPods(manifest.objects);
  ui.title = `wait · ${expected} pod${expected === 1 ? '' : 's'} Ready`;
  try {
    const { ready } = await waitForReady(input.cluster, {
      namespace,
      labelSelector: podSelector(manifest.objects, input.app),
      expected,
      deployments: deploymentNames(manifest.objects),
      timeoutMs: run.opts.timeoutMs,
      signal: run.signal,
      builtImages: image ? [image.ref] : [],
      // Only the image ship built has an ID the loader can look for on the node.
      nodeHasImage:
        image && loader
          ? async (ref) => (shortRef(ref) === shortRef(image.ref) ? loader.has({ ref: image.ref, id: image.id }, run.signal) : undefined)
          : undefined,
      onStatus: (line) => (ui.output = line),
    });
    ui.title = `wait · ${ready.length ? ready.join(', ') : 'nothing to wait for'} Ready`;
    return ready;
  } catch (e) {
    if (e instanceof PodFailureError && e.diagnosis) {
      const d = e.diagnosis;
      run.out.event({
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
