// The Docker adapter: the ONLY place ship talks to a Docker engine (dockerode 5). The real
// DockerApi (api.ts); where the engine is comes from endpoint.ts, error words from errors.ts.

import { homedir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { InterruptedError, ShipError, errorMessage } from '../../errors.js';
import { cacheDirectory } from '../../core/cache-dir.js';
import { sleep } from '../../core/sleep.js';
import { buildProgress, buildRefused, noImageId } from '../../core/build-progress.js';
import type { BuildRequest, DockerApi, PushEvent } from './api.js';
import { dockerEndpoint, modemOptions } from './endpoint.js';
import { UNREACHABLE, droppedError, mayBeDaemonGoingDown, engineMessage, errnoOf, isAbort, isDroppedConnection, statusOf, unreachableError } from './errors.js';
import { buildContainerLog, runningIn } from './build-containers.js';
import { runExec } from './exec.js';
import { readJsonLines } from './json-lines.js';

export function createDocker(env: NodeJS.ProcessEnv): DockerApi {
  const ep = dockerEndpoint(env);
  let client: Docker | undefined;
  const docker = () => (client ??= new Docker(modemOptions(ep)));
  let apiVersion: string | undefined;
  const builds = buildContainerLog(buildRecordDir(env, ep.address), {
    async inspect(id) {
      try {
        const c = await docker().getContainer(id).inspect();
        return { running: Boolean(c.State?.Running) };
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw e;
      }
    },
    async remove(id) {
      await docker().getContainer(id).remove({ v: true });
    },
  });

  /**
   * Reads a streamed answer (build, push progress) to its end. The engine closing the connection
   * in the middle of it — dockerd stopped — is the engine's failure (exit 6), not a bug in ship.
   */
  async function streamed<T>(during: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ShipError) throw e;
      if (isAbort(e, signal)) throw new InterruptedError();
      if (isDroppedConnection(e)) throw droppedError(ep, during, e);
      throw e;
    }
  }

  /** A stream whose dropped connection errors as ShipError('docker') (what consumers of a save see). */
  function guarded(source: NodeJS.ReadableStream, during: string, signal?: AbortSignal): NodeJS.ReadableStream {
    const out = new PassThrough();
    source.on('error', (e) => {
      out.destroy(isAbort(e, signal) ? new InterruptedError() : isDroppedConnection(e) ? droppedError(ep, during, e) : e);
    });
    // A consumer that stops reading (an import that failed) ends the source too.
    out.on('close', () => (source as unknown as { destroy?: () => void }).destroy?.());
    return source.pipe(out);
  }

  /** Runs one API call; a connection failure becomes ShipError('docker'), an abort InterruptedError. */
  async function call<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ShipError) throw e;
      if (isAbort(e, signal)) throw new InterruptedError();
      if (statusOf(e) === undefined && UNREACHABLE.has(errnoOf(e) ?? '')) throw unreachableError(ep, e);
      throw e;
    }
  }

  async function engineApiVersion(): Promise<string> {
    if (!apiVersion) apiVersion = (await api.ping()).apiVersion;
    return apiVersion;
  }

  const api: DockerApi = {
    async ping() {
      const v = await call(() => docker().version());
      const info = (await call(() => docker().info())) as { Driver?: string; DriverStatus?: Array<[string, string]> };
      apiVersion = v.ApiVersion;
      const driverType = info.DriverStatus?.find(([k]) => k === 'driver-type')?.[1] ?? '';
      return {
        version: v.Version,
        apiVersion: v.ApiVersion,
        host: ep.address,
        ...(info.Driver ? { storageDriver: info.Driver } : {}),
        containerdStore: driverType.includes('containerd.snapshotter'),
        os: v.Os,
        architecture: v.Arch,
      };
    },

    async buildImage(req) {
      if (req.signal?.aborted) throw new InterruptedError();
      // Intermediate containers that an earlier build left when the engine went away mid-step.
      const leftovers = await builds.sweep().catch(() => []);
      if (leftovers.length > 0) req.onLine?.(`removed ${leftovers.length} intermediate container${leftovers.length === 1 ? '' : 's'} an interrupted build left: ${leftovers.join(', ')}`);
      // A context that cannot be read (a file vanished, permissions) fails the upload: say so,
      // rather than mistaking its ENOENT for an unreachable daemon.
      let contextError: unknown;
      req.context.on('error', (e) => (contextError ??= e));
      let stream: NodeJS.ReadableStream;
      try {
        stream = await call(
          () =>
            docker().buildImage(req.context, {
              t: req.tags,
              dockerfile: req.dockerfile,
              labels: req.labels,
              ...(req.buildArgs && Object.keys(req.buildArgs).length > 0 ? { buildargs: req.buildArgs } : {}),
              rm: true,
              forcerm: true,
              ...(req.signal ? { abortSignal: req.signal } : {}),
            } as unknown as Docker.ImageBuildOptions),
          req.signal,
        );
      } catch (e) {
        if (contextError !== undefined && !req.signal?.aborted) {
          throw new ShipError('image', `Could not read the build context: ${errorMessage(contextError)}`, {
            hint: 'Check that the files in the project can be read (and that the build is not still writing them).',
            cause: contextError,
          });
        }
        if (e instanceof ShipError) throw e;
        // Refused before any step ran: Dockerfile parse errors (HTTP 400), unknown options.
        throw buildRefused(engineMessage(e), e);
      }
      const record = builds.start();
      const onLine = (line: string) => {
        const id = runningIn(line);
        if (id) record.add(id);
        req.onLine?.(line);
      };
      try {
        return await streamed('the image build', () => followBuild(stream, { ...req, onLine }, async (tag) => (await api.inspectImage(tag))?.id), req.signal);
      } catch (e) {
        // A dockerd that is stopped kills the RUN step's container and reports that as the step's
        // failure (or just ends the output) before it closes its API: a failure that looks like
        // one is the daemon's when the daemon stops answering right after.
        if (e instanceof ShipError && e.code === 'image' && !req.signal?.aborted && mayBeDaemonGoingDown(e.message) && (await engineGoesAway(5000))) {
          throw droppedError(ep, 'the image build', e, e.details);
        }
        throw e;
      } finally {
        await record.finish().catch(() => undefined);
      }
    },

    async inspectImage(ref) {
      try {
        const i = await call(() => docker().getImage(ref).inspect());
        return {
          id: i.Id,
          repoTags: i.RepoTags ?? [],
          size: i.Size,
          os: i.Os,
          architecture: i.Architecture,
          ...((i as { Variant?: string }).Variant ? { variant: (i as { Variant?: string }).Variant } : {}),
          labels: (i.Config?.Labels as Record<string, string> | null) ?? {},
          layers: i.RootFS?.Layers ?? [],
          ...(i.Config?.Entrypoint ? { entrypoint: argv(i.Config.Entrypoint) } : {}),
          ...(i.Config?.Cmd ? { cmd: argv(i.Config.Cmd) } : {}),
        };
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw e;
      }
    },

    async tagImage(ref, repository, tag) {
      try {
        await call(() => docker().getImage(ref).tag({ repo: repository, tag }));
      } catch (e) {
        if (e instanceof ShipError) throw e;
        throw new ShipError('image', `Could not tag ${ref} as ${repository}:${tag}: ${engineMessage(e)}`, { cause: e });
      }
    },

    async listImages(labels) {
      const filters = { label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)) };
      const list = await call(() => docker().listImages({ filters } as Docker.ListImagesOptions));
      return list.map((i) => ({
        id: i.Id,
        repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
        createdMs: i.Created * 1000,
        labels: i.Labels ?? {},
      }));
    },

    async removeImage(ref) {
      try {
        await call(() => docker().getImage(ref).remove({ noprune: false }));
        return true;
      } catch (e) {
        if (e instanceof ShipError) throw e;
        if (statusOf(e) === 409) return false;
        if (statusOf(e) === 404) return true;
        throw new ShipError('image', `Could not remove the image ${ref}: ${engineMessage(e)}`, { cause: e });
      }
    },

    async saveImage(ref, opts = {}) {
      const platform = opts.platform && versionAtLeast(await engineApiVersion(), 1, 48) ? platformJson(opts.platform) : undefined;
      const modem = docker().modem as unknown as {
        dial(o: object, cb: (err: unknown, data: NodeJS.ReadableStream) => void): void;
      };
      try {
        return await call(
          () =>
            new Promise<NodeJS.ReadableStream>((resolve, reject) =>
              modem.dial(
                {
                  path: `/images/${encodeURIComponent(ref)}/get?`,
                  method: 'GET',
                  isStream: true,
                  abortSignal: opts.signal,
                  statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
                  options: platform ? { platform } : {},
                },
                (err, data) => (err ? reject(err) : resolve(guarded(data, `docker save ${ref}`, opts.signal))),
              ),
            ),
          opts.signal,
        );
      } catch (e) {
        if (e instanceof ShipError) throw e;
        throw new ShipError('load', `docker save ${ref} failed: ${engineMessage(e)}`, { cause: e });
      }
    },

    async listContainers(labels) {
      const filters = { label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)) };
      const list = await call(() => docker().listContainers({ all: true, filters }));
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
        labels: c.Labels ?? {},
        running: c.State === 'running',
      }));
    },

    async exec(containerId, cmd, opts = {}) {
      return call(() => runExec(docker(), containerId, cmd, opts), opts.signal);
    },

    async pushImage(repository, tag, opts = {}) {
      const ref = `${repository}:${tag}`;
      const stream = await call(
        () =>
          docker()
            .getImage(repository)
            .push({ tag, ...(opts.auth ? { authconfig: opts.auth } : {}), ...(opts.signal ? { abortSignal: opts.signal } : {}) } as Docker.ImagePushOptions),
        opts.signal,
      ).catch((e: unknown) => {
        if (e instanceof ShipError) throw e;
        if (statusOf(e) === 404) throw new ShipError('registry', `Docker has no image ${ref} to push.`, { hint: `docker image ls ${repository}`, cause: e });
        throw new ShipError('registry', `Pushing ${ref} failed: ${engineMessage(e)}`, { cause: e });
      });
      let failure: string | undefined;
      let digest: string | undefined;
      await streamed(`the push of ${ref}`, () =>
        readJsonLines(stream as NodeJS.ReadableStream, opts.signal, (obj) => {
          const e = obj as PushEvent;
          const err = e.errorDetail?.message ?? e.error;
          if (err) failure ??= String(err);
          if (e.aux?.Digest) digest = e.aux.Digest;
          opts.onEvent?.(e);
        }),
        opts.signal,
      );
      if (failure !== undefined) {
        throw new ShipError('registry', `Pushing ${ref} failed: ${failure}`, {
          hint: /denied|unauthorized|authentication/i.test(failure)
            ? 'Log in to the registry (docker login HOST) or check that you may push to this repository.'
            : 'Check that the registry is running and reachable from the Docker engine (a plain-HTTP registry must be listed in the engine\'s "insecure-registries").',
        });
      }
      return digest ? { digest } : {};
    },
  };
  /** Whether the engine stops answering within `ms` (asked every 250 ms). */
  async function engineGoesAway(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      try {
        await docker().ping();
      } catch {
        return true;
      }
      if (Date.now() >= until) return false;
      await sleep(250);
    }
  }
  return api;
}

/** One directory of build records per engine, in ship's cache directory. */
function buildRecordDir(env: NodeJS.ProcessEnv, address: string): string | undefined {
  let home: string | undefined = env.HOME;
  if (!home) {
    try {
      home = homedir();
    } catch {
      home = undefined;
    }
  }
  const cache = cacheDirectory(env, home);
  return cache ? join(cache, 'build-containers', createHash('sha256').update(address).digest('hex').slice(0, 12)) : undefined;
}


/** Follows a build's progress stream to the image ID; a failed build throws ShipError('image') naming the step. */
async function followBuild(stream: NodeJS.ReadableStream, req: BuildRequest, idOf: (tag: string) => Promise<string | undefined>): Promise<{ id: string }> {
  const progress = buildProgress(req.onLine);
  await readJsonLines(stream, req.signal, progress.feed);
  const outcome = progress.finish();
  if (outcome.error) throw outcome.error;
  // The classic builder reports the ID as aux.ID on recent engines; older ones only print it.
  let id = outcome.id;
  id ??= req.tags[0] ? await idOf(req.tags[0]) : undefined;
  id ??= outcome.idFromText;
  if (!id) throw noImageId(outcome.tail);
  return { id };
}

export function versionAtLeast(v: string, major: number, minor: number): boolean {
  const [a, b] = v.split('.').map((x) => Number(x));
  if (a === undefined || Number.isNaN(a)) return false;
  return a > major || (a === major && (b ?? 0) >= minor);
}

/** "linux/arm64/v8" → the OCI platform object the API expects (sent JSON-encoded). */
export function platformJson(p: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = p.split('/');
  return { os: os || 'linux', architecture: architecture || 'amd64', ...(variant ? { variant } : {}) };
}

/** Config.Entrypoint / Config.Cmd: an argument list (the engine stores the shell form as `/bin/sh -c …` already). */
function argv(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}
