// What the fault, soak and load tests share: stopping and starting the real dockerd (only by its
// pid file; test/cluster/docker-up.sh starts it again), a process's RSS and open fds from /proc,
// and ship's images of an app in Docker and on the node.

import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { execa } from 'execa';
import { sanitizeName } from '../../src/core/project.js';
import { repo, SOCKET } from './helpers.js';
import { until } from '../support/until.js';

const PID_FILE = '/var/run/docker.pid';

/**
 * Stops dockerd by its pid file and waits until the process is gone: SIGTERM (a clean stop: it
 * stops the containers and answers the requests it can), or SIGKILL (a crash: connections drop,
 * and its containerd, with the containers, stays up until dockerd is started again).
 */
export async function stopDockerd(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no dockerd pid in ${PID_FILE}`);
  process.kill(pid, signal);
  await until('dockerd to exit', () => !alive(pid), { timeoutMs: 60_000, everyMs: 100 });
}

/** Starts dockerd again when it does not answer (idempotent) and waits until it does. */
export async function startDockerd(): Promise<void> {
  await execa('bash', [`${repo}/test/cluster/docker-up.sh`]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** RSS (MB) and open fds of a running process. */
export function procStats(pid: number): { rssMb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb / 102.4) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The app name ship gives a project copy without a build file (its directory's name). */
export const appOf = (dir: string): string => sanitizeName(basename(dir));

/** Docker's images of the app that ship built (its label). */
export async function dockerImagesOf(app: string): Promise<string[]> {
  const r = await execa('docker', ['images', '--filter', `label=io.ship.app=${app}`, '--format', '{{.Repository}}:{{.Tag}}']);
  return r.stdout.split('\n').filter(Boolean);
}

/** The node's (test cluster containerd's) ship-tagged names of the app. */
export async function nodeImagesOf(app: string): Promise<string[]> {
  const r = await execa('ctr', ['-a', SOCKET, '-n', 'k8s.io', 'images', 'ls', '-q']);
  return r.stdout.split('\n').filter((n) => n.startsWith(`docker.io/library/${app}:ship-`));
}

/** Removes what the tests left of an app: its images in Docker and on the node. */
export async function removeAppImages(app: string): Promise<void> {
  const node = await nodeImagesOf(app).catch(() => []);
  if (node.length) await execa('ctr', ['-a', SOCKET, '-n', 'k8s.io', 'images', 'rm', ...node], { reject: false });
  const docker = await dockerImagesOf(app).catch(() => []);
  if (docker.length) await execa('docker', ['rmi', ...docker], { reject: false });
}
