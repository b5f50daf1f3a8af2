import { describe, expect, it } from 'vitest';
import { ShipError } from '../../src/errors.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/adapters/process.js';
import { createLoader } from '../../src/adapters/loaders/index.js';
import type { LoaderDocker } from '../../src/adapters/loaders/types.js';
import { listedHas, minikubeCommands, minikubeDockerEnv, parseDockerEnv, parseRuntime } from '../../src/adapters/loaders/minikube.js';

const ID = 'sha256:' + '1234567890ab'.padEnd(64, '0');
const REF = 'kubernetes-spring:ship-abc';

function profiles(runtime: string, name = 'minikube'): string {
  return JSON.stringify({
    invalid: [],
    valid: [{ Name: name, Status: 'Running', Config: { Name: name, KubernetesConfig: { KubernetesVersion: 'v1.31.0', ContainerRuntime: runtime } } }],
  });
}

/** A fake `minikube` CLI: profile list, docker-env, image ls/load over an in-memory image list. */
function fakeMinikube(opts: { runtime: string; images?: Array<{ id: string; repoTags: string[] }>; loadWorks?: boolean; profile?: string }) {
  const images = [...(opts.images ?? [])];
  const calls: Array<{ cmd: string; args: string[]; env?: NodeJS.ProcessEnv }> = [];
  const runner: ProcessRunner = {
    async run(cmd: string, args: string[], o: RunOptions): Promise<RunResult> {
      calls.push({ cmd, args, env: o.env });
      const ok = (stdout: string): RunResult => ({ exitCode: 0, stdout, tail: stdout.split('\n').slice(-5) });
      const a = args.join(' ');
      if (a === 'profile list -o json') return ok(profiles(opts.runtime, opts.profile ?? 'minikube'));
      if (a.endsWith('docker-env --shell none')) {
        if (opts.runtime !== 'docker') return { exitCode: 69, stdout: '', tail: ['X Exiting due to MK_USAGE: The docker-env command is only compatible with the "docker" runtime'] };
        return ok('DOCKER_TLS_VERIFY=1\nDOCKER_HOST=tcp://192.168.49.2:2376\nDOCKER_CERT_PATH=/home/u/.minikube/certs\nMINIKUBE_ACTIVE_DOCKERD=minikube\n');
      }
      if (a.endsWith('image ls --format json')) return ok(JSON.stringify(images));
      if (args.includes('load')) {
        // minikube exits 0 whether or not the image arrived
        if (opts.loadWorks !== false) images.push({ id: ID, repoTags: ['docker.io/library/' + args[args.length - 1]] });
        return ok('');
      }
      return { exitCode: 1, stdout: '', tail: ['unknown ' + a] };
    },
  };
  return { runner, calls, images };
}

const noDocker = {} as LoaderDocker;

describe('minikube helpers', () => {
  it('parseDockerEnv reads --shell none and bash export lines', () => {
    expect(parseDockerEnv('DOCKER_TLS_VERIFY=1\nDOCKER_HOST=tcp://192.168.49.2:2376\n\n')).toEqual({ DOCKER_TLS_VERIFY: '1', DOCKER_HOST: 'tcp://192.168.49.2:2376' });
    expect(
      parseDockerEnv('export DOCKER_HOST="tcp://127.0.0.1:32770"\nexport DOCKER_CERT_PATH="/h/.minikube/certs"\n# To point your shell to minikube\'s docker-daemon, run:\n# eval $(minikube -p minikube docker-env)'),
    ).toEqual({ DOCKER_HOST: 'tcp://127.0.0.1:32770', DOCKER_CERT_PATH: '/h/.minikube/certs' });
  });

  it('parseRuntime finds the profile\'s container runtime', () => {
    expect(parseRuntime(profiles('containerd', 'dev'), 'dev')).toBe('containerd');
    expect(parseRuntime(profiles('docker', 'dev'), 'other')).toBeUndefined();
    expect(parseRuntime('not json', 'dev')).toBeUndefined();
  });

  it('listedHas matches normalized tags and the ID (full or short)', () => {
    const list = JSON.stringify([{ id: ID.slice(7), repoTags: ['docker.io/library/kubernetes-spring:ship-abc'] }]);
    expect(listedHas(list, REF, ID)).toBe(true);
    expect(listedHas(JSON.stringify([{ id: '1234567890ab', repoTags: [REF] }]), REF, ID)).toBe(true);
    expect(listedHas(list, REF, 'sha256:' + 'f'.repeat(64))).toBe(false);
    expect(listedHas(list, 'kubernetes-spring:ship-other', ID)).toBe(false);
    expect(listedHas('garbage', REF, ID)).toBe(false);
  });

  it('command data', () => {
    expect(minikubeCommands.imageLoad('p', REF)).toEqual(['-p', 'p', 'image', 'load', REF]);
    expect(minikubeCommands.dockerEnv('p')).toEqual(['-p', 'p', 'docker-env', '--shell', 'none']);
  });
});

describe('minikubeDockerEnv', () => {
  it('docker runtime → the env that points Docker at minikube', async () => {
    const { runner, calls } = fakeMinikube({ runtime: 'docker' });
    const env = await minikubeDockerEnv('minikube', runner, { PATH: '/bin' });
    expect(env).toEqual({ DOCKER_TLS_VERIFY: '1', DOCKER_HOST: 'tcp://192.168.49.2:2376', DOCKER_CERT_PATH: '/home/u/.minikube/certs', MINIKUBE_ACTIVE_DOCKERD: 'minikube' });
    expect(calls.map((c) => c.args)).toEqual([
      ['profile', 'list', '-o', 'json'],
      ['-p', 'minikube', 'docker-env', '--shell', 'none'],
    ]);
    expect(calls[0]!.env).toEqual({ PATH: '/bin' });
  });

  it('containerd runtime → {} (build here, then minikube image load)', async () => {
    const { runner, calls } = fakeMinikube({ runtime: 'containerd' });
    expect(await minikubeDockerEnv('minikube', runner, {})).toEqual({});
    expect(calls).toHaveLength(1);
  });

  it('an unknown profile → ShipError(load)', async () => {
    const { runner } = fakeMinikube({ runtime: 'docker', profile: 'other' });
    await expect(minikubeDockerEnv('minikube', runner, {})).rejects.toMatchObject({ code: 'load', message: expect.stringContaining('no valid profile "minikube"') });
  });

  it('minikube not installed → ShipError(load) with an install hint', async () => {
    const runner: ProcessRunner = { run: async () => ({ exitCode: 127, tail: [], stdout: '', startError: Object.assign(new Error('spawn minikube ENOENT'), { code: 'ENOENT' }) }) };
    const e = await minikubeDockerEnv('minikube', runner, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).hint).toContain('install minikube');
  });
});

describe('minikube loader', () => {
  const choice = { kind: 'minikube' as const, profile: 'minikube' };

  it('docker runtime, image built in minikube\'s daemon → shared, nothing loaded', async () => {
    const { runner, calls } = fakeMinikube({ runtime: 'docker', images: [{ id: ID.slice(7, 19), repoTags: [REF] }] });
    const loader = createLoader(choice, { docker: noDocker, runner, env: {} });
    expect(await loader.has({ ref: REF, id: ID })).toBe(true);
    expect(await loader.load({ ref: REF, id: ID }, {})).toMatchObject({ loader: 'minikube', action: 'shared', nodes: ['minikube'] });
    expect(calls.some((c) => c.args.includes('load'))).toBe(false);
  });

  it('containerd runtime → minikube image load, then verified with image ls', async () => {
    const { runner, calls } = fakeMinikube({ runtime: 'containerd' });
    const loader = createLoader(choice, { docker: noDocker, runner, env: {} });
    expect(await loader.has({ ref: REF, id: ID })).toBe(false);
    const r = await loader.load({ ref: REF, id: ID }, {});
    expect(r).toMatchObject({ loader: 'minikube', action: 'loaded' });
    // has(), then load(): runtime, presence, load, verification
    expect(calls.map((c) => c.args.join(' '))).toEqual([
      '-p minikube image ls --format json',
      'profile list -o json',
      '-p minikube image ls --format json',
      '-p minikube image load kubernetes-spring:ship-abc',
      '-p minikube image ls --format json',
    ]);
  });

  it('minikube image load exits 0 but the image is not there → ShipError(load)', async () => {
    const { runner } = fakeMinikube({ runtime: 'containerd', loadWorks: false });
    const e = await createLoader(choice, { docker: noDocker, runner, env: {} })
      .load({ ref: REF, id: ID }, {})
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).code).toBe('load');
    expect((e as ShipError).message).toContain('reported success, but the image is not in the cluster');
    expect((e as ShipError).hint).toContain('exits 0');
  });

  it('containerd runtime with the image already there → skipped', async () => {
    const { runner, calls } = fakeMinikube({ runtime: 'containerd', images: [{ id: ID, repoTags: ['docker.io/library/' + REF] }] });
    expect(await createLoader(choice, { docker: noDocker, runner, env: {} }).load({ ref: REF, id: ID }, {})).toMatchObject({ action: 'skipped' });
    expect(calls.some((c) => c.args.includes('load'))).toBe(false);
  });
});
