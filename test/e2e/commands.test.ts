// The pod-life commands (status, logs, exec, why, delete, doctor) against the real test cluster,
// driven through the built CLI as a user runs them. The pods are created directly with ship's
// labels (busybox: it has sh but no bash), in a namespace of their own.

import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD, cli, deleteNamespace, ensureNodeImage, kubectl, newNamespace, repo, ship, shipEnv, waitForCluster } from './helpers.js';
import { until } from '../support/until.js';

const BUSYBOX = 'ship.local/busybox:1';
const APP = 'cmdapp';
const LOOP = 'i=0; while true; do echo line $i; i=$((i+1)); sleep 1; done';

let ns = '';
let work = '';
let project = '';

function podYaml(name: string, command: string, labels: Record<string, string> = { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': APP }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', command] }] },
  });
}

async function apply(json: string): Promise<void> {
  await kubectl(['apply', '-f', '-'], { input: json });
}

async function podJson(name: string): Promise<{ status?: { containerStatuses?: Array<{ restartCount: number; state?: Record<string, unknown> }> } } | undefined> {
  const r = await kubectl(['get', 'pod', name, '-n', ns, '-o', 'json'], { reject: false });
  return r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
}

async function podNames(): Promise<string[]> {
  const r = await kubectl(['get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}']);
  return r.stdout.split(/\s+/).filter(Boolean).sort();
}

beforeAll(async () => {
  await waitForCluster(10 * 60_000);
  // Drive the CLI built from these sources (npm run build, as test/run.sh does).
  if (!existsSync(cli)) throw new Error(`${cli} was not built: npm run build`);
  await ensureNodeImage(BUSYBOX);
  ns = await newNamespace('ship-cmds');
  work = mkdtempSync(join(tmpdir(), 'ship-cmds-'));
  // The project directory names the app (no build file: the directory name).
  project = join(work, APP);
  mkdirSync(project);
  await apply(podYaml(APP, LOOP));
  await kubectl(['wait', '--for=condition=Ready', `pod/${APP}`, '-n', ns, '--timeout=90s']);
});

afterAll(async () => {
  if (ns) await deleteNamespace(ns);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('ship status', () => {
  it('shows the deployed pod as kubectl would, with its image', async () => {
    const r = await ship(['status', project, '-n', ns]);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${APP} · namespace ${ns} · context ship-local`);
    expect(lines[1]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IMAGE$/);
    expect(lines[2]).toMatch(new RegExp(`^${APP}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${BUSYBOX.replace(/\./g, '\\.')}$`));
    const json = await ship(['status', project, '-n', ns, '--json']);
    const ev = JSON.parse(json.stdout.trim().split('\n')[0]);
    expect(ev).toMatchObject({ type: 'status', app: APP, namespace: ns, pods: [{ name: APP, ready: '1/1', status: 'Running', restarts: 0, images: [BUSYBOX], podReady: true }] });
  });

  it('after a crash, shows the failing pod and its one-line diagnosis under it', async () => {
    await apply(podYaml(`${APP}-crash`, 'echo starting; exit 3'));
    await until('the crash pod to restart twice', async () => ((await podJson(`${APP}-crash`))?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, { timeoutMs: 90_000 });
    // The container runs for a moment between crashes: ask until the snapshot catches it down.
    let r = await ship(['status', project, '-n', ns]);
    const crashRow = () => r.stdout.split('\n').find((l) => l.startsWith(`${APP}-crash `)) ?? '';
    for (let n = 0; n < 20 && / Running /.test(crashRow()); n++) {
      await new Promise((res) => setTimeout(res, 500));
      r = await ship(['status', project, '-n', ns]);
    }
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const i = lines.findIndex((l) => l.startsWith(`${APP}-crash `));
    expect(lines[i]).toMatch(/\s0\/1\s+(CrashLoopBackOff|Error)\s+\d+ \(\S+ ago\)\s/);
    expect(lines[i + 1]).toMatch(/^ {2}└ Container "app" exited with code 3\./);
    expect(r.stdout).toContain(`For details: ship why ${APP}-crash`);
  });

  it('--watch appends a row for each change when not on a terminal, until Ctrl-C', async () => {
    const child = execa(process.execPath, [cli, 'status', project, '-n', ns, '--watch'], { env: shipEnv(), reject: false, timeout: 120_000 });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until('the first table', async () => out.includes(`${APP}-crash`), { timeoutMs: 30_000 });
    await apply(podYaml(`${APP}-w`, LOOP));
    await until('the new pod Running', async () => new RegExp(`^${APP}-w\\s+1/1\\s+Running`, 'm').test(out), { timeoutMs: 60_000 });
    await kubectl(['delete', 'pod', `${APP}-w`, '-n', ns]);
    await until('the deleted pod', async () => out.includes(`${APP}-w   (deleted)`), { timeoutMs: 60_000 });
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(out.split('\n').filter((l) => /^NAME\s+READY/.test(l))).toHaveLength(1);
    expect(out).toMatch(new RegExp(`^${APP}-w\\s+0/1\\s+(Pending|ContainerCreating)`, 'm'));
  });

  it('says when nothing is deployed, with the command that deploys (exit 0)', async () => {
    const empty = join(work, 'nothing-here');
    mkdirSync(empty);
    const r = await ship(['status', empty, '-n', ns]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Nothing deployed for "nothing-here" in namespace ${ns}`);
    expect(r.stdout).toContain(`Deploy it with: ship ${empty}`);
  });
});

describe('ship logs', () => {
  it('prints the last lines of one pod', async () => {
    const r = await ship(['logs', project, APP, '-n', ns, '--tail', '2']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^line \d+$/);
  });

  it('with several pods, prints all of them, each line prefixed with its pod', async () => {
    const r = await ship(['logs', project, '-n', ns, '--tail', '1']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^\\[${APP}\\] line \\d+$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^\\[${APP}-crash\\] starting$`, 'm'));
  });

  it('-f sees new lines and new pods, and stops cleanly on Ctrl-C', async () => {
    const child = execa(process.execPath, [cli, 'logs', project, '-f', '-n', ns, '--tail', '1'], { env: shipEnv(), reject: false, timeout: 120_000 });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const seen = () => [...out.matchAll(new RegExp(`^\\[${APP}\\] line (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
    await until('two lines from the running pod', async () => new Set(seen()).size >= 2, { timeoutMs: 30_000 });
    const [a, b] = seen();
    expect(b).toBeGreaterThan(a); // a line the app printed after ship started following
    await apply(podYaml(`${APP}-late`, LOOP));
    await until('a line from the pod that appeared while following', async () => out.includes(`[${APP}-late] line 0`), { timeoutMs: 60_000 });
    child.kill('SIGINT');
    const started = Date.now();
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    await kubectl(['delete', 'pod', `${APP}-late`, '-n', ns, '--wait=false']);
  });
});

describe('ship exec', () => {
  it('runs a command and returns its exit status', async () => {
    const r = await ship(['exec', project, APP, '-n', ns, '--', 'sh', '-c', 'echo from-inside; exit 7']);
    expect(r.stdout).toContain('from-inside');
    expect(r.exitCode).toBe(7);
    const ok = await ship(['exec', project, '-n', ns, '--', 'true']);
    expect(ok.exitCode, ok.stderr).toBe(0);
  });

  it('without a command opens bash, and falls back to sh on an image without bash, saying so', async () => {
    const r = await ship(['exec', project, APP, '-n', ns], { input: 'echo hi from $0; exit 0\n' });
    expect(r.stderr).toContain('This image has no bash; opening sh instead.');
    expect(r.stdout).toContain('hi from sh');
    expect(r.exitCode).toBe(0);
  });

  it('a program that is not in the image exits 127 and says so', async () => {
    const r = await ship(['exec', project, APP, '-n', ns, '--', 'no-such-program']);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('"no-such-program" is not in the image');
  });
});

describe('ship why', () => {
  it('shows the diagnosis, container states, events and last log lines of the failing pod', async () => {
    const r = await ship(['why', project, '-n', ns]); // no pod named: the one in trouble
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Pod ${APP}-crash · namespace ${ns} · node \\S+`));
    expect(r.stdout).toMatch(/^Why: Container "app" exited with code 3\./m);
    expect(r.stdout).toMatch(/^Conditions:\n {2}\S+ (True|False)/m);
    expect(r.stdout).toMatch(/last run: terminated: exit code 3 \(Error\)/);
    expect(r.stdout).toMatch(/^Events:\n {2}TYPE\s+REASON\s+AGE\s+FROM\s+MESSAGE$/m);
    expect(r.stdout).toMatch(/^ {2}Warning\s+BackOff\s/m);
    // The crashed run's output: "previous" while the container waits to restart, "current" while it lies terminated.
    expect(r.stdout).toMatch(/Last log lines( of the previous run)? \(app\):\n {2}starting/);
    expect(r.stdout).not.toContain('unable to retrieve container logs');
  });
});

describe('ship delete', () => {
  it('removes exactly what ship created and waits until it is gone; a hand-made pod survives', async () => {
    const shipLabels = { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': APP };
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${APP}-config`, namespace: ns, labels: shipLabels }, data: { a: '1' } }));
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: APP, namespace: ns, labels: shipLabels }, spec: { selector: shipLabels, ports: [{ port: 8080 }] } }));
    // Made by hand: a similar name and the app label people write, but not ship's labels.
    await apply(podYaml(`${APP}-by-hand`, 'sleep 3600', { app: APP }));
    await apply(podYaml(`${APP}-half`, 'sleep 3600', { 'app.kubernetes.io/name': APP }));

    const r = await ship(['delete', project, '-n', ns]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deleted Pod/${APP}`);
    expect(r.stdout).toContain(`deleted Pod/${APP}-crash`);
    expect(r.stdout).toContain(`deleted Service/${APP}`);
    expect(r.stdout).toContain(`deleted ConfigMap/${APP}-config`);
    expect(r.stdout).toMatch(/; all gone\.$/m);
    // Gone when ship returns, not later.
    expect(await podNames()).toEqual([`${APP}-by-hand`, `${APP}-half`]);
    expect((await kubectl(['get', 'configmap', `${APP}-config`, '-n', ns], { reject: false })).exitCode).not.toBe(0);
    expect((await kubectl(['get', 'service', APP, '-n', ns], { reject: false })).exitCode).not.toBe(0);
  });

  it('is idempotent: nothing left means "nothing to delete", exit 0 (as `ship down`)', async () => {
    const r = await ship(['down', project, '-n', ns]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Nothing to delete: ship has nothing for "${APP}" in namespace ${ns}`);
    expect(await podNames()).toEqual([`${APP}-by-hand`, `${APP}-half`]);
  });
});

describe('ship doctor', () => {
  const fixture = join(repo, 'test/fixtures/gradle-app');

  it('passes on this machine with the test cluster', async () => {
    const r = await ship(['doctor', fixture, '--load', LOAD, '--port', '0']);
    expect(r.stdout).toMatch(/^✓ Docker\s+Docker \S+ \(API [\d.]+\) at unix:\/\//m);
    expect(r.stdout).toMatch(/^✓ Cluster\s+Kubernetes v1\.\d+/m);
    expect(r.stdout).toMatch(/^✓ Image loader\s+containerd at \/run\/ship-cluster\/containerd\.sock: containerd \S+ answers/m);
    expect(r.exitCode, r.stdout).toBe(0);
  });

  it('reports a stopped Docker daemon with its fix and exit code 16', async () => {
    const nowhere = join(work, 'no-docker.sock');
    const env = shipEnv({ DOCKER_HOST: `unix://${nowhere}` });
    const r = await ship(['doctor', fixture, '--load', LOAD, '--port', '0'], { env });
    expect(r.exitCode).toBe(16);
    expect(r.stdout).toContain(`✗ Docker        The Docker daemon is not reachable at unix://${nowhere} (ENOENT).`);
    expect(r.stdout).toMatch(/^\s+fix: Start Docker/m);
    expect(r.stdout).toMatch(/^1 problem to fix before ship can deploy\.$/m);
    const json = await ship(['doctor', fixture, '--load', LOAD, '--port', '0', '--json'], { env });
    expect(json.exitCode).toBe(16);
    const doctor = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'doctor');
    expect(doctor.ok).toBe(false);
    expect(doctor.checks.find((c: { id: string }) => c.id === 'docker')).toMatchObject({ ok: false, required: true });
    expect(doctor.checks.find((c: { id: string }) => c.id === 'cluster')).toMatchObject({ ok: true });
  });
});
