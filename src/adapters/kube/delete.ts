// Deleting what ship applied for an app (by label) and waiting until it is gone.

import { ShipError, throwIfAborted } from '../../errors.js';
import { appSelector, describeObject, planDeletion, type FoundObject } from '../../core/app-objects.js';
import { sleep } from '../../core/sleep.js';
import { listAppObjects, type ObjectsApi } from './objects.js';

export interface DeleteAppOptions {
  api: ObjectsApi;
  namespace: string;
  app: string;
  /** Wait until every object (and what it owned) is gone. */
  wait: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  gracePeriodSeconds?: number;
  pollMs?: number;
  /** Progress: each delete sent, then what is still there while waiting. */
  onDeleted?: (o: FoundObject) => void;
  onWaiting?: (left: FoundObject[]) => void;
}

export interface DeleteAppResult {
  deleted: FoundObject[];
  cascaded: FoundObject[];
  /** Whether it waited until everything was gone. */
  waited: boolean;
}

/** Delete what ship applied for the app (by label) and, unless told not to, wait until it is gone. */
export async function deleteAppObjects(o: DeleteAppOptions): Promise<DeleteAppResult> {
  const found = await listAppObjects(o.api, o.namespace, o.app);
  const plan = planDeletion(found);
  for (const obj of plan.delete) {
    throwIfAborted(o.signal);
    if (!obj.terminating) await o.api.delete(obj, { gracePeriodSeconds: o.gracePeriodSeconds });
    o.onDeleted?.(obj);
  }
  if (!o.wait || found.length === 0) return { deleted: plan.delete, cascaded: plan.cascaded, waited: false };

  const deadline = Date.now() + o.timeoutMs;
  const pollMs = o.pollMs ?? 500;
  for (;;) {
    throwIfAborted(o.signal);
    const left = await listAppObjects(o.api, o.namespace, o.app);
    if (left.length === 0) return { deleted: plan.delete, cascaded: plan.cascaded, waited: true };
    o.onWaiting?.(left);
    if (Date.now() >= deadline) {
      throw new ShipError('timeout', `Still there after ${Math.round(o.timeoutMs / 1000)}s: ${left.map(describeObject).join(', ')}.`, {
        hint: 'Pods that ignore SIGTERM are killed after their grace period (30s by default); finalizers can hold objects forever. Look with: kubectl get ' + [...new Set(left.map((l) => l.kind.toLowerCase()))].join(',') + ` -n ${o.namespace} -l ${appSelector(o.app)}`,
      });
    }
    await sleep(pollMs, o.signal);
  }
}
