// A crash diagnosis in Spring's own terms: when the crashed container's log holds Spring Boot's
// failure analysis or a stack trace, the headline is what Spring says went wrong (the Description,
// else the deepest "Caused by:"), not the log's last line, and the hint is Spring's Action or a
// plain way out (the environment variable for a missing property, ...). Pure.

import { analyzeSpringLog, failureDetails, type SpringFailure } from './spring-log.js';

/** The fields of a diagnosis this reads and rewrites (core/diagnose's Diagnosis has them all). */
export interface CrashLike {
  reason: string;
  message: string;
  hint?: string;
  details: string[];
  container?: string;
}

/**
 * The diagnosis with Spring's failure as its headline; unchanged when the logs hold nothing Spring
 * reported. `logs` are the container's last lines (the run that crashed).
 */
export function withSpringFailure<D extends CrashLike>(d: D, logs: string[] | undefined): D & { spring?: SpringFailure } {
  if (!logs?.length) return d;
  const f = analyzeSpringLog(logs);
  if (!f) return d;
  // The first sentence (what crashed, how) stays; "Its last log line: …" gives way to the cause.
  const sentences = d.message.replace(/\s*Its last log line: ".*"$/s, '').replace(/\s*It wrote no log lines\.$/, '');
  const what = f.source === 'failure-analysis' ? 'APPLICATION FAILED TO START' : 'Spring Boot did not start';
  const message = `${what}: ${f.headline}${/[.!?]$/.test(f.headline) ? '' : '.'} ${sentences}`.trim();
  const action = f.action?.length ? `Spring says: ${f.action.join(' ').replace(/\s+/g, ' ')}` : undefined;
  const hint = [f.hint, !f.hint || f.cause === 'port-in-use' || f.cause === 'missing-bean' ? action : undefined].filter(Boolean).join(' ') || d.hint;
  // Spring's own text first; the log tail the diagnosis already carries stays below it.
  return { ...d, message, hint, details: [...failureDetails(f), ...d.details], spring: f };
}
