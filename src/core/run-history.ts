// Each run compared with the last successful one of the same app: the step timings are kept in a
// small file in ship's cache directory (adapters/run-history.ts), and the summary shows the change
// per step, e.g. `build 11.8 s (+2.1 s)`. Pure: records in, deltas out.

import { createHash } from 'node:crypto';

export interface StepTime {
  step: string;
  status: 'done' | 'skipped' | 'failed';
  durationMs: number;
}

export interface RunRecord {
  /** ISO time the run finished. */
  at: string;
  steps: StepTime[];
}

export interface StepDelta extends StepTime {
  /** This run minus the last successful one; undefined when either run did not do the step. */
  deltaMs?: number;
  previousMs?: number;
}

/** One file per app and place it deploys to: the project, the context and the namespace. */
export function historyKey(f: { projectDir: string; app: string; context?: string; namespace?: string }): string {
  const h = createHash('sha256').update([f.projectDir, f.app, f.context ?? '', f.namespace ?? ''].join('\0')).digest('hex').slice(0, 16);
  return `${f.app.replace(/[^\w.-]/g, '_').slice(0, 40)}-${h}`;
}

export function stepDeltas(current: StepTime[], previous: RunRecord | undefined): StepDelta[] {
  return current.map((t) => {
    const before = previous?.steps.find((p) => p.step === t.step);
    if (!before || before.status !== 'done' || t.status !== 'done') return { ...t };
    return { ...t, deltaMs: t.durationMs - before.durationMs, previousMs: before.durationMs };
  });
}

/** "+2.1 s", "-0.4 s", "+35 ms", "±0 ms". */
export function formatDelta(ms: number): string {
  const sign = ms > 0 ? '+' : ms < 0 ? '-' : '±';
  const abs = Math.abs(ms);
  return abs < 1000 ? `${sign}${abs} ms` : `${sign}${(abs / 1000).toFixed(1)} s`;
}

/** A record worth keeping: a run whose steps all ended done or skipped. */
export function recordOf(steps: StepTime[], at: Date): RunRecord | undefined {
  if (!steps.length || steps.some((s) => s.status === 'failed')) return undefined;
  return { at: at.toISOString(), steps: steps.map(({ step, status, durationMs }) => ({ step, status, durationMs })) };
}

/** Parses a stored record; anything malformed counts as no record. */
export function parseRecord(text: string | undefined): RunRecord | undefined {
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as RunRecord;
    if (typeof r?.at !== 'string' || !Array.isArray(r.steps)) return undefined;
    const steps = r.steps.filter((s) => typeof s?.step === 'string' && typeof s.durationMs === 'number' && ['done', 'skipped', 'failed'].includes(s.status));
    return { at: r.at, steps };
  } catch {
    return undefined;
  }
}
