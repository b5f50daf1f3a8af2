// Whether a project's Gradle or Maven wrapper has its distribution already (so the first build
// needs no network), else whether its host answers: a DNS lookup, then a TCP connect with a short
// timeout. For `ship doctor` and the build step's failure message.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { gradleWrapperDistribution, mavenWrapperDistribution, type WrapperDistribution } from '../core/build-tool.js';
import { homeDirectory } from './home.js';

export interface WrapperState {
  distribution: WrapperDistribution;
  /** Where it is (or would be) unpacked. */
  cachePath: string;
  cached: boolean;
}


/** The wrapper the build command runs (./gradlew or ./mvnw) and its distribution's cache state. */
export function wrapperState(projectDir: string, command: string, env: NodeJS.ProcessEnv): WrapperState | undefined {
  const read = (rel: string) => readText(projectDir, rel);
  if (command === './gradlew') {
    const text = read('gradle/wrapper/gradle-wrapper.properties');
    const d = text ? gradleWrapperDistribution(text) : undefined;
    if (!d) return undefined;
    const base = env.GRADLE_USER_HOME && isAbsolute(env.GRADLE_USER_HOME) ? env.GRADLE_USER_HOME : join(homeDirectory() ?? '/', '.gradle');
    const exact = existsSync(join(base, d.okMarker!));
    // Another hash folder of the same distribution (a URL spelled differently) unpacked too.
    const nameDir = join(base, d.cacheDir, '..');
    const zip = d.url.split('/').at(-1)!;
    const any = !exact && listDirs(nameDir).some((h) => existsSync(join(nameDir, h, `${zip}.ok`)));
    return { distribution: d, cachePath: join(base, d.cacheDir), cached: exact || any };
  }
  if (command === './mvnw') {
    const text = read('.mvn/wrapper/maven-wrapper.properties');
    const d = text ? mavenWrapperDistribution(text) : undefined;
    if (!d) return undefined;
    const base = mavenUserHome(env);
    return { distribution: d, cachePath: join(base, d.cacheDir), cached: unpackedMavenHomes(base, d.cacheDir).length > 0 };
  }
  return undefined;
}

function readText(projectDir: string, rel: string): string | undefined {
  try {
    return readFileSync(join(projectDir, rel), 'utf8');
  } catch {
    return undefined;
  }
}

function mavenUserHome(env: NodeJS.ProcessEnv): string {
  return env.MAVEN_USER_HOME && isAbsolute(env.MAVEN_USER_HOME) ? env.MAVEN_USER_HOME : join(homeDirectory() ?? '/', '.m2');
}

/**
 * Maven homes the wrapper unpacked for a distribution: wrapper 3.3 (`only-script`) unpacks into
 * `wrapper/dists/apache-maven-X/<hash>/` (the zip name without `-bin`), older wrappers into
 * `wrapper/dists/apache-maven-X-bin/<hash>/apache-maven-X/`.
 */
function unpackedMavenHomes(base: string, cacheDir: string): string[] {
  const homes: string[] = [];
  for (const dir of new Set([join(base, cacheDir), join(base, cacheDir.replace(/-bin$/, ''))])) {
    for (const h of listDirs(dir)) {
      for (const home of [join(dir, h), ...listDirs(join(dir, h)).map((m) => join(dir, h, m))]) if (existsSync(join(home, 'bin', 'mvn'))) homes.push(home);
    }
  }
  return homes;
}

/**
 * The Maven home `./mvnw` runs, once the wrapper has unpacked it (ship dev's warm Maven loads the
 * same Maven then); undefined before that, or without wrapper properties.
 */
export function mavenWrapperHome(projectDir: string, env: NodeJS.ProcessEnv): string | undefined {
  const text = readText(projectDir, '.mvn/wrapper/maven-wrapper.properties');
  const d = text ? mavenWrapperDistribution(text) : undefined;
  return d ? unpackedMavenHomes(mavenUserHome(env), d.cacheDir)[0] : undefined;
}

/** Whether an executable `cmd` is on PATH. */
export function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, cmd)));
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** undefined when the host answers; else why not, in a few words. */
export async function hostUnreachable(url: string, timeoutMs = 3000): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'the URL is not valid';
  }
  const port = Number(u.port || (u.protocol === 'http:' ? 80 : 443));
  let address: string;
  try {
    address = (await lookup(u.hostname)).address;
  } catch {
    return `${u.hostname} does not resolve`;
  }
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (why: string | undefined) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done(`${u.host} does not answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => done(`${u.host}: ${e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message)}`));
  });
}
