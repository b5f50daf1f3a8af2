// The process runner with real (tiny) child processes: an abort must stop what the command
// started too, not only the command itself, and must not wait for it.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { execaRunner } from '../../src/adapters/process.js';

async function running(pattern: string): Promise<boolean> {
  return (await execa('pgrep', ['-f', pattern], { reject: false })).exitCode === 0;
}

describe('execaRunner', () => {
  it('an abort stops a wrapper script and the child it is waiting on, at once', async () => {
    // A unique duration makes the grandchild findable by its command line.
    const marker = `sleep 30.${Date.now() % 1_000_000}${Math.floor(Math.random() * 1000)}`;
    const controller = new AbortController();
    const started = Date.now();
    const run = execaRunner.run('sh', ['-c', `echo started; ${marker}; echo finished`], {
      cwd: '/',
      signal: controller.signal,
      onLine: (line) => {
        if (line === 'started') setTimeout(() => controller.abort(), 300);
      },
    });
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await running(marker)).toBe(false);
  });

  it('a command that ends by itself: exit code and output', async () => {
    const r = await execaRunner.run('sh', ['-c', 'echo one; echo two >&2; exit 3'], { cwd: '/' });
    expect(r.exitCode).toBe(3);
    expect(r.tail).toEqual(expect.arrayContaining(['one', 'two']));
  });
});
