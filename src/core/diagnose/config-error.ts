// Container config rules: CreateContainerConfigError / CreateContainerError / RunContainerError
// (missing ConfigMap or Secret, a missing key, runAsNonRoot, a command not in the image).

import { eventContainer, eventCount, eventFirst } from '../pod-events.js';
import { cap, clip, oneLine } from '../text.js';
import { containerLabel } from './slots.js';
import type { Ctx, Diagnosis, Slot } from './types.js';

/** How long a CreateContainerConfigError (etc.) must persist before it counts as certain. */
export const CONFIG_ERROR_SETTLE_MS = 5_000;

export function configError(ctx: Ctx, slot: Slot, reason: string, raw: string | undefined): Diagnosis {
  const msg = oneLine(raw);
  const events = ctx.events.filter(
    (e) => e.reason === 'Failed' && (!eventContainer(e) || eventContainer(e) === slot.status.name) && !/pull/i.test(e.message ?? ''),
  );
  const since = events.length ? Math.min(...events.map(eventFirst)) : undefined;
  const certain = since === undefined || ctx.now - since >= CONFIG_ERROR_SETTLE_MS || events.some((e) => eventCount(e) > 1);
  const label = containerLabel(slot);
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  let message: string;
  let hint: string | undefined;
  let m: RegExpExecArray | null;
  if ((m = /(configmap|secret) "([^"]+)" not found/i.exec(msg))) {
    const kind = m[1].toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
    message = `${cap(label)} cannot start: the ${kind} "${m[2]}" it refers to does not exist in namespace "${ns}".`;
    hint = `Create it (kubectl -n ${ns} create ${kind.toLowerCase()}${kind === 'Secret' ? ' generic' : ''} ${m[2]} --from-literal=KEY=VALUE) or add it to your manifests; mark the reference optional: true if the app can run without it.`;
  } else if ((m = /couldn't find key (\S+) in (ConfigMap|Secret) ([^/\s]+)\/(\S+)/i.exec(msg))) {
    message = `${cap(label)} cannot start: the ${m[2]} "${m[4]}" has no key "${m[1]}".`;
    hint = `Add the key to the ${m[2]} (kubectl -n ${m[3]} get ${m[2].toLowerCase()} ${m[4]} -o yaml shows its keys) or fix the key name in the manifest.`;
  } else if (/runAsNonRoot/i.test(msg)) {
    message = `${cap(label)} cannot start: securityContext.runAsNonRoot is set but the image runs as root.`;
    hint = 'Add USER <uid> to the Dockerfile or set securityContext.runAsUser to a non-zero uid.';
  } else if (/executable file not found|no such file or directory/i.test(msg)) {
    message = `${cap(label)} cannot start: its command does not exist in the image.`;
    hint = "Check the manifest's command/args and the Dockerfile's ENTRYPOINT.";
  } else {
    message = `${cap(label)} cannot be ${reason === 'RunContainerError' ? 'started' : 'created'} (${reason}).`;
    hint = 'The kubelet message below says why.';
  }
  return {
    certain,
    reason,
    pod: ctx.name,
    container: slot.status.name,
    message,
    hint,
    details: msg ? [`Kubelet: ${clip(msg, 400)}`] : [],
  };
}
