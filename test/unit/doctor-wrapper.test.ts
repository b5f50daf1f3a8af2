import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wrapperCheck } from '../../src/commands/doctor-wrapper.js';
import { hostUnreachable, mavenWrapperHome, wrapperState } from '../../src/adapters/wrapper-dist.js';

const example = join(import.meta.dirname, '../../examples/kubernetes-test-spring');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ship-wrapper-'));
  dirs.push(d);
  return d;
};
const project = { dir: example, buildCommand: ['./gradlew', ['clean', 'build']] as [string, string[]] };

describe('doctor: the wrapper distribution', () => {
  it("not downloaded and its host unreachable: fails with Gradle's version, the host and the ways out", async () => {
    const gradleHome = temp();
    const c = await wrapperCheck(project, { hasPom: true, gradleOnPath: false }, { GRADLE_USER_HOME: gradleHome }, { state: wrapperState, unreachable: async () => 'services.gradle.org does not resolve' });
    expect(c).toMatchObject({ id: 'build-distribution', ok: false, required: true });
    expect(c!.detail).toBe(`./gradlew needs Gradle 8.14.3 from https://services.gradle.org/distributions/gradle-8.14.3-bin.zip, which is not downloaded (${gradleHome}/wrapper/dists/gradle-8.14.3-bin/cv11ve7ro1n3o1j4so8xd9n66) and cannot be: services.gradle.org does not resolve`);
    expect(c!.fix).toContain('--builder maven');
  });

  it('already downloaded (the .ok marker Gradle writes): ok without asking the network', async () => {
    const gradleHome = temp();
    const dir = join(gradleHome, 'wrapper/dists/gradle-8.14.3-bin/cv11ve7ro1n3o1j4so8xd9n66');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'gradle-8.14.3-bin.zip.ok'), '');
    const c = await wrapperCheck(project, { hasPom: true, gradleOnPath: false }, { GRADLE_USER_HOME: gradleHome }, { state: wrapperState, unreachable: async () => { throw new Error('asked'); } });
    expect(c).toMatchObject({ ok: true });
  });

  it('a Maven wrapper whose distribution is unpacked under ~/.m2/wrapper/dists', async () => {
    const proj = temp();
    cpSync(join(import.meta.dirname, '../fixtures/spring-failures/pom.xml'), join(proj, 'pom.xml'));
    mkdirSync(join(proj, '.mvn/wrapper'), { recursive: true });
    writeFileSync(join(proj, '.mvn/wrapper/maven-wrapper.properties'), 'distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.9/apache-maven-3.9.9-bin.zip\n');
    const m2 = temp();
    const p = { dir: proj, buildCommand: ['./mvnw', ['-B', 'package']] as [string, string[]] };
    const down = await wrapperCheck(p, { hasPom: true, gradleOnPath: false }, { MAVEN_USER_HOME: m2 }, { state: wrapperState, unreachable: async () => 'repo.maven.apache.org: connection refused' });
    expect(down).toMatchObject({ ok: false });
    mkdirSync(join(m2, 'wrapper/dists/apache-maven-3.9.9-bin/abc123/apache-maven-3.9.9/bin'), { recursive: true });
    writeFileSync(join(m2, 'wrapper/dists/apache-maven-3.9.9-bin/abc123/apache-maven-3.9.9/bin/mvn'), '');
    expect(await wrapperCheck(p, { hasPom: true, gradleOnPath: false }, { MAVEN_USER_HOME: m2 })).toMatchObject({ ok: true });
  });

  it('Maven wrapper 3.3 (only-script) unpacks into wrapper/dists/apache-maven-X/<hash>/ without -bin: counted as cached, and its home is what the warm Maven loads', async () => {
    const proj = temp();
    mkdirSync(join(proj, '.mvn/wrapper'), { recursive: true });
    writeFileSync(join(proj, '.mvn/wrapper/maven-wrapper.properties'), 'wrapperVersion=3.3.4\ndistributionType=only-script\ndistributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.8.7/apache-maven-3.8.7-bin.zip\n');
    const m2 = temp();
    expect(wrapperState(proj, './mvnw', { MAVEN_USER_HOME: m2 })).toMatchObject({ cached: false });
    expect(mavenWrapperHome(proj, { MAVEN_USER_HOME: m2 })).toBeUndefined();
    // The layout ./mvnw 3.3.4 left on this machine: the hash folder is the Maven home.
    mkdirSync(join(m2, 'wrapper/dists/apache-maven-3.8.7/94bb59d1/bin'), { recursive: true });
    writeFileSync(join(m2, 'wrapper/dists/apache-maven-3.8.7/94bb59d1/bin/mvn'), '');
    expect(wrapperState(proj, './mvnw', { MAVEN_USER_HOME: m2 })).toMatchObject({ cached: true });
    expect(mavenWrapperHome(proj, { MAVEN_USER_HOME: m2 })).toBe(join(m2, 'wrapper/dists/apache-maven-3.8.7/94bb59d1'));
    expect(mavenWrapperHome(temp(), { MAVEN_USER_HOME: m2 })).toBeUndefined();
  });

  it('not a wrapper: no check', async () => {
    expect(await wrapperCheck({ dir: example, buildCommand: ['mvn', ['-B', 'package']] }, { hasPom: true, gradleOnPath: false }, {})).toBeUndefined();
  });

  it('hostUnreachable: a port on loopback where nothing listens', async () => {
    expect(await hostUnreachable('http://127.0.0.1:9/x')).toBe('127.0.0.1:9: connection refused');
  });
});
