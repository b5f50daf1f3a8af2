// The rest of a pod's life through the built CLI against the real test cluster: render (with and
// without a cluster), --replicas, the `ship dev` inner loop (edit → same URL serves the change; a
// broken build keeps the last good pod serving; Ctrl-C; --cleanup) and --registry with a real
// registry on loopback that the cluster's containerd pulls from.

import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBECONFIG, LOAD, copyProject, deleteNamespace, isPodReady, listPods, newNamespace, repo, ship, shipEnv, shipOnce, spawnShip, stepStatus, type ShipProcess } from './helpers.js';
import { freePort, portIsFree } from '../support/free-port.js';
import { get } from '../support/http.js';
import { until } from '../support/until.js';

/** The v1.34 kubectl the test cluster was built with (server-side dry-run of the exact version). */
const KUBECTL = '/var/cache/ship-cluster/kubectl';
const GREETING = /static final String GREETING = .*\n/;

/** GET / through the URL, or undefined when nothing answers (a pod being replaced). */
async function greeting(url: string): Promise<string | undefined> {
  try {
    const r = await get(url + '/', 5000);
    return r.status === 200 ? r.body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rewrites the GREETING line in place, or (atomic) as many editors save: a temp file renamed over
 * the old one (vim, JetBrains' safe write, sed -i).
 */
function setGreeting(dir: string, line: string, how: 'in-place' | 'atomic' = 'in-place'): void {
  const main = join(dir, 'src/main/java/gradleapp/Main.java');
  const text = readFileSync(main, 'utf8');
  expect(text).toMatch(GREETING);
  const next = text.replace(GREETING, line + '\n');
  if (how === 'in-place') return writeFileSync(main, next);
  const tmp = join(dir, 'src/main/java/gradleapp/.Main.java.swp');
  writeFileSync(tmp, next);
  renameSync(tmp, main);
}

describe('ship render', () => {
  let ns: string;
  const app = copyProject('test/fixtures/gradle-app');
  beforeAll(async () => {
    ns = await newNamespace('e2e-render');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('--tag renders with neither a cluster nor Docker: the tagged image, IfNotPresent and ship\'s labels', async () => {
    const r = await ship(['render', app.dir, '--tag', 't1'], { env: shipEnv({ KUBECONFIG: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent/docker.sock' }) });
    expect(r.exitCode, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs).toHaveLength(1);
    const pod = docs[0];
    expect(pod).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gradle-app' } });
    expect(pod.metadata.labels).toMatchObject({ app: 'gradle-app', 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'gradle-app' });
    expect(pod.spec.containers).toHaveLength(1);
    expect(pod.spec.containers[0]).toMatchObject({ name: 'gradle-app', image: 'gradle-app:t1', imagePullPolicy: 'IfNotPresent' });
  });

  it('without --tag (Docker for the tag) the output applies cleanly with kubectl apply --server-side --dry-run=server', async () => {
    const r = await ship(['render', app.dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    const pod = parseAllDocuments(r.stdout)[0].toJS();
    expect(pod.spec.containers[0].image).toMatch(/^gradle-app:ship-[0-9a-f]{12}$/);
    const dry = await execa(KUBECTL, ['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', '-'], { env: { ...process.env, KUBECONFIG }, input: r.stdout, reject: false });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^pod\/gradle-app serverside-applied \(server dry run\)$/m);
    // A dry run: nothing was created.
    expect(await listPods(ns, 'app.kubernetes.io/name=gradle-app')).toEqual([]);
  });
});

describe('--replicas 3 with the fixture\'s Pod manifest', () => {
  let ns: string;
  const app = copyProject('test/fixtures/gradle-app');
  beforeAll(async () => {
    ns = await newNamespace('e2e-replicas');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('three Ready pods gradle-app-1..3, forwarded and answering; ship status --json lists them', async () => {
    const r = await shipOnce([app.dir, '--load', LOAD, '-n', ns, '--port', '0', '--replicas', '3']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(stepStatus(r.events, 'wait')).toBe('done');
    expect(stepStatus(r.events, 'forward')).toBe('done');
    expect(stepStatus(r.events, 'smoke')).toBe('done');
    expect(r.events.find((e) => e.type === 'summary')?.status).toBe(200);
    const pods = await listPods(ns);
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual(['gradle-app-1', 'gradle-app-2', 'gradle-app-3']);
    for (const p of pods) {
      expect(isPodReady(p), p.metadata?.name).toBe(true);
      expect(p.spec?.containers[0]?.image).toMatch(/^gradle-app:ship-[0-9a-f]{12}$/);
    }

    const status = await ship(['status', app.dir, '-n', ns, '--json']);
    expect(status.exitCode, status.stderr).toBe(0);
    const ev = JSON.parse(status.stdout.trim().split('\n')[0]);
    expect(ev).toMatchObject({ type: 'status', app: 'gradle-app', namespace: ns });
    expect(ev.pods.map((p: any) => p.name).sort()).toEqual(['gradle-app-1', 'gradle-app-2', 'gradle-app-3']);
    for (const p of ev.pods) expect(p).toMatchObject({ ready: '1/1', status: 'Running', podReady: true });
  });
});

// The rebuild-and-redeploy loop (--no-live): live update of the same Gradle app into its running
// pod is test/e2e/live.test.ts's subject.
describe('ship dev: the inner loop', () => {
  let ns: string;
  const app = copyProject('test/fixtures/gradle-app');
  let dev: ShipProcess | undefined;
  let url = '';
  let v2Pod = '';
  beforeAll(async () => {
    ns = await newNamespace('e2e-dev');
  });
  afterAll(async () => {
    if (dev?.running) await dev.stop();
    await deleteNamespace(ns);
    app.remove();
  });

  it('deploys and serves v1 on the URL of its first summary', async () => {
    dev = spawnShip(['dev', app.dir, '-n', ns, '--load', LOAD, '--port', '0', '--no-live']);
    const summary = await dev.next((e) => e.type === 'summary', { from: 0, timeoutMs: 600_000 });
    url = summary.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(url + '/')).body).toBe('hello from gradle-app v1');
  });

  it('an edited source is rebuilt, redeployed and served on the same URL within 90 s', async () => {
    const from = dev!.events.length;
    setGreeting(app.dir, '    static final String GREETING = "hello from gradle-app v2";');
    const started = Date.now();
    await until('v2 on the same URL', async () => (await greeting(url)) === 'hello from gradle-app v2', { timeoutMs: 90_000, everyMs: 1000 });
    expect(Date.now() - started).toBeLessThan(90_000);
    // It was a real rebuild, not a cached image.
    expect(dev!.events.slice(from).some((e) => e.type === 'step' && e.step === 'build' && e.status === 'done')).toBe(true);
    const summary = await dev!.next((e) => e.type === 'summary', { from, timeoutMs: 30_000 });
    expect(summary.url).toBe(url);
    const pods = await listPods(ns);
    expect(pods).toHaveLength(1);
    v2Pod = pods[0]?.metadata?.uid ?? '';
  });

  it('a broken source (saved atomically, as vim does): the failed build is reported, the v2 pod keeps serving on the same URL', async () => {
    const from = dev!.events.length;
    const stderrFrom = dev!.stderr().length;
    setGreeting(app.dir, '    static final String GREETING = "hello from gradle-app v2-broken"', 'atomic'); // no semicolon
    const failed = await dev!.next((e) => e.type === 'step' && e.status === 'fail', { from, timeoutMs: 120_000 });
    expect(failed).toMatchObject({ step: 'build', code: 'build' });
    await until('the warning on stderr', async () => /warning: .*failed: .*gradlew clean build failed/.test(dev!.stderr().slice(stderrFrom)), { timeoutMs: 10_000, everyMs: 200 });
    expect(dev!.stderr().slice(stderrFrom)).toMatch(/error: ';' expected/);
    expect(dev!.stderr().slice(stderrFrom)).toMatch(/last good deploy keeps serving/i);
    // The failed run is an event too, with the step and the exit code it would have had.
    const run = await dev!.next((e) => e.type === 'dev-run' && e.ok === false, { from, timeoutMs: 10_000 });
    expect(run).toMatchObject({ step: 'build', code: 'build', exitCode: 4 });
    // Nothing was applied after the failure, the same pod serves v2.
    const changes = dev!.stderr().slice(stderrFrom).split('\n').filter((l) => l.startsWith('change: '));
    expect(dev!.events.slice(from).some((e) => e.type === 'step' && e.step === 'apply'), changes.join('\n')).toBe(false);
    for (let i = 0; i < 5; i++) {
      expect((await get(url + '/')).body).toBe('hello from gradle-app v2');
      await new Promise((r) => setTimeout(r, 300));
    }
    const pods = await listPods(ns);
    expect(pods.map((p) => p.metadata?.uid)).toEqual([v2Pod]);
    expect(dev!.running).toBe(true);
    // Between deploys the serving pod's logs stream again: the requests above show up.
    await until('the v2 pod\'s log lines after the failed build', async () => /\[gradle-app\] GET \/ 200/.test(dev!.stderr().slice(stderrFrom)), { timeoutMs: 20_000, everyMs: 200 });
  });

  it('fixed again (v3, another atomic save): served on the same URL', async () => {
    const from = dev!.events.length;
    setGreeting(app.dir, '    static final String GREETING = "hello from gradle-app v3";', 'atomic');
    await until('v3 on the same URL', async () => (await greeting(url)) === 'hello from gradle-app v3', { timeoutMs: 90_000, everyMs: 1000 });
    const summary = await dev!.next((e) => e.type === 'summary', { from, timeoutMs: 30_000 });
    expect(summary.url).toBe(url);
  });

  it('Ctrl-C: exit 0 and the port is free; the pod stays (no --cleanup)', async () => {
    const port = Number(new URL(url).port);
    expect(await portIsFree(port)).toBe(false);
    expect(await dev!.stop()).toBe(0);
    expect(await portIsFree(port)).toBe(true);
    await expect(get(url + '/', 3000)).rejects.toThrow();
    const pods = await listPods(ns);
    expect(pods).toHaveLength(1);
    expect(isPodReady(pods[0])).toBe(true);
  });

  it('--cleanup: a second run picks up an edit made during its first deploy; Ctrl-C deletes the pods it deployed', async () => {
    setGreeting(app.dir, '    static final String GREETING = "hello from gradle-app v4";');
    const again = spawnShip(['dev', app.dir, '-n', ns, '--load', LOAD, '--port', '0', '--cleanup', '--no-live']);
    dev = again;
    // The jar (v4) is built; an edit now arrives while the first deploy is still going.
    await again.next((e) => e.type === 'step' && e.step === 'image' && e.status === 'start', { from: 0, timeoutMs: 300_000 });
    setGreeting(app.dir, '    static final String GREETING = "hello from gradle-app v5";', 'atomic');
    const summary = await again.next((e) => e.type === 'summary', { from: 0, timeoutMs: 600_000 });
    const devUrl = summary.url as string;
    expect(await greeting(devUrl)).toMatch(/^hello from gradle-app v[45]$/);
    await until('v5 after an edit made during the first deploy', async () => (await greeting(devUrl)) === 'hello from gradle-app v5', { timeoutMs: 90_000, everyMs: 1000 });
    expect(await listPods(ns)).toHaveLength(1);
    expect(await again.stop()).toBe(0);
    expect(again.stderr()).toMatch(/cleanup: .*deleted from namespace/);
    expect(await listPods(ns)).toEqual([]);
  });
});

describe('--registry: push to a real registry on loopback, the cluster pulls from it', () => {
  let ns: string;
  let regDir = '';
  let port = 0;
  const app = copyProject('test/fixtures/gradle-app');
  const scripts = join(repo, 'test/docker/registry');
  beforeAll(async () => {
    ns = await newNamespace('e2e-registry');
    regDir = mkdtempSync(join(tmpdir(), 'ship-e2e-registry-'));
    port = await freePort();
    await execa('bash', [join(scripts, 'start.sh'), regDir, String(port)]);
  });
  afterAll(async () => {
    if (regDir && existsSync(regDir)) {
      await execa('bash', [join(scripts, 'stop.sh'), regDir], { reject: false });
      rmSync(regDir, { recursive: true, force: true });
    }
    await deleteNamespace(ns);
    app.remove();
  });

  it('ship --allow-context ship-local --registry 127.0.0.1:PORT: pushed, and the pod runs the pushed name', async () => {
    const registry = `127.0.0.1:${port}`;
    const r = await shipOnce([app.dir, '--allow-context', 'ship-local', '--registry', registry, '-n', ns, '--port', '0']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(stepStatus(r.events, 'load')).toBe('done');
    expect(stepStatus(r.events, 'smoke')).toBe('done');
    const pods = await listPods(ns);
    expect(pods).toHaveLength(1);
    const image = pods[0]?.spec?.containers[0]?.image ?? '';
    const m = new RegExp(`^127\\.0\\.0\\.1:${port}/gradle-app:(ship-[0-9a-f]{12})$`).exec(image);
    expect(m, image).not.toBeNull();
    expect(isPodReady(pods[0])).toBe(true);
    const tags = (await (await fetch(`http://${registry}/v2/gradle-app/tags/list`)).json()) as { tags: string[] | null };
    expect(tags.tags).toContain(m![1]);
    // The node pulled it from the registry (the containerd image name is the pushed one).
    expect(pods[0]?.status?.containerStatuses?.[0]?.image).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}/gradle-app:${m![1]}$`));
  });
});
