// Live update planning for `ship dev`: which saved files can go into the running JVM and which
// need the full rebuild (and why), what changed in the build output, what the dev image runs,
// and what the app's log says about a restart. Pure: no files, no sockets; callers pass facts in.

import { posix } from 'node:path';

/** Why a change cannot be live-updated; shown to the user and sent as the `live` fallback event. */
export interface Fallback {
  reason: string;
  /** The file that decided it, relative to the project (when one did). */
  file?: string;
}

export type ChangePlan =
  /** Compile and sync: these saved files are application sources or resources. */
  | { kind: 'live'; sources: string[] }
  /** Nothing the pod runs depends on these files (tests). */
  | { kind: 'none'; why: string }
  | ({ kind: 'fallback' } & Fallback);

export interface ChangeFacts {
  /** Project-relative paths (`/`-separated) of the Dockerfile ship builds from, when the project has one. */
  dockerfile?: string;
  /** Project-relative manifest files and directories ship deploys (default ones included). */
  manifests: string[];
}

const BUILD_FILES = new Set(['pom.xml', 'build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts', 'gradle.properties', 'mvnw', 'gradlew', 'ship.yaml']);
const BUILD_DIRS = ['.mvn/', 'gradle/'];
/** Where sources and resources of the main source set live (Maven and Gradle conventions). */
const LIVE_ROOTS = ['src/main/java/', 'src/main/kotlin/', 'src/main/groovy/', 'src/main/resources/'];
/** Sources that never reach the pod. */
const TEST_ROOTS = ['src/test/', 'src/testFixtures/', 'src/integrationTest/'];
/** Manifest directories ship looks into by default. */
const MANIFEST_DIRS = ['k8s/', 'kubernetes/', 'deploy/'];

/**
 * Decides what a batch of saved files (project-relative, `/`-separated) needs. One file that
 * needs the rebuild decides for the whole batch: a half-applied batch is never left behind.
 */
export function planChanges(files: string[], facts: ChangeFacts): ChangePlan {
  const live: string[] = [];
  let tests = 0;
  let dirs = 0;
  for (const raw of files) {
    const file = posix.normalize(raw);
    const name = posix.basename(file);
    if (BUILD_FILES.has(file) || BUILD_DIRS.some((d) => file.startsWith(d))) {
      return { kind: 'fallback', file, reason: `${file} changed (dependencies or build configuration): the image is rebuilt` };
    }
    if (file === facts.dockerfile || file === 'Dockerfile' || file === '.dockerignore' || (name === 'Dockerfile' && !file.startsWith('src/'))) {
      return { kind: 'fallback', file, reason: `${file} changed: the image is rebuilt from it` };
    }
    if (isManifest(file, facts.manifests)) {
      return { kind: 'fallback', file, reason: `manifest ${file} changed: it is applied again` };
    }
    if (TEST_ROOTS.some((r) => file.startsWith(r))) {
      tests += 1;
      continue;
    }
    // A directory on the way to the sources appeared or went (mkdir src/main/resources): its
    // files, if any, come as saves of their own.
    if (LIVE_ROOTS.some((r) => r.startsWith(file + '/'))) {
      dirs += 1;
      continue;
    }
    if (LIVE_ROOTS.some((r) => file.startsWith(r))) {
      live.push(file);
      continue;
    }
    return { kind: 'fallback', file, reason: `${file} is not an application source or resource (it may be in the image): the image is rebuilt` };
  }
  if (live.length > 0) return { kind: 'live', sources: live };
  return { kind: 'none', why: tests > 0 ? 'only test sources changed: nothing in the pod depends on them' : dirs > 0 ? 'only a source directory appeared or went' : 'no file changed' };
}

function isManifest(file: string, manifests: string[]): boolean {
  for (const m of manifests) {
    const clean = m.replace(/\/+$/, '');
    if (file === clean || file.startsWith(clean + '/')) return true;
  }
  if (MANIFEST_DIRS.some((d) => file.startsWith(d)) && /\.ya?ml$/.test(file)) return true;
  // Kubernetes YAML at the project root (ship.yaml is a build file, handled above).
  return !file.includes('/') && /\.ya?ml$/.test(file);
}

// ---------------------------------------------------------------------------------------------
// The build output

/** Path (relative to the output directory, `/`-separated) → content digest. */
export type OutputSnapshot = Map<string, string>;

export interface OutputDiff {
  /** New or changed files, sorted. */
  changed: string[];
  /** Files that are gone, sorted. */
  removed: string[];
}

/** What the pod must receive to hold `after` when it holds `before`. */
export function diffOutput(before: OutputSnapshot, after: OutputSnapshot): OutputDiff {
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [path, digest] of after) if (before.get(path) !== digest) changed.push(path);
  for (const path of before.keys()) if (!after.has(path)) removed.push(path);
  return { changed: changed.sort(), removed: removed.sort() };
}

/** Files whose change the restart classloader cannot take: they configure the JVM or the restart itself. */
export function restartBlocker(diff: OutputDiff): Fallback | undefined {
  for (const path of [...diff.changed, ...diff.removed]) {
    if (path === 'META-INF/spring-devtools.properties') return { file: path, reason: `${path} changed: it configures the restart itself` };
    if (path === 'module-info.class' || path.endsWith('/module-info.class')) return { file: path, reason: `${path} changed: module declarations are read once per JVM` };
    if (path === 'META-INF/MANIFEST.MF') return { file: path, reason: `${path} changed: the JVM reads it at start only` };
    if (path.startsWith('META-INF/versions/')) return { file: path, reason: `${path} changed: multi-release classes are resolved at JVM start` };
  }
  return undefined;
}

/** "2 classes", "1 class and 1 resource", "3 resources". */
export function describeFiles(paths: string[]): string {
  const classes = paths.filter((p) => p.endsWith('.class')).length;
  const resources = paths.length - classes;
  const part = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  if (classes && resources) return `${part(classes, 'class', 'classes')} and ${part(resources, 'resource', 'resources')}`;
  if (classes) return part(classes, 'class', 'classes');
  return part(resources, 'resource', 'resources');
}

// ---------------------------------------------------------------------------------------------
// The dev image

/** Where the dev image keeps the application: classes (synced live) and dependency jars. */
export const DEV_ROOT = '/ship-dev';
export const DEV_CLASSES = `${DEV_ROOT}/classes`;
export const DEV_LIB = `${DEV_ROOT}/lib`;
/** Written last by every sync; DevTools restarts when it changes, so a half-copied set never restarts. */
export const TRIGGER_FILE = '.ship-restart';
export const DEFAULT_DEBUG_PORT = 5005;

/** System properties that make DevTools restart on ship's trigger, quickly, and nothing else. */
export function devtoolsProperties(): string[] {
  return [
    `-Dspring.devtools.restart.trigger-file=${TRIGGER_FILE}`,
    '-Dspring.devtools.restart.poll-interval=250ms',
    '-Dspring.devtools.restart.quiet-period=100ms',
    // No LiveReload server (port 35729) and none of DevTools' development property defaults:
    // the dev pod behaves like the ship pod apart from the restart.
    '-Dspring.devtools.livereload.enabled=false',
    '-Dspring.devtools.add-properties=false',
  ];
}

/** The JDWP agent option: listens on every address of the pod, never waits for a debugger. */
export function jdwpOption(port: number): string {
  return `-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:${port}`;
}

export interface DevImagePlan {
  /** The image built from the project (its own Dockerfile or ship's generated one). */
  baseRef: string;
  mainClass: string;
  /** File names in DEV_LIB, in classpath order. */
  libs: string[];
  debugPort?: number;
  /**
   * A plain JVM app (no Spring Boot): ship's restarter (RESTARTER_CLASS in DEV_LAUNCHER) runs the
   * app's java process and starts it again when the trigger file changes, in the same container.
   */
  restarter?: boolean;
  /** JVM options of the project image's own java command (jvm-options.ts), put before ship's. */
  jvmOptions?: string[];
}

/** Where the dev image keeps ship's restarter for plain JVM apps. */
export const DEV_LAUNCHER = `${DEV_ROOT}/launcher`;
export const RESTARTER_CLASS = 'ShipRestart';
/** What the restarter prints once it has started the app's process again (the log line ship waits for). */
export const RESTARTER_STARTED = 'ship-restart: started';

/**
 * The java command of the dev pod: the project image's JVM options, the exploded classpath, JDWP
 * with --debug, and either DevTools' restart (Spring Boot: the JVM stays) or ship's restarter around
 * the app's process (plain JVM app). The image's options come first so that ship's -D properties
 * win (the last of two equal ones does); the restarter's own JVM gets none of them.
 */
export function devCommand(plan: Pick<DevImagePlan, 'mainClass' | 'debugPort' | 'restarter' | 'jvmOptions'>): string[] {
  const app = ['java', ...(plan.jvmOptions ?? []), ...(plan.debugPort ? [jdwpOption(plan.debugPort)] : []), ...(plan.restarter ? [] : devtoolsProperties()), '-cp', `${DEV_CLASSES}:${DEV_LIB}/*`, plan.mainClass];
  return plan.restarter ? ['java', '-cp', DEV_LAUNCHER, RESTARTER_CLASS, `${DEV_CLASSES}/${TRIGGER_FILE}`, ...app] : app;
}

/**
 * The dev layer on top of the project's image. The directories are writable by any user (the
 * image may run as a non-root user, and each sync writes into the classes directory).
 */
export function devDockerfile(plan: DevImagePlan): string {
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(plan.mainClass)) throw new Error(`not a Java class name: ${plan.mainClass}`);
  return [
    '# Generated by ship for `ship dev` (never written to the project): the project image plus the',
    '# exploded application, started on the classpath so it can be restarted in place (Spring Boot',
    '# DevTools, or ship\'s restarter around the java process of a plain JVM app).',
    `FROM ${plan.baseRef}`,
    `COPY ship-dev/ ${DEV_ROOT}/`,
    ...(plan.debugPort ? [`EXPOSE ${plan.debugPort}`] : []),
    `ENTRYPOINT ${JSON.stringify(devCommand(plan))}`,
    'CMD []',
    '',
  ].join('\n');
}

/** One-shot `ship --debug`: the project image with the JDWP agent in JAVA_TOOL_OPTIONS (kept from the image, appended to). */
export function debugDockerfile(baseRef: string, port: number): string {
  return [
    '# Generated by ship for --debug (never written to the project): the JDWP agent for every JVM of the image.',
    `FROM ${baseRef}`,
    `ENV JAVA_TOOL_OPTIONS="${jdwpOption(port)} \${JAVA_TOOL_OPTIONS}"`,
    `EXPOSE ${port}`,
    '',
  ].join('\n');
}

/** The dependency jars' names inside the image: unique, in classpath order (two jars may share a file name). */
export function libNames(jars: string[]): string[] {
  const seen = new Set<string>();
  return jars.map((jar) => {
    const base = posix.basename(jar.split('\\').join('/'));
    let name = base;
    for (let i = 2; seen.has(name); i++) name = base.replace(/\.jar$/, '') + `-${i}.jar`;
    seen.add(name);
    return name;
  });
}

// ---------------------------------------------------------------------------------------------
// The restart, as the app's log tells it

export type RestartLine = { kind: 'started'; seconds: number } | { kind: 'failed'; message: string };

/** Spring Boot's "Started App in 1.23 seconds" ends a restart; "APPLICATION FAILED TO START" or a failed context ends it badly. */
export function readRestartLine(line: string): RestartLine | undefined {
  const started = /\bStarted \S+ in (\d+(?:\.\d+)?) seconds/.exec(line);
  if (started) return { kind: 'started', seconds: Number(started[1]) };
  if (line.startsWith(RESTARTER_STARTED)) return { kind: 'started', seconds: 0 };
  if (/APPLICATION FAILED TO START/.test(line)) return { kind: 'failed', message: 'APPLICATION FAILED TO START' };
  if (/Application run failed|Exception encountered during context initialization/.test(line)) return { kind: 'failed', message: line.trim().slice(0, 300) };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Output

export interface LiveTimings {
  compileMs: number;
  syncMs: number;
  restartMs: number;
  /** From the end of the restart to the first answer through the forward. */
  answerMs: number;
  /** From the first save of the batch to the first answer. */
  totalMs: number;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `synced 2 classes → spring-pod (restart 1.1 s) · served 3.2 s after save` */
export function syncLine(files: string[], pods: string[], t: Pick<LiveTimings, 'restartMs' | 'totalMs'>): string {
  const target = pods.length <= 2 ? pods.join(', ') : `${pods.length} pods`;
  return `synced ${describeFiles(files)} → ${target} (restart ${secs(t.restartMs)}) · served ${secs(t.totalMs)} after save`;
}
