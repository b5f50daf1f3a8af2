// Step: tag. The immutable tag for these sources (image.ts's planImage: sources, Dockerfile, base
// image), and whether Docker already has that exact image (then build and image are skipped).

import { basename } from 'node:path';
import { manifestImageNames } from '../adapters/renderers.js';
import { imageNameFor } from '../core/tag.js';
import type { ImageTag, ProjectInfo } from '../core/model.js';
import type { DockerApi } from '../adapters/docker/api.js';
import { planImage } from './image.js';
import type { StepEnv } from './types.js';

export async function tagStep(run: Pick<StepEnv, 'opts'> & Partial<Pick<StepEnv, 'env' | 'signal'>>, input: { project: ProjectInfo; docker: DockerApi }): Promise<ImageTag> {
  const { opts } = run;
  const { project } = input;
  const manifestImages = await manifestImageNames(project.dir, opts, { app: project.name, namespace: opts.namespace, env: run.env, signal: run.signal });
  const repository = imageNameFor({ manifestImages, rootProjectName: project.name, dirName: basename(project.dir) });
  const plan = await planImage({
    docker: input.docker,
    projectDir: project.dir,
    repository,
    dockerfilePath: project.dockerfile,
    builder: project.builder,
    skipTests: opts.skipTests,
    tagOverride: opts.tag,
  });
  const tag: ImageTag = { repository: plan.repository, tag: plan.tag, ref: plan.ref, digest: plan.digest };
  if (plan.exists && plan.imageId) tag.existing = { id: plan.imageId, repository: plan.repository, tag: plan.tag, ref: plan.ref, unchanged: true };
  return tag;
}

export function describeTag(t: ImageTag): string {
  return t.existing ? `${t.ref} (already built from these sources)` : t.ref;
}
