// Live update in the `ship dev` loop: the dev-image step inserted after the image step, the live
// session started after each full deploy, one live update per batch of saves (or the reason it
// has to be a full rebuild), the JDWP forward of --debug, and the watch that turns a replaced pod
// into a rebuild (a new pod starts from the image, which lacks the live updates).

import { relative, sep } from 'node:path';
import { ShipError, errorMessage, isShipError } from '../errors.js';
import { DEFAULT_DEBUG_PORT, syncLine, type ChangeFacts } from '../core/live-plan.js';
import { podSelector } from '../core/wait-plan.js';
import { assertPortFree, startForward } from '../adapters/kube/forward.js';
import { liveUnsupported, prepareDevImage, type CachedFacts, type DevSetup } from '../tasks/dev-image.js';
import { buildDebugImage } from '../adapters/live/dev-image.js';
import { currentPods, liveUpdate, podsChanged, type LiveOutcome, type LiveSession } from '../tasks/live.js';
import { waitForAnswer } from '../tasks/smoke.js';
import { formatDuration } from './run.js';
import { MavenDaemon, findMavenHome } from '../adapters/live/maven-daemon.js';
import { liveCacheDir } from '../adapters/live/cache-dir.js';
import { buildFilesText } from '../adapters/live/build-tool.js';
import { mavenWrapperHome } from '../adapters/wrapper-dist.js';
import type { RunContext } from './context.js';
import type { DeployOptions, Deployed, ImageExtra, ImageExtraInput, AfterSmoke } from './up.js';
import type { ForwardInfo, ImageResult, ProjectInfo, ShipOptions } from '../core/model.js';
import type { RenderedManifest } from '../core/manifest/types.js';
import type { StepEnv, StepUi } from '../tasks/types.js';

export interface LiveOptions {
  /** false: --no-live (every save rebuilds and redeploys). */
  live: boolean;
  /** --debug: the JDWP port in the pod and on 127.0.0.1. */
  debugPort?: number;
  /** How often the app's pods are checked for replacements (default 2 s). */
  podPollMs?: number;
}

export class LiveDev {
  private session?: LiveSession;
  private setup?: DevSetup & { project: ProjectInfo };
  private facts?: CachedFacts;
  /** Why live update is off for this session (said once). */
  private off?: string;
  private debugForwardOpen = false;
  private daemon?: Promise<MavenDaemon | undefined>;
  private forward?: ForwardInfo;
  /** The JVM-options note said this session (said again only when it changes). */
  private jvmNoteSaid?: string;

  constructor(readonly opts: LiveOptions) {
    if (!opts.live) this.off = '--no-live';
  }

  /**
   * The step after `image`: the dev image replaces the project image in this run. Without live
   * update, --debug still gets its JDWP agent (the project image plus JAVA_TOOL_OPTIONS).
   */
  private imageStep(): ImageExtra {
    return { step: this.opts.live ? 'dev-image' : 'debug-image', run: (ctx, input, ui) => this.makeImage(ctx, input, ui) };
  }

  private async makeImage(ctx: StepEnv, input: ImageExtraInput, ui: StepUi): Promise<ImageResult> {
    this.session = undefined;
    this.setup = undefined;
    const { project } = input;
    const unsupported = this.off ? undefined : liveUnsupported(project);
    // A Dockerfile-only app has nothing to live-update: said as a fact, not a warning.
    if (unsupported) this.turnOff(ctx, unsupported, project.builder === 'none' ? 'info' : 'warn');
    if (this.off || project.builder === 'none') return this.debugOnly(ctx, input, ui, `live update off (${this.off})`);
    const buildFiles = await buildFilesText({ tool: project.builder, dir: project.dir });
    try {
      const setup = await prepareDevImage({
        docker: input.docker,
        runner: input.runner,
        env: ctx.env,
        signal: ctx.signal,
        project,
        base: input.image,
        built: input.built,
        ...(this.opts.debugPort ? { debugPort: this.opts.debugPort } : {}),
        ...(this.facts ? { cached: this.facts } : {}),
        buildFiles,
        onLine: (l) => (ui.output = l),
      });
      this.facts = setup.facts;
      this.setup = { ...setup, project };
      if (setup.jvmOptionsNote && setup.jvmOptionsNote !== this.jvmNoteSaid) ctx.out.info((this.jvmNoteSaid = setup.jvmOptionsNote));
      // The warm Maven starts now, beside the rest of the deploy, so the first save finds it ready.
      this.warmMaven(ctx, setup);
      ui.title = `dev image · ${setup.image.ref} (${setup.holds.size} files from ${setup.snapshotter.dirs.map((d) => relative(project.dir, d) || '.').join(' + ')}, ${setup.mainClass} on the classpath, restarted by ${setup.restart}${this.opts.debugPort ? `, JDWP :${this.opts.debugPort}` : ''})`;
      return setup.image;
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      // The project image still deploys; live update is off until the next full deploy works.
      const why = isShipError(e) ? e.message : errorMessage(e);
      ctx.out.warn(`live update unavailable for this deploy: ${why}`);
      for (const d of isShipError(e) ? e.details : []) ctx.out.info('  ' + d);
      ctx.out.event({ type: 'live', status: 'unavailable', reason: why });
      return this.debugOnly(ctx, input, ui, 'not built: this deploy runs the project image, saves rebuild');
    }
  }

  private async debugOnly(ctx: StepEnv, input: ImageExtraInput, ui: StepUi, why: string): Promise<ImageResult> {
    if (!this.opts.debugPort) {
      ui.skip(`${this.opts.live ? 'dev' : 'debug'} image · ${why}`);
      return input.image;
    }
    const image = await buildDebugImage(input.docker, input.image, this.opts.debugPort, ctx.signal);
    ui.title = `${this.opts.live ? 'dev' : 'debug'} image · ${image.ref} (the project image with JDWP :${this.opts.debugPort}${this.opts.live ? `; ${why}` : ''})`;
    return image;
  }

  private turnOff(ctx: StepEnv, why: string, level: 'info' | 'warn' = 'warn') {
    this.off = why;
    ctx.out[level](`live update off: ${why}`);
    ctx.out.event({ type: 'live', status: 'off', reason: why });
  }

  /** The step after `smoke` with --debug: 127.0.0.1:PORT → the pod's JDWP port (once; it follows the app's pods). */
  private debugStep(): AfterSmoke {
    return {
      step: 'debug',
      skip: () => (this.debugForwardOpen ? 'debug · forwarded already' : false),
      run: (ctx, input, ui) => this.forwardDebugger(ctx, input, ui),
    };
  }

  private async forwardDebugger(ctx: StepEnv, input: Parameters<AfterSmoke['run']>[1], ui: StepUi): Promise<void> {
    const port = this.opts.debugPort!;
    const fwd = await startForward(input.kube, {
      namespace: input.namespace,
      labelSelector: podSelector(input.manifest.objects, input.app),
      pod: input.pod,
      localPort: port,
      remotePort: port,
      signal: ctx.signal,
      onEvent: (e) => ctx.out.event({ ...e, type: `debug-forward-${e.type}` }),
    });
    this.debugForwardOpen = true;
    ctx.cleanups.push(() => fwd.close());
    ui.title = `debug · JDWP 127.0.0.1:${fwd.localPort} → pod/${fwd.pod()}:${port}`;
    ctx.out.info(`debugger: attach to localhost:${fwd.localPort} (IntelliJ: Run → Edit Configurations → Remote JVM Debug, host localhost, port ${fwd.localPort}; VS Code: "type": "java", "request": "attach", "hostName": "localhost", "port": ${fwd.localPort})`);
    ctx.out.event({ type: 'debug', localPort: fwd.localPort, remotePort: port, pod: fwd.pod() });
  }

  /** What a deploy run needs for live update and --debug (DeployOptions). */
  deployOptions(): Pick<DeployOptions, 'imageExtra' | 'afterSmoke'> {
    if (!this.opts.live && !this.opts.debugPort) return {};
    return { imageExtra: this.imageStep(), ...(this.opts.debugPort ? { afterSmoke: this.debugStep() } : {}) };
  }

  /** After a successful full deploy: the pods now run the dev image with exactly what the session knows. */
  async afterDeploy(ctx: RunContext, r: { deployed: Deployed; manifest?: RenderedManifest; forward?: ForwardInfo; image?: { ref: string } }): Promise<void> {
    this.session = undefined;
    const setup = this.setup;
    if (!setup || !r.manifest || !r.forward || r.image?.ref !== setup.image.ref) return;
    this.forward = r.forward;
    const base = {
      kube: r.deployed.kube,
      namespace: r.deployed.namespace,
      selector: podSelector(r.manifest.objects, r.deployed.app),
      imageRef: setup.image.ref,
    };
    const pods = await currentPods(base).catch(() => []);
    const daemon = await this.readyMaven();
    this.session = {
      ...base,
      build: setup.build,
      ...(daemon ? { daemon } : {}),
      snapshotter: setup.snapshotter,
      podHolds: setup.holds,
      pods,
      changeFacts: changeFacts(ctx.opts, setup.project, r.manifest),
      updates: 0,
    };
    ctx.out.info(`live update on: saves under src/main go into ${pods.map((p) => p.name).join(', ')} without a new image (--no-live turns it off)`);
  }

  /**
   * The warm Maven of this dev session: started once, in the background (the first compiles run
   * Maven as a process until it is up), warmed with a compile of the unchanged sources.
   */
  private warmMaven(ctx: StepEnv, setup: DevSetup): void {
    if (this.daemon) return;
    const { tool, cmd, dir } = setup.build;
    if (tool !== 'maven' || ctx.env.SHIP_LIVE_MAVEN_DAEMON === '0') return;
    // ./mvnw: the Maven the wrapper unpacked (its first run, the full build, did that).
    const home = cmd === 'mvn' ? findMavenHome(ctx.env) : cmd === './mvnw' ? mavenWrapperHome(dir, ctx.env) : undefined;
    if (!home) return;
    this.daemon = MavenDaemon.start({ mavenHome: home, cacheDir: liveCacheDir(ctx.env), env: ctx.env }).then(
      async (d) => {
        ctx.cleanups.push(() => d.close());
        await d.run(setup.build.dir, ['-B', '-o', '-q', 'compile']);
        if (this.session) this.session.daemon = d;
        return d;
      },
      (e: unknown) => {
        ctx.out.event({ type: 'live', status: 'maven', warm: false, reason: errorMessage(e) });
        return undefined;
      },
    );
  }

  /** The warm Maven when it is up now (never waits for it). */
  private async readyMaven(): Promise<MavenDaemon | undefined> {
    if (!this.daemon) return undefined;
    const d = await Promise.race([this.daemon, Promise.resolve('pending' as const)]);
    return d !== 'pending' && d?.alive ? d : undefined;
  }

  /**
   * One batch of saves. Resolves true when it was live-updated (or needed nothing, or did not
   * compile: the pods keep their code); false when the caller must rebuild and redeploy.
   */
  async update(ctx: RunContext, files: string[], savedAt: number): Promise<boolean> {
    const s = this.session;
    if (!s || !this.forward) return false;
    const started = Date.now();
    ctx.out.event({ type: 'live', status: 'start', files: files.map((f) => relative(ctx.opts.projectDir, f).split(sep).join('/')) });
    const url = new URL(ctx.opts.smokePath || '/', this.forward.url).toString();
    const outcome: LiveOutcome = await liveUpdate({
      session: s,
      files,
      projectDir: ctx.opts.projectDir,
      savedAt,
      runner: ctx.runner,
      env: ctx.env,
      signal: ctx.signal,
      answer: async () => (await waitForAnswer(url, { deadline: Date.now() + 30_000, signal: ctx.signal })).status,
      onStage: (stage) => ctx.out.event({ type: 'live', status: 'stage', stage }),
    }).catch((e: unknown): LiveOutcome => ({ kind: 'fallback', stage: 'sync', reason: `the live update failed (${isShipError(e) ? e.message : errorMessage(e)})` }));
    switch (outcome.kind) {
      case 'synced': {
        ctx.out.info(syncLine([...outcome.files, ...outcome.removed], outcome.pods, outcome.timings));
        ctx.out.event({ type: 'live', status: 'end', ok: true, files: outcome.files, removed: outcome.removed, pods: outcome.pods, httpStatus: outcome.status, ...outcome.timings });
        return true;
      }
      case 'nothing':
        ctx.out.info(`live update: nothing to sync (${outcome.why})`);
        ctx.out.event({ type: 'live', status: 'end', ok: true, nothing: outcome.why, durationMs: Date.now() - started });
        return true;
      case 'compile-error':
        ctx.out.warn(`live update: compile failed (${formatDuration(outcome.compileMs)}); the pods keep the last good code`);
        for (const l of outcome.lines) ctx.out.info('  ' + l);
        ctx.out.event({ type: 'live', status: 'end', ok: false, error: 'compile', lines: outcome.lines, compileMs: outcome.compileMs });
        return true;
      case 'fallback':
        if (ctx.signal.aborted) return true;
        ctx.out.info(`live update not possible: ${outcome.reason} → full rebuild and redeploy`);
        ctx.out.event({ type: 'live', status: 'fallback', stage: outcome.stage, reason: outcome.reason, ...(outcome.file ? { file: outcome.file } : {}), durationMs: Date.now() - started });
        this.session = undefined;
        return false;
    }
  }

  /**
   * Checks the app's pods every few seconds while live updates are in them: a replaced pod (or a
   * restarted container) starts from the image, which lacks them, so `redeploy` is asked for with
   * the reason. Returns the stop.
   */
  watchPods(ctx: Pick<StepEnv, 'out'>, isBusy: () => boolean, redeploy: (reason: string) => void): () => void {
    let stopped = false;
    let running = false;
    const tick = async () => {
      const s = this.session;
      if (stopped || running || !s || isBusy()) return;
      running = true;
      try {
        const now = await currentPods(s);
        if (this.session !== s || isBusy()) return;
        const changed = podsChanged(s.pods, now);
        if (!changed) return;
        if (s.updates === 0) {
          // The image holds the current code: a new pod runs it; follow the new set.
          s.pods = now;
          return;
        }
        this.session = undefined;
        const reason = `${changed} after ${s.updates} live update${s.updates === 1 ? '' : 's'}: the image lacks them`;
        ctx.out.info(`live update: ${reason} → full rebuild and redeploy`);
        ctx.out.event({ type: 'live', status: 'fallback', stage: 'pods', reason });
        redeploy(reason);
      } catch {
        // the API did not answer this time; the next tick asks again
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void tick(), this.opts.podPollMs ?? 2000);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}

function changeFacts(opts: ShipOptions, project: ProjectInfo, manifest: RenderedManifest): ChangeFacts {
  const rel = (p: string) => relative(opts.projectDir, p).split(sep).join('/');
  return {
    ...(project.dockerfile ? { dockerfile: rel(project.dockerfile) } : {}),
    manifests: [...opts.manifests.map(rel), ...new Set(manifest.objects.map((o) => o.source.file).filter((f) => !f.startsWith('<')))],
  };
}

/** --debug / --debug-port: the port (checked free now, before minutes of building), or undefined. */
export async function debugPortFlag(flags: { debug?: boolean; debugPort?: string }): Promise<number | undefined> {
  if (!flags.debug && flags.debugPort === undefined) return undefined;
  const port = Number(flags.debugPort ?? DEFAULT_DEBUG_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ShipError('usage', `--debug-port ${flags.debugPort}: not a port number.`, { hint: 'For example --debug-port 5005.' });
  await assertPortFree(port).catch((e: unknown) => {
    throw isShipError(e) ? new ShipError(e.code, `--debug: ${e.message}`, { hint: 'Stop what listens there, or pick another port with --debug-port PORT.', cause: e }) : e;
  });
  return port;
}
