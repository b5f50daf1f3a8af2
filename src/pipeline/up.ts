// `ship [dir]`: source → image → cluster → Ready pod → forward → first HTTP answer.
// Composition only: each step's logic lives in src/tasks/<step>.ts. deploy() below is a run's
// whole data flow: what each step returns is what the next ones are handed.

import type { RenderedManifest } from '../core/manifest/types.js';
import type { BuildResult, ForwardInfo, ImageResult, ProjectInfo, SmokeResult } from '../core/model.js';
import type { StepUi } from '../tasks/types.js';
import type { Kube } from '../adapters/kube/client.js';
import type { ImageLoader, LoadResult } from '../adapters/loaders/index.js';
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
import { PodFailureError } from '../core/wait-progress.js';
import type { Explained } from '../core/explain.js';
import { runHistory } from '../adapters/run-history.js';
import { historyKey, recordOf } from '../core/run-history.js';
import {
  explainApplyStep,
  explainBuild,
  explainCheck,
  explainForward,
  explainImageStep,
  explainLoad,
  explainManifestStep,
  explainSmoke,
  explainTag,
  explainWaitStep,
  kubectlTarget,
} from './explain.js';

import type { DockerApi } from '../adapters/docker/api.js';
import type { ProcessRunner } from '../adapters/process.js';
import type { StepEnv } from '../tasks/types.js';
import { homeDirectory } from '../adapters/home.js';

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
  /** The loader that put the image on the nodes (ship dev removes older images through it). */
  loader: ImageLoader;
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
    // --explain: each step's commands, said inside the step (so they print before its ✔ line).
    const say = async (make: () => Explained | Promise<Explained>) => {
      if (!ctx.explain) return;
      // Explaining never fails a step.
      try {
        ctx.explain.say(await make());
      } catch (e) {
        ctx.out.warn(`--explain: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    const run = <T>(name: string, body: (ui: StepUi) => Promise<T>, explain: (made: T) => Explained | Promise<Explained>) =>
      steps.run(name, async (ui) => {
        const made = await body(ui);
        await say(() => explain(made));
        return made;
      });
    const checked = await steps.run('check', async (ui) => {
      const c = await checkStep(ctx, { runner, kube: ctx.kube, docker: ctx.docker, forwardOpen: Boolean(o.forward) });
      ui.title = `check · ${describeCheck(c)}`;
      await say(() => explainCheck({ projectDir: c.project.dir, target: kubectlTarget(c.kube, ctx.opts.namespace ?? c.kube.namespace, homeDirectory()) }));
      return c;
    });
    // The clients are the run's shared part: kept for the next run (ship dev) and the commands.
    const { project, kube, docker, loaderChoice } = checked;
    ctx.kube = kube;
    ctx.docker = docker;
    const target = (namespace: string) => kubectlTarget(kube, namespace, homeDirectory());
    const reused = 'Docker already has the image for these sources';

    const tag = await run(
      'tag',
      async (ui) => {
        const t = await tagStep(ctx, { project, docker });
        ui.title = `tag · ${describeTag(t)}`;
        return t;
      },
      (t) => explainTag({ ref: t.existing?.ref ?? t.ref, reused: Boolean(t.existing) }),
    );

    const noBuild = buildSkip(project, tag.existing);
    let built: BuildResult | undefined;
    const buildCommand = project.buildCommand;
    if (noBuild) {
      steps.skip('build', noBuild);
      if (buildCommand) await say(() => explainBuild({ command: buildCommand, skipped: reused }));
    } else built = await run('build', (ui) => buildStep(ctx, { project, runner }, ui), () => explainBuild({ command: buildCommand!, skipped: undefined }));

    const imageCommands = (i: ImageResult) => explainImageStep({ projectDir: project.dir, ref: i.ref, dockerfile: project.dockerfile, jar: built?.jar, port: ctx.opts.port.remote, skipped: tag.existing ? reused : undefined });
    let image = tag.existing;
    if (image) {
      steps.skip('image', imageSkip(image));
      const existing = image;
      await say(() => imageCommands(existing));
    } else image = await run('image', (ui) => imageStep(ctx, { docker, project, tag, jar: built?.jar }, ui), imageCommands);
    const extra = o.imageExtra;
    if (extra) {
      const base = image;
      image = await steps.run(extra.step, (ui) => extra.run(ctx, { project, image: base, built: built !== undefined, docker, runner }, ui));
    }
    const ref = image.ref;

    const { result: load, loader } = await run('load', (ui) => loadStep(ctx, { choice: loaderChoice, image, deps: { docker, runner, env: ctx.env } }, ui), (l) => explainLoad({ choice: loaderChoice, ref, pushedRef: l.result.pushedRef }));

    const manifest = await run('manifest', (ui) => manifestStep(ctx, { project, image, pushedRef: load.pushedRef }, ui), (m) => explainManifestStep({ projectDir: project.dir, manifests: ctx.opts.manifests, app: project.name, rendered: m }));

    const applied = await run('apply', (ui) => applyStep(ctx, { kube, manifest }, ui), (a) => explainApplyStep({ target: target(a.namespace), app: project.name, objects: a.objects }));
    const deployed: Deployed = { kube, app: project.name, namespace: applied.namespace, objects: applied.objects, appliedAt: applied.at };
    o.onApplied?.(deployed);

    const waitFacts = { target: target(applied.namespace), rendered: manifest, app: project.name, timeoutMs: ctx.opts.timeoutMs };
    const readyPods = await run(
      'wait',
      (ui) =>
        waitStep(ctx, { cluster: kube, namespace: applied.namespace, manifest, app: project.name, image, loader }, ui).catch(async (e: unknown) => {
          // A diagnosed failure: describe and logs are what a person would read next.
          const d = e instanceof PodFailureError ? e.diagnosis : undefined;
          if (d) await say(() => explainWaitStep({ ...waitFacts, pods: [], failed: { pod: d.pod, container: d.container } }));
          throw e;
        }),
      (pods) => explainWaitStep({ ...waitFacts, pods }),
    );

    let forward = o.forward;
    if (!forward) {
      forward = await run('forward', (ui) => forwardStep(ctx, { kube, namespace: applied.namespace, manifest, app: project.name, pod: readyPods[0] }, ui), (f) => explainForward({ target: target(applied.namespace), pod: f.pod, local: f.localPort, remote: f.remotePort }));
      o.onForward?.(forward);
    }

    const noSmoke = smokeSkip(ctx.opts);
    let smoke: SmokeResult | undefined;
    if (noSmoke) steps.skip('smoke', noSmoke);
    else {
      const via = forward;
      smoke = await run('smoke', (ui) => smokeStep(ctx, { forward: via, appliedAt: applied.at, app: { kube, namespace: applied.namespace, ports: checked.ports } }, ui), () => explainSmoke({ url: new URL(ctx.opts.smokePath || '/', via.url).toString() }));
    }

    const after = o.afterSmoke;
    if (after) {
      const no = after.skip?.();
      if (no) steps.skip(after.step, no);
      else await steps.run(after.step, (ui) => after.run(ctx, { kube, namespace: applied.namespace, manifest, app: project.name, pod: readyPods[0] }, ui));
    }

    return { project, image, load, loader, manifest, deployed, readyPods, forward, smoke };
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
    // Each run against the app's last successful one (same project, context and namespace); this one is kept for the next.
    const history = runHistory(ctx.env);
    const key = historyKey({ projectDir: result.project.dir, app: result.project.name, context: result.deployed.kube.context, namespace: result.deployed.namespace });
    printSummary(ctx, result, history.last(key));
    const record = recordOf(ctx.timings, new Date());
    if (record) history.save(key, record);
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
