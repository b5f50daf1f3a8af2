// Step of `ship dev` with live update: after the project image is built, the dev image is made from
// it — the exploded application (the build's output directories + runtime jars +
// spring-boot-devtools of the app's Spring Boot version) started on the classpath — and deployed
// instead of the project image. What the step learns (output directories, what they hold) starts
// the live session. Maven and Gradle projects alike: the project's own build tool tells the facts.

import { ShipError, errorMessage } from '../errors.js';
import { readJarInfo } from '../adapters/jar.js';
import { chooseJar } from '../core/project.js';
import { runBuild } from './build.js';
import { fileView } from '../adapters/fs-view.js';
import { liveCacheDir } from '../adapters/live/cache-dir.js';
import { compileLive, devJars, liveFacts } from '../adapters/live/build-tool.js';
import { OutputSnapshotter } from '../adapters/live/output-snapshot.js';
import { restarterClasses } from '../adapters/live/restarter.js';
import { buildDevImage } from '../adapters/live/dev-image.js';
import type { OutputSnapshot } from '../core/live-plan.js';
import type { DevFacts, LiveBuild } from '../core/live-build.js';
import type { DockerApi } from '../adapters/docker/api.js';
import type { ProcessRunner } from '../adapters/process.js';
import type { ImageResult, ProjectInfo } from '../core/model.js';

/** Why a project cannot be live-updated (it is then deployed as by `ship`, and every save rebuilds). */
export function liveUnsupported(project: Pick<ProjectInfo, 'builder' | 'buildCommand'>): string | undefined {
  if (project.builder === 'none') return 'the Dockerfile builds the app (--builder none): there are no class files to sync, every save rebuilds';
  if (!project.buildCommand) return 'no build command';
  return undefined;
}

/** The dev facts of a setup, kept for the next full deploy: reused while the build files' text is the same. */
export type CachedFacts = DevFacts & { buildFiles: string };

export interface DevSetup {
  image: ImageResult;
  build: LiveBuild;
  snapshotter: OutputSnapshotter;
  /** What the dev image's classes directory holds. */
  holds: OutputSnapshot;
  mainClass: string;
  /** What restarts the app in place: "DevTools 3.5.7", or ship's restarter for a plain JVM app. */
  restart: string;
  /** Why the project image's JVM options are not in the dev pod (its command is a shell or a script). */
  jvmOptionsNote?: string;
}

export interface DevImageStepInput {
  docker: DockerApi;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  project: ProjectInfo;
  /** The project image just built (or found unchanged). */
  base: ImageResult;
  /** Whether the build step ran now (otherwise the classes directory is brought up to date first). */
  built: boolean;
  debugPort?: number;
  /** The facts of an earlier setup, reused when the build files are the same. */
  cached?: CachedFacts;
  /** The build files' text now (buildFilesText). */
  buildFiles: string;
  onLine?: (line: string) => void;
}

export async function prepareDevImage(input: DevImageStepInput): Promise<DevSetup & { facts: CachedFacts }> {
  const { project } = input;
  const why = liveUnsupported(project);
  if (why || project.builder === 'none') throw new ShipError('build', why ?? 'no build tool');
  const build: LiveBuild = { tool: project.builder, dir: project.dir, cmd: project.buildCommand![0] };
  const cacheDir = liveCacheDir(input.env);
  const run = { runner: input.runner, env: input.env, signal: input.signal, ...(input.onLine ? { onLine: input.onLine } : {}) };

  // The image may exist already for these sources (build skipped) while the project has no jar
  // (a fresh clone): the project's own build makes it, and the classes directory with it.
  let built = input.built;
  let jarPath: string;
  try {
    jarPath = chooseJar(project.dir, project.builder, fileView(project.dir));
  } catch (e) {
    if (built) throw e;
    jarPath = (await runBuild(project, input.runner, run)).jar ?? chooseJar(project.dir, project.builder, fileView(project.dir));
    built = true;
  }
  const jar = await readJarInfo(jarPath).catch((e: unknown) => {
    throw new ShipError('build', `${jarPath} is not a readable jar: ${errorMessage(e)}`);
  });
  if (!jar.startClass) throw new ShipError('build', `${jarPath} names no Start-Class or Main-Class`);

  let facts: CachedFacts;
  let compiled = built;
  if (input.cached && input.cached.buildFiles === input.buildFiles) facts = input.cached;
  else {
    const { compiled: byFacts, ...read } = await liveFacts(build, run, cacheDir, jar.springBootVersion);
    facts = { ...read, buildFiles: input.buildFiles };
    compiled ||= byFacts;
  }
  if (!compiled) {
    const c = await compileLive(build, run);
    if (!c.ok) throw new ShipError('build', 'The sources do not compile.', { details: c.lines });
  }
  // Spring Boot restarts with DevTools inside the JVM; a plain JVM app's process is restarted by ship's restarter.
  // A thin jar (no Spring-Boot-Version in its manifest) is a Spring Boot app when spring-boot is on its classpath.
  const boot = jar.springBootVersion ?? facts.bootVersion;
  const jars = boot ? devJars(facts) : [...facts.jars];
  const restarterDir = boot ? undefined : await restarterClasses(cacheDir, input.env);
  const snapshotter = new OutputSnapshotter(facts.outputDirs);
  const holds = await snapshotter.snapshot();
  if (holds.size === 0) throw new ShipError('build', `The build output (${facts.outputDirs.join(', ')}) is empty after the build.`);
  const { jvmOptionsNote, ...image } = await buildDevImage({
    docker: input.docker,
    base: input.base,
    locate: (path) => snapshotter.locate(path),
    classes: holds,
    jars,
    mainClass: jar.startClass,
    ...(input.debugPort ? { debugPort: input.debugPort } : {}),
    ...(restarterDir ? { restarterDir } : {}),
    app: project.name,
    signal: input.signal,
    ...(input.onLine ? { onLine: input.onLine } : {}),
  });
  return { image, build, snapshotter, holds, mainClass: jar.startClass, restart: boot ? `DevTools ${boot}` : 'ship\'s restarter (a plain JVM app)', ...(jvmOptionsNote ? { jvmOptionsNote } : {}), facts };
}
