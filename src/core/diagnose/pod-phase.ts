// Pod phase rules: Succeeded (a server that exited) and Failed (Evicted, DeadlineExceeded, a crash
// under restartPolicy Never).

import { oneLine } from '../text.js';
import { containerDiagnosis } from './containers.js';
import { containerSlots } from './slots.js';
import type { Ctx, Diagnosis } from './types.js';

export function completed(ctx: Ctx): Diagnosis | undefined {
  if (ctx.pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job')) return undefined;
  return {
    certain: true,
    reason: 'Completed',
    pod: ctx.name,
    message: `Pod "${ctx.name}" ran to completion (every container exited with code 0), so it will never be Ready.`,
    hint: 'A server must keep running: check that the app does not exit after start-up (restartPolicy Never/OnFailure keeps it from being restarted).',
    details: [],
  };
}

export function failedPod(ctx: Ctx): Diagnosis {
  const st = ctx.pod.status!;
  const reason = st.reason;
  if (reason === 'Evicted') {
    return {
      certain: true,
      reason: 'Evicted',
      pod: ctx.name,
      message: `Pod "${ctx.name}" was evicted: ${oneLine(st.message) || 'the node ran short of a resource'}.`,
      hint: 'The node ran out of memory or disk: free some up, or lower the pod\'s usage and set resources.requests/limits.',
      details: [],
    };
  }
  for (const slot of containerSlots(ctx.pod)) {
    const d = containerDiagnosis(ctx, slot);
    if (d) return { ...d, certain: true };
  }
  return {
    certain: true,
    reason: reason || 'Failed',
    pod: ctx.name,
    message: `Pod "${ctx.name}" failed${reason ? ` (${reason})` : ''}${st.message ? `: ${oneLine(st.message)}` : '.'}`,
    hint: 'The events below say what happened; the pod will not be restarted.',
    details: [],
  };
}
