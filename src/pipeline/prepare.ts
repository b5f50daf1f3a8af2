// The checks every deploying command makes before spending minutes on a build: the project is
// one ship understands, the kubeconfig names a reachable local cluster, Docker answers, and
// whether the image for these exact sources already exists (then build and image are skipped).

import { basename } from 'node:path';
import type { ListrTask } from 'listr2';
import { detectProject } from '../core/project.js';
import { fileView } from '../adapters/fs-view.js';
import { execaRunner } from '../adapters/process.js';
import { openKube, serverVersion } from '../adapters/kube/client.js';
import { createDocker } from '../adapters/docker/client.js';
import { createLoader } from '../adapters/loaders/index.js';
import { loaderChoiceFor } from '../tasks/load.js';
import { minikubeDockerEnv } from '../adapters/loaders/minikube.js';
import { listImages } from '../core/manifest/parse.js';
import { findManifests } from '../adapters/manifest-files.js';
import { imageNameFor } from '../core/tag.js';
import { planImage } from '../tasks/image.js';
import { assertPortFree } from '../adapters/kube/forward.js';
import type { ShipContext } from './context.js';

/** Project, cluster, Docker: everything that can be checked in seconds. */
export async function checkProjectAndCluster(ctx: ShipContext): Promise<string> {
  const { opts } = ctx;
  ctx.runner ??= execaRunner;
  ctx.project = detectProject(opts.projectDir, fileView(opts.projectDir), {
    builder: opts.builder,
    skipTests: opts.skipTests,
    dockerfile: opts.dockerfile,
  });
  ctx.kube ??= openKube({ kubeconfig: opts.kubeconfig, context: opts.context, env: ctx.env });
  const choice = (ctx.loaderChoice = await loaderChoiceFor(ctx));
  if (!ctx.docker) {
    const env = choice.kind === 'minikube' ? { ...ctx.env, ...(await minikubeDockerEnv(choice.profile, ctx.runner, ctx.env)) } : ctx.env;
    ctx.docker = createDocker(env);
  }
  // A busy local port is known now, not after minutes of building (the forward step checks again).
  const [docker, version] = await Promise.all([ctx.docker.ping(), serverVersion(ctx.kube), ctx.forward ? undefined : assertPortFree(opts.port.local)]);
  // So is a kind/k3d cluster whose node containers are gone or stopped.
  await createLoader(choice, { docker: ctx.docker, runner: ctx.runner, env: ctx.env }).preflight?.(ctx.signal);
  return `${ctx.project.builder} project ${ctx.project.name} · Docker ${docker.version} · cluster ${ctx.kube.context} (${version}) · loader ${choice.kind}`;
}

/** The immutable tag for these sources; marks the image unchanged when Docker already has it. */
export async function planTheImage(ctx: ShipContext): Promise<string> {
  const { opts } = ctx;
  const project = ctx.project!;
  const sources = await findManifests(project.dir, opts.manifests);
  const repository = imageNameFor({ manifestImages: listImages(sources), rootProjectName: project.name, dirName: basename(project.dir) });
  const plan = await planImage({
    docker: ctx.docker!,
    projectDir: project.dir,
    repository,
    dockerfilePath: project.dockerfile,
    builder: project.builder,
    skipTests: opts.skipTests,
    tagOverride: opts.tag,
  });
  ctx.imagePlan = { repository: plan.repository, tag: plan.tag, ref: plan.ref, digest: plan.digest };
  if (plan.exists && plan.imageId) {
    ctx.image = { id: plan.imageId, repository: plan.repository, tag: plan.tag, ref: plan.ref, unchanged: true };
    return `${plan.ref} (already built from these sources)`;
  }
  return plan.ref;
}

export function checkTask(): ListrTask<ShipContext> {
  return {
    title: 'check',
    task: async (ctx, task) => {
      task.title = `check · ${await checkProjectAndCluster(ctx)}`;
    },
  };
}

export function tagTask(): ListrTask<ShipContext> {
  return {
    title: 'tag',
    task: async (ctx, task) => {
      task.title = `tag · ${await planTheImage(ctx)}`;
    },
  };
}
