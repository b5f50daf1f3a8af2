import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDelta, historyKey, parseRecord, recordOf, stepDeltas } from '../../src/core/run-history.js';
import { runHistory } from '../../src/adapters/run-history.js';

describe('run history', () => {
  const prev = { at: '2026-11-30T04:00:00.000Z', steps: [{ step: 'build', status: 'done' as const, durationMs: 9700 }, { step: 'image', status: 'skipped' as const, durationMs: 0 }, { step: 'wait', status: 'done' as const, durationMs: 8000 }] };

  it('deltas per step; none for a step either run skipped, and none on the first run', () => {
    const d = stepDeltas([{ step: 'build', status: 'done', durationMs: 11800 }, { step: 'image', status: 'done', durationMs: 3000 }, { step: 'wait', status: 'done', durationMs: 7600 }, { step: 'smoke', status: 'done', durationMs: 100 }], prev);
    expect(d.map((x) => x.deltaMs)).toEqual([2100, undefined, -400, undefined]);
    expect(stepDeltas([{ step: 'build', status: 'done', durationMs: 1 }], undefined)[0].deltaMs).toBeUndefined();
  });

  it('formats', () => {
    expect([formatDelta(2100), formatDelta(-400), formatDelta(0), formatDelta(-12345)]).toEqual(['+2.1 s', '-400 ms', '±0 ms', '-12.3 s']);
  });

  it('keeps only successful runs; reads back what it wrote; a broken file is no record', () => {
    expect(recordOf([{ step: 'build', status: 'failed', durationMs: 1 }], new Date())).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'ship-history-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const h = runHistory({ XDG_CACHE_HOME: dir });
    const key = historyKey({ projectDir: '/p', app: 'kubernetes-spring', context: 'c', namespace: 'n' });
    expect(key).toMatch(/^kubernetes-spring-[0-9a-f]{16}$/);
    expect(h.last(key)).toBeUndefined();
    h.save(key, prev);
    expect(h.last(key)).toEqual(prev);
    writeFileSync(join(dir, 'ship', 'runs', `${key}.json`), '{nope');
    expect(h.last(key)).toBeUndefined();
    expect(parseRecord('{"at":"x","steps":[{"step":"a","status":"weird","durationMs":1}]}')).toEqual({ at: 'x', steps: [] });
    expect(historyKey({ projectDir: '/p', app: 'a', namespace: 'x' })).not.toBe(historyKey({ projectDir: '/p', app: 'a', namespace: 'y' }));
  });
});
