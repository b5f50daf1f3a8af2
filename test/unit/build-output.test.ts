// Issue 9 item 1: a jar half-written (a build cut short, or two builds writing one directory) must
// never become the image for these sources. The build step checks the jar it hands on is whole.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuild } from '../../src/tasks/build.js';
import type { ProcessRunner } from '../../src/adapters/process.js';
import type { ProjectInfo } from '../../src/core/model.js';
import { rejectedShipError } from '../support/ship-error.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A runnable jar made by the JDK's jar tool. */
function realJar(dir: string): Buffer {
  mkdirSync(join(dir, 'classes'), { recursive: true });
  writeFileSync(join(dir, 'classes/app.txt'), 'x'.repeat(5000));
  execFileSync('jar', ['--create', '--file', join(dir, 'real.jar'), '--main-class', 'demo.Main', '-C', join(dir, 'classes'), '.']);
  return readFileSync(join(dir, 'real.jar'));
}

/** A maven project whose "build" writes `content` as its jar. */
function project(content: Buffer): { project: ProjectInfo; runner: ProcessRunner } {
  const dir = mkdtempSync(join(tmpdir(), 'ship-build-'));
  dirs.push(dir);
  const runner: ProcessRunner = {
    async run() {
      mkdirSync(join(dir, 'target'), { recursive: true });
      writeFileSync(join(dir, 'target/app.jar'), content);
      return { exitCode: 0, tail: [], stdout: '' };
    },
  };
  return { project: { dir, name: 'app', builder: 'maven', buildCommand: ['mvn', ['-B', 'package']], actuator: false }, runner };
}

const run = (p: ReturnType<typeof project>) => runBuild(p.project, p.runner, { env: {}, signal: new AbortController().signal });

describe('the build hands on only a whole, runnable jar', () => {
  it('a whole jar with a Main-Class passes', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ship-jar-'));
    dirs.push(scratch);
    const p = project(realJar(scratch));
    expect((await run(p)).jar).toBe(join(p.project.dir, 'target/app.jar'));
  });

  it('a 22-byte jar (what two Maven runs at once left) is a build failure, exit 4, naming the jar', async () => {
    const e = await rejectedShipError(run(project(Buffer.from('PK\u0005\u0006 not a whole jar'))));
    expect(e.exitCode).toBe(4);
    expect(e.message).toMatch(/^mvn -B package finished, but its jar target\/app\.jar cannot be run: it is not a whole jar/);
    expect(e.hint).toMatch(/another build write to the same directory/);
  });

  it('a truncated jar and a jar without Main-Class are refused too', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'ship-jar-'));
    dirs.push(scratch);
    const whole = realJar(scratch);
    expect((await rejectedShipError(run(project(whole.subarray(0, whole.length - 30))))).message).toMatch(/not a whole jar/);
    execFileSync('jar', ['--create', '--file', join(scratch, 'nomain.jar'), '-C', join(scratch, 'classes'), '.']);
    expect((await rejectedShipError(run(project(readFileSync(join(scratch, 'nomain.jar')))))).message).toMatch(/names no Main-Class/);
  });
});
