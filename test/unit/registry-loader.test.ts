import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistryLoader, splitRef, type RegistryDocker } from '../../src/adapters/loaders/registry.js';
import type { PushEvent } from '../../src/adapters/docker/api.js';
import { parseRegistry, targetFromHosting, type RegistryAuth } from '../../src/core/registry.js';
import type { ProcessRunner } from '../../src/adapters/process.js';
import { ShipError } from '../../src/errors.js';
import { rejectedShipError } from '../support/ship-error.js';

const noRunner: ProcessRunner = {
  async run(cmd) {
    throw new Error(`unexpected process ${cmd}`);
  },
};

interface Call {
  op: 'tag' | 'push';
  args: unknown[];
}

function fakeDocker(push: (auth?: RegistryAuth) => { events: PushEvent[]; error?: Error; digest?: string }): RegistryDocker & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async tagImage(source, repository, tag) {
      calls.push({ op: 'tag', args: [source, repository, tag] });
    },
    async pushImage(repository, tag, opts = {}) {
      calls.push({ op: 'push', args: [repository, tag, opts.auth] });
      const r = push(opts.auth as RegistryAuth | undefined);
      for (const e of r.events) opts.onEvent?.(e);
      if (r.error) throw r.error;
      return { digest: r.digest };
    },
  };
}

const image = { ref: 'kubernetes-spring:ship-3f2a', id: 'sha256:abc' };

describe('registry loader', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-registry-loader-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const deps = (docker: RegistryDocker) => ({ docker, runner: noRunner, env: { DOCKER_CONFIG: dir }, cwd: dir });
  const login = (host: string, user: string, pass: string) =>
    writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } }));

  it('splits references, keeping a registry port in the repository', () => {
    expect(splitRef('app:1')).toEqual({ repository: 'app', tag: '1' });
    expect(splitRef('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app', tag: 'latest' });
    expect(splitRef('localhost:5000/a/app:t@sha256:00')).toEqual({ repository: 'localhost:5000/a/app', tag: 't' });
  });

  it('tags the image ID for the registry, pushes with the config credentials and reports the pushed name', async () => {
    await login('127.0.0.1:5001', 'alice', 'pw');
    const docker = fakeDocker(() => ({ events: [{ id: 'l1', status: 'Pushed' }, { id: 'l1', status: 'Pushed' }, { id: 'l2', status: 'Layer already exists' }], digest: 'sha256:d1' }));
    const info: string[] = [];
    const r = await createRegistryLoader(deps(docker), parseRegistry('127.0.0.1:5001/team')).load(image, { onInfo: (m) => info.push(m) });
    expect(docker.calls).toEqual([
      { op: 'tag', args: ['sha256:abc', '127.0.0.1:5001/team/kubernetes-spring', 'ship-3f2a'] },
      { op: 'push', args: ['127.0.0.1:5001/team/kubernetes-spring', 'ship-3f2a', { serveraddress: '127.0.0.1:5001', username: 'alice', password: 'pw' }] },
    ]);
    expect(r).toMatchObject({ loader: 'registry', action: 'pushed', pushedRef: '127.0.0.1:5001/team/kubernetes-spring:ship-3f2a' });
    expect(r.detail).toContain('sha256:d1');
    expect(info).toEqual(['pushing 127.0.0.1:5001/team/kubernetes-spring:ship-3f2a as "alice"', 'layer l1: pushed', 'layer l2: layer already exists']);
  });

  it('takes the --registry string as it is given, and needs no working directory', async () => {
    const docker = fakeDocker(() => ({ events: [] }));
    const r = await createRegistryLoader({ docker, runner: noRunner, env: { DOCKER_CONFIG: dir } }, 'localhost:5000/a/b').load(image, {});
    expect(r.pushedRef).toBe('localhost:5000/a/b/kubernetes-spring:ship-3f2a');
    expect(() => createRegistryLoader({ docker, runner: noRunner, env: {} }, 'http://localhost:5000')).toThrow(ShipError);
  });

  it('reports the name the cluster pulls when the registry advertises another host for the runtime', async () => {
    const docker = fakeDocker(() => ({ events: [] }));
    const target = targetFromHosting({ host: 'localhost:5001', hostFromContainerRuntime: 'kind-registry:5000' })!;
    const r = await createRegistryLoader(deps(docker), target).load(image, {});
    expect(docker.calls[1]!.args.slice(0, 2)).toEqual(['localhost:5001/kubernetes-spring', 'ship-3f2a']);
    expect(r.pushedRef).toBe('kind-registry:5000/kubernetes-spring:ship-3f2a');
  });

  async function failure(stream: string, withLogin: boolean): Promise<ShipError> {
    if (withLogin) await login('localhost:5000', 'alice', 'bad');
    // What the Docker adapter throws for an error inside the push stream.
    const docker = fakeDocker(() => ({
      events: [{ error: stream, errorDetail: { message: stream } }],
      error: new ShipError('registry', `Pushing localhost:5000/kubernetes-spring:ship-3f2a failed: ${stream}`, { hint: 'generic' }),
    }));
    try {
      await createRegistryLoader(deps(docker), parseRegistry('localhost:5000')).load(image, {});
    } catch (e) {
      return e as ShipError;
    }
    throw new Error('the push did not fail');
  }

  it('a refused password names the host and the user and says to log in', async () => {
    const e = await failure('unauthorized: authentication required', true);
    expect(e).toBeInstanceOf(ShipError);
    expect(e.code).toBe('registry');
    expect(e.message).toBe('The registry localhost:5000 refused the credentials for "alice".');
    expect(e.hint).toMatch(/docker login localhost:5000/);
  });

  it('no credentials at all says the config has none', async () => {
    const e = await failure('no basic auth credentials', false);
    expect(e.code).toBe('registry');
    expect(e.message).toMatch(/needs credentials, and the Docker config .* has none/);
    expect(e.hint).toMatch(/docker login localhost:5000/);
  });

  it('an unreachable registry says so with a hint to check it', async () => {
    const e = await failure('Get "http://localhost:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused', false);
    expect(e.code).toBe('registry');
    expect(e.message).toMatch(/cannot be reached/);
    expect(e.hint).toMatch(/curl -sS http:\/\/localhost:5000\/v2\//);
  });

  it('plain HTTP to a non-loopback registry and an untrusted certificate have their own hints', async () => {
    expect((await failure('Get "https://r.example.com/v2/": http: server gave HTTP response to HTTPS client', false)).hint).toMatch(/insecure-registries/);
    expect((await failure('x509: certificate signed by unknown authority', false)).hint).toMatch(/certs\.d/);
  });

  it('classifies the ShipError the Docker adapter throws for a stream error by Docker\'s words', async () => {
    await login('localhost:5000', 'alice', 'bad');
    const wrapped = new ShipError('registry', 'Pushing localhost:5000/kubernetes-spring:ship-3f2a failed: unauthorized: authentication required', { hint: 'generic' });
    const docker = fakeDocker(() => ({ events: [], error: wrapped }));
    const e = await rejectedShipError(createRegistryLoader(deps(docker), parseRegistry('localhost:5000')).load(image, {}));
    expect(e.message).toBe('The registry localhost:5000 refused the credentials for "alice".');
    expect(e.details).toEqual(['unauthorized: authentication required']);
    const other = new ShipError('docker', 'The Docker engine does not answer.');
    const passed = await createRegistryLoader(deps(fakeDocker(() => ({ events: [], error: other }))), parseRegistry('localhost:5000')).load(image, {}).catch((x: unknown) => x);
    expect(passed).toBe(other);
  });

  it('a Docker daemon that cannot be reached is a docker error, an abort is an interruption', async () => {
    const down = fakeDocker(() => ({ events: [], error: Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }) }));
    await expect(createRegistryLoader(deps(down), parseRegistry('localhost:5000')).load(image, {})).rejects.toMatchObject({ code: 'docker' });
    const ac = new AbortController();
    const aborting = fakeDocker(() => {
      ac.abort();
      return { events: [], error: new Error('aborted') };
    });
    await expect(createRegistryLoader(deps(aborting), parseRegistry('localhost:5000')).load(image, { signal: ac.signal })).rejects.toMatchObject({ code: 'interrupted' });
  });
});
