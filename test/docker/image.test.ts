// The Docker adapter and the image step against a real Docker engine: builds of the Gradle fixture
// and the Spring example (project Dockerfile and ship's generated one), .dockerignore on nested
// paths, build failures named by step, the unchanged-tag skip, exec with streamed stdin (what the
// kind loader relies on), an unreachable daemon, and the dev and debug images built on a project
// image (the JVM options they keep, the app label they carry).

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import { execa } from 'execa';
import tarFs from 'tar-fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerApi } from '../../src/adapters/docker/api.js';
import { createDocker } from '../../src/adapters/docker/client.js';
import { dockerEndpoint } from '../../src/adapters/docker/endpoint.js';
import { InterruptedError, ShipError } from '../../src/errors.js';
import { APP_LABEL, DIGEST_LABEL, buildProjectImage, planImage } from '../../src/tasks/image.js';
import { buildDebugImage, buildDevImage } from '../../src/adapters/live/dev-image.js';
import { tarOf } from '../../src/adapters/live/tar.js';
import { ensureBaseImages, ensureDocker } from './helpers.js';
import { get } from '../support/http.js';
import { copyProject } from '../support/projects.js';
import { rejectedShipError as failureOf } from '../support/ship-error.js';
import { until } from '../support/until.js';

const TEST_LABEL = 'io.ship.test';
const TEST_LABEL_VALUE = `image-test-${process.pid}`;
const raw = new Dockerode({ socketPath: '/var/run/docker.sock' });
let docker: DockerApi;
const started: string[] = [];
const temps: string[] = [];

beforeAll(async () => {
  await ensureDocker();
  await ensureBaseImages();
  docker = createDocker({ PATH: process.env.PATH, HOME: process.env.HOME });
});

afterAll(async () => {
  for (const id of started) await raw.getContainer(id).remove({ force: true }).catch(() => undefined);
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** A throwaway copy of a project (removed in afterAll) whose tag is new on every run. */
function projectCopy(rel: string): string {
  const { dir } = copyProject(rel, 'ship-image-');
  temps.push(dir);
  return dir;
}

function put(dir: string, rel: string, content: string) {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), content);
}


/** Starts a container (removed in afterAll); ports published on 127.0.0.1 with a free host port. */
async function startContainer(image: string, opts: { cmd?: string[]; port?: number; user?: string } = {}): Promise<{ id: string; hostPort?: number }> {
  const c = await raw.createContainer({
    Image: image,
    ...(opts.cmd ? { Cmd: opts.cmd } : {}),
    ...(opts.user ? { User: opts.user } : {}),
    Labels: { [TEST_LABEL]: TEST_LABEL_VALUE },
    ...(opts.port ? { ExposedPorts: { [`${opts.port}/tcp`]: {} } } : {}),
    HostConfig: opts.port ? { PortBindings: { [`${opts.port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '0' }] } } : {},
  });
  started.push(c.id);
  await c.start();
  if (!opts.port) return { id: c.id };
  const info = await c.inspect();
  const hostPort = Number(info.NetworkSettings.Ports[`${opts.port}/tcp`]?.[0]?.HostPort);
  return { id: c.id, hostPort };
}

/** Polls http://127.0.0.1:port/path until it answers, for up to timeoutMs. */
function getWhenUp(port: number, path: string, timeoutMs = 90_000): Promise<{ status: number; body: string }> {
  return until(`an answer on 127.0.0.1:${port}${path}`, () => get(`http://127.0.0.1:${port}${path}`, 5000).catch(() => undefined), { timeoutMs });
}

async function containerOutput(image: string, cmd: string[]): Promise<string> {
  const r = await execa('docker', ['run', '--rm', '--entrypoint', cmd[0]!, image, ...cmd.slice(1)], { all: true });
  return r.all ?? '';
}

// ---------------------------------------------------------------------------------------------

describe('docker adapter', () => {
  it('ping reports the engine version, API version and where it was reached', async () => {
    const v = await docker.ping();
    expect(v.version).toMatch(/^\d+\.\d+/);
    expect(v.apiVersion).toMatch(/^1\.\d+$/);
    expect(v.host).toBe('unix:///var/run/docker.sock');
    expect(typeof v.containerdStore).toBe('boolean');
  });

  it('an unreachable daemon is ShipError("docker") naming the socket, with how to start Docker', async () => {
    const missing = createDocker({ DOCKER_HOST: 'unix:///nonexistent.sock' });
    const e = await failureOf(missing.ping());
    expect(e.code).toBe('docker');
    expect(e.exitCode).toBe(6);
    expect(e.message).toContain('The Docker daemon is not reachable at unix:///nonexistent.sock');
    expect(e.hint).toMatch(/systemctl start docker/);
    expect(e.hint).toMatch(/Docker Desktop/);
    // Every call, not only ping, says the same.
    expect((await failureOf(missing.inspectImage('x'))).code).toBe('docker');
    // A TCP address nobody listens on (loopback, closed port).
    const tcp = createDocker({ DOCKER_HOST: 'tcp://127.0.0.1:1' });
    const t = await failureOf(tcp.ping());
    expect(t.code).toBe('docker');
    expect(t.message).toContain('tcp://127.0.0.1:1');
  });

  it('reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH like minikube docker-env prints them', () => {
    expect(dockerEndpoint({})).toEqual({ address: 'unix:///var/run/docker.sock', socketPath: '/var/run/docker.sock' });
    expect(dockerEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).socketPath).toBe('/run/user/1000/docker.sock');
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://192.168.49.2:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/home/u/.minikube/certs' })).toEqual({
      address: 'tcp://192.168.49.2:2376',
      protocol: 'https',
      host: '192.168.49.2',
      port: 2376,
      certPath: '/home/u/.minikube/certs',
      tlsVerify: true,
    });
    expect(dockerEndpoint({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toEqual({ address: 'tcp://127.0.0.1:2375', protocol: 'http', host: '127.0.0.1', port: 2375 });
    expect(() => dockerEndpoint({ DOCKER_HOST: 'ssh://me@host' })).toThrow(ShipError);
  });

  it('inspectImage gives ID, tags, platform and labels; undefined for a missing image; tagImage adds a tag', async () => {
    const info = await docker.inspectImage('ship.local/busybox:1');
    expect(info?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(info?.repoTags).toContain('ship.local/busybox:1');
    expect(info?.os).toBe('linux');
    // busybox runs `sh` as its CMD and sets no ENTRYPOINT.
    expect(info?.cmd).toEqual(['sh']);
    expect(info?.entrypoint).toBeUndefined();
    expect(await docker.inspectImage('ship.local/does-not-exist:nope')).toBeUndefined();
    await docker.tagImage('ship.local/busybox:1', 'ship.local/busybox-tagged', 'test');
    expect((await docker.inspectImage('ship.local/busybox-tagged:test'))?.id).toBe(info?.id);
  });

  it('saveImage streams a docker save tar (manifest.json names the tag)', async () => {
    const stream = await docker.saveImage('ship.local/busybox:1', { platform: 'linux/amd64' });
    const names: string[] = [];
    let manifest = '';
    await new Promise<void>((resolve, reject) => {
      const ex = tarFs.extract(tempDir('ship-save-'), {
        ignore: (name, header) => {
          names.push(header?.name ?? name);
          return false;
        },
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
      (stream as Readable).on('error', reject).pipe(ex);
    });
    expect(names).toContain('manifest.json');
    const dir = temps[temps.length - 1]!;
    manifest = (await import('node:fs')).readFileSync(join(dir, 'manifest.json'), 'utf8');
    expect(JSON.parse(manifest)[0].RepoTags).toContain('ship.local/busybox:1');
  });

  it('pushImage: an error Docker reports inside the push stream throws ShipError("registry")', async () => {
    // Loopback port 1: nothing listens, so the engine's push fails after the HTTP call succeeded.
    await docker.tagImage('ship.local/busybox:1', '127.0.0.1:1/ship-test/push', 'v1');
    const events: string[] = [];
    const e = await failureOf(docker.pushImage('127.0.0.1:1/ship-test/push', 'v1', { onEvent: (ev) => events.push(ev.status ?? ev.error ?? '') }));
    expect(e.code).toBe('registry');
    expect(e.message).toMatch(/^Pushing 127\.0\.0\.1:1\/ship-test\/push:v1 failed: .*(connection refused|connect)/i);
    expect(events.length).toBeGreaterThan(0);
    // No such local image: refused before any stream.
    const missing = await failureOf(docker.pushImage('127.0.0.1:1/ship-test/none', 'v1'));
    expect(missing.code).toBe('registry');
  });

  describe('exec with stdin streamed over the hijacked connection', () => {
    let container: string;
    beforeAll(async () => {
      container = (await startContainer('ship.local/busybox:1', { cmd: ['sleep', '3600'] })).id;
    });

    it('listContainers finds it by label', async () => {
      const list = await docker.listContainers({ [TEST_LABEL]: TEST_LABEL_VALUE });
      const mine = list.find((c) => c.id === container);
      expect(mine?.running).toBe(true);
      expect(mine?.labels[TEST_LABEL]).toBe(TEST_LABEL_VALUE);
      expect(await docker.listContainers({ [TEST_LABEL]: 'no-such-value' })).toEqual([]);
    });

    it('a few MB of stdin all arrive (wc -c, sha256sum), EOF is seen, exit code 0', async () => {
      const data = randomBytes(6 * 1024 * 1024 + 123);
      const wc = await docker.exec(container, ['wc', '-c'], { stdin: Readable.from(chunks(data, 64 * 1024)) });
      expect(wc.exitCode).toBe(0);
      expect(wc.stdout.trim()).toBe(String(data.length));
      const sha = await docker.exec(container, ['sha256sum'], { stdin: Readable.from(chunks(data, 100_000)) });
      expect(sha.exitCode).toBe(0);
      expect(sha.stdout.split(/\s+/)[0]).toBe(createHash('sha256').update(data).digest('hex'));
    });

    it('cat echoes MBs back on stdout, demultiplexed from stderr', async () => {
      const text = 'ship-line\n'.repeat(300_000); // 3 MB
      const r = await docker.exec(container, ['sh', '-c', 'cat; echo done >&2'], { stdin: Readable.from([text]) });
      expect(r.exitCode).toBe(0);
      expect(r.stdout.length).toBe(text.length);
      expect(r.stdout === text).toBe(true);
      expect(r.stderr).toBe('done\n');
    });

    it('the exit code comes back; a command that stops reading early does not hang', async () => {
      expect((await docker.exec(container, ['sh', '-c', 'echo out; echo err >&2; exit 3'])).exitCode).toBe(3);
      const early = await docker.exec(container, ['sh', '-c', 'head -c 10 >/dev/null; exit 7'], {
        stdin: Readable.from(chunks(randomBytes(32 * 1024 * 1024), 256 * 1024)),
      });
      expect(early.exitCode).toBe(7);
    });

    it('abort stops the exec with InterruptedError', async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const started = Date.now();
      await expect(docker.exec(container, ['sleep', '30'], { signal: ac.signal })).rejects.toBeInstanceOf(InterruptedError);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});

function* chunks(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

// ---------------------------------------------------------------------------------------------

describe('image step: the Gradle fixture', () => {
  let dir: string;
  let jar: string;
  beforeAll(async () => {
    dir = projectCopy('test/fixtures/gradle-app');
    await execa('./gradlew', ['clean', 'build', '-q'], { cwd: dir, all: true });
    const libs = join(dir, 'build/libs');
    jar = join(libs, readdirSync(libs).find((f) => f.endsWith('.jar'))!);
  });

  it('plans, builds with its Dockerfile, answers on 8080; a second plan finds it unchanged', async () => {
    const input = { docker, projectDir: dir, repository: 'ship-test/gradle-app', dockerfilePath: join(dir, 'Dockerfile'), builder: 'gradle', skipTests: false };
    const plan = await planImage(input);
    expect(plan.tag).toMatch(/^ship-[0-9a-f]{12}$/);
    expect(plan.ref).toBe(`ship-test/gradle-app:${plan.tag}`);
    expect(plan.exists).toBe(false);

    const lines: string[] = [];
    const image = await buildProjectImage({
      docker,
      project: { dir, name: 'gradle-app', builder: 'gradle', dockerfile: join(dir, 'Dockerfile') },
      jar,
      repository: plan.repository,
      tag: plan.tag,
      skipTests: false,
      onLine: (l) => lines.push(l),
    });
    expect(image).toMatchObject({ repository: 'ship-test/gradle-app', tag: plan.tag, ref: plan.ref, unchanged: false });
    expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.some((l) => /^Step 1\/\d+ : FROM eclipse-temurin:17-jre$/.test(l))).toBe(true);

    const info = (await docker.inspectImage(plan.ref))!;
    expect(info.id).toBe(image.id);
    expect(info.labels[DIGEST_LABEL]).toBe(plan.digest);
    expect(info.labels[APP_LABEL]).toBe('gradle-app');
    expect(info.labels['org.opencontainers.image.version']).toBe(plan.tag);
    expect(info.labels['org.opencontainers.image.source']).toBe(dir);
    expect(Date.parse(info.labels['org.opencontainers.image.created']!)).toBeGreaterThan(Date.now() - 10 * 60_000);

    // Same sources → same tag, and Docker has it: build and image would be skipped.
    const again = await planImage(input);
    expect(again.tag).toBe(plan.tag);
    expect(again.exists).toBe(true);
    expect(again.imageId).toBe(image.id);

    // Build output does not count; a source line does.
    writeFileSync(join(dir, 'build/libs/extra.txt'), 'output');
    expect((await planImage(input)).tag).toBe(plan.tag);
    put(dir, 'src/main/resources/note.txt', 'a new source file');
    const changed = await planImage(input);
    expect(changed.tag).not.toBe(plan.tag);
    expect(changed.exists).toBe(false);
    rmSync(join(dir, 'src/main/resources'), { recursive: true });

    const { hostPort } = await startContainer(plan.ref, { port: 8080 });
    const res = await getWhenUp(hostPort!, '/');
    expect(res).toEqual({ status: 200, body: 'hello from gradle-app v1' });
  });

  it('with --tag, an existing image with that tag but other inputs is not trusted', async () => {
    const input = { docker, projectDir: dir, repository: 'ship-test/gradle-app', dockerfilePath: join(dir, 'Dockerfile'), builder: 'gradle', skipTests: false };
    await docker.tagImage('ship.local/busybox:1', 'ship-test/gradle-app', 'manual');
    const plan = await planImage({ ...input, tagOverride: 'manual' });
    expect(plan.ref).toBe('ship-test/gradle-app:manual');
    expect(plan.exists).toBe(false);
  });

  it('without a Dockerfile, ship generates one in memory: non-root user, the jar, port 8080', async () => {
    const project = { dir, name: 'gradle-app', builder: 'gradle' };
    const before = readdirSync(dir).sort();
    const plan = await planImage({ docker, projectDir: dir, repository: 'ship-test/gradle-app-gen', builder: 'gradle', skipTests: false });
    // --port 8080:9090 only changes EXPOSE; the plan made before the port was known still matches.
    const image = await buildProjectImage({ docker, project, jar, repository: plan.repository, tag: plan.tag, skipTests: false, port: 9090 });
    expect(image.ref).toBe(plan.ref);
    expect(readdirSync(dir).sort()).toEqual(before); // nothing written into the project
    expect((await planImage({ docker, projectDir: dir, repository: 'ship-test/gradle-app-gen', builder: 'gradle', skipTests: false })).exists).toBe(true);
    expect(Object.keys((await raw.getImage(plan.ref).inspect()).Config.ExposedPorts ?? {})).toEqual(['9090/tcp']);

    expect((await containerOutput(plan.ref, ['id', '-u'])).trim()).toBe('10001');
    // Only the jar went into the context.
    expect((await containerOutput(plan.ref, ['ls', '/app'])).trim()).toBe('app.jar');
    const { hostPort } = await startContainer(plan.ref, { port: 8080 });
    expect(await getWhenUp(hostPort!, '/healthz')).toEqual({ status: 200, body: 'ok' });
  });

  it('no Dockerfile and no jar is ShipError("image")', async () => {
    const e = await failureOf(buildProjectImage({ docker, project: { dir, name: 'x', builder: 'gradle' }, repository: 'ship-test/x', skipTests: false }));
    expect(e.code).toBe('image');
    expect(e.message).toMatch(/no Dockerfile and the build produced no jar/);
  });
});

describe('image step: build context and failures', () => {
  const build = (dir: string, repository = 'ship-test/ctx', signal?: AbortSignal, onLine?: (l: string) => void) =>
    buildProjectImage({
      docker,
      project: { dir, name: 'ctx', builder: 'none', dockerfile: join(dir, 'Dockerfile') },
      repository,
      skipTests: false,
      ...(signal ? { signal } : {}),
      ...(onLine ? { onLine } : {}),
    });

  it('.dockerignore keeps an ignored NESTED file out of the image, the rest in', async () => {
    const dir = tempDir('ship-ctx-');
    put(dir, 'Dockerfile', 'FROM ship.local/busybox:1\nCOPY . /ctx/\n');
    put(dir, '.dockerignore', '**/secret.txt\nsrc/**/*.tmp\n*.log\n!keep.log\n');
    put(dir, 'nested/dir/secret.txt', 'top secret');
    put(dir, 'nested/dir/public.txt', 'public');
    put(dir, 'secret.txt', 'root secret');
    put(dir, 'src/a/b/x.tmp', 'tmp');
    put(dir, 'src/a/b/X.java', 'class X {}');
    put(dir, 'drop.log', 'log');
    put(dir, 'keep.log', 'log');
    put(dir, 'nonce', randomBytes(8).toString('hex'));
    const image = await build(dir);
    const files = (await containerOutput(image.ref, ['find', '/ctx', '-type', 'f'])).trim().split('\n').sort();
    expect(files).toEqual(['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/keep.log', '/ctx/nested/dir/public.txt', '/ctx/nonce', '/ctx/src/a/b/X.java']);
  });

  it('a Dockerfile syntax error is ShipError("image") naming the bad instruction', async () => {
    const dir = tempDir('ship-ctx-');
    put(dir, 'Dockerfile', 'FROM ship.local/busybox:1\nFORM oops\n');
    const e = await failureOf(build(dir));
    expect(e.code).toBe('image');
    expect(e.exitCode).toBe(5);
    expect(e.message).toMatch(/^Docker build failed: the Dockerfile has an error: .*line 2: unknown instruction: FORM/);
    expect(e.hint).toBeTruthy();
  });

  it('a failing RUN is ShipError("image") naming the step and instruction, with the output tail', async () => {
    const dir = tempDir('ship-ctx-');
    put(dir, 'Dockerfile', 'FROM ship.local/busybox:1\nRUN echo before-the-failure\nRUN false\nRUN echo never\n');
    const e = await failureOf(build(dir));
    expect(e.code).toBe('image');
    expect(e.message).toMatch(/^Docker build failed at step 3: RUN false: The command '\/bin\/sh -c false' returned a non-zero code: 1/);
    expect(e.details.join('\n')).toContain('before-the-failure');
    expect(e.hint).toMatch(/RUN command/);
  });

  it('a missing base image (no registry here) fails at the FROM step with a hint to build it locally', async () => {
    const dir = tempDir('ship-ctx-');
    put(dir, 'Dockerfile', 'FROM ship.local/no-such-base:1\nRUN true\n');
    const e = await failureOf(build(dir));
    expect(e.code).toBe('image');
    expect(e.message).toMatch(/^Docker build failed at step 1: FROM ship\.local\/no-such-base:1: /);
    expect(e.hint).toMatch(/ship\.local\/no-such-base:1 is not in the engine's image store/);
  });

  it('a COPY of a file the context lacks names the step', async () => {
    const dir = tempDir('ship-ctx-');
    put(dir, 'Dockerfile', 'FROM ship.local/busybox:1\nCOPY build/libs/app.jar /app.jar\n');
    const e = await failureOf(build(dir));
    expect(e.message).toMatch(/at step 2: COPY build\/libs\/app.jar \/app.jar: COPY failed/);
    expect(e.hint).toMatch(/\.dockerignore/);
  });

  it('a context that cannot be packed is ShipError("image"), not a daemon problem', async () => {
    const dir = tempDir('ship-ctx-');
    put(dir, 'Dockerfile', 'FROM ship.local/busybox:1\nCOPY . /ctx/\n');
    await execa('mkfifo', [join(dir, 'a-fifo')]); // tar has no entry type for it
    const e = await failureOf(build(dir));
    expect(e.code).toBe('image');
    expect(e.message).toMatch(/^Could not read the build context: .*a-fifo/);
  });

  it('abort stops a running build with InterruptedError and leaves no build container running', async () => {
    const dir = tempDir('ship-ctx-');
    const nonce = randomBytes(6).toString('hex');
    put(dir, 'Dockerfile', `FROM ship.local/busybox:1\nRUN echo ${nonce} && sleep 60\n`);
    const ac = new AbortController();
    const t0 = Date.now();
    const p = build(dir, 'ship-test/abort', ac.signal, (l) => {
      if (l.includes(nonce) && !l.startsWith('Step')) ac.abort();
    });
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - t0).toBeLessThan(30_000);
    // The engine cancels the build when the request goes away: its RUN container stops.
    let running: string[] = [];
    for (let i = 0; i < 40; i++) {
      const list = await raw.listContainers();
      running = list.filter((c) => c.Command.includes(nonce)).map((c) => c.Id);
      if (running.length === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(running).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('image step: the Spring Boot example (Maven build)', () => {
  let dir: string;
  let jar: string;
  beforeAll(async () => {
    dir = projectCopy('examples/kubernetes-test-spring');
    await execa('mvn', ['-B', '-q', 'package', '-DskipTests'], { cwd: dir, all: true });
    jar = join(dir, 'build/libs/kubernetes-spring-0.0.1-SNAPSHOT.jar');
    expect(existsSync(jar)).toBe(true);
  });

  async function checkRuns(ref: string) {
    const { hostPort } = await startContainer(ref, { port: 8080 });
    expect(await getWhenUp(hostPort!, '/', 120_000)).toEqual({ status: 200, body: 'Hello from kubernetes-spring!' });
    const health = await getWhenUp(hostPort!, '/actuator/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body).status).toBe('UP');
  }

  it('its own Dockerfile: builds, answers with the greeting and /actuator/health UP', async () => {
    const plan = await planImage({ docker, projectDir: dir, repository: 'kubernetes-spring', dockerfilePath: join(dir, 'Dockerfile'), builder: 'maven', skipTests: true });
    const image = await buildProjectImage({
      docker,
      project: { dir, name: 'kubernetes-spring', builder: 'maven', dockerfile: join(dir, 'Dockerfile') },
      jar,
      repository: plan.repository,
      tag: plan.tag,
      skipTests: true,
    });
    expect(image.ref).toBe(plan.ref);
    await checkRuns(image.ref);
  });

  it('ship-generated Dockerfile: the jar is layered, the two-stage layered image runs as 10001', async () => {
    const plan = await planImage({ docker, projectDir: dir, repository: 'ship-test/spring-generated', builder: 'maven', skipTests: true });
    const lines: string[] = [];
    const image = await buildProjectImage({
      docker,
      project: { dir, name: 'kubernetes-spring', builder: 'maven' },
      jar,
      repository: plan.repository,
      tag: plan.tag,
      skipTests: true,
      onLine: (l) => lines.push(l),
    });
    expect(lines.some((l) => l.includes('-Djarmode=tools') && l.includes('extract --layers --launcher'))).toBe(true);
    expect((await containerOutput(image.ref, ['id', '-u'])).trim()).toBe('10001');
    const app = (await containerOutput(image.ref, ['ls', '/app'])).trim().split('\n').sort();
    expect(app).toEqual(expect.arrayContaining(['BOOT-INF', 'META-INF', 'org']));
    await checkRuns(image.ref);
  });
});

describe('dev and debug images on top of a project image', () => {
  const refs: string[] = [];
  afterAll(async () => {
    for (const ref of refs.reverse()) await raw.getImage(ref).remove().catch(() => undefined);
  });

  it('the dev image\'s java command carries the project image\'s JVM options; both carry the app label (what pruning finds)', async () => {
    const tag = `ship-${randomBytes(6).toString('hex')}`;
    const base = { repository: 'ship-test/jvm-options', tag, ref: `ship-test/jvm-options:${tag}` };
    const dockerfile = 'FROM ship.local/busybox:1\nENTRYPOINT ["java","-Xmx64m","-Dfrom.image=1","-agentlib:jdwp=transport=dt_socket,server=y,address=8000","-jar","/app.jar"]\n';
    const { id } = await docker.buildImage({ context: tarOf([{ name: 'Dockerfile', from: Buffer.from(dockerfile) }]), dockerfile: 'Dockerfile', tags: [base.ref], labels: { [APP_LABEL]: 'jvm-options' } });
    refs.push(base.ref);
    const classesDir = tempDir('ship-dev-classes-');
    put(classesDir, 'A.class', 'not really a class');

    const dev = await buildDevImage({ docker, base: { ...base, id }, locate: (path) => join(classesDir, path), classes: new Map([['A.class', 'd1']]), jars: [], mainClass: 'A', app: 'jvm-options' });
    refs.push(dev.ref);
    expect(dev.jvmOptionsNote).toBeUndefined();
    const devInfo = (await docker.inspectImage(dev.ref))!;
    expect(devInfo.entrypoint?.slice(0, 3)).toEqual(['java', '-Xmx64m', '-Dfrom.image=1']);
    expect(devInfo.entrypoint?.some((a) => a.includes('jdwp'))).toBe(false);
    expect(devInfo.entrypoint?.slice(-3)).toEqual(['-cp', '/ship-dev/classes:/ship-dev/lib/*', 'A']);
    expect(devInfo.labels[APP_LABEL]).toBe('jvm-options');

    // The debug image is built without the label: it inherits it from the project image.
    const debug = await buildDebugImage(docker, { ...base, id }, 5005);
    refs.push(debug.ref);
    expect(debug.tag).toBe(`${tag}-debug`);
    expect((await docker.inspectImage(debug.ref))!.labels[APP_LABEL]).toBe('jvm-options');
  });
});
