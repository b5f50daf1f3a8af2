// Readiness probe rule: a running, started container whose probe has failed for long enough.

import { describeProbe, humanDuration } from '../kubectl-format.js';
import { eventContainer, eventCount, eventFirst, eventLast, timeMs, type Time } from '../pod-events.js';
import { clip, oneLine } from '../text.js';
import type { Ctx, Diagnosis } from './types.js';

/** How long a readiness probe must fail at least before its failure counts as certain. */
export const READINESS_MIN_FAILING_MS = 60_000;
/** The same when the app does not answer the probe at all (connection refused, timeout): it may still be starting. */
export const READINESS_SILENT_MIN_FAILING_MS = 120_000;

export function readinessDiagnosis(ctx: Ctx): Diagnosis | undefined {
  for (const st of ctx.pod.status?.containerStatuses ?? []) {
    const running = st.state?.running;
    if (!running || st.ready) continue;
    const spec = ctx.pod.spec?.containers?.find((c) => c.name === st.name);
    const probe = spec?.readinessProbe;
    const startedAt = timeMs(running.startedAt as Time) ?? 0;
    const failures = ctx.events.filter(
      (e) =>
        e.reason === 'Unhealthy' &&
        /^Readiness probe (failed|errored)/i.test(e.message ?? '') &&
        (!eventContainer(e) || eventContainer(e) === st.name) &&
        eventLast(e) >= startedAt - 1000,
    );
    if (!failures.length) continue;
    const first = Math.max(startedAt, Math.min(...failures.map(eventFirst)));
    const failingFor = ctx.now - first;
    const period = (probe?.periodSeconds ?? 10) * 1000;
    const threshold = probe?.failureThreshold ?? 3;
    const lastMsg = oneLine(failures.at(-1)!.message).replace(/^Readiness probe (failed|errored):\s*/i, '');
    // An app that does not answer at all may still be starting (a JVM on a busy laptop): give it
    // longer than one that answers with an error.
    const silent = /connection refused|timeout|deadline exceeded|no route|connection reset/i.test(lastMsg);
    const limit = Math.max(silent ? READINESS_SILENT_MIN_FAILING_MS : READINESS_MIN_FAILING_MS, 3 * threshold * period);
    const started = st.started !== false;
    const certain = started && failingFor > limit;
    const count = failures.reduce((n, e) => n + eventCount(e), 0);
    const what = describeProbe(probe);
    let hint: string;
    if (/connection refused/i.test(lastMsg)) hint = `Nothing listens on the probe's port: check that the app listens on ${probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? 'that port'} (server.port) on all interfaces.`;
    else if (/statuscode: 404/i.test(lastMsg)) hint = 'The probe path does not exist: for /actuator/health/readiness add spring-boot-starter-actuator (probes are on by default on Kubernetes), or change the path.';
    else if (/statuscode: 503/i.test(lastMsg)) hint = 'The app answers but reports itself not ready: its logs say which health indicator is down.';
    else if (/timeout|deadline exceeded/i.test(lastMsg)) hint = 'The app does not answer within timeoutSeconds (default 1 s): raise timeoutSeconds or check the app is not stuck.';
    else hint = 'Check the probe against the app: its port, path and what the app answers there.';
    return {
      certain,
      reason: 'ReadinessProbeFailed',
      pod: ctx.name,
      container: st.name,
      message: `Container "${st.name}" is running but its readiness probe (${what}) has failed for ${humanDuration(failingFor)}: ${clip(lastMsg, 200)}`,
      hint,
      details: [
        `Probe: ${what}, period ${period / 1000}s, failureThreshold ${threshold}${probe?.initialDelaySeconds ? `, initialDelaySeconds ${probe.initialDelaySeconds}` : ''}`,
        `Failures: ${count}, the last: ${clip(lastMsg, 300)}`,
      ],
      needsLogs: certain ? { container: st.name, previous: false } : undefined,
    };
  }
  return undefined;
}
