// The dev image of `ship dev`: the project's image (built from its own Dockerfile, or ship's
// generated one) plus one layer holding the exploded application — the build output and the
// runtime dependency jars (spring-boot-devtools added) — started on the classpath so DevTools'
// restart classloader can reload the classes live updates copy in. Its tag derives from what goes
// into it; an existing image with that tag is reused.

import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { DockerApi } from '../docker/api.js';
import { join } from 'node:path';
import { RESTARTER_CLASS, debugDockerfile, devDockerfile, libNames, type DevImagePlan, type OutputSnapshot } from '../../core/live-plan.js';
import { jvmOptionsOf } from '../../core/jvm-options.js';
import { tarOf, type TarEntry } from './tar.js';
import type { ImageResult } from '../../core/model.js';

export const DEV_LABEL = 'io.ship.dev';

export interface DevImageInput {
  docker: Pick<DockerApi, 'buildImage' | 'inspectImage'>;
  /** The project image. */
  base: { ref: string; id: string; repository: string };
  /** Where a file of `classes` is on this machine (one of the build's output directories). */
  locate: (path: string) => string;
  /** What the output directories hold now, merged (the pod's classes directory starts from exactly this). */
  classes: OutputSnapshot;
  /** Runtime classpath jars, in order (devtools included). */
  jars: string[];
  mainClass: string;
  debugPort?: number;
  /** A plain JVM app: the directory holding ship's compiled restarter (restarter.ts). */
  restarterDir?: string;
  app: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/** The dev image's tag: the dev layer's content, the base image and the launch. */
export async function devTag(input: Omit<DevImageInput, 'docker' | 'locate'>, dockerfile: string): Promise<string> {
  const h = createHash('sha256').update(dockerfile).update('\0').update(input.base.id);
  for (const [path, digest] of [...input.classes].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`\0c:${path}:${digest}`);
  for (const jar of input.jars) {
    const st = await stat(jar);
    h.update(`\0j:${jar}:${st.size}:${st.mtimeMs}`);
  }
  return `ship-dev-${h.digest('hex').slice(0, 12)}`;
}

/** The dev image, and why the project image's JVM options could not be carried into it (when they could not). */
export async function buildDevImage(input: DevImageInput): Promise<ImageResult & { jvmOptionsNote?: string }> {
  const names = libNames(input.jars);
  const baseInfo = await input.docker.inspectImage(input.base.ref);
  const jvm = jvmOptionsOf(baseInfo?.entrypoint, baseInfo?.cmd);
  const note = jvm.note ? { jvmOptionsNote: jvm.note } : {};
  const plan: DevImagePlan = { baseRef: input.base.ref, mainClass: input.mainClass, libs: names, ...(input.debugPort ? { debugPort: input.debugPort } : {}), ...(input.restarterDir ? { restarter: true } : {}), ...(jvm.options.length ? { jvmOptions: jvm.options } : {}) };
  const dockerfile = devDockerfile(plan);
  const tag = await devTag(input, dockerfile);
  const ref = `${input.base.repository}:${tag}`;
  const existing = await input.docker.inspectImage(ref);
  if (existing) return { id: existing.id, repository: input.base.repository, tag, ref, unchanged: true, ...note };

  const entries: TarEntry[] = [{ name: 'Dockerfile', from: Buffer.from(dockerfile), mode: 0o644 }, { name: 'ship-dev', from: 'directory' }, { name: 'ship-dev/classes', from: 'directory' }, { name: 'ship-dev/lib', from: 'directory', mode: 0o755 }];
  const dirs = new Set<string>();
  for (const path of [...input.classes.keys()].sort()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ name: `ship-dev/classes/${d}`, from: 'directory' });
      }
    }
    entries.push({ name: `ship-dev/classes/${path}`, from: input.locate(path) });
  }
  input.jars.forEach((jar, i) => entries.push({ name: `ship-dev/lib/${names[i]}`, from: jar, mode: 0o644 }));
  if (input.restarterDir) {
    entries.push({ name: 'ship-dev/launcher', from: 'directory', mode: 0o755 });
    entries.push({ name: `ship-dev/launcher/${RESTARTER_CLASS}.class`, from: join(input.restarterDir, `${RESTARTER_CLASS}.class`), mode: 0o644 });
  }
  const { id } = await input.docker.buildImage({
    context: tarOf(entries),
    dockerfile: 'Dockerfile',
    tags: [ref],
    labels: { [DEV_LABEL]: 'true', 'io.ship.app': input.app },
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.onLine ? { onLine: input.onLine } : {}),
  });
  return { id, repository: input.base.repository, tag, ref, unchanged: false, ...note };
}

/** `ship --debug`: the project image with the JDWP agent switched on (JAVA_TOOL_OPTIONS). */
export async function buildDebugImage(docker: Pick<DockerApi, 'buildImage' | 'inspectImage'>, base: { ref: string; id: string; repository: string; tag: string }, port: number, signal?: AbortSignal): Promise<ImageResult> {
  const dockerfile = debugDockerfile(base.ref, port);
  const tag = `${base.tag}-debug${port === 5005 ? '' : port}`;
  const ref = `${base.repository}:${tag}`;
  const existing = await docker.inspectImage(ref);
  if (existing && existing.labels['io.ship.debug-base'] === base.id) return { id: existing.id, repository: base.repository, tag, ref, unchanged: true };
  const { id } = await docker.buildImage({
    context: tarOf([{ name: 'Dockerfile', from: Buffer.from(dockerfile), mode: 0o644 }]),
    dockerfile: 'Dockerfile',
    tags: [ref],
    labels: { 'io.ship.debug-base': base.id },
    ...(signal ? { signal } : {}),
  });
  return { id, repository: base.repository, tag, ref, unchanged: false };
}
