// The test cluster's daemons (test/cluster/up.sh), for the fault tests: stop one by the pid in its
// pid file (only a process the test cluster started, checked against its command line), and bring
// the cluster back with up.sh, which restarts whatever is missing and returns once the node is
// Ready and a smoke pod ran. Callers hold the shared lock (flock /tmp/ship-e2e.lock) around both.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './projects.js';
import { sleep } from './until.js';

const RUN = '/run/ship-cluster';
const KUBECTL = '/var/cache/ship-cluster/kubectl';
const KUBECONFIG = '/var/lib/ship-cluster/kubeconfig';

export type Daemon = 'kube-apiserver' | 'kube-controller-manager' | 'containerd' | 'kubelet' | 'kube-scheduler' | 'etcd';

/** The pid in the daemon's pid file, when that process lives and is the daemon's binary. */
export function daemonPid(name: Daemon): number | undefined {
  const file = join(RUN, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline[0]?.endsWith(name) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the daemon by its pid file's pid and waits until the process is gone; returns the pid. */
export async function stopDaemon(name: Daemon, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<number> {
  const pid = daemonPid(name);
  if (pid === undefined) throw new Error(`${name} is not running (no live pid in ${RUN}/${name}.pid)`);
  process.kill(pid, signal);
  for (let i = 0; i < 300 && existsSync(`/proc/${pid}`) && !isZombie(pid); i++) await sleep(50);
  if (existsSync(`/proc/${pid}`) && !isZombie(pid)) throw new Error(`${name} (pid ${pid}) did not exit after ${signal}`);
  return pid;
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

const DAEMONS: Daemon[] = ['containerd', 'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet'];

/** The daemons whose pid file names no live process of theirs. */
export function missingDaemons(): Daemon[] {
  return DAEMONS.filter((d) => daemonPid(d) === undefined);
}

/**
 * bash test/cluster/up.sh: restarts what is missing; throws with its output when it fails. After
 * an API server outage longer than their lease's renew deadline (10 s), kube-controller-manager and
 * kube-scheduler exit ("leaderelection lost"), possibly while up.sh runs: so up.sh is run again
 * (up to 3 times) until every daemon has stayed up for settleMs after it.
 */
export async function restoreCluster(settleMs = 3_000): Promise<{ ms: number; runs: number }> {
  const started = Date.now();
  for (let runs = 1; ; runs++) {
    const r = await execa('bash', [join(repo, 'test/cluster/up.sh')], { reject: false, all: true, timeout: 300_000 });
    if (r.exitCode !== 0) throw new Error(`test/cluster/up.sh failed (exit ${r.exitCode}):\n${(r.all ?? '').slice(-3000)}`);
    await sleep(settleMs);
    const missing = missingDaemons();
    if (missing.length === 0) return { ms: Date.now() - started, runs };
    if (runs === 3) throw new Error(`after 3 runs of test/cluster/up.sh, still not running: ${missing.join(', ')}`);
  }
}

/** Whether the API server answers /readyz with the admin kubeconfig. */
export async function apiserverReady(): Promise<boolean> {
  const r = await execa(KUBECTL, ['get', '--raw', '/readyz', '--request-timeout=2s'], { env: { ...process.env, KUBECONFIG }, reject: false });
  return r.exitCode === 0;
}
