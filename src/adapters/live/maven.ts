// What live update asks of Maven, with the project's own Maven (./mvnw or mvn): the runtime
// classpath and the classes directory (once per dev session, and again after a pom change), the
// incremental compile after each save, and spring-boot-devtools of the app's Spring Boot version
// (from Maven Central through Maven itself, kept in ship's cache).

import { mkdtemp, readFile, rm, stat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ShipError } from '../../errors.js';
import type { ProcessRunner } from '../process.js';
import type { DevFacts } from '../../core/live-build.js';
import type { MavenDaemon } from './maven-daemon.js';

/** JVM flags for Maven's own short-lived JVM: C1 only and the serial GC start quicker (measured in bench/live.mjs). */
export const QUICK_MAVEN_OPTS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

export interface MavenProject {
  dir: string;
  /** './mvnw' or 'mvn' (the project's build command). */
  mvn: string;
}

export interface MavenRun {
  runner: ProcessRunner;
  /** A warm Maven (maven-daemon.ts) for the compile; without it, or when it is gone, Maven runs as a process. */
  daemon?: Pick<MavenDaemon, 'alive' | 'run'>;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onLine?: (line: string) => void;
}

/** MAVEN_OPTS with ship's quick-start flags first: the user's own come after them and win (the JVM takes the last of a flag). */
export function quickMavenEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env.MAVEN_OPTS?.trim();
  return { ...env, MAVEN_OPTS: own ? `${QUICK_MAVEN_OPTS} ${own}` : QUICK_MAVEN_OPTS };
}

/** The incremental compile of a live update, as data: offline, quiet, resources and classes only. */
export function compileCommand(p: MavenProject): [string, string[]] {
  return [p.mvn, ['-B', '-o', '-q', 'compile']];
}

/** Runtime classpath (jars, in Maven's order) and the classes directory, in one Maven run. */
export function devFactsCommand(p: MavenProject, classpathFile: string, outputDirFile: string): [string, string[]] {
  return [
    p.mvn,
    [
      '-B',
      '-q',
      'dependency:build-classpath',
      '-Dmdep.includeScope=runtime',
      `-Dmdep.outputFile=${classpathFile}`,
      'help:evaluate',
      '-Dexpression=project.build.outputDirectory',
      `-Doutput=${outputDirFile}`,
    ],
  ];
}

/** Parses Maven's classpath file (path-separator separated); directories (a reactor module's classes) are kept too. */
export function parseClasspath(text: string, separator = ':'): string[] {
  return text
    .trim()
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);
}

async function runMaven(p: MavenProject, cmd: [string, string[]], run: MavenRun, what: string): Promise<void> {
  const [bin, args] = cmd;
  const r = await run.runner.run(bin, args, { cwd: p.dir, env: quickMavenEnv(run.env), signal: run.signal, onLine: run.onLine, keepLines: 40 });
  if (r.startError) throw new ShipError('build', `Could not start ${bin}: ${r.startError.message}`, { hint: 'Install Maven, or add the Maven wrapper (mvnw) to the project.' });
  if (r.exitCode !== 0) {
    throw new ShipError('build', `${[bin, ...args].join(' ')} (${what}) failed with exit code ${r.exitCode}.`, {
      details: r.tail.slice(-25).map((l) => '  ' + l),
      hint: `Run it in ${p.dir} to see the whole output.`,
    });
  }
}

export async function mavenDevFacts(p: MavenProject, run: MavenRun): Promise<DevFacts> {
  const tmp = await mkdtemp(join(tmpdir(), 'ship-live-'));
  try {
    const cpFile = join(tmp, 'classpath.txt');
    const outFile = join(tmp, 'output-dir.txt');
    await runMaven(p, devFactsCommand(p, cpFile, outFile), run, 'the runtime classpath and the classes directory');
    const classesDir = (await readFile(outFile, 'utf8')).trim();
    const jars = parseClasspath(await readFile(cpFile, 'utf8').catch(() => ''));
    return { outputDirs: [isAbsolute(classesDir) ? classesDir : resolve(p.dir, classesDir)], jars };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Compiles; a compile error comes back as the failing lines (the caller reports them, the pod keeps its code). */
export async function compileIncremental(p: MavenProject, run: MavenRun): Promise<{ ok: true } | { ok: false; lines: string[] }> {
  const [bin, args] = compileCommand(p);
  // The warm Maven was started with the Maven this command runs (mvn's, or the wrapper's unpacked one).
  if (run.daemon?.alive && (bin === 'mvn' || bin === './mvnw')) {
    const d = await run.daemon.run(p.dir, args, run.onLine);
    if (d.exitCode === 0) return { ok: true };
    if (d.exitCode > 0) return { ok: false, lines: errorLines(d.tail) };
    // The warm Maven is gone: the process below does this compile.
  }
  const r = await run.runner.run(bin, args, { cwd: p.dir, env: quickMavenEnv(run.env), signal: run.signal, onLine: run.onLine, keepLines: 60 });
  if (r.startError) throw new ShipError('build', `Could not start ${bin}: ${r.startError.message}`, { hint: 'Install Maven, or add the Maven wrapper (mvnw) to the project.' });
  if (r.exitCode === 0) return { ok: true };
  return { ok: false, lines: errorLines(r.tail) };
}

/** The compiler's own error lines from Maven's output, without Maven's advice lines. */
export function errorLines(tail: string[]): string[] {
  const advice = /^\[ERROR\]\s*(-> \[Help|\[Help \d|Re-run Maven|For more information|To see the full|$)/;
  const errors = tail.filter((l) => /\[ERROR\]/.test(l) && !advice.test(l.trim()));
  return (errors.length ? errors : tail).slice(0, 20);
}

export const DEVTOOLS = 'org.springframework.boot:spring-boot-devtools';

/**
 * spring-boot-devtools-<version>.jar in ship's cache (`<cacheDir>/devtools/`), copied there by
 * `mvn dependency:copy` the first time (Maven keeps it in its own repository too).
 */
export async function devtoolsJar(p: MavenProject, bootVersion: string, cacheDir: string, run: MavenRun): Promise<string> {
  if (!/^[\w.-]+$/.test(bootVersion)) throw new ShipError('build', `Unexpected Spring Boot version "${bootVersion}".`);
  const dir = join(cacheDir, 'devtools');
  const jar = join(dir, `spring-boot-devtools-${bootVersion}.jar`);
  if (await stat(jar).then((s) => s.size > 0, () => false)) return jar;
  await mkdir(dir, { recursive: true });
  await runMaven(p, [p.mvn, ['-B', '-q', 'dependency:copy', `-Dartifact=${DEVTOOLS}:${bootVersion}:jar`, `-DoutputDirectory=${dir}`, '-Dmdep.overWriteReleases=true']], run, `fetching ${DEVTOOLS}:${bootVersion}`);
  if (!(await stat(jar).then((s) => s.size > 0, () => false))) {
    throw new ShipError('build', `Maven did not leave ${jar}.`, { hint: `Check that ${DEVTOOLS}:${bootVersion} can be resolved (Maven Central or your mirror).` });
  }
  return jar;
}
