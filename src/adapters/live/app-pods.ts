// The app's pods a live update goes into: every Ready, not terminating pod of the app's label
// selector (listed by kube/app-pods.ts), with the container that runs the dev image.

import type { V1Pod } from '@kubernetes/client-node';

export interface LivePod {
  name: string;
  uid: string;
  /** The container running the dev image. */
  container: string;
  restarts: number;
}

/** The pods of `pods` that run `imageRef` and are Ready; pure, for tests. */
export function livePods(pods: V1Pod[], imageRef: string): LivePod[] {
  const out: LivePod[] = [];
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp || p.status?.phase !== 'Running') continue;
    if (!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const c = p.spec?.containers.find((c) => sameRef(c.image, imageRef));
    if (!c) continue;
    const st = p.status.containerStatuses?.find((s) => s.name === c.name);
    out.push({ name: p.metadata!.name!, uid: p.metadata!.uid!, container: c.name, restarts: st?.restartCount ?? 0 });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function sameRef(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const strip = (r: string) => r.replace(/^docker\.io\/(library\/)?/, '');
  return strip(a) === strip(b);
}
