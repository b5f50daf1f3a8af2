// Step 8, forward: 127.0.0.1:LOCAL -> the app's pod (port from --port or the container's port),
// following the app's label selector when the pod is replaced. Closed by the run's cleanups.

import type { ListrTask } from 'listr2';
import { startForward } from '../adapters/kube/forward.js';
import { containerPort } from '../core/port.js';
import { MANAGED_BY_LABEL, NAME_LABEL } from '../core/manifest.js';
import type { ShipContext } from '../pipeline/context.js';

export function appSelector(app: string): string {
  return `${MANAGED_BY_LABEL}=ship,${NAME_LABEL}=${app}`;
}

export function forwardTask(): ListrTask<ShipContext> {
  return {
    title: 'forward',
    task: async (ctx, task) => {
      const remotePort = ctx.opts.port.remote ?? (ctx.manifest ? containerPort(ctx.manifest.objects, ctx.manifest.rewritten) : 8080);
      const fwd = await startForward(ctx.kube!, {
        namespace: ctx.namespace ?? ctx.kube!.namespace,
        labelSelector: appSelector(ctx.project!.name),
        pod: ctx.readyPods?.[0],
        localPort: ctx.opts.port.local,
        remotePort,
        signal: ctx.signal,
        onInfo: (m) => ctx.out.info(m),
        onEvent: (e) => {
          ctx.out.event({ ...e, type: `forward-${e.type}` });
          if (e.type === 'retarget' && ctx.forward) ctx.forward.pod = e.to;
        },
      });
      ctx.cleanups.push(() => fwd.close());
      ctx.forward = { localPort: fwd.localPort, remotePort, url: fwd.url, pod: fwd.pod() };
      task.title = `forward · ${fwd.url} → pod/${fwd.pod()}:${remotePort}`;
    },
  };
}
