// Step: apply. Server-side apply of the rendered manifest; a Pod that refuses an in-place change
// is recreated. The namespace is the flag's, else the manifest's, else the context's, else "default".

import type { ListrTask } from 'listr2';
import { ShipError } from '../errors.js';
import { openKube, type Kube } from '../adapters/kube/client.js';
import { applyObjects } from '../adapters/kube/apply.js';
import { isClusterScoped } from '../core/manifest/kinds.js';
import type { RenderedManifest } from '../core/manifest/types.js';
import type { AppliedObject, ShipContext } from '../pipeline/context.js';

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

export function applyTask(): ListrTask<ShipContext> {
  return {
    title: 'apply',
    task: async (ctx, task) => {
      if (!ctx.manifest) throw new ShipError('internal', 'The apply step ran before the manifest was rendered.');
      const kube = (ctx.kube ??= openKube({ kubeconfig: ctx.opts.kubeconfig, context: ctx.opts.context, env: ctx.env }));
      const namespace = resolveNamespace(ctx.opts.namespace, ctx.manifest, kube);
      ctx.namespace = namespace;
      const notes: string[] = [];
      ctx.applied = await applyObjects(kube, ctx.manifest, {
        namespace,
        fieldManager: 'ship',
        signal: ctx.signal,
        onInfo: (msg) => {
          notes.push(msg);
          task.output = msg;
          ctx.out.event({ type: 'log', level: 'info', message: msg });
        },
      });
      ctx.appliedAt = Date.now();
      const lines = ctx.applied.map(describeApplied);
      ctx.out.event({ type: 'applied', namespace, objects: ctx.applied });
      task.title = `apply · ${lines.length === 1 ? lines[0] : `${lines.length} objects`} · namespace ${namespace}`;
      if (lines.length > 1 || notes.length) task.output = [...lines, ...notes].join('\n');
    },
  };
}
