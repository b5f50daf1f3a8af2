// What live update asks of Gradle, with the project's own Gradle (./gradlew or gradle): the main
// source set's output directories and runtime classpath, and spring-boot-devtools of the app's
// Spring Boot version, through an init script of ship's (kept in ship's cache, never in the
// project); then `classes` after each save.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShipError } from '../../errors.js';
import { gradleCompileCommand, gradleErrorLines, gradleFactsCommand, parseGradleFacts, type DevFacts, type LiveBuild } from '../../core/live-build.js';
import type { ProcessRunner } from '../process.js';

export interface GradleRun {
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * The init script (Groovy: it serves Groovy and Kotlin DSL builds alike, Gradle 4 to 8). It does
 * nothing unless -Dship.facts names the file to write, and it only reads the build's model.
 */
export const FACTS_SCRIPT = `// ship: reports what \`ship dev\` needs from the root project (see ship's src/adapters/live/gradle.ts).
def out = System.getProperty('ship.facts')
if (out) {
  gradle.projectsEvaluated { g ->
    def p = g.rootProject
    def f = new File(out)
    if (!p.plugins.hasPlugin('java')) {
      f.text = 'error=the root project does not apply the java plugin (live update follows the root project only)\\n'
      return
    }
    def main = p.sourceSets.main
    def lines = []
    main.output.classesDirs.files.each { lines << ('classes=' + it.absolutePath) }
    if (main.output.resourcesDir != null) lines << ('resources=' + main.output.resourcesDir.absolutePath)
    def runtime = p.configurations.getByName('runtimeClasspath')
    runtime.resolve().each { lines << ('jar=' + it.absolutePath) }
    def devtools = System.getProperty('ship.devtools')
    if (!devtools) {
      def boot = runtime.resolvedConfiguration.resolvedArtifacts.find { it.moduleVersion.id.group == 'org.springframework.boot' && it.name == 'spring-boot' }
      if (boot != null) devtools = boot.moduleVersion.id.version
    }
    if (devtools) {
      lines << ('boot=' + devtools)
      def c = p.configurations.detachedConfiguration(p.dependencies.create('org.springframework.boot:spring-boot-devtools:' + devtools))
      c.transitive = false
      c.resolve().each { lines << ('devtools=' + it.absolutePath) }
    }
    f.text = lines.join('\\n') + '\\n'
  }
}
`;

/** The init script in ship's cache (written once per script text). */
export async function factsScript(cacheDir: string): Promise<string> {
  const dir = join(cacheDir, 'gradle');
  const file = join(dir, `ship-dev-facts-${createHash('sha256').update(FACTS_SCRIPT).digest('hex').slice(0, 12)}.gradle`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, FACTS_SCRIPT);
  await rename(tmp, file);
  return file;
}

function startError(b: LiveBuild, e: Error): ShipError {
  return new ShipError('build', `Could not start ${b.cmd}: ${e.message}`, { hint: 'Install Gradle, or add the Gradle wrapper (gradlew) to the project.' });
}

/**
 * Output directories, runtime jars and, for a Spring Boot app (`devtoolsVersion`, or spring-boot on
 * the runtime classpath), spring-boot-devtools, in one `classes` run, which also brings the output
 * directories up to date.
 */
export async function gradleDevFacts(b: LiveBuild, run: GradleRun, cacheDir: string, devtoolsVersion?: string): Promise<DevFacts> {
  const script = await factsScript(cacheDir);
  const tmp = await mkdtemp(join(tmpdir(), 'ship-live-'));
  try {
    const factsFile = join(tmp, 'facts.txt');
    const [bin, args] = gradleFactsCommand(b, script, factsFile, devtoolsVersion);
    const r = await run.runner.run(bin, args, { cwd: b.dir, env: run.env, signal: run.signal, onLine: run.onLine, keepLines: 60 });
    if (r.startError) throw startError(b, r.startError);
    if (r.exitCode !== 0) {
      throw new ShipError('build', `${bin} classes (with ship's init script, for the runtime classpath and the output directories) failed with exit code ${r.exitCode}.`, {
        details: gradleErrorLines(r.tail).map((l) => '  ' + l),
        hint: `Run ${bin} classes in ${b.dir} to see the whole output.`,
      });
    }
    const text = await readFile(factsFile, 'utf8').catch(() => '');
    if (!text) throw new ShipError('build', `${bin} ran, but ship's init script reported nothing (a configuration cache hit, or an init script that was not applied).`, { hint: 'Run ship dev again; if it persists, use --no-live.' });
    const facts = parseGradleFacts(text);
    if ('error' in facts) throw new ShipError('build', `Gradle: ${facts.error}.`);
    if (facts.bootVersion && !facts.devtools) throw new ShipError('build', `Gradle did not resolve org.springframework.boot:spring-boot-devtools:${facts.bootVersion}.`, { hint: 'Check that the project\'s repositories serve it (Maven Central or your mirror).' });
    return facts;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `classes`; a compile error comes back as the compiler's lines (the pods keep their code). */
export async function compileGradle(b: LiveBuild, run: GradleRun): Promise<{ ok: true } | { ok: false; lines: string[] }> {
  const [bin, args] = gradleCompileCommand(b);
  const r = await run.runner.run(bin, args, { cwd: b.dir, env: run.env, signal: run.signal, onLine: run.onLine, keepLines: 60 });
  if (r.startError) throw startError(b, r.startError);
  if (r.exitCode === 0) return { ok: true };
  return { ok: false, lines: gradleErrorLines(r.tail) };
}
