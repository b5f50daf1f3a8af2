// `ship [dir]`: source → image → cluster → Ready pod → forward → first HTTP answer.
// Composition only: each step's logic lives in src/tasks/<step>.ts. deploy() below is a run's
// whole data flow: what each step returns is what the next ones are handed.

import type { RenderedManifest } from '../core/manifest/types.js';
import type { BuildResult, ForwardInfo, ImageResult, ProjectInfo, SmokeResult } from '../core/model.js';
import type { Kube } from '../adapters/kube/client.js';
import type { LoadResult } from '../adapters/loaders/index.js';
import type { AppliedObject } from '../adapters/kube/apply.js';
import { checkStep, describeCheck } from '../tasks/check.js';
import { describeTag, tagStep } from '../tasks/tag.js';
import { buildSkip, buildStep } from '../tasks/build.js';
import { imageSkip, imageStep } from '../tasks/image.js';
import { loadStep } from '../tasks/load.js';
import { manifestStep } from '../tasks/manifest.js';
import { applyStep } from '../tasks/apply.js';
import { waitStep } from '../tasks/wait.js';
import { forwardStep } from '../tasks/forward.js';
import { smokeSkip, smokeStep } from '../tasks/smoke.js';
import { runSteps, runCleanups, type RenderChoice } from './run.js';
import { printSummary } from './summary.js';
import { lockProject } from './project-lock.js';
import type { RunContext } from './context.js';
import type { DockerApi } from '../adapters/docker/api.js';
import type { ProcessRunner } from '../adapters/process.js';
import type { StepEnv, StepUi } from '../tasks/types.js';

/** What a run put on the cluster: where, and when (ship dev follows its logs and deletes it). */
export interface Deployed {
  kube: Kube;
  /** The app's name (its pods carry it as app.kubernetes.io/name). */
  app: string;
  namespace: string;
  objects: AppliedObject[];
  /** The end of apply (epoch ms). */
  appliedAt: number;
}

/** What one deploy run made. */
export interface RunResult {
  project: ProjectInfo;
  image: ImageResult;
  load: LoadResult;
  manifest: RenderedManifest;
  deployed: Deployed;
  readyPods: string[];
  /** The forward the app is reached through (the one this run opened, or the one it was handed). */
  forward: ForwardInfo;
  /** Undefined with --no-smoke. */
  smoke?: SmokeResult;
}

/** What the step after `image` is handed: the project, the image just built (or found), the clients. */
export interface ImageExtraInput {
  project: ProjectInfo;
  image: ImageResult;
  /** Whether the build step ran in this run. */
  built: boolean;
  docker: DockerApi;
  runner: ProcessRunner;
}

/** A step after `image` that makes the image the run deploys instead (ship dev's dev image, --debug's). */
export interface ImageExtra {
  step: string;
  run(ctx: StepEnv, input: ImageExtraInput, ui: StepUi): Promise<ImageResult>;
}

/** A step after `smoke` (--debug's JDWP forward); `skip` gives its reason when it is not needed. */
export interface AfterSmoke {
  step: string;
  skip?: () => string | false;
  run(ctx: StepEnv, input: { kube: Kube; namespace: string; manifest: RenderedManifest; app: string; pod?: string }, ui: StepUi): Promise<void>;
}

export interface DeployOptions {
  /** A forward that is already open (ship dev's later runs): kept, no forward step. */
  forward?: ForwardInfo;
  /** Called as soon as the forward step has opened the forward (it stays open until the run's cleanups). */
  onForward?: (forward: ForwardInfo) => void;
  /** Called as soon as the apply step has put objects on the cluster (the run may still fail after). */
  onApplied?: (deployed: Deployed) => void;
  /** A step after `image` whose image is deployed instead (live update's dev image, --debug). */
  imageExtra?: ImageExtra;
  /** A step after `smoke` (--debug's forward). */
  afterSmoke?: AfterSmoke;
}

/** The steps of a deploy run, in order; without `forward` when one is already open; with the extra steps given. */
export function deploySteps(opts: { forward?: boolean; imageExtra?: string; afterSmoke?: string } = {}): string[] {
  return [
    'check',
    'tag',
    'build',
    'image',
    ...(opts.imageExtra ? [opts.imageExtra] : []),
    'load',
    'manifest',
    'apply',
    'wait',
    ...(opts.forward === false ? [] : ['forward']),
    'smoke',
    ...(opts.afterSmoke ? [opts.afterSmoke] : []),
  ];
}

/** One deploy run: check → tag → build → image → load → manifest → apply → wait → forward → smoke. */
export function deploy(ctx: RunContext, render: RenderChoice, o: DeployOptions = {}): Promise<RunResult> {
  const names = deploySteps({ forward: !o.forward, ...(o.imageExtra ? { imageExtra: o.imageExtra.step } : {}), ...(o.afterSmoke ? { afterSmoke: o.afterSmoke.step } : {}) });
  return runSteps(ctx, names, render, async (steps) => {
    const { runner } = ctx;
    const checked = await steps.run('check', async (ui) => {
      const c = await checkStep(ctx, { runner, kube: ctx.kube, docker: ctx.docker, forwardOpen: Boolean(o.forward) });
      ui.title = `check · ${describeCheck(c)}`;
      return c;
    });
    // The clients are the run's shared part: kept for the next run (ship dev) and the commands.
    const { project, kube, docker, loaderChoice } = checked;
    ctx.kube = kube;
    ctx.docker = docker;

    const tag = await steps.run('tag', async (ui) => {
      const t = await tagStep(ctx, { project, docker });
      ui.title = `tag · ${describeTag(t)}`;
      return t;
    });

    const noBuild = buildSkip(project, tag.existing);
    let built: BuildResult | undefined;
    if (noBuild) steps.skip('build', noBuild);
    else built = await steps.run('build', (ui) => buildStep(ctx, { project, runner }, ui));

    let image = tag.existing;
    if (image) steps.skip('image', imageSkip(image));
    else image = await steps.run('image', (ui) => imageStep(ctx, { docker, project, tag, jar: built?.jar }, ui));
    const extra = o.imageExtra;
    if (extra) {
      const base = image;
      image = await steps.run(extra.step, (ui) => extra.run(ctx, { project, image: base, built: built !== undefined, docker, runner }, ui));
    }

    const { result: load, loader } = await steps.run('load', (ui) => loadStep(ctx, { choice: loaderChoice, image, deps: { docker, runner, env: ctx.env } }, ui));

    const manifest = await steps.run('manifest', (ui) => manifestStep(ctx, { project, image, pushedRef: load.pushedRef }, ui));

    const applied = await steps.run('apply', (ui) => applyStep(ctx, { kube, manifest }, ui));
    const deployed: Deployed = { kube, app: project.name, namespace: applied.namespace, objects: applied.objects, appliedAt: applied.at };
    o.onApplied?.(deployed);

    const readyPods = await steps.run('wait', (ui) => waitStep(ctx, { cluster: kube, namespace: applied.namespace, manifest, app: project.name, image, loader }, ui));

    let forward = o.forward;
    if (!forward) {
      forward = await steps.run('forward', (ui) => forwardStep(ctx, { kube, namespace: applied.namespace, manifest, app: project.name, pod: readyPods[0] }, ui));
      o.onForward?.(forward);
    }

    const noSmoke = smokeSkip(ctx.opts);
    let smoke: SmokeResult | undefined;
    if (noSmoke) steps.skip('smoke', noSmoke);
    else smoke = await steps.run('smoke', (ui) => smokeStep(ctx, { forward, appliedAt: applied.at }, ui));

    const after = o.afterSmoke;
    if (after) {
      const no = after.skip?.();
      if (no) steps.skip(after.step, no);
      else await steps.run(after.step, (ui) => after.run(ctx, { kube, namespace: applied.namespace, manifest, app: project.name, pod: readyPods[0] }, ui));
    }

    return { project, image, load, manifest, deployed, readyPods, forward, smoke };
  });
}

/**
 * Deploys and, unless the run is detached (CI, --detach), keeps the forward open until the signal
 * aborts. Cleanups run on every way out.
 */
export async function up(ctx: RunContext, render: RenderChoice, o: Pick<DeployOptions, 'imageExtra' | 'afterSmoke'> = {}): Promise<RunResult> {
  let release: (() => Promise<void>) | undefined;
  try {
    release = await lockProject(ctx, 'ship');
    const result = await deploy(ctx, render, o);
    // Built and deployed: another run may build this project now (the held forward needs no lock).
    await release();
    release = undefined;
    printSummary(ctx, result);
    if (ctx.opts.hold) {
      const { forward } = result;
      ctx.out.info(`Forwarding ${forward.url} → pod/${forward.pod}:${forward.remotePort}. Press Ctrl-C to stop.`);
      await untilAborted(ctx.signal);
      ctx.out.info('Stopped the forward; the pod keeps running (ship delete removes it).');
    }
    return result;
  } finally {
    await release?.();
    await runCleanups(ctx);
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
