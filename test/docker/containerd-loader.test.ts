// The host containerd loader against real parts: the Docker engine (docker save) and a throwaway
// containerd started here with its own root, state and socket under a temp dir (Debian's
// containerd; CRI off — this is about the image store). ctr runs on the host through the process
// runner, with docker save streamed into its stdin.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocker } from '../../src/adapters/docker/client.js';
import { createLoader } from '../../src/adapters/loaders/index.js';
import { execaRunner } from '../../src/adapters/process.js';
import { ShipError } from '../../src/errors.js';
import { run, sh } from './helpers.js';

const suffix = `${process.pid}-${Date.now().toString(36)}`;

describe('containerd loader against a throwaway host containerd', () => {
  const docker = createDocker(process.env);
  let dir: string;
  let sock: string;
  let daemon: ChildProcess | undefined;
  let daemonLog = '';
  const img = { ref: `ship-test/ctrd-app:ship-${suffix}`, id: '' };
  const createdRefs: string[] = [];
  const loader = () => createLoader({ kind: 'containerd', socket: sock, namespace: 'k8s.io' }, { docker, runner: execaRunner, env: process.env });
  const ctr = (...args: string[]) => sh('ctr', ['-a', sock, '-n', 'k8s.io', ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-ctrd-'));
    sock = join(dir, 'containerd.sock');
    await writeFile(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${sock}"`,
        '[ttrpc]',
        `  address = "${sock}.ttrpc"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${dir}/opt"`,
        '',
      ].join('\n'),
    );
    daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout!.on('data', (d: Buffer) => (daemonLog += d.toString()));
    daemon.stderr!.on('data', (d: Buffer) => (daemonLog += d.toString()));
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      if (existsSync(sock)) up = await sh('ctr', ['-a', sock, 'version']).then(() => true, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) throw new Error('throwaway containerd did not come up:\n' + daemonLog.slice(-3000));

    // the JRE base image under an app-like name (~300 MB)
    await sh('bash', [join(import.meta.dirname, '..', 'images', 'build.sh'), 'temurin']);
    await sh('docker', ['tag', 'eclipse-temurin:17-jre', img.ref]);
    createdRefs.push(img.ref);
    img.id = (await sh('docker', ['image', 'inspect', '-f', '{{.Id}}', img.ref])).trim();
  });

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    for (const ref of createdRefs) await run('docker', ['rmi', ref]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('imports the image through the host ctr; containerd lists it, complete and unpacked', async () => {
    expect(await loader().has(img)).toBe(false);
    const r = await loader().load(img, {});
    expect(r).toMatchObject({ loader: 'containerd', action: 'loaded', nodes: [sock] });
    const full = `docker.io/${img.ref}`;
    expect((await ctr('images', 'ls', '-q')).split('\n')).toContain(full);
    expect(await ctr('images', 'check', `name==${full}`)).toMatch(/complete/);
    expect((await ctr('snapshots', '--snapshotter', 'overlayfs', 'ls')).split('\n').filter((l) => l.startsWith('sha256:')).length).toBeGreaterThan(0);
    expect(await loader().has(img)).toBe(true);
  });

  it('a second load is skipped; a new tag of the same ID is only tagged', async () => {
    expect((await loader().load(img, {})).action).toBe('skipped');
    const again = { ref: `${img.ref}-again`, id: img.id };
    await sh('docker', ['tag', img.ref, again.ref]);
    createdRefs.push(again.ref);
    const r = await loader().load(again, {});
    expect(r.action).toBe('retagged');
    expect((await ctr('images', 'ls', '-q')).split('\n')).toContain(`docker.io/${again.ref}`);
  });

  it('a socket where no containerd answers → ShipError(load) saying so', async () => {
    const gone = join(dir, 'nobody.sock');
    const l = createLoader({ kind: 'containerd', socket: gone, namespace: 'k8s.io' }, { docker, runner: execaRunner, env: process.env });
    const e = await l.load(img, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).code).toBe('load');
    expect((e as ShipError).hint).toContain(`containerd does not answer at ${gone}`);
    expect(await l.has(img)).toBeUndefined();
  });
});
