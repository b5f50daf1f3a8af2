// Reading a project: which build it uses, what the app is called, which jar the build made.
// Pure decisions over a small file view, so unit tests use plain in-memory fixtures.

import { basename, join } from 'node:path';
import { ShipError } from '../errors.js';
import type { BuilderName, ProjectInfo } from './model.js';

/** The few file-system questions project detection asks; the real one is in adapters/fs-view.ts. */
export interface FileView {
  isDirectory(rel?: string): boolean;
  exists(rel: string): boolean;
  isExecutable(rel: string): boolean;
  read(rel: string): string | undefined;
  list(rel: string): string[];
}

export interface DetectOptions {
  builder?: BuilderName;
  skipTests: boolean;
  /** Absolute path of --dockerfile. */
  dockerfile?: string;
}

const GRADLE_FILES = ['build.gradle', 'build.gradle.kts'];
const SETTINGS_FILES = ['settings.gradle', 'settings.gradle.kts'];

export function detectProject(dir: string, fs: FileView, opts: DetectOptions): ProjectInfo {
  if (!fs.isDirectory()) {
    throw new ShipError('project', `${dir} is not a directory.`, {
      hint: 'Give ship the folder of a Spring Boot project: ship ./my-spring-app',
    });
  }
  const hasGradle = GRADLE_FILES.some((f) => fs.exists(f));
  const hasPom = fs.exists('pom.xml');
  const dockerfile = opts.dockerfile ?? (fs.exists('Dockerfile') ? join(dir, 'Dockerfile') : undefined);

  let builder: BuilderName;
  if (opts.builder) builder = opts.builder;
  else if (fs.exists('gradlew') || hasGradle) builder = 'gradle';
  else if (fs.exists('mvnw') || hasPom) builder = 'maven';
  else if (dockerfile) builder = 'none';
  else {
    throw new ShipError('project', `${dir} has no build file (build.gradle, pom.xml) and no Dockerfile.`, {
      hint: 'Run ship in a Gradle or Maven project, or add a Dockerfile that builds the app (then ship uses --builder none).',
    });
  }

  const buildCommand = builder === 'none' ? undefined : planBuildCommand(builder, fs, opts.skipTests, dir);
  const buildText = [...GRADLE_FILES, 'pom.xml'].map((f) => fs.read(f) ?? '').join('\n');
  return {
    dir,
    name: projectName(dir, fs),
    builder,
    buildCommand,
    dockerfile,
    actuator: buildText.includes('spring-boot-starter-actuator'),
  };
}

/** The build command as data: [command, args]. */
export function planBuildCommand(builder: 'gradle' | 'maven', fs: FileView, skipTests: boolean, dir: string): [string, string[]] {
  if (builder === 'gradle') {
    const args = ['clean', 'build', ...(skipTests ? ['-x', 'test'] : [])];
    if (fs.exists('gradlew')) {
      if (!fs.isExecutable('gradlew')) {
        throw new ShipError('project', `${join(dir, 'gradlew')} is not executable.`, {
          hint: `Make it executable with: chmod +x ${join(dir, 'gradlew')} (and commit it with git update-index --chmod=+x gradlew).`,
        });
      }
      return ['./gradlew', args];
    }
    if (!GRADLE_FILES.some((f) => fs.exists(f))) {
      throw new ShipError('project', `--builder gradle, but ${dir} has no gradlew and no build.gradle.`, {
        hint: 'Pick the builder the project uses (--builder maven|none) or drop --builder.',
      });
    }
    return ['gradle', args];
  }
  const args = ['-B', 'package', ...(skipTests ? ['-DskipTests'] : [])];
  if (fs.exists('mvnw')) {
    if (!fs.isExecutable('mvnw')) {
      throw new ShipError('project', `${join(dir, 'mvnw')} is not executable.`, {
        hint: `Make it executable with: chmod +x ${join(dir, 'mvnw')}`,
      });
    }
    return ['./mvnw', args];
  }
  if (!fs.exists('pom.xml')) {
    throw new ShipError('project', `--builder maven, but ${dir} has no pom.xml.`, {
      hint: 'Pick the builder the project uses (--builder gradle|none) or drop --builder.',
    });
  }
  return ['mvn', args];
}

/** rootProject.name, else the pom's own artifactId, else the directory name; lowercased for image names. */
export function projectName(dir: string, fs: FileView): string {
  for (const f of SETTINGS_FILES) {
    const m = fs.read(f)?.match(/rootProject\.name\s*=\s*['"]([^'"]+)['"]/);
    if (m) return sanitizeName(m[1]);
  }
  const pom = fs.read('pom.xml');
  if (pom) {
    // The project's own artifactId: drop the <parent> block first, it has one too.
    const own = pom.replace(/<parent>[\s\S]*?<\/parent>/, '').match(/<artifactId>\s*([^<\s]+)\s*<\/artifactId>/);
    if (own) return sanitizeName(own[1]);
  }
  return sanitizeName(basename(dir));
}

/** A name valid as an image repository and a Kubernetes label value. */
export function sanitizeName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 63);
  return cleaned || 'app';
}

/** Where each builder leaves its jar. Maven projects may redirect the build directory, so look in both. */
export function jarDirs(builder: BuilderName): string[] {
  if (builder === 'gradle') return ['build/libs'];
  if (builder === 'maven') return ['target', 'build/libs'];
  return [];
}

const NOT_THE_APP = /(-plain|-sources|-javadoc|-tests|-test-fixtures)\.jar$/;

/** The one runnable jar the build produced; zero or several is an error naming what was found. */
export function chooseJar(dir: string, builder: BuilderName, fs: FileView): string {
  const looked: string[] = [];
  for (const d of jarDirs(builder)) {
    if (!fs.isDirectory(d)) continue;
    looked.push(d);
    const all = fs.list(d).filter((f) => f.endsWith('.jar'));
    const jars = all.filter((f) => !NOT_THE_APP.test(f));
    if (jars.length === 1) return join(dir, d, jars[0]);
    if (jars.length > 1) {
      throw new ShipError('build', `The build left ${jars.length} jars in ${join(dir, d)}: ${jars.join(', ')}; ship cannot tell which one is the app.`, {
        hint: 'Remove the stale ones (a clean build does that) or build only one runnable jar.',
      });
    }
    if (all.length > 0) {
      throw new ShipError('build', `The build left only ${all.join(', ')} in ${join(dir, d)}, no runnable jar.`, {
        hint: 'Check that the Spring Boot plugin (bootJar / spring-boot-maven-plugin repackage) runs in this build.',
      });
    }
  }
  throw new ShipError('build', `The build finished but left no jar in ${jarDirs(builder).map((d) => join(dir, d)).join(' or ')}${looked.length ? '' : ' (the folder does not exist)'}.`, {
    hint: 'Check the build output: the jar task may be disabled, or the build writes somewhere else.',
  });
}
