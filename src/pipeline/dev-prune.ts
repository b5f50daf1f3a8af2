// ship dev, after each successful deploy: remove ship's older images of the app from the nodes
// and from Docker (src/tasks/prune.ts decides and removes). Never fails the loop: an image that
// cannot be removed now is tried again after the next deploy.

import { isShipError, errorMessage } from '../errors.js';
import { podImages } from '../adapters/kube/app-pods.js';
import { describePrune, pruneDevImages } from '../tasks/prune.js';
import type { RunContext } from './context.js';
import type { RunResult } from './up.js';

export type PrunableRun = Pick<RunResult, 'deployed'> & Partial<Pick<RunResult, 'loader' | 'load'>> & { image?: { ref: string } };

export async function pruneAfterDeploy(ctx: RunContext, r: PrunableRun): Promise<void> {
  const docker = ctx.docker;
  if (!docker || !r.image || !r.deployed) return;
  const { kube, app, namespace } = r.deployed;
  try {
    const result = await pruneDevImages({
      docker,
      ...(r.loader ? { loader: r.loader } : {}),
      app,
      current: r.image.ref,
      podImages: () => podImages(kube, namespace),
      signal: ctx.signal,
    });
    const where = r.loader?.removeImages && r.load?.nodes.length ? `node${r.load.nodes.length === 1 ? '' : 's'} ${r.load.nodes.join(', ')}` : undefined;
    const line = describePrune(app, result, where);
    if (line) ctx.out.info(line);
    ctx.out.event({ type: 'prune', app, keep: result.keep, removed: result.removed, left: result.left, ...(result.skipped ? { skipped: result.skipped } : {}) });
  } catch (e) {
    if (ctx.signal.aborted) return;
    ctx.out.info(`images · older images of ${app} not removed this time: ${isShipError(e) ? e.message : errorMessage(e)}`);
  }
}
