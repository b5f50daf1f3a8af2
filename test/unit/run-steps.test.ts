// The step runner (src/pipeline/run.ts): a composition hands each listed step its body and gets
// back what the body returned; timings, events and skips are the wrapper's.

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runSteps } from '../../src/pipeline/run.js';
import type { RunContext } from '../../src/pipeline/context.js';
import type { ProcessRunner } from '../../src/adapters/process.js';
import { memoryOutput } from '../../src/pipeline/output.js';
import { ShipError } from '../../src/errors.js';

function context() {
  let text = '';
  const out = memoryOutput(true);
  const human = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  const ctx: RunContext = {
    opts: {} as RunContext['opts'],
    out: { ...out, human },
    signal: new AbortController().signal,
    env: {},
    runner: {} as ProcessRunner,
    timings: [{ step: 'old run', status: 'done', durationMs: 1 }],
    cleanups: [],
  };
  return { ctx, events: out.events, text: () => text };
}

describe('runSteps', () => {
  it("hands each step's result to the next, records skips, and returns what the composition returned", async () => {
    const { ctx, events, text } = context();
    const r = await runSteps(ctx, ['a', 'b', 'c'], { interactive: false }, async (steps) => {
      const a = await steps.run('a', async (ui) => ((ui.title = 'a · made 2'), 2));
      steps.skip('b', 'b · not needed');
      const c = await steps.run('c', async () => a * 10);
      return { a, c };
    });
    expect(r).toEqual({ a: 2, c: 20 });
    expect(ctx.timings.map((t) => [t.step, t.status, t.detail])).toEqual([
      ['a', 'done', 'a · made 2'],
      ['b', 'skipped', 'b · not needed'],
      ['c', 'done', 'c'],
    ]);
    expect(events.map((e) => { const s = e as { step?: string; status?: string }; return `${s.step}:${s.status}`; })).toEqual(['a:start', 'a:done', 'b:skip', 'c:start', 'c:done']);
    expect(text()).toMatch(/✔ a · made 2 \(\d+ ms\)/);
    expect(text()).toContain('↓ b [SKIPPED: b · not needed]');
  });

  it("a failing step ends the run with its own error; the steps after it never run", async () => {
    const { ctx, events } = context();
    const boom = new ShipError('build', 'the build failed');
    let ranC = false;
    const e = await runSteps(ctx, ['a', 'b', 'c'], { interactive: false }, async (steps) => {
      await steps.run('a', async () => 1);
      await steps.run('b', async () => {
        throw boom;
      });
      await steps.run('c', async () => (ranC = true));
    }).catch((x: unknown) => x);
    expect(e).toBe(boom);
    expect(ranC).toBe(false);
    expect(ctx.timings.map((t) => [t.step, t.status])).toEqual([
      ['a', 'done'],
      ['b', 'failed'],
    ]);
    expect(events.at(-1)).toMatchObject({ step: 'b', status: 'fail', code: 'build', detail: 'the build failed' });
  });

  it('a composition that reaches a step out of order, or ends before a listed step, is an internal error', async () => {
    const outOfOrder = await runSteps(context().ctx, ['a', 'b'], { interactive: false }, async (steps) => {
      await steps.run('b', async () => 1);
    }).catch((x: unknown) => x);
    expect(outOfOrder).toMatchObject({ code: 'internal', message: 'The run reached step b where a was listed.' });
    const early = await runSteps(context().ctx, ['a', 'b'], { interactive: false }, async (steps) => {
      await steps.run('a', async () => 1);
    }).catch((x: unknown) => x);
    expect(early).toMatchObject({ code: 'internal', message: 'The run ended without reaching step b.' });
  });
});
