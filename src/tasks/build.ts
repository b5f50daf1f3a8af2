// Step 1, build: run the project's own build (./gradlew clean build, mvn -B package, ...) and find its jar.

import type { ListrTask } from 'listr2';
import { ShipError } from '../errors.js';
import { fileView } from '../adapters/fs-view.js';
import { chooseJar } from '../core/project.js';
import type { ProcessRunner } from '../adapters/process.js';
import type { BuildResult, ProjectInfo, ShipContext } from '../pipeline/context.js';

export function buildTask(): ListrTask<ShipContext> {
  return {
    title: 'build',
    skip: (ctx) => skipReason(ctx),
    task: async (ctx, task) => {
      const project = ctx.project!;
      task.title = `build · ${project.buildCommand!.flat().join(' ')}`;
      ctx.build = await runBuild(project, ctx.runner!, { env: ctx.env, signal: ctx.signal, onLine: (l) => (task.output = l) });
    },
  };
}

function skipReason(ctx: ShipContext): string | false {
  if (ctx.project?.builder === 'none') return 'build · none (the Dockerfile builds the app)';
  if (ctx.image?.unchanged) return `build · unchanged sources, ${ctx.image.ref} already built`;
  return false;
}

export async function runBuild(
  project: ProjectInfo,
  runner: ProcessRunner,
  opts: { env: NodeJS.ProcessEnv; signal: AbortSignal; onLine?: (line: string) => void },
): Promise<BuildResult> {
  const [cmd, args] = project.buildCommand!;
  const started = Date.now();
  const shown = [cmd, ...args].join(' ');
  const result = await runner.run(cmd, args, { cwd: project.dir, env: opts.env, signal: opts.signal, onLine: opts.onLine, keepLines: 40 });
  if (result.startError) {
    const tool = cmd.startsWith('./') ? cmd : `${cmd} (not on PATH)`;
    throw new ShipError('build', `Could not start ${tool}: ${result.startError.message}`, {
      hint: cmd === 'mvn' ? 'Install Maven, or add the Maven wrapper (mvnw) to the project.' : cmd === 'gradle' ? 'Install Gradle, or add the Gradle wrapper (gradlew) to the project.' : `Check that ${cmd} is executable.`,
    });
  }
  if (result.exitCode !== 0) {
    throw new ShipError('build', `${shown} failed with exit code ${result.exitCode}.`, {
      details: ['Last lines of the build output:', ...result.tail.slice(-25).map((l) => '  ' + l)],
      hint: `Run "${shown}" in ${project.dir} to see the whole output; --skip-tests skips the tests.`,
    });
  }
  const jar = chooseJar(project.dir, project.builder, fileView(project.dir));
  return { jar, durationMs: Date.now() - started };
}
