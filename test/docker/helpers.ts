// Shared helpers for the docker test group: make sure a Docker engine answers and the local base
// images exist (nothing can be pulled on ship's machines). Both are idempotent and cheap when
// everything is already there; every test file in test/docker calls them in beforeAll.

import { execa } from 'execa';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';

export const repo = resolve(import.meta.dirname, '../..');
export const run = promisify(execFile);

/** A command's stdout; rejects when it fails (or runs longer than timeout, default 10 minutes). */
export async function sh(cmd: string, args: string[], opts: { timeout?: number } = {}): Promise<string> {
  return (await run(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeout ?? 600_000 })).stdout;
}
export const BASE_IMAGES = ['eclipse-temurin:17-jre', 'ship.local/busybox:1'];

let dockerReady: Promise<void> | undefined;
let imagesReady: Promise<void> | undefined;

async function answers(): Promise<boolean> {
  try {
    await new Dockerode({ socketPath: '/var/run/docker.sock' }).ping();
    return true;
  } catch {
    return false;
  }
}

/** Starts dockerd through test/cluster/docker-up.sh when /var/run/docker.sock does not answer. */
export function ensureDocker(): Promise<void> {
  dockerReady ??= (async () => {
    if (await answers()) return;
    const r = await execa('bash', [resolve(repo, 'test/cluster/docker-up.sh')], { reject: false, all: true });
    if (r.exitCode !== 0 || !(await answers())) {
      throw new Error(`Docker is not available and test/cluster/docker-up.sh failed (exit ${r.exitCode}):\n${r.all}`);
    }
  })();
  return dockerReady;
}

/** Builds the local base images with test/images/build.sh when one of them is missing. */
export function ensureBaseImages(): Promise<void> {
  imagesReady ??= (async () => {
    await ensureDocker();
    const docker = new Dockerode({ socketPath: '/var/run/docker.sock' });
    const missing: string[] = [];
    for (const name of BASE_IMAGES) {
      try {
        await docker.getImage(name).inspect();
      } catch {
        missing.push(name);
      }
    }
    if (missing.length === 0) return;
    const r = await execa('bash', [resolve(repo, 'test/images/build.sh')], { reject: false, all: true });
    if (r.exitCode !== 0) throw new Error(`test/images/build.sh failed (exit ${r.exitCode}) building ${missing.join(', ')}:\n${r.all}`);
  })();
  return imagesReady;
}

/** Runs a container from image with the given command and returns its output (the container is removed). */
export async function runOnce(image: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const r = await execa('docker', ['run', '--rm', '--entrypoint', cmd[0]!, image, ...cmd.slice(1)], { reject: false, all: true });
  return { exitCode: r.exitCode ?? 1, output: r.all ?? '' };
}
