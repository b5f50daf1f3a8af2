// Shared helpers for the end-to-end tests: the real test cluster (test/cluster/up.sh), the built
// ship CLI driven as a user would, and throwaway copies of the fixture apps.

import { execa, type ResultPromise } from 'execa';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');
export const cli = join(repo, 'dist/cli.js');
export const KUBECONFIG = '/var/lib/ship-cluster/kubeconfig';
export const SOCKET = '/run/ship-cluster/containerd.sock';
export const LOAD = `containerd:${SOCKET}`;

/** The environment ship runs with in these tests: the test cluster, and not a CI run (so it holds the forward). */
export function shipEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG, FORCE_COLOR: '0', ...extra };
  delete env.CI;
  return env;
}

export async function kubectl(args: string[], opts: { reject?: boolean; input?: string } = {}) {
  return execa('kubectl', args, { env: { ...process.env, KUBECONFIG }, reject: opts.reject ?? true, input: opts.input });
}

export async function newNamespace(prefix: string): Promise<string> {
  const ns = `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
  await kubectl(['create', 'namespace', ns]);
  // The service account the pods run as appears a moment after the namespace.
  for (let i = 0; i < 50; i++) {
    if ((await kubectl(['get', 'serviceaccount', 'default', '-n', ns], { reject: false })).exitCode === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return ns;
}

export async function deleteNamespace(ns: string): Promise<void> {
  await kubectl(['delete', 'namespace', ns, '--wait=false'], { reject: false });
}

/** A throwaway copy of a fixture project (tests edit sources and builds write into it). */
export function copyProject(rel: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ship-e2e-'));
  cpSync(join(repo, rel), dir, { recursive: true, filter: (src) => !/\/(build|target|\.gradle)(\/|$)/.test(src.slice(join(repo, rel).length)) });
  // A file of its own makes this copy's sources, and so its image tag, new: the first run really builds.
  writeFileSync(join(dir, '.e2e-copy'), `${dir} ${Date.now()}\n`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface JsonEvent {
  type: string;
  [k: string]: unknown;
}

export function parseEvents(stdout: string): JsonEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as JsonEvent);
}

/** Calls onEvent with each JSON event of ship's --json stdout as its lines arrive. */
export function onJsonEvents(stdout: NodeJS.ReadableStream | null | undefined, onEvent: (e: JsonEvent) => void): void {
  let buf = '';
  stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) onEvent(JSON.parse(line) as JsonEvent);
    }
  });
}

/** Runs ship to completion (CI-style: --detach) and returns exit code, output and JSON events. */
export async function shipOnce(args: string[], env = shipEnv()) {
  const started = Date.now();
  const r = await execa(process.execPath, [cli, ...args, '--json', '--detach'], { env, extendEnv: false, reject: false, timeout: 900_000 });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, events: parseEvents(r.stdout), ms: Date.now() - started };
}

/**
 * Starts ship holding its forward (as a developer runs it) and resolves once the summary event
 * arrives, with the URL. stop() sends Ctrl-C (SIGINT) and returns the exit code.
 */
export async function shipHolding(args: string[], env = shipEnv()) {
  const child: ResultPromise = execa(process.execPath, [cli, ...args, '--json'], { env, extendEnv: false, reject: false, buffer: true, timeout: 900_000 });
  const events: JsonEvent[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const summary = await new Promise<JsonEvent>((resolveSummary, reject) => {
    onJsonEvents(child.stdout, (e) => {
      events.push(e);
      if (e.type === 'summary') resolveSummary(e);
    });
    void child.then((r) => reject(new Error(`ship exited ${r.exitCode} before it was ready:\n${stderr}`)));
  });
  return {
    url: summary.url as string,
    events,
    stderr: () => stderr,
    async stop(): Promise<number> {
      child.kill('SIGINT');
      const r = await child;
      return r.exitCode ?? -1;
    },
  };
}

export function stepStatus(events: JsonEvent[], step: string): string | undefined {
  const ends = events.filter((e) => e.type === 'step' && e.step === step && e.status !== 'start');
  return ends.at(-1)?.status as string | undefined;
}
