// Step: image. Build the project's image with Docker under its immutable, content-derived tag.
// planImage (called by the tag step, before the build) decides the tag and whether Docker already
// has that exact image; buildProjectImage packs the context (the project's Dockerfile, or one ship
// generates in memory around the jar) and builds it.

import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { ShipError, errorMessage } from '../errors.js';
import type { DockerApi } from '../adapters/docker/api.js';
import { packContext } from '../adapters/build-context.js';
import { DEFAULT_BASE_IMAGE, GENERATED_RECIPE, generateDockerfile, parseFromImages } from '../core/dockerfile.js';
import { readJarInfo } from '../adapters/jar.js';
import { tagFor } from '../core/tag.js';
import { inputDigest } from '../adapters/source-files.js';
import type { ImageResult, ImageTag, ProjectInfo } from '../core/model.js';
import type { StepEnv, StepLine } from './types.js';

/** Label holding the input digest the image was built from (planImage trusts an existing tag only when it matches). */
export const DIGEST_LABEL = 'io.ship.input-digest';
export const APP_LABEL = 'io.ship.app';
/** Where a Dockerfile that is not inside the context (generated, or --dockerfile elsewhere) goes in the tar. */
export const CONTEXT_DOCKERFILE = '.ship.Dockerfile';
const DEFAULT_PORT = 8080;

/** The skip text when Docker already has the image for these sources (the tag step found it). */
export function imageSkip(existing: ImageResult): string {
  return `image · unchanged: ${existing.ref} already built from the same sources`;
}

export async function imageStep(
  run: Pick<StepEnv, 'opts' | 'signal'>,
  input: { docker: DockerApi; project: ProjectInfo; tag: ImageTag; jar?: string },
  ui: StepLine,
): Promise<ImageResult> {
  const { project, tag } = input;
  ui.title = `image · docker build ${tag.repository}:${tag.tag}`;
  const image = await buildProjectImage({
    docker: input.docker,
    project,
    jar: input.jar,
    repository: tag.repository,
    tag: tag.tag,
    digest: tag.digest,
    skipTests: run.opts.skipTests,
    port: run.opts.port.remote ?? DEFAULT_PORT,
    signal: run.signal,
    onLine: (line) => (ui.output = line),
  });
  ui.title = `image · built ${image.ref} (${image.id.replace(/^sha256:/, '').slice(0, 12)})`;
  return image;
}

// ---------------------------------------------------------------------------------------------
// Planning

export interface PlanImageInput {
  docker: DockerApi;
  projectDir: string;
  repository: string;
  /** Absolute path of the project's Dockerfile; undefined = ship generates one. */
  dockerfilePath?: string;
  builder: string;
  skipTests: boolean;
  /** --tag: use this tag instead of the content-derived one. */
  tagOverride?: string;
  buildArgs?: Record<string, string>;
}

export interface ImagePlan {
  repository: string;
  tag: string;
  ref: string;
  /** Docker already has ref, built from these exact inputs: build and image can be skipped. */
  exists: boolean;
  imageId?: string;
  /** The input digest the tag derives from. */
  digest: string;
}

export async function planImage(input: PlanImageInput): Promise<ImagePlan> {
  const digest = await digestFor(input);
  const tag = input.tagOverride ?? tagFor(digest);
  const ref = `${input.repository}:${tag}`;
  const existing = await input.docker.inspectImage(ref);
  // A tag is trusted only when the image carries the same input digest (a --tag reused for other
  // sources, or an image someone tagged by hand, is rebuilt).
  const exists = existing !== undefined && existing.labels[DIGEST_LABEL] === digest;
  return { repository: input.repository, tag, ref, exists, ...(exists ? { imageId: existing.id } : {}), digest };
}

async function digestFor(input: PlanImageInput): Promise<string> {
  let dockerfileText: string;
  if (input.dockerfilePath) {
    dockerfileText = await readDockerfile(input.dockerfilePath);
  } else {
    // The generated Dockerfile depends on the jar, which does not exist yet when the tag is planned;
    // the jar follows from the sources, so the recipe identity stands in for the text. The port is
    // left out: it only changes EXPOSE (documentation), and the pipeline plans before it knows it.
    dockerfileText = `${GENERATED_RECIPE}\nbase=${DEFAULT_BASE_IMAGE}\n`;
  }
  const bases = input.dockerfilePath ? parseFromImages(dockerfileText) : [DEFAULT_BASE_IMAGE];
  const baseImageIds = await Promise.all(bases.map(async (b) => (await input.docker.inspectImage(b))?.id ?? `missing:${b}`));
  return inputDigest({
    projectDir: input.projectDir,
    dockerfileText,
    builder: input.builder,
    skipTests: input.skipTests,
    buildArgs: input.buildArgs,
    baseImageIds,
  });
}

async function readDockerfile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ShipError('project', `Cannot read the Dockerfile ${path}: ${errorMessage(e)}`, {
      hint: 'Check the --dockerfile path, or remove it to let ship use ./Dockerfile or generate one.',
      cause: e,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Building

export interface BuildImageInput {
  docker: DockerApi;
  project: { dir: string; name: string; builder: string; dockerfile?: string };
  /** The jar the build produced; required when ship generates the Dockerfile. */
  jar?: string;
  repository: string;
  /** The planned tag; computed from the inputs when absent. */
  tag?: string;
  /** The input digest planImage computed; the sources are hashed again only when absent. */
  digest?: string;
  skipTests: boolean;
  buildArgs?: Record<string, string>;
  port?: number;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
  /** For tests: the creation time put in the labels. */
  now?: Date;
}

export async function buildProjectImage(input: BuildImageInput): Promise<ImageResult> {
  const { docker, project } = input;
  const port = input.port ?? DEFAULT_PORT;
  const digest = input.digest ?? await digestFor({
    docker,
    projectDir: project.dir,
    repository: input.repository,
    dockerfilePath: project.dockerfile,
    builder: project.builder,
    skipTests: input.skipTests,
    buildArgs: input.buildArgs,
  });
  const tag = input.tag ?? tagFor(digest);
  const ref = `${input.repository}:${tag}`;

  let context: NodeJS.ReadableStream;
  let dockerfile: string;
  if (project.dockerfile) {
    const rel = relative(project.dir, project.dockerfile);
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) {
      dockerfile = rel.split(sep).join('/');
      context = packContext(project.dir, { dockerfileName: dockerfile });
    } else {
      // --dockerfile outside the project: the project is still the context; the file rides along in the tar.
      dockerfile = CONTEXT_DOCKERFILE;
      const text = await readDockerfile(project.dockerfile);
      context = packContext(project.dir, { dockerfileName: dockerfile, extraFiles: { [dockerfile]: text } });
    }
  } else {
    if (!input.jar) {
      throw new ShipError('image', `${project.dir} has no Dockerfile and the build produced no jar to put in an image.`, {
        hint: 'Add a Dockerfile to the project, or check that the build creates a runnable jar (build/libs or target).',
      });
    }
    const jarRel = relative(project.dir, input.jar);
    if (jarRel.startsWith('..') || isAbsolute(jarRel)) {
      throw new ShipError('image', `The jar ${input.jar} is outside the project ${project.dir}.`, {
        hint: 'Let the build write its jar inside the project (build/libs or target), or add a Dockerfile.',
      });
    }
    const jarName = jarRel.split(sep).join('/');
    const jar = await readJarInfo(input.jar).catch((e: unknown) => {
      throw new ShipError('image', `${input.jar} is not a readable jar: ${errorMessage(e)}`, { hint: 'Rebuild the project; the jar may be truncated.', cause: e });
    });
    const text = generateDockerfile({
      jarName,
      port,
      layered: jar.layered,
      layers: jar.layers,
      ...(jar.springBootVersion ? { springBootVersion: jar.springBootVersion } : {}),
    });
    dockerfile = CONTEXT_DOCKERFILE;
    context = packContext(project.dir, { dockerfileName: dockerfile, only: [jarName], extraFiles: { [dockerfile]: text } });
  }

  const labels: Record<string, string> = {
    'org.opencontainers.image.title': project.name,
    'org.opencontainers.image.version': tag,
    'org.opencontainers.image.created': (input.now ?? new Date()).toISOString(),
    'org.opencontainers.image.source': project.dir,
    [APP_LABEL]: project.name,
    [DIGEST_LABEL]: digest,
  };
  const { id } = await docker.buildImage({
    context,
    dockerfile,
    tags: [ref],
    labels,
    ...(input.buildArgs ? { buildArgs: input.buildArgs } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.onLine ? { onLine: input.onLine } : {}),
  });
  return { id, repository: input.repository, tag, ref, unchanged: false };
}
