// `ship delete [dir]` (alias `ship down`): remove everything ship applied for this app, found by
// ship's labels, and wait until it is gone. Idempotent: nothing there is not an error. Objects
// without ship's labels are never touched.

import type { CommandIo } from './io.js';
import { createOutput, type Output } from '../pipeline/output.js';
import type { Kube } from '../adapters/kube/client.js';
import { parseDuration } from '../core/options.js';
import { appSelector, describeObject } from '../core/app-objects.js';
import { deleteAppObjects } from '../adapters/kube/delete.js';
import { kubeObjectsApi, type ObjectsApi } from '../adapters/kube/objects.js';
import { openTarget, type TargetFlags } from './target.js';
import { plural } from '../core/text.js';

export interface DeleteFlags extends TargetFlags {
  json?: boolean;
  /** commander's --no-wait gives wait: false. */
  wait?: boolean;
  timeout?: string;
  /** Delete pods with a 1 second grace period instead of their own (30 s by default). */
  now?: boolean;
}

export async function runDeleteCommand(dir: string, flags: DeleteFlags, io: CommandIo, api?: ObjectsApi): Promise<number> {
  const out = createOutput({ json: flags.json ?? false, stdout: io.stdout, stderr: io.stderr });
  const timeoutMs = parseDuration(flags.timeout ?? '2m');
  const target = await openTarget(dir, flags, io);
  const objects = api ?? kubeObjectsApi(target.kube);
  const wait = flags.wait ?? true;
  let lastWaitLine = '';

  const result = await deleteAppObjects({
    api: objects,
    namespace: target.namespace,
    app: target.app,
    wait,
    timeoutMs,
    signal: io.signal,
    gracePeriodSeconds: flags.now ? 1 : undefined,
    onDeleted: (o) => {
      out.info(`${o.terminating ? 'already deleting' : 'deleted'} ${describeObject(o)}`);
      out.event({ type: 'deleted', kind: o.kind, name: o.name, namespace: o.namespace, alreadyTerminating: o.terminating });
    },
    onWaiting: (left) => {
      const line = `waiting for ${left.map(describeObject).join(', ')} to go…`;
      if (line !== lastWaitLine) out.info(line);
      lastWaitLine = line;
    },
  });

  const total = result.deleted.length + result.cascaded.length;
  if (total === 0) {
    out.info(`Nothing to delete: ship has nothing for "${target.app}" in namespace ${target.namespace} (context ${target.kube.context}).`);
    if (!target.namespaceExplicit) {
      const elsewhere = await otherNamespaces(target.kube, appSelector(target.app), target.namespace);
      if (elsewhere.length) out.info(`(it has pods in namespace ${elsewhere.join(', ')}: ship delete -n ${elsewhere[0]})`);
    }
  } else if (result.waited) {
    out.info(`Deleted ${plural(total, 'object')} of "${target.app}" from namespace ${target.namespace}; all gone.`);
  } else {
    out.info(`Deletion of ${plural(total, 'object')} of "${target.app}" requested (not waiting: --no-wait).`);
  }
  out.event({
    type: 'result',
    ok: true,
    exitCode: 0,
    app: target.app,
    namespace: target.namespace,
    deleted: result.deleted.map((o) => ({ kind: o.kind, name: o.name })),
    cascaded: result.cascaded.map((o) => ({ kind: o.kind, name: o.name })),
    waited: result.waited,
  });
  return 0;
}

async function otherNamespaces(kube: import('../adapters/kube/client.js').Kube, selector: string, current: string): Promise<string[]> {
  try {
    const pods = await kube.core.listPodForAllNamespaces({ labelSelector: selector });
    return [...new Set(pods.items.map((p) => p.metadata?.namespace ?? ''))].filter((n) => n && n !== current);
  } catch {
    return [];
  }
}

/**
 * For `ship dev --cleanup`: delete what this run deployed (by the app's labels) and wait until it
 * is gone. Runs after Ctrl-C, so it does not use the run's (already aborted) signal: it has its
 * own deadline instead.
 */
export async function deleteApp(deployed: { kube: Kube; app: string; namespace: string }, out: Output, timeoutMs = 60_000): Promise<void> {
  const { kube, app, namespace } = deployed;
  const result = await deleteAppObjects({
    api: kubeObjectsApi(kube),
    namespace,
    app,
    wait: true,
    timeoutMs,
    signal: AbortSignal.timeout(timeoutMs + 5_000),
    onDeleted: (o) => out.info(`deleted ${describeObject(o)}`),
  });
  const total = result.deleted.length + result.cascaded.length;
  out.info(total ? `cleanup: ${plural(total, 'object')} of "${app}" deleted from namespace ${namespace}.` : 'cleanup: nothing to delete.');
}
