// The process runner with real (tiny) child processes: an abort must stop what the command
// started too, not only the command itself, and must not wait for it.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

// Issue 9 item 9: Ctrl-C during a Maven build left /tmp/.java_pid<N>: the test JVM (whose output
// goes to its parent, not to ship's pipe) was still shutting down when run() returned, and ship's
// exit SIGKILLed it. An abort must end the whole tree gracefully, and run() returns only then.
describe('execaRunner: an abort ends the whole process tree gracefully (issue 9 item 9)', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };

  /** Runs `script` (which prints `pid=N` of the grandchild), aborts once that line is seen. */
  async function abortTree(script: string, opts: { killGraceMs?: number; ready?: (pid: number) => boolean } = {}) {
    const controller = new AbortController();
    let grandchild = 0;
    const run = execaRunner.run('sh', ['-c', script], {
      cwd: tmpdir(),
      signal: controller.signal,
      killGraceMs: opts.killGraceMs,
      onLine: (line) => {
        const m = /^pid=(\d+)$/.exec(line);
        if (!m) return;
        grandchild = Number(m[1]);
        const check = setInterval(() => {
          if (!opts.ready || opts.ready(grandchild)) {
            clearInterval(check);
            controller.abort();
          }
        }, 50);
      },
    });
    const err = await run.catch((e: unknown) => e);
    return { err, grandchild };
  }

  it('a node grandchild that cleans up on SIGTERM (and does not hold the pipe) has finished when run() returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ship-tree-'));
    const marker = join(dir, 'marker');
    // On SIGTERM: 800 ms of shutdown work, then the file is removed (like a JVM's shutdown hooks).
    const child = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); process.on('SIGTERM', () => setTimeout(() => { require('fs').rmSync(${JSON.stringify(marker)}); process.exit(0); }, 800)); setInterval(() => {}, 1000);`;
    const { err, grandchild } = await abortTree(`node -e ${JSON.stringify(child)} >/dev/null 2>&1 </dev/null & echo pid=$!; wait`, {
      ready: () => existsSync(marker),
    });
    expect(err).toBeInstanceOf(InterruptedError);
    expect(grandchild).toBeGreaterThan(0);
    expect(existsSync(marker)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('a JVM with an attach listener leaves no /tmp/.java_pid<N>', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ship-jvm-'));
    // A shutdown hook that takes 1 s, like a test JVM closing a Spring context.
    writeFileSync(
      join(dir, 'Hold.java'),
      'public class Hold { public static void main(String[] a) throws Exception { Runtime.getRuntime().addShutdownHook(new Thread(() -> { try { Thread.sleep(1000); } catch (InterruptedException e) { } })); new java.io.File(a[0]).createNewFile(); Thread.sleep(60000); } }\n',
    );
    const ready = join(dir, 'ready');
    const java = `java -XX:+StartAttachListener -XX:TieredStopAtLevel=1 ${join(dir, 'Hold.java')} ${ready} >/dev/null 2>&1 </dev/null & echo pid=$!; wait`;
    const attach = (pid: number) => `/tmp/.java_pid${pid}`;
    const { err, grandchild } = await abortTree(java, { ready: (pid) => existsSync(ready) && existsSync(attach(pid)), killGraceMs: 10_000 });
    expect(err).toBeInstanceOf(InterruptedError);
    expect(grandchild).toBeGreaterThan(0);
    expect(existsSync(attach(grandchild))).toBe(false);
    expect(alive(grandchild)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('what ignores SIGTERM gets SIGKILL after the grace period, and run() still returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ship-tree-'));
    const ready = join(dir, 'ready');
    const child = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, 'x'); setInterval(() => {}, 1000);`;
    const started = Date.now();
    const { err, grandchild } = await abortTree(`node -e ${JSON.stringify(child)} & echo pid=$!; wait`, { killGraceMs: 700, ready: () => existsSync(ready) });
    expect(err).toBeInstanceOf(InterruptedError);
    expect(alive(grandchild)).toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});
