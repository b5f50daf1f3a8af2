// Shared helpers for the end-to-end tests: the real test cluster (test/cluster/up.sh), the built
// ship CLI driven as a user would, and throwaway copies of the fixture apps.

import type { V1Pod } from '@kubernetes/client-node';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from '../support/projects.js';
import { until } from '../support/until.js';

export { copyProject, repo } from '../support/projects.js';
/** The built CLI; SHIP_E2E_CLI runs the tests against another build (e.g. the code before a fix). */
export const cli = process.env.SHIP_E2E_CLI ?? join(repo, 'dist/cli.js');
export const KUBECONFIG = '/var/lib/ship-cluster/kubeconfig';
export const SOCKET = '/run/ship-cluster/containerd.sock';
export const LOAD = `containerd:${SOCKET}`;
/** The second node's containerd (test/cluster/up.sh: ship-node2, tainted ship.local/second-node). */
export const SOCKET_NODE2 = '/run/ship-cluster/node2/containerd.sock';
/** Load into every node of the test cluster. */
export const LOAD_ALL = `containerd:${SOCKET},${SOCKET_NODE2}`;
/** Where test/cluster/lib/build.sh tools puts helm and kustomize (see test/cluster/README.md). */
export const TOOLS_BIN = '/var/cache/ship-cluster/tools';

/** The environment ship runs with in these tests: the test cluster, and not a CI run (so it holds the forward). */
export function shipEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG, FORCE_COLOR: '0', ...extra };
  delete env.CI;
  return env;
}

export async function kubectl(args: string[], opts: { reject?: boolean; input?: string } = {}) {
  return execa('kubectl', args, { env: { ...process.env, KUBECONFIG }, reject: opts.reject ?? true, input: opts.input });
}

/** Waits until the test cluster's node is Ready (it may still be coming up when the tests start). */
export async function waitForCluster(timeoutMs: number): Promise<void> {
  let last = '';
  await until(
    'the test cluster',
    async () => {
      const r = existsSync(KUBECONFIG) ? await kubectl(['get', 'nodes', '--no-headers'], { reject: false }) : { exitCode: 1, stdout: '', stderr: `${KUBECONFIG} missing` };
      last = r.stderr || r.stdout;
      return r.exitCode === 0 && /\sReady\s/.test(r.stdout);
    },
    { timeoutMs, everyMs: 5000 },
  ).catch(() => {
    throw new Error(`the test cluster is not up (kubectl get nodes: ${last})`);
  });
}

export async function newNamespace(prefix: string): Promise<string> {
  const ns = `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
  await kubectl(['create', 'namespace', ns]);
  // The service account the pods run as appears a moment after the namespace.
  await until('the default service account', async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', ns], { reject: false })).exitCode === 0, {
    timeoutMs: 10_000,
    everyMs: 200,
  }).catch(() => undefined);
  return ns;
}

/** The pods in ns matching the label selector, as kubectl reads them. */
export async function listPods(ns: string, selector = 'app.kubernetes.io/managed-by=ship', extra: string[] = []): Promise<V1Pod[]> {
  const r = await kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json', ...extra]);
  return (JSON.parse(r.stdout) as { items: V1Pod[] }).items;
}

export const isPodReady = (p: V1Pod): boolean => Boolean(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/** Whether the test cluster's containerd (the node's image store) has the image. */
export async function nodeHasImage(ref: string): Promise<boolean> {
  const r = await execa('ctr', ['-a', SOCKET, '-n', 'k8s.io', 'images', 'ls', '-q'], { reject: false });
  return r.exitCode === 0 && r.stdout.split('\n').includes(ref);
}

/** Puts a local image (ship.local/busybox:1…) into the node's image store when it is not there yet. */
export async function ensureNodeImage(ref: string): Promise<void> {
  if ((await nodeHasImage(ref)) || (await nodeHasImage(`docker.io/${ref}`))) return;
  const inDocker = await execa('docker', ['image', 'inspect', ref], { reject: false });
  if (inDocker.exitCode !== 0 && ref.startsWith('ship.local/busybox')) await execa('bash', [join(repo, 'test/images/build.sh'), 'busybox']);
  await execa('bash', ['-o', 'pipefail', '-c', `docker save ${ref} | ctr -a ${SOCKET} -n k8s.io images import -`]);
}

export async function deleteNamespace(ns: string): Promise<void> {
  await kubectl(['delete', 'namespace', ns, '--wait=false'], { reject: false });
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

/** Runs the built ship once with these arguments as they are (stdin empty), never rejecting. */
export function ship(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  return execa(process.execPath, [cli, ...args], { env: opts.env ?? shipEnv(), reject: false, input: opts.input ?? '', timeout: opts.timeout ?? 600_000 });
}

/** Runs ship to completion (CI-style: --detach) and returns exit code, output and JSON events. */
export async function shipOnce(args: string[], env = shipEnv()) {
  const started = Date.now();
  const r = await execa(process.execPath, [cli, ...args, '--json', '--detach'], { env, extendEnv: false, reject: false, timeout: 900_000 });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, events: parseEvents(r.stdout), ms: Date.now() - started };
}

export type ShipProcess = ReturnType<typeof spawnShip>;

/**
 * Starts ship (with --json) as a developer runs it: a child process whose events and stderr are
 * collected as they come. `args` may start with a command (`dev`).
 */
export function spawnShip(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; prefix?: string[] } = {}) {
  // prefix: a command that execs ship (prlimit --nofile=1024:1024), so the child's pid is ship's.
  const [cmd, ...pre] = [...(opts.prefix ?? []), process.execPath];
  const child: ResultPromise = execa(cmd!, [...pre, cli, ...args, '--json'], {
    env: opts.env ?? shipEnv(),
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs ?? 900_000,
  });
  const events: JsonEvent[] = [];
  let stderr = '';
  let exited: number | undefined;
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  onJsonEvents(child.stdout, (e) => events.push(e));
  const done = child.then((r) => (exited = r.exitCode ?? -1));
  /** Ctrl-C; the exit code and how long ship took to exit (an error with its output when that is over 60 s). */
  const interrupt = async (): Promise<{ exitCode: number; ms: number }> => {
    const sent = Date.now();
    if (exited === undefined) child.kill('SIGINT');
    const late = new Promise<'late'>((r) => setTimeout(() => r('late'), 60_000).unref());
    const code = await Promise.race([done, late]);
    if (code === 'late') {
      child.kill('SIGKILL');
      throw new Error(`ship did not exit within 60 s of Ctrl-C:\n${stderr.slice(-4000)}`);
    }
    return { exitCode: code, ms: Date.now() - sent };
  };
  return {
    child,
    events,
    stderr: () => stderr,
    get running() {
      return exited === undefined;
    },
    /** The first event from index `from` on that matches, waiting for it; fails at once if ship exits first. */
    async next(match: (e: JsonEvent) => boolean, opts: { from?: number; timeoutMs?: number } = {}): Promise<JsonEvent> {
      const timeoutMs = opts.timeoutMs ?? 300_000;
      try {
        return await until(
          'a ship event',
          () => {
            const e = events.slice(opts.from ?? 0).find(match);
            if (e) return e;
            if (exited !== undefined) throw new Error(`ship exited ${exited} before the expected event`);
            return undefined;
          },
          { timeoutMs, everyMs: 100 },
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- stderr (last 4000 chars):\n${stderr.slice(-4000)}`);
      }
    },
    interrupt,
    /** Ctrl-C; the exit code. */
    stop: async (): Promise<number> => (await interrupt()).exitCode,
  };
}

/**
 * Starts ship holding its forward (as a developer runs it) and resolves once the summary event
 * arrives, with the URL. stop() sends Ctrl-C (SIGINT) and returns the exit code.
 */
export async function shipHolding(args: string[], env = shipEnv(), prefix?: string[]) {
  const ship = spawnShip(args, { env, ...(prefix ? { prefix } : {}) });
  const summary = await ship.next((e) => e.type === 'summary', { timeoutMs: 900_000 });
  return Object.assign(ship, { url: summary.url as string });
}

export function stepStatus(events: JsonEvent[], step: string): string | undefined {
  const ends = events.filter((e) => e.type === 'step' && e.step === step && e.status !== 'start');
  return ends.at(-1)?.status as string | undefined;
}
