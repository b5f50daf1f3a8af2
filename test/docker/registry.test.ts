// The registry loader against real parts: the Docker engine (through ship's Docker adapter,
// src/adapters/docker.ts) and Debian's docker-registry on loopback (one open, one with htpasswd
// auth). Docker allows plain HTTP to 127.0.0.0/8 registries. Dockerode itself only sets the test up
// (the image to push) and cleans up.

import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { pack } from 'tar-fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryLoader } from '../../src/adapters/loaders/registry.js';
import { createDocker } from '../../src/adapters/docker/client.js';
import { execaRunner } from '../../src/adapters/process.js';
import { parseRegistry } from '../../src/core/registry.js';
import { ShipError } from '../../src/errors.js';
import { freePort } from '../support/free-port.js';
import { rejectedShipError as failureOf } from '../support/ship-error.js';

const run = promisify(execFile);
const scripts = join(import.meta.dirname, 'registry');
const USER = 'alice';
const PASSWORD = 'correct-horse';

async function tagsOf(port: number, repo: string, auth?: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/${repo}/tags/list`, {
    headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
  });
  if (res.status !== 200) throw new Error(`tags/list answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}


describe('registry loader against a real registry', () => {
  const docker = new Dockerode();
  /** What ship pushes through: the real Docker adapter. */
  const dockerApi = createDocker(process.env);
  let work: string;
  let openPort: number;
  let authPort: number;
  const started: string[] = [];
  const image = { ref: '', id: '' };
  const createdRefs: string[] = [];

  beforeAll(async () => {
    await docker.ping().catch((e: unknown) => {
      throw new Error(`Docker is not running (start it with: bash test/cluster/docker-up.sh): ${String(e)}`);
    });
    work = await mkdtemp(join(tmpdir(), 'ship-registry-docker-'));
    openPort = await freePort();
    authPort = await freePort();
    for (const [name, port, creds] of [
      ['open', openPort, []],
      ['auth', authPort, [USER, PASSWORD]],
    ] as const) {
      await run('bash', [join(scripts, 'start.sh'), join(work, name), String(port), ...creds]);
      started.push(join(work, name));
    }
    // A tiny image of its own (FROM scratch, unique content), so nothing has to be pulled.
    const ctxDir = join(work, 'image');
    await mkdir(ctxDir);
    await writeFile(join(ctxDir, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    await writeFile(join(ctxDir, 'hello.txt'), `ship registry test ${Date.now()} ${Math.random()}\n`);
    const tag = `t${Date.now()}`;
    image.ref = `ship-registry-test:${tag}`;
    const stream = await docker.buildImage(pack(ctxDir) as unknown as NodeJS.ReadableStream, { t: image.ref });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = out.find((o) => o.error);
        if (err || failed) reject(err ?? new Error(failed!.error));
        else resolve();
      }),
    );
    image.id = (await docker.getImage(image.ref).inspect()).Id;
    createdRefs.push(image.ref);
  });

  afterAll(async () => {
    for (const dir of started) await run('bash', [join(scripts, 'stop.sh'), dir]).catch(() => undefined);
    for (const ref of createdRefs.reverse()) await docker.getImage(ref).remove({ force: true }).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A DOCKER_CONFIG dir holding `config`; never the real ~/.docker. */
  async function dockerConfig(name: string, config: unknown): Promise<NodeJS.ProcessEnv> {
    const dir = join(work, 'docker-config-' + name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    return { DOCKER_CONFIG: dir, PATH: process.env.PATH, HOME: work };
  }

  function loader(env: NodeJS.ProcessEnv, registry: string) {
    return createRegistryLoader({ docker: dockerApi, runner: execaRunner, env, cwd: work }, parseRegistry(registry));
  }

  const basic = (user: string, pass: string) => ({ auth: Buffer.from(`${user}:${pass}`).toString('base64') });

  it('pushes to an open registry, which then lists the tag', async () => {
    const env = await dockerConfig('none', {});
    const info: string[] = [];
    const r = await loader(env, `127.0.0.1:${openPort}/team`).load(image, { onInfo: (m) => info.push(m) });
    const tag = image.ref.split(':')[1]!;
    createdRefs.push(`127.0.0.1:${openPort}/team/ship-registry-test:${tag}`);
    expect(r).toMatchObject({ loader: 'registry', action: 'pushed', pushedRef: `127.0.0.1:${openPort}/team/ship-registry-test:${tag}` });
    expect(r.detail).toMatch(/sha256:[0-9a-f]{64}/);
    expect(info[0]).toBe(`pushing 127.0.0.1:${openPort}/team/ship-registry-test:${tag}`);
    expect(await tagsOf(openPort, 'team/ship-registry-test')).toContain(tag);
  });

  it('pushes to a registry with htpasswd auth using the credentials in DOCKER_CONFIG', async () => {
    const host = `127.0.0.1:${authPort}`;
    const env = await dockerConfig('good', { auths: { [host]: basic(USER, PASSWORD) } });
    const r = await loader(env, host).load(image, {});
    const tag = image.ref.split(':')[1]!;
    createdRefs.push(`${host}/ship-registry-test:${tag}`);
    expect(r.pushedRef).toBe(`${host}/ship-registry-test:${tag}`);
    expect(await tagsOf(authPort, 'ship-registry-test', `${USER}:${PASSWORD}`)).toContain(tag);
  });

  it('gets the credentials from a credential helper named by credsStore', async () => {
    const host = `127.0.0.1:${authPort}`;
    const bin = join(work, 'bin');
    await mkdir(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-shiptest');
    // Answers `get` with the server read from stdin, like the real helpers.
    await writeFile(
      helper,
      `#!/bin/sh\n[ "$1" = get ] || exit 2\nread server\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}\\n' "$server"\n`,
    );
    await chmod(helper, 0o755);
    const env = await dockerConfig('helper', { credsStore: 'shiptest' });
    env.PATH = `${bin}:${process.env.PATH}`;
    const other = { ...image, ref: image.ref.replace(':', ':helper-') };
    await docker.getImage(image.id).tag({ repo: other.ref.split(':')[0], tag: other.ref.split(':')[1] });
    createdRefs.push(other.ref);
    const r = await loader(env, `${host}/via-helper`).load(other, {});
    createdRefs.push(r.pushedRef!);
    expect(await tagsOf(authPort, 'via-helper/ship-registry-test', `${USER}:${PASSWORD}`)).toContain(other.ref.split(':')[1]);
  });

  it('a wrong password is a registry error that names the host and the user', async () => {
    const host = `127.0.0.1:${authPort}`;
    const env = await dockerConfig('bad', { auths: { [host]: basic(USER, 'wrong-password') } });
    const e = await failureOf(loader(env, `${host}/denied`).load(image, {}));
    createdRefs.push(`${host}/denied/${image.ref}`);
    expect(e).toBeInstanceOf(ShipError);
    expect(e.code).toBe('registry');
    expect(e.exitCode).toBe(17);
    expect(e.message).toBe(`The registry ${host} refused the credentials for "${USER}".`);
    expect(e.hint).toContain(`docker login ${host}`);
    await expect(tagsOf(authPort, 'denied/ship-registry-test', `${USER}:${PASSWORD}`)).rejects.toThrow(/404/);
  });

  it('no credentials for an authenticated registry says the config has none', async () => {
    const host = `127.0.0.1:${authPort}`;
    const env = await dockerConfig('empty', { auths: {} });
    const e = await failureOf(loader(env, `${host}/anon`).load(image, {}));
    createdRefs.push(`${host}/anon/${image.ref}`);
    expect(e.code).toBe('registry');
    expect(e.message).toMatch(new RegExp(`The registry ${host.replace(/\./g, '\\.')} needs credentials`));
  });

  it('works the same through the Docker adapter (src/adapters/docker/): push, and a refused password', async () => {
    const api = createDocker(process.env);
    const host = `127.0.0.1:${authPort}`;
    const good = await dockerConfig('adapter-good', { auths: { [host]: basic(USER, PASSWORD) } });
    const r = await createRegistryLoader({ docker: api, runner: execaRunner, env: good }, `${host}/adapter`).load(image, {});
    createdRefs.push(`${host}/adapter/${image.ref}`);
    expect(r.pushedRef).toBe(`${host}/adapter/${image.ref}`);
    expect(await tagsOf(authPort, 'adapter/ship-registry-test', `${USER}:${PASSWORD}`)).toContain(image.ref.split(':')[1]);
    const bad = await dockerConfig('adapter-bad', { auths: { [host]: basic(USER, 'nope') } });
    const e = await failureOf(createRegistryLoader({ docker: api, runner: execaRunner, env: bad }, `${host}/adapter-denied`).load(image, {}));
    createdRefs.push(`${host}/adapter-denied/${image.ref}`);
    expect(e.code).toBe('registry');
    expect(e.message).toBe(`The registry ${host} refused the credentials for "${USER}".`);
  });

  it('a stopped registry is a clear registry error', async () => {
    const dir = join(work, 'open');
    await run('bash', [join(scripts, 'stop.sh'), dir]);
    const env = await dockerConfig('none', {});
    const host = `127.0.0.1:${openPort}`;
    const e = await failureOf(loader(env, `${host}/gone`).load(image, {}));
    createdRefs.push(`${host}/gone/${image.ref}`);
    expect(e.code).toBe('registry');
    expect(e.message).toMatch(new RegExp(`The registry ${host.replace(/\./g, '\\.')} cannot be reached from Docker: .*connection refused`));
    expect(e.hint).toContain(`curl -sS http://${host}/v2/`);
  });
});
