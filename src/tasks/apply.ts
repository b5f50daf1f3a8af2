// Step: apply. Server-side apply of the rendered manifest; a Pod that refuses an in-place change
// is recreated. The namespace is the flag's, else the manifest's, else the context's, else "default".

import type { Kube } from '../adapters/kube/client.js';
import { applyObjects, type AppliedObject } from '../adapters/kube/apply.js';
import { isClusterScoped } from '../core/manifest/kinds.js';
import type { RenderedManifest } from '../core/manifest/types.js';
import type { StepEnv, StepLine } from './types.js';

/** flag > the manifest's own (first namespaced object that names one) > the context's > "default". */
export function resolveNamespace(flag: string | undefined, manifest: RenderedManifest, kube: Pick<Kube, 'namespace'>): string {
  if (flag) return flag;
  const fromManifest = manifest.objects.find((o) => o.namespace && !isClusterScoped(o.kind))?.namespace;
  return fromManifest ?? (kube.namespace || 'default');
}

/** "pod/spring-pod created" */
export function describeApplied(a: AppliedObject): string {
  return `${a.kind.toLowerCase()}/${a.name} ${a.result}`;
}

export interface Applied {
  /** The namespace the objects went to. */
  namespace: string;
  objects: AppliedObject[];
  /** When the apply ended (epoch ms): the smoke step counts the first response from here. */
  at: number;
}

export async function applyStep(run: Pick<StepEnv, 'opts' | 'out' | 'signal'>, input: { kube: Kube; manifest: RenderedManifest }, ui: StepLine): Promise<Applied> {
  const { kube, manifest } = input;
  const namespace = resolveNamespace(run.opts.namespace, manifest, kube);
  const notes: string[] = [];
  const objects = await applyObjects(kube, manifest, {
    namespace,
    fieldManager: 'ship',
    signal: run.signal,
    onInfo: (msg) => {
      notes.push(msg);
      ui.output = msg;
      run.out.event({ type: 'log', level: 'info', message: msg });
    },
  });
  const at = Date.now();
  const lines = objects.map(describeApplied);
  run.out.event({ type: 'applied', namespace, objects });
  ui.title = `apply · ${lines.length === 1 ? lines[0] : `${lines.length} objects`} · namespace ${namespace}`;
  if (lines.length > 1 || notes.length) ui.output = [...lines, ...notes].join('\n');
  return { namespace, objects, at };
}
