// Step 8, forward: 127.0.0.1:LOCAL -> the app's pod (port from --port or the container's port),
// following the app's label selector when the pod is replaced. Closed by the run's cleanups.

import type { ListrTask } from 'listr2';
import { openKube } from '../adapters/kube/client.js';
import { startForward } from '../adapters/kube/forward.js';
import { containerPort, forwardSelector } from '../core/port.js';
import type { ShipContext } from '../pipeline/context.js';

export function forwardTask(): ListrTask<ShipContext> {
  return {
    title: 'forward',
    task: async (ctx, task) => {
      const manifest = ctx.manifest ?? { objects: [], rewritten: [] };
      const remotePort = ctx.opts.port.remote ?? containerPort(manifest.objects, manifest.rewritten);
      const kube = (ctx.kube ??= openKube({ kubeconfig: ctx.opts.kubeconfig, context: ctx.opts.context, env: ctx.env }));
      const fwd = await startForward(kube, {
        namespace: ctx.namespace ?? kube.namespace,
        labelSelector: forwardSelector(manifest.objects, manifest.rewritten, ctx.project!.name),
        pod: ctx.readyPods?.[0],
        localPort: ctx.opts.port.local,
        remotePort,
        signal: ctx.signal,
        onInfo: quiet((m) => ctx.out.info(m), remotePort),
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

/**
 * The forward reports every failed connection; while the app is still starting (a pod without a
 * readiness probe is Ready before the JVM listens) that is one refusal per smoke retry. Say it once
 * in plain words, and repeat any message at most every 30 s.
 */
export function quiet(say: (m: string) => void, port: number, now: () => number = Date.now): (m: string) => void {
  const last = new Map<string, number>();
  return (m) => {
    const refused = /connection refused/i.test(m) && /forward/i.test(m);
    const pod = /forward \(([^)]+)\)/.exec(m)?.[1];
    const text = refused ? `forward${pod ? ` (${pod})` : ''}: nothing listens on port ${port} in the pod yet (connection refused); retrying` : m;
    const seen = last.get(text);
    if (seen !== undefined && now() - seen < 30_000) return;
    last.set(text, now());
    say(text);
  };
}
