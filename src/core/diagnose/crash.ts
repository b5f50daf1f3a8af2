// Crash and termination rules: CrashLoopBackOff, non-zero exits, OOMKilled, liveness kills,
// containers that restartPolicy does not restart.

import { eventContainer } from '../pod-events.js';
import { cap, clip, oneLine, plural } from '../text.js';
import { containerLabel } from './slots.js';
import type { Ctx, Diagnosis, Slot } from './types.js';
import { withSpringFailure } from '../spring-diagnosis.js';

const EXIT_MEANING: Record<number, string> = {
  1: 'the app reported an error',
  126: 'the command is not executable',
  127: 'the command was not found',
  128: 'the container could not start',
  130: 'interrupted (SIGINT)',
  134: 'aborted (SIGABRT)',
  137: 'killed (SIGKILL: out of memory, a failed liveness probe, or a stop)',
  139: 'segmentation fault (SIGSEGV)',
  143: 'terminated (SIGTERM)',
};

export function crashDiagnosis(ctx: Ctx, slot: Slot): Diagnosis | undefined {
  const st = slot.status;
  const waiting = st.state?.waiting;
  const current = st.state?.terminated;
  const last = current ?? st.lastState?.terminated;
  const policy = ctx.pod.spec?.restartPolicy ?? 'Always';
  const backoff = waiting?.reason === 'CrashLoopBackOff';
  if (!last && !backoff) return undefined;
  const exitCode = last?.exitCode;
  const failed = exitCode === undefined || exitCode !== 0 || (policy === 'Always' && !slot.init);
  if (!failed) return undefined;

  const willRestart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0) || (slot.init && policy !== 'Never');
  const certain =
    backoff ||
    (current !== undefined && (!willRestart || st.restartCount >= 1)) ||
    (st.restartCount >= 2 && exitCode !== 0);

  const oom = last?.reason === 'OOMKilled';
  const label = containerLabel(slot);
  const limit = slot.spec?.resources?.limits?.memory;
  const livenessKill = ctx.events
    .filter((e) => (!eventContainer(e) || eventContainer(e) === st.name) && /(Liveness|Startup) probe failed|failed (liveness|startup) probe/i.test(e.message ?? ''))
    .at(-1);

  const sentences: string[] = [];
  const codeText = exitCode === undefined ? 'crashed' : `exited with code ${exitCode}${last?.reason && last.reason !== 'Error' ? ` (${last.reason})` : ''}`;
  if (oom) {
    sentences.push(`${cap(label)} was killed because it ran out of memory${limit ? ` (its limit is ${String(limit)})` : ' (no memory limit is set, so the node ran short)'}.`);
  } else {
    sentences.push(`${cap(label)} ${codeText}${exitCode !== undefined && EXIT_MEANING[exitCode] && exitCode !== 1 ? ` — ${EXIT_MEANING[exitCode]}` : ''}.`);
  }
  // In back-off or terminated, the last run is a crash too: restarts + 1 crashes so far.
  if (backoff) sentences.push(`It has crashed ${plural(st.restartCount + 1, 'time')}; the kubelet now waits before each restart (CrashLoopBackOff).`);
  else if (!willRestart) sentences.push(`restartPolicy ${policy} does not restart it.`);
  else if (current && st.restartCount > 0) sentences.push(`It has crashed ${plural(st.restartCount + 1, 'time')} in a row.`);
  else if (st.restartCount > 0) sentences.push(`It was restarted ${plural(st.restartCount, 'time')}.`);

  const previous = !current && st.restartCount > 0;
  const logs = ctx.input.logs?.[st.name];
  const lastLine = logs?.filter((l) => l.trim() !== '').at(-1);
  if (lastLine !== undefined) sentences.push(`Its last log line: "${clip(lastLine.trim(), 200)}"`);
  else if (logs) sentences.push('It wrote no log lines.');

  const details: string[] = [];
  if (exitCode !== undefined) details.push(`Exit code: ${exitCode}${EXIT_MEANING[exitCode] ? ` (${EXIT_MEANING[exitCode]})` : ''}${last?.reason ? `, reason ${last.reason}` : ''}`);
  if (last?.message) details.push(`Termination message: ${clip(oneLine(last.message), 400)}`);
  if (limit) details.push(`Memory limit: ${String(limit)}`);
  if (livenessKill) details.push(`Kubelet: ${clip(oneLine(livenessKill.message), 300)}`);
  if (logs && logs.length) {
    details.push(`Last log lines of ${label}${previous ? ' (the run that crashed)' : ''}:`);
    for (const l of logs.slice(-25)) details.push('  ' + l);
  }

  let hint: string;
  const logCmd = `kubectl -n ${ctx.pod.metadata?.namespace ?? 'default'} logs ${ctx.name} -c ${st.name}${previous ? ' --previous' : ''}`;
  if (oom) {
    hint = `Raise resources.limits.memory${limit ? ` (now ${String(limit)})` : ''} or lower the JVM heap (e.g. JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75).`;
  } else if (livenessKill && (exitCode === 137 || exitCode === 143)) {
    hint = 'The liveness probe killed it: give the app more time (initialDelaySeconds, or a startupProbe) or fix the probe path/port.';
  } else if (exitCode === 127 || exitCode === 126 || exitCode === 128 || last?.reason === 'StartError' || last?.reason === 'ContainerCannotRun') {
    hint = "Check the manifest's command/args and the Dockerfile's ENTRYPOINT; the termination message says what failed.";
  } else {
    hint = `The app's own output says why: ${logCmd}`;
  }
  const d: Diagnosis = {
    certain,
    reason: oom ? 'OOMKilled' : backoff ? 'CrashLoopBackOff' : (last?.reason ?? 'Error'),
    pod: ctx.name,
    container: st.name,
    message: sentences.join(' '),
    hint,
    details,
    needsLogs: { container: st.name, previous },
  };
  // A Spring Boot app says why it did not start: its failure analysis or the root cause leads.
  return oom ? d : withSpringFailure(d, logs);
}
