// `ship doctor [dir]`: everything ship needs, checked one by one, each with a fix when it fails:
// Docker, the kubeconfig and its context, the cluster, the image loader for that cluster (and
// whether it can work), the JDK and the build tool, and the local port. Exit code 16 when
// something ship needs is missing. The checks run against probes (an interface), so unit tests
// hand in fakes; the real probes use the same adapters the deploy pipeline uses, and the loader
// is decided and preflighted exactly as the check step does it (tasks/load.ts).

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { CommandIo } from './io.js';
import { createOutput } from '../pipeline/output.js';
import { ExitCode, isShipError, errorMessage } from '../errors.js';
import { mergeFlags } from '../core/config.js';
import { readConfig } from '../adapters/config-file.js';
import { parsePort, type RawFlags } from '../core/options.js';
import { detectProject } from '../core/project.js';
import { describeChoice, type LoaderChoice } from '../core/cluster-detect.js';
import type { ProjectInfo } from '../core/model.js';
import { fileView } from '../adapters/fs-view.js';
import { execaRunner, type ProcessRunner, type RunResult } from '../adapters/process.js';
import { openKube, serverVersion, type Kube } from '../adapters/kube/client.js';
import type { DockerApi, DockerVersion } from '../adapters/docker/api.js';
import { createDocker } from '../adapters/docker/client.js';
import { dockerEndpoint } from '../adapters/docker/endpoint.js';
import { assertPortFree } from '../adapters/kube/forward.js';
import { loaderChoiceFor, preflightLoader } from '../tasks/load.js';
import { findNodes } from '../adapters/loaders/nodes.js';
import { kindFlavor } from '../adapters/loaders/kind.js';
import { k3dFlavor } from '../adapters/loaders/k3d.js';
import { hostTarget } from '../adapters/loaders/containerd.js';
import { minikubeRuntime } from '../adapters/loaders/minikube.js';
import { wrapperCheck } from './doctor-wrapper.js';

export interface Check {
  /** Short name: docker, kubeconfig, cluster, loader, jdk, build-tool, port. */
  id: string;
  title: string;
  ok: boolean;
  /** ship cannot deploy without it. */
  required: boolean;
  /** Not checked because an earlier check failed (or it does not apply). */
  skipped?: boolean;
  detail: string;
  fix?: string;
}

/** What the checks ask the machine; the real ones are in realProbes. */
export interface DoctorProbes {
  docker(): Promise<DockerVersion>;
  /** Throws ShipError('kubeconfig') when there is none or its context is missing. */
  kube(): Kube;
  serverVersion(kube: Kube): Promise<string>;
  /** The check step's loader decision; throws ShipError when the context is not one ship can load into. */
  loaderChoice(kube: Kube): Promise<LoaderChoice>;
  /** A sentence about why the loader can work; throws ShipError with a hint when it cannot. */
  loaderReady(choice: LoaderChoice, dockerOk: boolean): Promise<string>;
  /** Throws ShipError('project') when the directory is not a project ship can build. */
  project(): ProjectInfo;
  /** Output of `java -version` (it writes to stderr; the runner merges both). */
  javaVersion(): Promise<RunResult>;
  /** Absolute path of a command on PATH, or undefined. */
  which(cmd: string): string | undefined;
  portFree(port: number): Promise<boolean>;
  /** The build tool's download (a Gradle/Maven wrapper's distribution); undefined when the build needs none. */
  wrapper?(project: ProjectInfo): Promise<Check | undefined>;
}

export interface DoctorOptions {
  port: number;
  projectDir: string;
}

function fail(e: unknown): { detail: string; fix?: string } {
  if (isShipError(e)) return { detail: e.message, fix: e.hint };
  return { detail: errorMessage(e) };
}

/** `openjdk version "17.0.15" 2025-04-15` → 17; `java version "1.8.0_392"` → 8. */
export function javaMajor(output: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

export async function runChecks(p: DoctorProbes, o: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];

  // Docker
  let dockerOk = false;
  try {
    const v = await p.docker();
    dockerOk = true;
    checks.push({ id: 'docker', title: 'Docker', ok: true, required: true, detail: `Docker ${v.version} (API ${v.apiVersion}) at ${v.host}${v.storageDriver ? `, storage ${v.storageDriver}` : ''}` });
  } catch (e) {
    checks.push({ id: 'docker', title: 'Docker', ok: false, required: true, ...fail(e) });
  }

  // Kubeconfig, cluster, loader
  let kube: Kube | undefined;
  try {
    kube = p.kube();
    checks.push({ id: 'kubeconfig', title: 'Kubeconfig', ok: true, required: true, detail: `context ${kube.context} (cluster ${kube.cluster}, namespace ${kube.namespace}) from ${kube.files.join(', ')}` });
  } catch (e) {
    checks.push({ id: 'kubeconfig', title: 'Kubeconfig', ok: false, required: true, ...fail(e) });
  }
  if (kube) {
    try {
      const version = await p.serverVersion(kube);
      checks.push({ id: 'cluster', title: 'Cluster', ok: true, required: true, detail: `Kubernetes ${version} at ${kube.server}` });
    } catch (e) {
      checks.push({ id: 'cluster', title: 'Cluster', ok: false, required: true, ...fail(e) });
    }
    let choice: LoaderChoice | undefined;
    try {
      choice = await p.loaderChoice(kube);
    } catch (e) {
      checks.push({ id: 'loader', title: 'Image loader', ok: false, required: true, ...fail(e) });
    }
    if (choice) {
      try {
        const why = await p.loaderReady(choice, dockerOk);
        checks.push({ id: 'loader', title: 'Image loader', ok: true, required: true, detail: `${describeChoice(choice)}: ${why}` });
      } catch (e) {
        const f = fail(e);
        checks.push({ id: 'loader', title: 'Image loader', ok: false, required: true, detail: `${describeChoice(choice)}: ${f.detail}`, fix: f.fix });
      }
    }
  } else {
    for (const [id, title] of [
      ['cluster', 'Cluster'],
      ['loader', 'Image loader'],
    ]) {
      checks.push({ id, title, ok: false, required: true, skipped: true, detail: 'not checked: there is no usable kubeconfig' });
    }
  }

  // The project: JDK and build tool
  let project: ProjectInfo | undefined;
  let projectProblem: { detail: string; fix?: string } | undefined;
  try {
    project = p.project();
  } catch (e) {
    projectProblem = fail(e);
  }
  const needsJdk = project ? project.builder !== 'none' : true;
  const java = await p.javaVersion().catch((e: unknown) => ({ exitCode: 127, tail: [errorMessage(e)], stdout: '' }) as RunResult);
  const javaText = [java.stdout, ...java.tail].join('\n');
  const major = java.exitCode === 0 ? javaMajor(javaText) : undefined;
  if (java.exitCode !== 0 || java.startError) {
    checks.push({
      id: 'jdk',
      title: 'JDK',
      ok: false,
      required: needsJdk,
      detail: java.startError ? 'java is not on PATH' : `java -version failed: ${java.tail.slice(-1)[0] ?? ''}`,
      fix: 'Install a JDK 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless; or sdk install java) and put it on PATH / set JAVA_HOME.',
    });
  } else if (major !== undefined && major < 17) {
    checks.push({
      id: 'jdk',
      title: 'JDK',
      ok: false,
      required: needsJdk,
      detail: `Java ${major} found; Spring Boot 3 needs Java 17 or newer`,
      fix: 'Install a JDK 17+ and point JAVA_HOME at it.',
    });
  } else {
    const first = javaText.split('\n').find((l) => /version "/.test(l))?.trim() ?? 'java found';
    checks.push({ id: 'jdk', title: 'JDK', ok: true, required: needsJdk, detail: first });
  }

  if (!project) {
    checks.push({ id: 'build-tool', title: 'Build tool', ok: false, required: true, detail: projectProblem?.detail ?? 'no project', fix: projectProblem?.fix });
  } else if (!project.buildCommand) {
    checks.push({ id: 'build-tool', title: 'Build tool', ok: true, required: false, detail: `none needed: ${project.dockerfile ? 'the Dockerfile builds the app' : 'builder none'}` });
  } else {
    const [cmd] = project.buildCommand;
    if (cmd.startsWith('./')) {
      checks.push({ id: 'build-tool', title: 'Build tool', ok: true, required: true, detail: `${cmd} (${project.builder} wrapper in ${project.dir})` });
    } else {
      const found = p.which(cmd);
      checks.push(
        found
          ? { id: 'build-tool', title: 'Build tool', ok: true, required: true, detail: `${cmd} at ${found} (${project.builder}; the project has no wrapper)` }
          : {
              id: 'build-tool',
              title: 'Build tool',
              ok: false,
              required: true,
              detail: `${cmd} is not on PATH and the project has no ${project.builder === 'gradle' ? 'gradlew' : 'mvnw'}`,
              fix: project.builder === 'gradle' ? 'Add the Gradle wrapper to the project (gradle wrapper), or install Gradle.' : 'Add the Maven wrapper (mvn wrapper:wrapper), or install Maven (apt-get install maven).',
            },
      );
    }
  }

  // The wrapper's distribution: downloaded already, or its host answers.
  if (project && p.wrapper) {
    const c = await p.wrapper(project).catch(() => undefined);
    if (c) checks.push(c);
  }

  // The local port
  if (o.port === 0) {
    checks.push({ id: 'port', title: 'Local port', ok: true, required: true, detail: 'any free port (--port 0)' });
  } else {
    const free = await p.portFree(o.port).catch(() => false);
    checks.push(
      free
        ? { id: 'port', title: 'Local port', ok: true, required: true, detail: `${o.port} is free on 127.0.0.1` }
        : {
            id: 'port',
            title: 'Local port',
            ok: false,
            required: true,
            detail: `${o.port} is in use on 127.0.0.1`,
            fix: `Stop what listens there (see: ss -ltnp 'sport = :${o.port}'), or forward another one: ship --port ${o.port + 10000 <= 65535 ? o.port + 10000 : 0}:${o.port} (0 = any free port).`,
          },
    );
  }
  return checks;
}

/** 0 when everything ship needs is there, 16 otherwise. */
export function doctorExitCode(checks: Check[]): number {
  return checks.some((c) => c.required && !c.ok) ? ExitCode.doctor : ExitCode.ok;
}

export function formatChecks(checks: Check[]): string[] {
  const width = Math.max(...checks.map((c) => c.title.length));
  const lines: string[] = [];
  for (const c of checks) {
    const mark = c.skipped ? '-' : c.ok ? '✓' : c.required ? '✗' : '!';
    lines.push(`${mark} ${c.title.padEnd(width)}  ${c.detail}`);
    if (!c.ok && !c.skipped && c.fix) lines.push(`  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  const missing = checks.filter((c) => c.required && !c.ok && !c.skipped).length;
  const warnings = checks.filter((c) => !c.required && !c.ok).length;
  lines.push('');
  lines.push(
    missing === 0
      ? `All set: ship has what it needs${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.`
      : `${missing} problem${missing === 1 ? '' : 's'} to fix before ship can deploy.`,
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The real probes

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms)))]).finally(() => clearTimeout(t));
}

export function whichIn(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const full = join(dir, cmd);
    try {
      accessSync(full, constants.X_OK);
      if (statSync(full).isFile()) return full;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function realProbes(o: { projectDir: string; flags: RawFlags; env: NodeJS.ProcessEnv; runner?: ProcessRunner }): DoctorProbes {
  const runner = o.runner ?? execaRunner;
  let docker: DockerApi | undefined;
  const getDocker = () => (docker ??= createDocker(o.env));
  return {
    async docker() {
      dockerEndpoint(o.env); // a DOCKER_HOST ship cannot use is reported as such
      return withTimeout(getDocker().ping(), 10_000, 'Docker');
    },
    kube: () => openKube({ kubeconfig: o.flags.kubeconfig, context: o.flags.context, env: o.env }),
    serverVersion: (kube) => serverVersion(kube, 10_000),
    loaderChoice: (kube) =>
      withTimeout(loaderChoiceFor({ kube, opts: { load: o.flags.load, allowContexts: o.flags.allowContext ?? [], registry: o.flags.registry } }), 10_000, 'Cluster'),
    async loaderReady(choice, dockerOk) {
      if ((choice.kind === 'kind' || choice.kind === 'k3d') && !dockerOk) throw new Error(`needs Docker to reach the ${choice.kind} node containers (see the Docker check)`);
      // What the check step asks before a build (kind/k3d: every node container there and running).
      await withTimeout(preflightLoader(choice, { docker: getDocker(), runner, env: o.env }), 10_000, 'Docker');
      switch (choice.kind) {
        case 'kind':
        case 'k3d': {
          const flavor = choice.kind === 'kind' ? kindFlavor : k3dFlavor;
          const running = (await withTimeout(findNodes(getDocker(), flavor, choice.cluster), 10_000, 'Docker')).filter((n) => n.running);
          return `node container${running.length === 1 ? '' : 's'} ${running.map((n) => n.name).join(', ')} running`;
        }
        case 'containerd': {
          const r = await hostTarget(runner, choice.socket, o.env).ctr(['version'], {});
          if (r.exitCode !== 0) throw new Error(`ctr -a ${choice.socket} version failed: ${r.stderr.split('\n').slice(-1)[0]}`);
          const server = /Server:[\s\S]*?Version:\s*(\S+)/.exec(r.stdout)?.[1];
          return `containerd ${server ?? ''} answers at ${choice.socket}`.replace(/\s+/g, ' ');
        }
        case 'minikube': {
          const rt = await minikubeRuntime(choice.profile, runner, { env: o.env });
          return `profile "${choice.profile}" uses the ${rt} runtime (${rt === 'docker' ? "images are built in minikube's Docker" : 'images are loaded with minikube image load'})`;
        }
        case 'shared':
          if (!dockerOk) throw new Error('the cluster uses this Docker daemon, which does not answer (see the Docker check)');
          return 'the cluster uses this Docker daemon: nothing to load';
        case 'registry':
          return `images are pushed to ${choice.registry}`;
        case 'none':
          return 'nothing is loaded (--load none): the cluster must already have the image';
      }
    },
    project: () => detectProject(o.projectDir, fileView(o.projectDir), { builder: o.flags.builder as ProjectInfo['builder'] | undefined, skipTests: false, dockerfile: o.flags.dockerfile }),
    javaVersion: () => runner.run('java', ['-version'], { cwd: o.projectDir, env: o.env, keepLines: 10 }),
    which: (cmd) => whichIn(cmd, o.env),
    wrapper: (project) => wrapperCheck(project, { hasPom: fileView(project.dir).exists('pom.xml'), gradleOnPath: whichIn('gradle', o.env) !== undefined }, o.env),
    // The forward's own check: the port is free when ship could listen there.
    portFree: (port) => assertPortFree(port).then(
      () => true,
      () => false,
    ),
  };
}

export interface DoctorFlags extends RawFlags {
  json?: boolean;
}

export async function runDoctorCommand(dir: string, flags: DoctorFlags, io: CommandIo, probes?: DoctorProbes): Promise<number> {
  const out = createOutput({ json: flags.json ?? false, stdout: io.stdout, stderr: io.stderr });
  const projectDir = isAbsolute(dir) ? dir : resolve(io.cwd, dir);
  let config: Partial<RawFlags> = {};
  const configCheck: Check[] = [];
  try {
    const read = await readConfig(projectDir);
    config = read.config;
    if (read.file) configCheck.push({ id: 'config', title: 'ship.yaml', ok: true, required: false, detail: `${read.file} is valid` });
  } catch (e) {
    configCheck.push({ id: 'config', title: 'ship.yaml', ok: false, required: true, ...fail(e) });
  }
  const merged = mergeFlags(config, flags);
  const port = parsePort(merged.port ?? '8080').local;
  const checks = [...configCheck, ...(await runChecks(probes ?? realProbes({ projectDir, flags: merged, env: io.env }), { port, projectDir }))];
  const code = doctorExitCode(checks);
  out.event({ type: 'doctor', ok: code === 0, checks });
  if (!out.json) {
    out.info(`ship doctor · ${projectDir}`);
    for (const l of formatChecks(checks)) out.info(l);
  }
  out.event({ type: 'result', ok: code === 0, exitCode: code });
  return code;
}
