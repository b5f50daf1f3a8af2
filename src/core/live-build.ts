// What live update asks of the project's build tool, as data: which tool and command, the
// incremental compile (Maven `compile`, Gradle `classes`), and reading back what Gradle reported
// about its output directories and runtime classpath. Pure: the adapters run the commands.

/** The project's own build tool, as ship runs it for live update. */
export interface LiveBuild {
  tool: 'maven' | 'gradle';
  /** The project directory. */
  dir: string;
  /** The build command: './mvnw', 'mvn', './gradlew' or 'gradle'. */
  cmd: string;
}

/** The files whose text decides the runtime classpath: the dev facts are read again only when one changed. */
export const BUILD_FACT_FILES: Record<LiveBuild['tool'], string[]> = {
  maven: ['pom.xml'],
  gradle: ['build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts', 'gradle.properties', 'gradle/libs.versions.toml'],
};

/** What the dev image is made of, as the build tool tells it. */
export interface DevFacts {
  /**
   * The build output directories, in classpath order; the pod holds them merged in one classes
   * directory (Maven: target/classes; Gradle: build/classes/java/main, build/resources/main, …).
   */
  outputDirs: string[];
  /** Absolute paths of the runtime dependency jars, in classpath order. */
  jars: string[];
  /** spring-boot-devtools of the app's Spring Boot version (resolved by the build tool), for a Spring Boot app. */
  devtools?: string;
  /**
   * The Spring Boot version on the runtime classpath (spring-boot-<version>.jar): a Spring Boot app
   * even when its jar is a thin one without Spring-Boot-Version in its manifest.
   */
  bootVersion?: string;
}

/** The version of spring-boot-<version>.jar among the runtime jars (Maven's and Gradle's caches name them so). */
export function bootVersionOf(jars: string[]): string | undefined {
  for (const jar of jars) {
    const m = /(?:^|[\\/])spring-boot-(\d+\.\d+\.\d+[\w.-]*)\.jar$/.exec(jar);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Gradle's incremental compile of the main source set: `classes` (compileJava/compileKotlin and
 * processResources), offline, quiet — errors still print. The Gradle daemon is used as the project
 * configures it (org.gradle.daemon); ship neither forces nor stops it.
 */
export function gradleCompileCommand(b: Pick<LiveBuild, 'cmd'>): [string, string[]] {
  return [b.cmd, ['-q', '--offline', 'classes']];
}

/**
 * The same `classes` run with ship's init script (never written into the project): it writes the
 * main source set's output directories and runtime classpath to `factsFile`, and resolves
 * spring-boot-devtools through the project's own repositories — of `devtoolsVersion` (the jar's
 * Spring-Boot-Version), else of the spring-boot version on the runtime classpath.
 */
export function gradleFactsCommand(b: Pick<LiveBuild, 'cmd'>, initScript: string, factsFile: string, devtoolsVersion?: string): [string, string[]] {
  if (devtoolsVersion !== undefined && !/^[\w.-]+$/.test(devtoolsVersion)) throw new Error(`unexpected Spring Boot version "${devtoolsVersion}"`);
  return [b.cmd, ['-q', '-I', initScript, `-Dship.facts=${factsFile}`, ...(devtoolsVersion ? [`-Dship.devtools=${devtoolsVersion}`] : []), 'classes']];
}

/**
 * Reads the init script's report: `classes=`, `resources=`, `jar=`, `boot=`, `devtools=` lines, or
 * `error=` when the root project cannot be live-updated (the reason).
 */
export function parseGradleFacts(text: string): DevFacts | { error: string } {
  const outputDirs: string[] = [];
  const jars: string[] = [];
  let devtools: string | undefined;
  let bootVersion: string | undefined;
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (!value) continue;
    if (key === 'error') return { error: value };
    if (key === 'classes' || key === 'resources') {
      if (!outputDirs.includes(value)) outputDirs.push(value);
    } else if (key === 'jar') {
      // A directory on the runtime classpath (another project's classes) is kept like a jar.
      if (!jars.includes(value)) jars.push(value);
    } else if (key === 'devtools') devtools = value;
    else if (key === 'boot') bootVersion = value;
  }
  if (outputDirs.length === 0) return { error: 'Gradle reported no output directory for the main source set' };
  return { outputDirs, jars, ...(devtools ? { devtools } : {}), ...(bootVersion ? { bootVersion } : {}) };
}

/**
 * The compiler's lines from a failed Gradle run: from the first `file:line: error:` to Gradle's
 * "FAILURE:" banner; else the "What went wrong" block; else the tail.
 */
export function gradleErrorLines(tail: string[]): string[] {
  const first = tail.findIndex((l) => /:\d+: error:|^e: /.test(l));
  const failure = tail.findIndex((l) => l.startsWith('FAILURE:'));
  if (first >= 0) return tail.slice(first, failure > first ? failure : undefined).filter((l) => l.trim()).slice(0, 20);
  const wrong = tail.findIndex((l) => l.startsWith('* What went wrong'));
  if (wrong >= 0) {
    const end = tail.findIndex((l, i) => i > wrong && l.startsWith('* '));
    return tail.slice(wrong + 1, end > wrong ? end : undefined).filter((l) => l.trim()).slice(0, 20);
  }
  return tail.filter((l) => l.trim()).slice(-20);
}
