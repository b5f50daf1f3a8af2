// One container's state → the rule family that explains it (image pull, config error, crash).

import { configError } from './config-error.js';
import { crashDiagnosis } from './crash.js';
import { imageNeverPull, imagePullDiagnosis, invalidImageName } from './image-pull.js';
import type { Ctx, Diagnosis, Slot } from './types.js';

export function containerDiagnosis(ctx: Ctx, slot: Slot): Diagnosis | undefined {
  const st = slot.status;
  const waiting = st.state?.waiting;
  switch (waiting?.reason) {
    case 'ErrImagePull':
    case 'ImagePullBackOff':
      return imagePullDiagnosis(ctx, slot, waiting.reason, waiting.message);
    case 'ErrImageNeverPull':
      return imageNeverPull(ctx, slot, waiting.message);
    case 'InvalidImageName':
      return invalidImageName(ctx, slot, waiting.message);
    case 'CreateContainerConfigError':
    case 'CreateContainerError':
    case 'RunContainerError':
      return configError(ctx, slot, waiting.reason, waiting.message);
    case 'CrashLoopBackOff':
      return crashDiagnosis(ctx, slot);
  }
  const term = st.state?.terminated;
  if (term) {
    // A finished init container or a container that exited 0 under Never/OnFailure is not a failure.
    const policy = ctx.pod.spec?.restartPolicy ?? 'Always';
    if (term.exitCode === 0 && (slot.init || policy !== 'Always')) return undefined;
    return crashDiagnosis(ctx, slot);
  }
  const last = st.lastState?.terminated;
  // A container that restarted before but is running and ready now is not what blocks the pod.
  if (st.ready) return undefined;
  if (st.restartCount > 0 && last && (last.exitCode !== 0 || !slot.init)) return crashDiagnosis(ctx, slot);
  return undefined;
}
