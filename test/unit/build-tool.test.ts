// Build tool network failures, on output recorded for real (test/unit/fixtures/spring-logs/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBuildOutput, gradleWrapperDistribution, mavenWrapperDistribution } from '../../src/core/build-tool.js';

const log = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/build-logs', `${name}.log`), 'utf8').split('\n');
const exampleProps = readFileSync(join(import.meta.dirname, '../../examples/kubernetes-test-spring/gradle/wrapper/gradle-wrapper.properties'), 'utf8');

describe('wrapper distributions', () => {
  it("Gradle: URL, host, version and Gradle's cache folder (MD5 of the URL in base 36)", () => {
    const d = gradleWrapperDistribution(exampleProps)!;
    expect(d).toMatchObject({ tool: 'gradle', url: 'https://services.gradle.org/distributions/gradle-8.14.3-bin.zip', host: 'services.gradle.org', version: '8.14.3' });
    expect(d.cacheDir).toMatch(/^wrapper\/dists\/gradle-8\.14\.3-bin\/[0-9a-z]+$/);
    expect(d.okMarker).toBe(`${d.cacheDir}/gradle-8.14.3-bin.zip.ok`);
    // What Gradle's PathAssembler computes for this URL (new BigInteger(1, md5).toString(36), run in jshell).
    expect(d.cacheDir).toBe('wrapper/dists/gradle-8.14.3-bin/cv11ve7ro1n3o1j4so8xd9n66');
  });

  it('Maven: URL, host, version, cache folder', () => {
    const d = mavenWrapperDistribution('wrapperVersion=3.3.2\ndistributionType=only-script\ndistributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.9/apache-maven-3.9.9-bin.zip\n')!;
    expect(d).toMatchObject({ tool: 'maven', host: 'repo.maven.apache.org', version: '3.9.9', cacheDir: 'wrapper/dists/apache-maven-3.9.9-bin' });
  });
});


describe('analyzeBuildOutput on recorded failures', () => {
  it('the Gradle wrapper that cannot reach services.gradle.org: one line, the version, the host, the ways out', () => {
    const f = analyzeBuildOutput(log('gradle-wrapper-unreachable'), { command: './gradlew', hasPom: true, gradleOnPath: true, distribution: gradleWrapperDistribution(exampleProps) })!;
    expect(f.kind).toBe('wrapper-download');
    expect(f.message).toBe('The Gradle wrapper could not download Gradle 8.14.3 from services.gradle.org: its name does not resolve (https://services.gradle.org/distributions/gradle-8.14.3-bin.zip).');
    expect(f.hint).toContain('proxy');
    expect(f.hint).toContain('--builder gradle');
    expect(f.hint).toContain('--builder maven');
  });

  it('without a pom.xml, --builder maven is not offered', () => {
    const f = analyzeBuildOutput(log('gradle-wrapper-unreachable'), { command: './gradlew', hasPom: false })!;
    expect(f.hint).not.toContain('--builder maven');
    expect(f.version).toBe('8.14.3');
  });

  it('the Maven wrapper that cannot download Maven', () => {
    const f = analyzeBuildOutput(log('maven-wrapper-unreachable'), { command: './mvnw', hasPom: true })!;
    expect(f).toMatchObject({ kind: 'wrapper-download', tool: 'maven', host: '127.0.0.1:9', version: '3.9.9' });
    expect(f.message).toMatch(/^The Maven wrapper could not download Maven 3\.9\.9 from 127\.0\.0\.1:9: it could not be reached/);
  });

  it('a Maven repository that cannot be reached during dependency resolution', () => {
    const f = analyzeBuildOutput(log('maven-repo-unreachable'), { command: 'mvn', hasPom: true })!;
    expect(f.kind).toBe('repository-unreachable');
    expect(f.message).toBe('Maven could not download org.springframework.boot:spring-boot-starter-parent:pom:3.5.7 from the repository "company-nexus" at 127.0.0.1:9: the connection was refused (http://127.0.0.1:9/repository/maven-public/).');
    expect(f.hint).toContain('settings.xml');
  });

  it('offline Maven missing an artifact', () => {
    const f = analyzeBuildOutput(['[ERROR] Failed to execute goal on project x: Could not resolve dependencies for project com.example:x:jar:1: Cannot access central (https://repo.maven.apache.org/maven2) in offline mode and the artifact com.h2database:h2:jar:2.3.232 has not been downloaded from it before. -> [Help 1]'], { command: 'mvn', hasPom: true });
    expect(f?.message).toBe('Maven runs offline and com.h2database:h2:jar:2.3.232 is not in the local repository yet.');
  });

  it("a project's own compile error is not a build tool failure", () => {
    expect(analyzeBuildOutput(['[ERROR] /src/main/java/A.java:[3,1] cannot find symbol', '[ERROR] BUILD FAILURE'], { command: 'mvn', hasPom: true })).toBeUndefined();
    expect(analyzeBuildOutput(['> Task :compileJava FAILED', 'error: cannot find symbol'], { command: './gradlew', hasPom: false })).toBeUndefined();
  });
});
