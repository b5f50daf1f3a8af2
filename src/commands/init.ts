// `ship init [dir]`: write into the project what ship would otherwise generate in memory — the
// Dockerfile, a Pod manifest (k8s/pod.yaml) — and a commented ship.yaml. An existing file is never
// overwritten without --force: ship init then writes nothing, names the files and exits with 3
// (project); --skip-existing writes only the missing ones.

import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { CommandIo } from './io.js';
import { createOutput } from '../pipeline/output.js';
import { ShipError } from '../errors.js';
import { configTemplate } from '../core/config.js';
import { parsePort } from '../core/options.js';
import { chooseJar, detectProject, type FileView } from '../core/project.js';
import { generateDockerfile, type JarInfo } from '../core/dockerfile.js';
import { readJarInfo } from '../adapters/jar.js';
import { generatePodManifest, generatedPodName } from '../core/manifest/pod.js';
import { listImages } from '../core/manifest/parse.js';
import { findManifests } from '../adapters/manifest-files.js';
import { imageNameFor } from '../core/tag.js';
import { fileView } from '../adapters/fs-view.js';
import type { ProjectInfo } from '../core/model.js';

export interface InitFlags {
  force?: boolean;
  skipExisting?: boolean;
  port?: string;
  json?: boolean;
}

export interface InitFile {
  /** Relative to the project. */
  path: string;
  text: string;
  /** What it is, for the report. */
  what: string;
}

export interface InitPlan {
  write: InitFile[];
  /** Files that exist and would be overwritten. */
  conflicts: string[];
  /** Files left alone, with why. */
  skipped: Array<{ path: string; why: string }>;
  /** Assumptions the user should know about. */
  notes: string[];
}

/** The jar the Dockerfile copies, when the project has not been built yet: the build's default name. */
export function expectedJar(project: ProjectInfo, fs: FileView): { jarName: string; springBootVersion?: string; boot: boolean } {
  const gradle = ['build.gradle', 'build.gradle.kts'].map((f) => fs.read(f) ?? '').join('\n');
  const pom = fs.read('pom.xml') ?? '';
  const text = gradle + pom;
  const boot = /org\.springframework\.boot|spring-boot-starter|spring-boot-maven-plugin/.test(text);
  if (project.builder === 'maven') {
    const own = pom.replace(/<parent>[\s\S]*?<\/parent>/, '');
    const artifact = /<artifactId>\s*([^<\s]+)\s*<\/artifactId>/.exec(own)?.[1] ?? project.name;
    const version = /<version>\s*([^<\s]+)\s*<\/version>/.exec(own)?.[1];
    const parentBoot = /<parent>[\s\S]*?spring-boot-starter-parent[\s\S]*?<version>\s*([^<\s]+)\s*<\/version>/.exec(pom)?.[1];
    return { jarName: `target/${artifact}${version ? `-${version}` : ''}.jar`, springBootVersion: parentBoot, boot };
  }
  const version = /^\s*version\s*=?\s*['"]([^'"]+)['"]/m.exec(gradle)?.[1];
  const plugin = /id\s*\(?\s*['"]org\.springframework\.boot['"]\s*\)?\s*version\s*['"]([^'"]+)['"]/.exec(gradle)?.[1];
  return { jarName: `build/libs/${project.name}${version ? `-${version}` : ''}.jar`, springBootVersion: plugin, boot };
}

/** The generated Pod's name (as the manifest step names it). */
export const podNameFor = generatedPodName;

export interface PlanInitInput {
  project: ProjectInfo;
  fs: FileView;
  /** The built jar when there is one (exact facts), else undefined (the build's default name is assumed). */
  jar?: { rel: string; info: JarInfo };
  /** Manifests the project already has (relative paths): then no Pod manifest is written. */
  manifests: string[];
  /** The image repository ship would build. */
  repository: string;
  port: number;
  exists: (rel: string) => boolean;
  force: boolean;
  skipExisting: boolean;
}

/** Which files to write. Pure. */
export function planInit(i: PlanInitInput): InitPlan {
  const plan: InitPlan = { write: [], conflicts: [], skipped: [], notes: [] };
  const candidates: InitFile[] = [];

  // Dockerfile
  if (i.project.builder === 'none') {
    plan.skipped.push({ path: 'Dockerfile', why: 'the project builds with its own Dockerfile (builder none)' });
  } else {
    let text: string;
    if (i.jar) {
      text = generateDockerfile({
        jarName: i.jar.rel,
        port: i.port,
        layered: i.jar.info.layered,
        layers: i.jar.info.layers,
        ...(i.jar.info.springBootVersion ? { springBootVersion: i.jar.info.springBootVersion } : {}),
      });
    } else {
      const guess = expectedJar(i.project, i.fs);
      text = generateDockerfile({ jarName: guess.jarName, port: i.port, layered: guess.boot, ...(guess.springBootVersion ? { springBootVersion: guess.springBootVersion } : {}) });
      plan.notes.push(`The project is not built yet: the Dockerfile copies ${guess.jarName} (the build's default jar name)${guess.boot ? ' as a Spring Boot layered jar' : ''}; check it after the first build.`);
    }
    text = text.replace(/^# Generated by ship[^\n]*\n/, '# Written by ship init: the Dockerfile ship generates for this project. ship uses it as it is; edit freely.\n');
    candidates.push({ path: 'Dockerfile', text, what: i.jar ? `Dockerfile for ${i.jar.rel}` : 'Dockerfile' });
  }

  // Pod manifest
  if (i.manifests.length > 0) {
    plan.skipped.push({ path: 'k8s/pod.yaml', why: `the project already has manifests (${i.manifests.join(', ')})` });
  } else {
    let text = generatePodManifest({ name: podNameFor(i.project.name), image: i.repository, port: i.port, actuator: i.project.actuator });
    text = text.replace(/^# Generated by ship[^\n]*\n/, `# Written by ship init. ship replaces the image "${i.repository}" with the one it builds (immutable tag, IfNotPresent).\n`);
    candidates.push({ path: 'k8s/pod.yaml', text, what: `Pod manifest (image ${i.repository}, port ${i.port})` });
  }

  // ship.yaml
  candidates.push({ path: 'ship.yaml', text: configTemplate({ port: i.port, builder: i.project.builder }), what: 'ship.yaml with every setting commented out' });

  for (const c of candidates) {
    if (i.exists(c.path) && !i.force) {
      if (i.skipExisting) plan.skipped.push({ path: c.path, why: 'exists (--force overwrites)' });
      else plan.conflicts.push(c.path);
    } else plan.write.push(c);
  }
  if (plan.conflicts.length > 0) plan.write = [];
  return plan;
}

export async function runInitCommand(dir: string, flags: InitFlags, io: CommandIo): Promise<number> {
  const out = createOutput({ json: flags.json ?? false, stdout: io.stdout, stderr: io.stderr });
  const projectDir = isAbsolute(dir) ? dir : resolve(io.cwd, dir);
  const fs = fileView(projectDir);
  // A project ship init writes a Dockerfile for must have a build; ignore an existing Dockerfile
  // when deciding (its presence is a conflict, not a reason to say "builder none").
  const project = detectProject(projectDir, fs, { skipTests: false });
  const port = parsePort(flags.port ?? '8080').remote ?? parsePort(flags.port ?? '8080').local;

  let jar: PlanInitInput['jar'];
  if (project.builder !== 'none') {
    try {
      const abs = chooseJar(projectDir, project.builder, fs);
      jar = { rel: relative(projectDir, abs).split('\\').join('/'), info: await readJarInfo(abs) };
    } catch {
      jar = undefined; // not built (or ambiguous): the default jar name is assumed and said so
    }
  }
  const sources = await findManifests(projectDir, []);
  const plan = planInit({
    project,
    fs,
    jar,
    manifests: sources.map((s) => relative(projectDir, s.file)),
    repository: imageNameFor({ manifestImages: listImages(sources), rootProjectName: project.name, dirName: basename(projectDir) }),
    port: port || 8080,
    exists: (rel) => existsSync(join(projectDir, rel)),
    force: flags.force ?? false,
    skipExisting: flags.skipExisting ?? false,
  });

  if (plan.conflicts.length > 0) {
    throw new ShipError('project', `ship init would overwrite ${plan.conflicts.join(', ')} in ${projectDir}; nothing was written.`, {
      hint: 'Add --force to overwrite them, or --skip-existing to write only the missing files.',
    });
  }
  for (const f of plan.write) {
    const abs = join(projectDir, f.path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, f.text);
    out.info(`wrote ${f.path} · ${f.what}`);
  }
  for (const s of plan.skipped) out.info(`kept  ${s.path} · ${s.why}`);
  for (const n of plan.notes) out.info(`note: ${n}`);
  if (plan.write.length) out.info(`Next: ship ${dir === '.' ? '' : dir}`.trimEnd());
  out.event({ type: 'result', ok: true, exitCode: 0, wrote: plan.write.map((f) => f.path), kept: plan.skipped, notes: plan.notes });
  return 0;
}
