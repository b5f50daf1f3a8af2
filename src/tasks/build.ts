// Step: build. Run the project's own build (./gradlew clean build, mvn -B package, ...) and find its jar.

import { ShipError } from '../errors.js';
import { relative } from 'node:path';
import { fileView } from '../adapters/fs-view.js';
import { jarProblem } from '../adapters/jar.js';
import { chooseJar } from '../core/project.js';
import { analyzeBuildOutput } from '../core/build-tool.js';
import { onPath, wrapperState } from '../adapters/wrapper-dist.js';
import type { ProcessRunner } from '../adapters/process.js';
import type { BuildResult, ImageResult, ProjectInfo } from '../core/model.js';
import type { StepEnv, StepLine } from './types.js';

/** Why the build is not needed: the Dockerfile builds the app, or Docker has the image for these sources. */
export function buildSkip(project: ProjectInfo, existing: ImageResult | undefined): string | false {
  if (project.builder === 'none') return 'build · none (the Dockerfile builds the app)';
  if (existing) return `build · unchanged sources, ${existing.ref} already built`;
  return false;
}

export async function buildStep(run: Pick<StepEnv, 'env' | 'signal'>, input: { project: ProjectInfo; runner: ProcessRunner }, ui: StepLine): Promise<BuildResult> {
  const { project } = input;
  ui.title = `build · ${project.buildCommand!.flat().join(' ')}`;
  return runBuild(project, input.runner, { env: run.env, signal: run.signal, onLine: (l) => (ui.output = l) });
}

export async function runBuild(
  project: ProjectInfo,
  runner: ProcessRunner,
  opts: { env: NodeJS.ProcessEnv; signal: AbortSignal; onLine?: (line: string) => void },
): Promise<BuildResult> {
  const [cmd, args] = project.buildCommand!;
  const started = Date.now();
  const shown = [cmd, ...args].join(' ');
  const result = await runner.run(cmd, args, { cwd: project.dir, env: opts.env, signal: opts.signal, onLine: opts.onLine, keepLines: 200 });
  if (result.startError) {
    const tool = cmd.startsWith('./') ? cmd : `${cmd} (not on PATH)`;
    throw new ShipError('build', `Could not start ${tool}: ${result.startError.message}`, {
      hint: cmd === 'mvn' ? 'Install Maven, or add the Maven wrapper (mvnw) to the project.' : cmd === 'gradle' ? 'Install Gradle, or add the Gradle wrapper (gradlew) to the project.' : `Check that ${cmd} is executable.`,
    });
  }
  if (result.exitCode !== 0) {
    // A wrapper that cannot download its Gradle/Maven, a repository out of reach: one line, the way out.
    const tool = analyzeBuildOutput(result.tail, {
      command: cmd,
      hasPom: fileView(project.dir).exists('pom.xml'),
      gradleOnPath: onPath('gradle', opts.env),
      distribution: wrapperState(project.dir, cmd, opts.env)?.distribution,
    });
    if (tool) throw new ShipError('build', tool.message, { hint: tool.hint });
    throw new ShipError('build', `${shown} failed with exit code ${result.exitCode}.`, {
      details: ['Last lines of the build output:', ...result.tail.slice(-25).map((l) => '  ' + l)],
      hint: `Run "${shown}" in ${project.dir} to see the whole output; --skip-tests skips the tests.`,
    });
  }
  const jar = chooseJar(project.dir, project.builder, fileView(project.dir));
  // Only a whole, runnable jar may become the image for these sources: the tag derives from the
  // sources, so a broken jar baked in now would be redeployed by every later run (issue 9, item 1).
  const problem = jar ? await jarProblem(jar) : undefined;
  if (jar && problem) {
    throw new ShipError('build', `${shown} finished, but its jar ${relative(project.dir, jar)} cannot be run: ${problem}.`, {
      hint: 'Was the build interrupted, or did another build write to the same directory at the same time? Run the build again.',
    });
  }
  return { jar, durationMs: Date.now() - started };
}
