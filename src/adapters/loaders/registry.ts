// The registry loader: tag the built image for a registry (--registry, or the one a cluster
// advertises through KEP-1755) and push it with the Docker API, using the credentials the user's
// Docker config holds for that host. The nodes then pull it; LoadResult.pushedRef is the name the
// manifests must use.
//
// Docker reports most push failures INSIDE the progress stream (the HTTP call itself succeeds); the
// Docker adapter reads it to the end and throws ShipError('registry', "Pushing REF failed: <Docker's
// words>"), which pushError classifies.

import type { DockerApi } from '../docker/api.js';
import type { ImageLoader } from './types.js';
import type { ProcessRunner } from '../process.js';
import { InterruptedError, ShipError, errorMessage } from '../../errors.js';
import { parseRegistry, registryRefs, type RegistryAuth, type RegistryTarget } from '../../core/registry.js';
import { dockerConfigPath, dockerCredentials } from '../docker-credentials.js';

/** The part of the Docker adapter (src/adapters/docker/) the registry loader uses: tag, and push (stream errors included). */
export type RegistryDocker = Pick<DockerApi, 'tagImage' | 'pushImage'>;

export interface RegistryLoaderDeps {
  docker: RegistryDocker;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  /** Working directory for credential helpers (default "/": they do not use it). */
  cwd?: string;
}

/** `repo:tag` → [repo, tag] (a colon before the last slash is a registry port, not a tag). */
export function splitRef(ref: string): { repository: string; tag: string } {
  const noDigest = ref.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  if (colon > noDigest.lastIndexOf('/')) return { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) };
  return { repository: noDigest, tag: 'latest' };
}

function who(auth: RegistryAuth | undefined): string {
  if (!auth) return 'anonymous';
  if (auth.username) return `"${auth.username}"`;
  return 'the identity token';
}

/** Turn a push failure into a ShipError('registry') (or 'docker' when the daemon itself is unreachable). */
export function pushError(e: unknown, ctx: { target: RegistryTarget; pushRef: string; auth?: RegistryAuth; env: NodeJS.ProcessEnv }): ShipError {
  const host = ctx.target.host;
  // The Docker adapter (src/adapters/docker/) already wraps stream errors as ShipError('registry',
  // "Pushing REF failed: <Docker's words>"); classify by Docker's words. Other ShipErrors (docker
  // daemon down, interrupted) pass through unchanged.
  if (e instanceof ShipError && (e.code !== 'registry' || !/^Pushing \S+ failed: /.test(e.message))) return e;
  const msg = e instanceof ShipError ? e.message.replace(/^Pushing \S+ failed: /, '') : errorMessage(e);
  const login = `docker login ${host}`;
  const config = dockerConfigPath(ctx.env);
  if (!(e instanceof ShipError)) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES') {
      return new ShipError('docker', `The Docker daemon cannot be reached to push ${ctx.pushRef}: ${msg}`, {
        hint: 'Is Docker running? Check with: docker info',
        cause: e,
      });
    }
    if ((e as { statusCode?: unknown }).statusCode === 404) {
      return new ShipError('registry', `Docker has no image ${ctx.pushRef} to push: ${msg}`, { hint: 'Build the image again (ship up).', cause: e });
    }
  }
  if (/no basic auth credentials/i.test(msg) || (!ctx.auth && /unauthorized|authentication required/i.test(msg))) {
    return new ShipError('registry', `The registry ${host} needs credentials, and the Docker config (${config}) has none for it.`, {
      hint: `Log in first: ${login}`,
      details: [msg],
      cause: e,
    });
  }
  if (/unauthorized|authentication required|incorrect username or password|invalid credentials|\b401\b/i.test(msg)) {
    return new ShipError('registry', `The registry ${host} refused the credentials for ${who(ctx.auth)}.`, {
      hint: `Log in again with the right password: ${login}` + (ctx.auth?.username ? ` (ship read them from ${config})` : ''),
      details: [msg],
      cause: e,
    });
  }
  if (/denied|forbidden|\b403\b/i.test(msg)) {
    return new ShipError('registry', `The registry ${host} does not let ${who(ctx.auth)} push ${ctx.pushRef}.`, {
      hint: `Check that the account may push to this repository (the path after the host in --registry), or log in as another user: ${login}`,
      details: [msg],
      cause: e,
    });
  }
  if (/server gave HTTP response to HTTPS client/i.test(msg)) {
    return new ShipError('registry', `The registry ${host} speaks plain HTTP, and Docker only allows that for loopback registries.`, {
      hint: `Add "${host}" to "insecure-registries" in Docker's daemon.json and restart Docker, or give the registry TLS.`,
      details: [msg],
      cause: e,
    });
  }
  if (/x509|certificate/i.test(msg)) {
    return new ShipError('registry', `Docker does not trust the TLS certificate of the registry ${host}.`, {
      hint: `Put the registry's CA certificate in /etc/docker/certs.d/${host}/ca.crt (Docker Desktop: its settings), then retry.`,
      details: [msg],
      cause: e,
    });
  }
  if (/connection refused|no such host|i\/o timeout|dial tcp|network is unreachable|no route to host|connection reset|EOF/i.test(msg)) {
    return new ShipError('registry', `The registry ${host} cannot be reached from Docker: ${msg}`, {
      hint: `Is the registry running and is ${host} right? Check with: curl -sS http://${host}/v2/ (or https://). ${ctx.target.source} named it.`,
      cause: e,
    });
  }
  return new ShipError('registry', `Pushing ${ctx.pushRef} to ${host} failed: ${msg}`, {
    hint: `Try it by hand to see more: docker push ${ctx.pushRef}`,
    cause: e,
  });
}

/** The loader for a target, or for a `--registry HOST[:PORT][/PREFIX]` string (parsed here). */
export function createRegistryLoader(deps: RegistryLoaderDeps, registry: RegistryTarget | string): ImageLoader {
  const target = typeof registry === 'string' ? parseRegistry(registry) : registry;
  return {
    name: 'registry',
    // Whether the nodes can pull it is the registry's business; ship pushes every time (layers the
    // registry already has are not sent again).
    async has() {
      return undefined;
    },
    async load(image, opts) {
      const { repository, tag } = splitRef(image.ref);
      const refs = registryRefs(target, repository, tag);
      const signal = opts.signal;
      if (signal?.aborted) throw new InterruptedError();
      const auth = await dockerCredentials(target.host, { env: deps.env, runner: deps.runner, cwd: deps.cwd ?? '/', signal });
      try {
        await deps.docker.tagImage(image.id, refs.pushRepository, refs.tag);
      } catch (e) {
        if (signal?.aborted) throw new InterruptedError();
        throw new ShipError('registry', `The image ${image.ref} cannot be tagged ${refs.pushRef}: ${errorMessage(e)}`, {
          hint: 'Check that Docker still has the image: docker image ls',
          cause: e,
        });
      }
      opts.onInfo?.(`pushing ${refs.pushRef}${auth ? ` as ${who(auth)}` : ''}`);
      const done = new Set<string>();
      let digest: string | undefined;
      try {
        ({ digest } = await deps.docker.pushImage(refs.pushRepository, refs.tag, {
          auth,
          signal,
          onEvent: (e) => {
            if (e.id && (e.status === 'Pushed' || e.status === 'Layer already exists') && !done.has(e.id)) {
              done.add(e.id);
              opts.onInfo?.(`layer ${e.id}: ${e.status.toLowerCase()}`);
            }
          },
        }));
      } catch (e) {
        if (signal?.aborted) throw new InterruptedError();
        throw pushError(e, { target, pushRef: refs.pushRef, auth, env: deps.env });
      }
      if (signal?.aborted) throw new InterruptedError();
      const via = refs.pullRef === refs.pushRef ? '' : `; the cluster pulls it as ${refs.pullRef}`;
      return {
        loader: 'registry',
        action: 'pushed',
        nodes: [],
        detail: `pushed ${refs.pushRef}${digest ? ` (${digest})` : ''}${via}`,
        pushedRef: refs.pullRef,
      };
    },
  };
}
