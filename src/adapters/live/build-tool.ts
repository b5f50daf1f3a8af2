// Live update's one door to the project's build tool: the dev facts (output directories, runtime
// jars, spring-boot-devtools) and the compile after a save, from Maven (maven.ts, with its warm
// JVM) or Gradle (gradle.ts, with the Gradle daemon as the project configures it).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILD_FACT_FILES, bootVersionOf, type DevFacts, type LiveBuild } from '../../core/live-build.js';
import { compileIncremental, devtoolsJar, mavenDevFacts, type MavenRun } from './maven.js';
import { compileGradle, gradleDevFacts } from './gradle.js';

export type LiveRun = MavenRun;

/** The text of the build files that decide the classpath ('' parts for missing ones): facts are read again only when it changed. */
export async function buildFilesText(b: Pick<LiveBuild, 'tool' | 'dir'>): Promise<string> {
  const texts = await Promise.all(BUILD_FACT_FILES[b.tool].map((f) => readFile(join(b.dir, f), 'utf8').catch(() => '')));
  return texts.join('\0');
}

/**
 * Output directories and runtime jars; for a Spring Boot app (`bootVersion` from the jar's
 * manifest, or spring-boot on the runtime classpath) spring-boot-devtools of that version too.
 * Gradle's run also compiles (`classes`): `compiled` says so.
 */
export async function liveFacts(b: LiveBuild, run: LiveRun, cacheDir: string, bootVersion?: string): Promise<DevFacts & { compiled: boolean }> {
  if (b.tool === 'gradle') {
    const facts = await gradleDevFacts(b, run, cacheDir, bootVersion);
    return { ...facts, compiled: true };
  }
  const facts = await mavenDevFacts({ dir: b.dir, mvn: b.cmd }, run);
  const boot = bootVersion ?? bootVersionOf(facts.jars);
  const devtools = boot && !hasDevtools(facts.jars) ? await devtoolsJar({ dir: b.dir, mvn: b.cmd }, boot, cacheDir, run) : undefined;
  return { ...facts, ...(devtools ? { devtools } : {}), ...(boot ? { bootVersion: boot } : {}), compiled: false };
}

/** The runtime jars the dev image starts with: the project's, plus devtools when the project lacks it. */
export function devJars(facts: DevFacts): string[] {
  return facts.devtools && !hasDevtools(facts.jars) ? [...facts.jars, facts.devtools] : [...facts.jars];
}

function hasDevtools(jars: string[]): boolean {
  return jars.some((j) => /[\\/]spring-boot-devtools-[^\\/]*\.jar$/.test(j));
}

/** The compile after a save: Maven `compile` (in the warm Maven when it is up) or Gradle `classes`. */
export function compileLive(b: LiveBuild, run: LiveRun): Promise<{ ok: true } | { ok: false; lines: string[] }> {
  return b.tool === 'gradle' ? compileGradle(b, run) : compileIncremental({ dir: b.dir, mvn: b.cmd }, run);
}
