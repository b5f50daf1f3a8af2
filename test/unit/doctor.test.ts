import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { doctorExitCode, formatChecks, javaMajor, realProbes, runChecks, whichIn, type DoctorProbes } from '../../src/commands/doctor.js';
import { ShipError } from '../../src/errors.js';
import type { Kube } from '../../src/adapters/kube/client.js';
import type { ProjectInfo } from '../../src/core/model.js';

const kube = { context: 'kind-dev', cluster: 'kind-dev', namespace: 'default', server: 'https://127.0.0.1:6443', files: ['/home/u/.kube/config'] } as unknown as Kube;
const gradleProject: ProjectInfo = { dir: '/p/app', name: 'app', builder: 'gradle', buildCommand: ['./gradlew', ['clean', 'build']], actuator: false };

/** Probes for a machine where everything works; each test breaks one thing. */
function healthy(over: Partial<DoctorProbes> = {}): DoctorProbes {
  return {
    docker: async () => ({ version: '28.2.2', apiVersion: '1.50', host: 'unix:///var/run/docker.sock', storageDriver: 'overlay2' }),
    kube: () => kube,
    serverVersion: async () => 'v1.34.4',
    loaderChoice: async () => ({ kind: 'kind', cluster: 'dev' }),
    loaderReady: async () => 'node container dev-control-plane running',
    project: () => gradleProject,
    javaVersion: async () => ({ exitCode: 0, tail: ['openjdk version "17.0.15" 2025-04-15', 'OpenJDK Runtime Environment'], stdout: '' }),
    which: (cmd) => `/usr/bin/${cmd}`,
    portFree: async () => true,
    ...over,
  };
}

const opts = { port: 8080, projectDir: '/p/app' };
const byId = (checks: Awaited<ReturnType<typeof runChecks>>, id: string) => checks.find((c) => c.id === id)!;

describe('ship doctor', () => {
  it('all checks pass on a healthy machine: exit 0, one ✓ line each', async () => {
    const checks = await runChecks(healthy(), opts);
    expect(checks.map((c) => c.id)).toEqual(['docker', 'kubeconfig', 'cluster', 'loader', 'jdk', 'build-tool', 'port']);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(doctorExitCode(checks)).toBe(0);
    const lines = formatChecks(checks);
    expect(lines[0]).toBe('✓ Docker        Docker 28.2.2 (API 1.50) at unix:///var/run/docker.sock, storage overlay2');
    expect(lines).toContain('✓ Image loader  kind cluster "dev": node container dev-control-plane running');
    expect(lines.at(-1)).toBe('All set: ship has what it needs.');
  });

  it('a stopped Docker daemon fails with its fix and exit code 16', async () => {
    const checks = await runChecks(
      healthy({
        docker: async () => {
          throw new ShipError('docker', 'The Docker daemon is not reachable at unix:///nope.sock (ENOENT).', { hint: 'Start Docker.' });
        },
      }),
      opts,
    );
    expect(byId(checks, 'docker')).toMatchObject({ ok: false, required: true, detail: 'The Docker daemon is not reachable at unix:///nope.sock (ENOENT).', fix: 'Start Docker.' });
    expect(doctorExitCode(checks)).toBe(16);
    const lines = formatChecks(checks);
    expect(lines[0]).toMatch(/^✗ Docker/);
    expect(lines[1]).toMatch(/^\s+fix: Start Docker\.$/);
    expect(lines.at(-1)).toBe('1 problem to fix before ship can deploy.');
  });

  it('without a kubeconfig, the cluster and loader checks are skipped, not run', async () => {
    let asked = false;
    const checks = await runChecks(
      healthy({
        kube: () => {
          throw new ShipError('kubeconfig', 'No kubeconfig found.', { hint: 'Create a cluster.' });
        },
        serverVersion: async () => {
          asked = true;
          return 'x';
        },
      }),
      opts,
    );
    expect(asked).toBe(false);
    expect(byId(checks, 'cluster')).toMatchObject({ ok: false, skipped: true });
    expect(formatChecks(checks).filter((l) => l.startsWith('-'))).toHaveLength(2);
    expect(doctorExitCode(checks)).toBe(16);
  });

  it('an unreachable cluster, a context ship does not load into, a loader that cannot work: each reported with its fix', async () => {
    const checks = await runChecks(
      healthy({
        serverVersion: async () => {
          throw new ShipError('cluster', 'The cluster of context "kind-dev" cannot be reached: ECONNREFUSED', { hint: 'Is the cluster running?' });
        },
        loaderReady: async () => {
          throw new ShipError('load', 'no kind node container of cluster "dev" in this Docker', { hint: 'kind create cluster --name dev' });
        },
      }),
      opts,
    );
    expect(byId(checks, 'cluster')).toMatchObject({ ok: false, fix: 'Is the cluster running?' });
    expect(byId(checks, 'loader')).toMatchObject({ ok: false, detail: 'kind cluster "dev": no kind node container of cluster "dev" in this Docker', fix: 'kind create cluster --name dev' });
    const notLocal = await runChecks(
      healthy({
        loaderChoice: () => {
          throw new ShipError('kubeconfig', 'The context "prod" is not a local cluster ship knows', { hint: '--allow-context prod --registry HOST' });
        },
      }),
      opts,
    );
    expect(byId(notLocal, 'loader')).toMatchObject({ ok: false, fix: '--allow-context prod --registry HOST' });
  });

  it('JDK: missing, too old, or found', async () => {
    const missing = await runChecks(healthy({ javaVersion: async () => ({ exitCode: 127, tail: [], stdout: '', startError: Object.assign(new Error('spawn java ENOENT'), { code: 'ENOENT' }) }) }), opts);
    expect(byId(missing, 'jdk')).toMatchObject({ ok: false, required: true, detail: 'java is not on PATH' });
    const old = await runChecks(healthy({ javaVersion: async () => ({ exitCode: 0, tail: ['java version "1.8.0_392"'], stdout: '' }) }), opts);
    expect(byId(old, 'jdk')).toMatchObject({ ok: false, detail: 'Java 8 found; Spring Boot 3 needs Java 17 or newer' });
    expect(javaMajor('openjdk version "21.0.2" 2024-01-16')).toBe(21);
    expect(javaMajor('openjdk version "17" 2021-09-14')).toBe(17);
  });

  it('a project built by its Dockerfile needs neither JDK nor build tool', async () => {
    const checks = await runChecks(
      healthy({
        project: () => ({ ...gradleProject, builder: 'none', buildCommand: undefined, dockerfile: '/p/app/Dockerfile' }),
        javaVersion: async () => ({ exitCode: 127, tail: [], stdout: '', startError: new Error('ENOENT') as NodeJS.ErrnoException }),
      }),
      opts,
    );
    expect(byId(checks, 'jdk')).toMatchObject({ ok: false, required: false });
    expect(byId(checks, 'build-tool')).toMatchObject({ ok: true, required: false });
    expect(doctorExitCode(checks)).toBe(0);
    expect(formatChecks(checks).at(-1)).toBe('All set: ship has what it needs (1 warning).');
  });

  it('build tool: the wrapper, or the tool on PATH, or what to do', async () => {
    const mvn: ProjectInfo = { ...gradleProject, builder: 'maven', buildCommand: ['mvn', ['-B', 'package']] };
    expect(byId(await runChecks(healthy({ project: () => mvn }), opts), 'build-tool')).toMatchObject({ ok: true, detail: 'mvn at /usr/bin/mvn (maven; the project has no wrapper)' });
    const none = await runChecks(healthy({ project: () => mvn, which: () => undefined }), opts);
    expect(byId(none, 'build-tool')).toMatchObject({ ok: false, detail: 'mvn is not on PATH and the project has no mvnw' });
    const notProject = await runChecks(
      healthy({
        project: () => {
          throw new ShipError('project', '/tmp has no build file (build.gradle, pom.xml) and no Dockerfile.', { hint: 'Run ship in a project.' });
        },
      }),
      opts,
    );
    expect(byId(notProject, 'build-tool')).toMatchObject({ ok: false, fix: 'Run ship in a project.' });
  });

  it('a busy local port fails with another port to use; --port 0 always passes', async () => {
    const busy = await runChecks(healthy({ portFree: async () => false }), opts);
    expect(byId(busy, 'port')).toMatchObject({ ok: false, detail: '8080 is in use on 127.0.0.1' });
    expect(byId(busy, 'port').fix).toContain('ship --port 18080:8080');
    let asked = false;
    const any = await runChecks(healthy({ portFree: async () => ((asked = true), false) }), { ...opts, port: 0 });
    expect(byId(any, 'port').ok).toBe(true);
    expect(asked).toBe(false);
  });
});

describe('the real small probes', () => {
  it("portFree (the forward adapter's check) tells a listening port from a free one", async () => {
    const { portFree } = realProbes({ projectDir: '/nonexistent', flags: {}, env: {} });
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      expect(await portFree(port)).toBe(false);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
    expect(await portFree(port)).toBe(true);
  });

  it('whichIn finds an executable on PATH only', () => {
    expect(whichIn('sh', { PATH: '/nonexistent:/bin:/usr/bin' })).toMatch(/\/sh$/);
    expect(whichIn('sh', { PATH: '/nonexistent' })).toBeUndefined();
  });
});
