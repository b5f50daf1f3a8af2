// Live update's Gradle side as data: the commands ship runs, what it reads back from its init
// script, and which lines of a failed compile it shows.
import { describe, expect, it } from 'vitest';
import { BUILD_FACT_FILES, gradleCompileCommand, gradleErrorLines, gradleFactsCommand, parseGradleFacts } from '../../src/core/live-build.js';
import { FACTS_SCRIPT } from '../../src/adapters/live/gradle.js';
import { liveUnsupported } from '../../src/tasks/dev-image.js';
import { compileIncremental } from '../../src/adapters/live/maven.js';

describe('Gradle commands', () => {
  it('the compile after a save is `classes`, offline and quiet, with the project\'s own command', () => {
    expect(gradleCompileCommand({ cmd: './gradlew' })).toEqual(['./gradlew', ['-q', '--offline', 'classes']]);
    expect(gradleCompileCommand({ cmd: 'gradle' })).toEqual(['gradle', ['-q', '--offline', 'classes']]);
  });
  it('the facts run adds ship\'s init script and where to write, and the devtools version only for a Spring Boot app', () => {
    expect(gradleFactsCommand({ cmd: './gradlew' }, '/c/facts.gradle', '/t/f.txt')).toEqual(['./gradlew', ['-q', '-I', '/c/facts.gradle', '-Dship.facts=/t/f.txt', 'classes']]);
    expect(gradleFactsCommand({ cmd: './gradlew' }, '/c/facts.gradle', '/t/f.txt', '3.5.7')[1]).toContain('-Dship.devtools=3.5.7');
    expect(() => gradleFactsCommand({ cmd: 'gradle' }, '/c/s', '/t/f', '3.5.7 -Devil')).toThrow(/unexpected Spring Boot version/);
  });
  it('the init script only reads the model, and only when asked', () => {
    expect(FACTS_SCRIPT).toMatch(/System\.getProperty\('ship\.facts'\)/);
    expect(FACTS_SCRIPT).not.toMatch(/\.write|delete\(|exec\s*\{/);
  });
  it('every Gradle build file decides the classpath', () => {
    expect(BUILD_FACT_FILES.gradle).toEqual(expect.arrayContaining(['build.gradle', 'build.gradle.kts', 'settings.gradle', 'gradle.properties']));
    expect(BUILD_FACT_FILES.maven).toEqual(['pom.xml']);
  });
});

describe('parseGradleFacts', () => {
  it('output directories in classpath order (classes, then resources), jars in order, devtools apart', () => {
    const text = [
      'classes=/p/build/classes/java/main',
      'classes=/p/build/classes/kotlin/main',
      'resources=/p/build/resources/main',
      'jar=/g/spring-web-6.2.jar',
      'jar=/p/lib/build/classes/java/main',
      'jar=/g/spring-web-6.2.jar',
      'devtools=/g/spring-boot-devtools-3.5.7.jar',
      '',
    ].join('\n');
    expect(parseGradleFacts(text)).toEqual({
      outputDirs: ['/p/build/classes/java/main', '/p/build/classes/kotlin/main', '/p/build/resources/main'],
      jars: ['/g/spring-web-6.2.jar', '/p/lib/build/classes/java/main'],
      devtools: '/g/spring-boot-devtools-3.5.7.jar',
    });
  });
  it('a path with "=" in it is kept whole', () => {
    expect(parseGradleFacts('classes=/p/a=b/classes\n')).toEqual({ outputDirs: ['/p/a=b/classes'], jars: [] });
  });
  it("the script's refusal, or no output directory, is an error with the reason", () => {
    expect(parseGradleFacts('error=the root project does not apply the java plugin\n')).toEqual({ error: 'the root project does not apply the java plugin' });
    expect(parseGradleFacts('jar=/g/a.jar\n')).toEqual({ error: expect.stringMatching(/no output directory/) });
  });
});

describe('gradleErrorLines', () => {
  // Recorded from Debian's Gradle 4.4.1 compiling test/fixtures/gradle-app with a missing ';'.
  const javac = [
    'openjdk version "17.0.15" 2025-04-15',
    '/tmp/gx/gradle-app/src/main/java/gradleapp/Main.java:46: error: \';\' expected',
    '    static final String GREETING = "hello from gradle-app v1"',
    '                                                             ^',
    '1 error',
    '',
    'FAILURE: Build failed with an exception.',
    '',
    '* What went wrong:',
    "Execution failed for task ':compileJava'.",
    '> Compilation failed; see the compiler error output for details.',
    '',
    '* Try:',
    'Run with --stacktrace option to get the stack trace.',
  ];
  it("javac's lines, from the first error to Gradle's banner", () => {
    expect(gradleErrorLines(javac)).toEqual([
      "/tmp/gx/gradle-app/src/main/java/gradleapp/Main.java:46: error: ';' expected",
      '    static final String GREETING = "hello from gradle-app v1"',
      '                                                             ^',
      '1 error',
    ]);
  });
  it('Kotlin errors', () => {
    expect(gradleErrorLines(['e: file:///p/src/main/kotlin/App.kt:3:5 Unresolved reference: foo', 'FAILURE: Build failed'])).toEqual(['e: file:///p/src/main/kotlin/App.kt:3:5 Unresolved reference: foo']);
  });
  it('no compiler line: what Gradle says went wrong', () => {
    expect(gradleErrorLines(['FAILURE: Build failed with an exception.', '', '* What went wrong:', 'Could not resolve all files for configuration.', '', '* Try:', 'x'])).toEqual(['Could not resolve all files for configuration.']);
  });
});

describe('liveUnsupported', () => {
  it('Maven and Gradle projects are live-updated; a Dockerfile-only app is not', () => {
    expect(liveUnsupported({ builder: 'gradle', buildCommand: ['./gradlew', ['clean', 'build']] })).toBeUndefined();
    expect(liveUnsupported({ builder: 'maven', buildCommand: ['mvn', ['-B', 'package']] })).toBeUndefined();
    expect(liveUnsupported({ builder: 'none' })).toMatch(/Dockerfile builds the app/);
  });
});

describe('compileIncremental: the warm Maven serves ./mvnw projects too', () => {
  const runner = (calls: string[]) => ({
    run: async (bin: string) => {
      calls.push(`process ${bin}`);
      return { exitCode: 0, tail: [] };
    },
  });
  const daemon = (exitCode: number, calls: string[]) => ({
    alive: true,
    run: async (dir: string) => {
      calls.push(`warm ${dir}`);
      return { exitCode, tail: ['[ERROR] /p/src/main/java/A.java:[3,5] cannot find symbol', '[ERROR] -> [Help 1]'] };
    },
  });
  const base = { env: {}, signal: new AbortController().signal };
  it.each(['mvn', './mvnw'])('%s: compiled in the warm Maven, no process', async (mvn) => {
    const calls: string[] = [];
    expect(await compileIncremental({ dir: '/p', mvn }, { ...base, runner: runner(calls) as never, daemon: daemon(0, calls) })).toEqual({ ok: true });
    expect(calls).toEqual(['warm /p']);
  });
  it("a compile error in the warm Maven: the compiler's lines, without Maven's advice", async () => {
    const calls: string[] = [];
    expect(await compileIncremental({ dir: '/p', mvn: './mvnw' }, { ...base, runner: runner(calls) as never, daemon: daemon(1, calls) })).toEqual({ ok: false, lines: ['[ERROR] /p/src/main/java/A.java:[3,5] cannot find symbol'] });
  });
  it('the warm Maven gone: the same compile runs as a process', async () => {
    const calls: string[] = [];
    expect(await compileIncremental({ dir: '/p', mvn: './mvnw' }, { ...base, runner: runner(calls) as never, daemon: daemon(-1, calls) })).toEqual({ ok: true });
    expect(calls).toEqual(['warm /p', 'process ./mvnw']);
  });
});
