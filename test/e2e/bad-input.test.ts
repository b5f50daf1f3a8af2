// Bad input, through the built CLI as a user meets it: every case must end with the exit code of
// the README's table, a message naming the problem, a `hint:` line, a `result` event (--json) that
// says the same, and the user's files exactly as they were.

import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECONFIG, LOAD, copyProject, deleteNamespace, newNamespace, repo, shipEnv, shipOnce, type JsonEvent } from './helpers.js';

const manifests = join(repo, 'test/fixtures/manifests');
const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A throwaway copy of a fixture, removed after the file. */
function project(rel: string): string {
  const p = copyProject(rel);
  cleanups.push(p.remove);
  return p.dir;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ship-bad-input-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Output the user's own build writes: not part of "the user's files". */
const BUILD_OUTPUT = /^(build|target|\.gradle)(\/|$)/;

/** Every file below dir (build output excluded): relative path → mode and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (BUILD_OUTPUT.test(r)) continue;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) walk(r);
      else out[r] = `${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(join(dir, r))).digest('hex')}`;
    }
  };
  walk('');
  return out;
}

type Run = Awaited<ReturnType<typeof shipOnce>>;

/** Runs ship on dir and checks that the files there (and any extra file named) are left as they were. */
async function shipOn(dir: string, args: string[], opts: { env?: NodeJS.ProcessEnv; alsoUnchanged?: string[] } = {}): Promise<Run> {
  const before = snapshot(dir);
  const extra = (opts.alsoUnchanged ?? []).map((f) => readFileSync(f, 'utf8'));
  const r = await shipOnce([dir, ...args], opts.env ?? shipEnv());
  expect(snapshot(dir), `the project's files changed:\n${r.stderr}`).toEqual(before);
  (opts.alsoUnchanged ?? []).forEach((f, i) => expect(readFileSync(f, 'utf8'), f).toBe(extra[i]));
  return r;
}

/** The failure contract: exit code, a message matching `message`, a hint, and the same as the final `result` event. */
function expectFailure(r: Run, exitCode: number, message: RegExp): JsonEvent {
  expect(r.exitCode, r.stderr).toBe(exitCode);
  const shown = r.stderr.slice(r.stderr.lastIndexOf('✖ '));
  expect(shown, r.stderr).toMatch(message);
  expect(shown).toMatch(/^\s+hint: \S.{10,}/m);
  const last = r.stdout.trim().split('\n').at(-1)!;
  const result = JSON.parse(last) as JsonEvent;
  expect(result).toMatchObject({ type: 'result', ok: false, exitCode });
  expect(String(result.hint ?? '')).not.toBe('');
  expect(`${result.error}\n${(result.details as string[] | undefined)?.join('\n') ?? ''}`).toMatch(message);
  return result;
}

function started(r: Run, step: string): boolean {
  return r.events.some((e) => e.type === 'step' && e.step === step && e.status === 'start');
}

describe('the project (exit 3)', () => {
  it('a file instead of a directory', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.jar');
    writeFileSync(file, 'not a project\n');
    const before = snapshot(dir);
    const r = await shipOnce([file, '--load', LOAD, '--port', '0']);
    expectFailure(r, 3, /app\.jar is not a directory/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('no build file and no Dockerfile', async () => {
    const dir = project('test/fixtures/bad-projects/no-build');
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    expectFailure(r, 3, /no build file .*and no Dockerfile/i);
  });

  it('gradlew not executable (mode 0644): says so and leaves the mode as it was', async () => {
    const dir = project('test/fixtures/bad-projects/gradlew-not-executable');
    chmodSync(join(dir, 'gradlew'), 0o644);
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    expectFailure(r, 3, /gradlew is not executable/);
    expect(r.stderr).toMatch(/chmod \+x/);
    expect(statSync(join(dir, 'gradlew')).mode & 0o777).toBe(0o644);
    expect(started(r, 'build')).toBe(false);
  });
});

describe('the build (exit 4)', () => {
  it('the build fails: its last lines, with the compiler error, are shown', async () => {
    const dir = project('test/fixtures/bad-projects/build-fails');
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    const result = expectFailure(r, 4, /gradlew clean build failed with exit code 1/);
    expect(r.stderr).toContain('incompatible types: String cannot be converted to int');
    expect((result.details as string[]).join('\n')).toMatch(/BUILD FAILED/);
  });

  it('the build leaves two runnable jars: both named', async () => {
    const dir = project('test/fixtures/bad-projects/two-app-jars');
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    expectFailure(r, 4, /2 jars .*two-app-jars-1\.0\.0-SNAPSHOT\.jar, two-app-jars-tool-1\.0\.0-SNAPSHOT\.jar/);
    expect(started(r, 'image')).toBe(false);
  });

  it('a Dockerfile whose COPY build/libs/*.jar also matches the -sources jar: the image step says so (exit 5)', async () => {
    // ship's own choice ignores -sources jars (so the build step passes); the project's Dockerfile does not.
    const dir = project('test/fixtures/bad-projects/two-jars');
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    expectFailure(r, 5, /COPY build\/libs\/\*\.jar \/app\.jar: When using COPY with more than one source file/);
    expect(r.stderr).toMatch(/hint: .*-sources.*by its name/);
  });

  it('the build leaves no jar at all', async () => {
    const dir = project('test/fixtures/bad-projects/no-jar');
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    expectFailure(r, 4, /left no jar in .*build\/libs/);
    expect(started(r, 'image')).toBe(false);
  });
});

describe('the image (exit 5)', () => {
  it('a Dockerfile syntax error names the line and the instruction', async () => {
    const dir = project('test/fixtures/bad-projects/bad-dockerfile');
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    expectFailure(r, 5, /line 2: unknown instruction: FORM/);
  });

  it('a failing RUN names the step and shows its output', async () => {
    const dir = project('test/fixtures/bad-projects/failing-run');
    const r = await shipOn(dir, ['--load', LOAD, '--port', '0']);
    expectFailure(r, 5, /at step 2: RUN .*returned a non-zero code: 1/);
    expect(r.stderr).toContain('failing-run: about to fail');
  });
});

describe('Docker and the kubeconfig (exit 6, 7, 8)', () => {
  let app: string;
  let dir: string;
  beforeAll(() => {
    app = project('test/fixtures/gradle-app');
    dir = tempDir();
  });
  /** A copy of the test cluster's kubeconfig with every "ship-local" renamed, or the server replaced. */
  function kubeconfig(name: string, edit: (text: string) => string): string {
    const file = join(dir, name);
    writeFileSync(file, edit(readFileSync(KUBECONFIG, 'utf8')));
    return file;
  }

  it('the Docker daemon is not running: says how to start it', async () => {
    const r = await shipOn(app, ['--load', LOAD, '--port', '0'], { env: shipEnv({ DOCKER_HOST: 'unix:///nonexistent.sock' }) });
    expectFailure(r, 6, /Docker daemon is not reachable at unix:\/\/\/nonexistent\.sock/);
    expect(r.stderr).toMatch(/hint: .*(systemctl start docker|dockerd)/);
    expect(started(r, 'build')).toBe(false);
  });

  it('no kubeconfig', async () => {
    const r = await shipOn(app, ['--load', LOAD, '--port', '0'], { env: shipEnv({ KUBECONFIG: '/nonexistent' }) });
    expectFailure(r, 7, /No kubeconfig found.*\/nonexistent/);
    expect(started(r, 'build')).toBe(false);
  });

  it('the named context is missing: the contexts there are listed', async () => {
    const r = await shipOn(app, ['--load', LOAD, '--port', '0', '--context', 'nosuch']);
    expectFailure(r, 7, /context "nosuch" is not in/);
    expect(r.stderr).toMatch(/hint: .*ship-local/);
  });

  it('the cluster is unreachable', async () => {
    const file = kubeconfig('unreachable', (t) => t.replace(/server: \S+/, 'server: https://127.0.0.1:1'));
    const r = await shipOn(app, ['--load', LOAD, '--port', '0'], { env: shipEnv({ KUBECONFIG: file }) });
    expectFailure(r, 8, /cannot be reached.*127\.0\.0\.1:1/);
    expect(r.ms).toBeLessThan(30_000);
    expect(started(r, 'build')).toBe(false);
  });

  it('a context that is not a known local cluster is refused without --allow-context', async () => {
    const file = kubeconfig('prod', (t) => t.replaceAll('ship-local', 'prod'));
    const r = await shipOn(app, ['--port', '0'], { env: shipEnv({ KUBECONFIG: file }) });
    expectFailure(r, 7, /context "prod" .*is not a local cluster/);
    expect(r.stderr).toMatch(/hint: .*--allow-context prod/);
    expect(started(r, 'build')).toBe(false);
  });

  it('--allow-context prod without a registry: explains --registry', async () => {
    const file = kubeconfig('prod', (t) => t.replaceAll('ship-local', 'prod'));
    const r = await shipOn(app, ['--port', '0', '--allow-context', 'prod'], { env: shipEnv({ KUBECONFIG: file }) });
    expectFailure(r, 7, /context "prod" .*is allowed, but ship has no way to get the image/);
    expect(r.stderr).toMatch(/hint: .*--registry/);
    expect(started(r, 'build')).toBe(false);
  });
});

describe('the cluster (exit 9, 10, 12, 13, 14)', () => {
  let ns: string;
  let app: string;
  let dir: string;
  beforeAll(async () => {
    ns = await newNamespace('e2e-bad');
    cleanups.push(() => deleteNamespace(ns));
    app = project('test/fixtures/gradle-app');
    dir = tempDir();
  });
  const args = (...more: string[]) => ['--load', LOAD, '-n', ns, '--port', '0', ...more];

  it('a kind context whose cluster has no node containers (exit 9)', async () => {
    const file = join(dir, 'kind-nosuch');
    writeFileSync(file, readFileSync(KUBECONFIG, 'utf8').replaceAll('ship-local', 'kind-nosuch'));
    const r = await shipOn(app, ['-n', ns, '--port', '0'], { env: shipEnv({ KUBECONFIG: file }) });
    expectFailure(r, 9, /kind cluster "nosuch" has no node containers/);
    expect(r.stderr).toMatch(/hint: .*kind (get clusters|create cluster)/);
    // Known at the check step, before minutes of building.
    expect(started(r, 'build')).toBe(false);
  });

  it('malformed YAML: file, line and column (exit 10)', async () => {
    const file = join(manifests, 'malformed.yaml');
    const r = await shipOn(app, args('--manifest', file), { alsoUnchanged: [file] });
    expectFailure(r, 10, /malformed\.yaml:7:1: /);
    expect(started(r, 'apply')).toBe(false);
  });

  it('no container uses the image ship built: the images found are listed (exit 10)', async () => {
    const file = join(dir, 'others.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: others',
        'spec:',
        '  initContainers:',
        '    - name: init',
        '      image: ship.local/busybox:1',
        '  containers:',
        '    - name: web',
        '      image: registry.invalid/team/web:2.1',
        '    - name: cache',
        '      image: registry.invalid/team/cache:7',
        '',
      ].join('\n'),
    );
    const r = await shipOn(app, args('--manifest', file), { alsoUnchanged: [file] });
    const result = expectFailure(r, 10, /No container in .*others\.yaml uses the image ship built \(gradle-app\)/);
    for (const image of ['ship.local/busybox:1', 'registry.invalid/team/web:2.1', 'registry.invalid/team/cache:7']) {
      expect(String(result.hint)).toContain(image);
    }
    expect(started(r, 'apply')).toBe(false);
  });

  it('an unknown field: named, with the likely spelling (exit 10)', async () => {
    const file = join(manifests, 'unknown-field-pod.yaml');
    const r = await shipOn(app, args('--manifest', file), { alsoUnchanged: [file] });
    expectFailure(r, 10, /unknown field "spec\.containers\[0\]\.imagePullPolcy"/);
    expect(r.stderr).toMatch(/hint: .*imagePullPolicy/);
    expect(started(r, 'apply')).toBe(false);
  });

  it('containerz instead of containers (exit 10)', async () => {
    const file = join(manifests, 'unknown-field-containerz.yaml');
    const r = await shipOn(app, args('--manifest', file), { alsoUnchanged: [file] });
    expectFailure(r, 10, /unknown field "spec\.containerz"/);
    expect(started(r, 'apply')).toBe(false);
  });

  it('the local port is busy: refused at the check, before any build (exit 14)', async () => {
    const fresh = project('test/fixtures/gradle-app');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await shipOn(fresh, ['--load', LOAD, '-n', ns, '--port', String(port)]);
      expectFailure(r, 14, new RegExp(`port ${port} is already in use`));
      expect(r.stderr).toMatch(/hint: .*--port/);
      const check = r.events.find((e) => e.type === 'step' && e.step === 'check' && e.status === 'fail');
      expect(check).toBeDefined();
      expect(started(r, 'build')).toBe(false);
      expect(existsSync(join(fresh, 'build'))).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the app crashes at start: CrashLoopBackOff with its log line (exit 12)', async () => {
    const crashNs = await newNamespace('e2e-bad-crash');
    cleanups.push(() => deleteNamespace(crashNs));
    const file = join(manifests, 'crash-pod.yaml');
    const r = await shipOn(app, ['--load', LOAD, '-n', crashNs, '--port', '0', '--manifest', file], { alsoUnchanged: [file] });
    expectFailure(r, 12, /crash|exit/i);
    expect(r.stderr).toMatch(/CrashLoopBackOff|exit(ed)? (with )?(code )?1/i);
    expect(r.stderr).toContain('CRASH_AT_START is set');
    expect(r.ms).toBeLessThan(150_000);
  });

  it('the deadline passes (a readiness probe that never passes, --timeout 20s): exit 13 near 20 s', async () => {
    const slowNs = await newNamespace('e2e-bad-deadline');
    cleanups.push(() => deleteNamespace(slowNs));
    const file = join(manifests, 'never-ready-pod.yaml');
    // The wait step's own duration is measured: the build before it does not count against --timeout.
    const r = await shipOn(app, ['--load', LOAD, '-n', slowNs, '--port', '0', '--timeout', '20s', '--manifest', file], { alsoUnchanged: [file] });
    const result = expectFailure(r, 13, /Not Ready after 20s/);
    expect(String(result.error)).toMatch(/never-ready-pod/);
    expect(r.stderr).toMatch(/404/);
    const wait = r.events.find((e) => e.type === 'step' && e.step === 'wait' && e.status === 'fail');
    expect(wait?.durationMs as number).toBeGreaterThanOrEqual(19_000);
    expect(wait?.durationMs as number).toBeLessThan(40_000);
  });
});
