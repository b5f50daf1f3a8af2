// minikube, through its CLI.
// - docker runtime: ship builds straight into minikube's Docker (minikubeDockerEnv gives the env
//   for createDocker), so there is nothing to load: the loader reports 'shared' once minikube's
//   daemon has the image.
// - containerd / CRI-O: `minikube image load REF`, then check with `minikube image ls` — minikube
//   exits 0 even when the load failed.

import { ShipError, InterruptedError } from '../../errors.js';
import type { ProcessRunner, RunResult } from '../process.js';
import { canonicalRef } from '../../core/image-ref.js';
import type { ImageLoader, LocalImage } from './types.js';

export const minikubeCommands = {
  profileList: (): string[] => ['profile', 'list', '-o', 'json'],
  dockerEnv: (profile: string): string[] => ['-p', profile, 'docker-env', '--shell', 'none'],
  imageLoad: (profile: string, ref: string): string[] => ['-p', profile, 'image', 'load', ref],
  imageLs: (profile: string): string[] => ['-p', profile, 'image', 'ls', '--format', 'json'],
};

export interface MinikubeRunOptions {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

async function minikube(runner: ProcessRunner, args: string[], o: MinikubeRunOptions, what: string, keepLines = 40): Promise<RunResult> {
  const r = await runner.run('minikube', args, { cwd: '/', env: o.env, signal: o.signal, keepLines });
  if (o.signal?.aborted) throw new InterruptedError();
  if (r.startError) {
    throw new ShipError('load', `minikube could not be started: ${r.startError.message}`, {
      hint: 'The current context is a minikube cluster: install minikube (https://minikube.sigs.k8s.io) or pick another context with --context.',
      cause: r.startError,
    });
  }
  if (r.exitCode !== 0) {
    throw new ShipError('load', `${what} failed (minikube exit ${r.exitCode})${r.tail.length ? ': ' + r.tail[r.tail.length - 1] : ''}`, {
      hint: `Is the profile running? minikube -p ${args[1] ?? 'minikube'} status`,
      details: r.tail.slice(-15),
    });
  }
  return r;
}

/** The JSON of `minikube profile list -o json` → the container runtime of one profile. */
export function parseRuntime(json: string, profile: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return undefined;
  }
  const d = doc as { valid?: Array<{ Name?: string; Config?: { KubernetesConfig?: { ContainerRuntime?: string } } }> };
  const p = d.valid?.find((v) => v.Name === profile);
  const rt = p?.Config?.KubernetesConfig?.ContainerRuntime;
  return rt ? rt.toLowerCase() : undefined;
}

/** `K=V` lines (`--shell none`) or `export K="V"` lines (bash) → env vars. */
export function parseDockerEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    env[m[1]!] = v;
  }
  return env;
}

/** Which runtime a profile uses: docker, containerd, cri-o. */
export async function minikubeRuntime(profile: string, runner: ProcessRunner, o: MinikubeRunOptions): Promise<string> {
  const r = await minikube(runner, minikubeCommands.profileList(), o, 'minikube profile list');
  const rt = parseRuntime(r.stdout, profile);
  if (!rt) {
    throw new ShipError('load', `minikube has no valid profile "${profile}".`, {
      hint: `List profiles with \`minikube profile list\`; start this one with \`minikube start -p ${profile}\`.`,
    });
  }
  return rt;
}

/**
 * The environment that points Docker at minikube's daemon (DOCKER_HOST, DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, MINIKUBE_ACTIVE_DOCKERD) when the profile uses the docker runtime; {} for
 * containerd/CRI-O, where the image is built here and loaded with `minikube image load`.
 */
export async function minikubeDockerEnv(
  profile: string,
  runner: ProcessRunner,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const o = { env, signal };
  if ((await minikubeRuntime(profile, runner, o)) !== 'docker') return {};
  const r = await minikube(runner, minikubeCommands.dockerEnv(profile), o, `minikube -p ${profile} docker-env`);
  const vars = parseDockerEnv(r.stdout);
  if (!vars.DOCKER_HOST) {
    throw new ShipError('load', `minikube -p ${profile} docker-env printed no DOCKER_HOST.`, {
      hint: `Run \`minikube -p ${profile} docker-env\` yourself to see what it says.`,
      details: r.tail.slice(-10),
    });
  }
  return vars;
}

interface ListedImage {
  id?: string;
  repoTags?: string[];
}

/** `minikube image ls --format json` → does it list REF (optionally with this ID)? */
export function listedHas(json: string, ref: string, id?: string): boolean {
  let list: ListedImage[];
  try {
    const doc = JSON.parse(json) as unknown;
    if (!Array.isArray(doc)) return false;
    list = doc as ListedImage[];
  } catch {
    return false;
  }
  const want = canonicalRef(ref);
  const hex = (s: string) => s.replace(/^sha256:/, '');
  return list.some((img) => {
    const tags = (img.repoTags ?? []).map((t) => canonicalRef(t));
    if (!tags.includes(want)) return false;
    if (!id || !img.id) return true;
    const a = hex(img.id);
    const b = hex(id);
    // docker runtime lists a short ID; compare what both have.
    return a.length >= 12 && b.length >= 12 && (a.startsWith(b) || b.startsWith(a));
  });
}

export function createMinikubeLoader(deps: { runner: ProcessRunner; env: NodeJS.ProcessEnv }, profile: string): ImageLoader {
  const o = (signal?: AbortSignal): MinikubeRunOptions => ({ env: deps.env, signal });
  let runtime: string | undefined;
  async function present(image: LocalImage, signal?: AbortSignal): Promise<boolean> {
    const r = await minikube(deps.runner, minikubeCommands.imageLs(profile), o(signal), `minikube -p ${profile} image ls`, 5);
    return listedHas(r.stdout, image.ref, image.id);
  }
  return {
    name: 'minikube',
    async has(image, signal) {
      try {
        return await present(image, signal);
      } catch (e) {
        if (e instanceof InterruptedError) throw e;
        return undefined;
      }
    },
    async load(image, opts) {
      runtime ??= await minikubeRuntime(profile, deps.runner, o(opts.signal));
      const there = await present(image, opts.signal);
      if (there) {
        // With the docker runtime the image step built in minikube's own daemon.
        return runtime === 'docker'
          ? { loader: 'minikube', action: 'shared', nodes: [profile], detail: `built in minikube's Docker (profile ${profile})` }
          : { loader: 'minikube', action: 'skipped', nodes: [profile], detail: `already on minikube profile ${profile}` };
      }
      opts.onInfo?.(`minikube -p ${profile} image load ${image.ref}`);
      await minikube(deps.runner, minikubeCommands.imageLoad(profile, image.ref), o(opts.signal), `minikube -p ${profile} image load ${image.ref}`);
      if (!(await present(image, opts.signal))) {
        throw new ShipError('load', `minikube -p ${profile} image load ${image.ref} reported success, but the image is not in the cluster.`, {
          hint:
            `minikube exits 0 even when a load fails. Try \`minikube -p ${profile} image load ${image.ref}\` yourself and check \`minikube -p ${profile} image ls\`; ` +
            `with the docker runtime, \`eval $(minikube -p ${profile} docker-env)\` lets ship build straight into minikube.`,
        });
      }
      return { loader: 'minikube', action: 'loaded', nodes: [profile], detail: `minikube image load (${runtime} runtime)` };
    },
  };
}
