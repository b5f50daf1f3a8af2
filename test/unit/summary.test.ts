import { describe, expect, it } from 'vitest';
import { printSummary, summaryLines } from '../../src/pipeline/summary.js';
import { memoryOutput } from '../../src/pipeline/output.js';

const timings = [
  { step: 'check', status: 'done' as const, durationMs: 310 },
  { step: 'build', status: 'done' as const, durationMs: 11_800 },
  { step: 'image', status: 'skipped' as const, durationMs: 0 },
  { step: 'wait', status: 'done' as const, durationMs: 7_600 },
];
const previous = { at: '2026-11-30T05:01:02.000Z', steps: [{ step: 'check', status: 'done' as const, durationMs: 290 }, { step: 'build', status: 'done' as const, durationMs: 9_700 }, { step: 'image', status: 'done' as const, durationMs: 3_000 }, { step: 'wait', status: 'done' as const, durationMs: 8_000 }] };
const facts = { project: { name: 'kubernetes-spring' }, readyPods: ['spring-pod'], forward: { localPort: 8080, remotePort: 8080, url: 'http://127.0.0.1:8080', pod: 'spring-pod' }, smoke: { status: 200, sinceApplyMs: 8400 } };

describe('the summary against the last run', () => {
  it('the first run shows no comparison', () => {
    expect(summaryLines(timings, facts).slice(1, 3)).toEqual(['step      status    time', 'check     done      310 ms']);
  });

  it('each step done in both runs shows its change', () => {
    const lines = summaryLines(timings, facts, previous);
    expect(lines.slice(1, 6)).toEqual([
      'step      status    time      (change since the last run, 2026-11-30 05:01 UTC)',
      'check     done      310 ms    +20 ms',
      'build     done      11.8 s    +2.1 s',
      'image     skipped   -',
      'wait      done      7.6 s     -400 ms',
    ]);
  });

  it('--json carries the change per step and when the last run was', () => {
    const out = memoryOutput(true);
    printSummary({ out, timings }, facts, previous);
    const e = out.events.find((x) => x.type === 'summary') as unknown as { steps: Array<{ step: string; deltaMs?: number; previousMs?: number }>; previousRunAt: string };
    expect(e.previousRunAt).toBe('2026-11-30T05:01:02.000Z');
    expect(e.steps.map((s) => s.deltaMs)).toEqual([20, 2100, undefined, -400]);
    expect(e.steps[1].previousMs).toBe(9700);
  });
});
