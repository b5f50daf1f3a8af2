// Step: forward. 127.0.0.1:LOCAL -> the app's pod (port from --port or the container's port),
// following the app's label selector when the pod is replaced. Closed by the run's cleanups.

import type { Kube } from '../adapters/kube/client.js';
import { startForward } from '../adapters/kube/forward.js';
import type { RenderedManifest } from '../core/manifest/types.js';
import type { ForwardInfo } from '../core/model.js';
import { containerPort, forwardSelector } from '../core/port.js';
import type { StepEnv, StepLine } from './types.js';

export interface ForwardInput {
  kube: Kube;
  namespace: string;
  manifest: RenderedManifest;
  /** The app's name (the selector of a manifest without ship's labels). */
  app: string;
  /** The pod to start with (the first Ready one). */
  pod?: string;
}

/** Opens the forward and registers its close; the returned info's `pod` follows a replacement. */
export async function forwardStep(run: Pick<StepEnv, 'opts' | 'out' | 'signal' | 'cleanups'>, input: ForwardInput, ui: StepLine): Promise<ForwardInfo> {
  const { manifest } = input;
  const remotePort = run.opts.port.remote ?? containerPort(manifest.objects, manifest.rewritten);
  let info: ForwardInfo | undefined;
  const fwd = await startForward(input.kube, {
    namespace: input.namespace,
    labelSelector: forwardSelector(manifest.objects, manifest.rewritten, input.app),
    pod: input.pod,
    localPort: run.opts.port.local,
    remotePort,
    signal: run.signal,
    onInfo: quiet((m) => run.out.info(m), remotePort),
    onEvent: (e) => {
      run.out.event({ ...e, type: `forward-${e.type}` });
      if (e.type === 'retarget' && info) info.pod = e.to;
    },
  });
  run.cleanups.push(() => fwd.close());
  info = { localPort: fwd.localPort, remotePort, url: fwd.url, pod: fwd.pod() };
  ui.title = `forward · ${fwd.url} → pod/${fwd.pod()}:${remotePort}`;
  return info;
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
