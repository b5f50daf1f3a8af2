import { describe, expect, it } from 'vitest';
import { chooseJar, detectProject, projectName, type FileView } from '../../src/core/project.js';
import { ShipError } from '../../src/errors.js';
import { caughtShipError as shipErr } from '../support/ship-error.js';

/** An in-memory project: path → content; `exec` lists executable files; dirs are derived. */
function view(files: Record<string, string>, exec: string[] = [], isDir = true): FileView {
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return {
    isDirectory: (rel) => (rel === undefined ? isDir : dirs.has(rel)),
    exists: (rel) => rel in files || dirs.has(rel),
    isExecutable: (rel) => exec.includes(rel),
    read: (rel) => files[rel],
    list: (rel) => Object.keys(files).filter((f) => f.startsWith(rel + '/') && !f.slice(rel.length + 1).includes('/')).map((f) => f.slice(rel.length + 1)),
  };
}


describe('build detection', () => {
  it('uses the Gradle wrapper when there is one', () => {
    const p = detectProject('/p', view({ gradlew: '', 'build.gradle': '', 'settings.gradle': "rootProject.name = 'kubernetes-spring'" }, ['gradlew']), { skipTests: false });
    expect(p.builder).toBe('gradle');
    expect(p.buildCommand).toEqual(['./gradlew', ['clean', 'build']]);
    expect(p.name).toBe('kubernetes-spring');
  });
  it('falls back to gradle on PATH without a wrapper, and skips tests with -x test', () => {
    const p = detectProject('/p', view({ 'build.gradle.kts': '' }), { skipTests: true });
    expect(p.buildCommand).toEqual(['gradle', ['clean', 'build', '-x', 'test']]);
  });
  it('uses Maven for a pom.xml, the wrapper when present', () => {
    expect(detectProject('/p', view({ 'pom.xml': '<project/>' }), { skipTests: true }).buildCommand).toEqual(['mvn', ['-B', 'package', '-DskipTests']]);
    expect(detectProject('/p', view({ 'pom.xml': '', mvnw: '' }, ['mvnw']), { skipTests: false }).buildCommand).toEqual(['./mvnw', ['-B', 'package']]);
  });
  it('--builder overrides detection', () => {
    const files = { gradlew: '', 'build.gradle': '', 'pom.xml': '' };
    expect(detectProject('/p', view(files, ['gradlew']), { builder: 'maven', skipTests: false }).buildCommand).toEqual(['mvn', ['-B', 'package']]);
    expect(detectProject('/p', view(files, ['gradlew']), { builder: 'none', skipTests: false }).buildCommand).toBeUndefined();
  });
  it('a Dockerfile alone means builder none', () => {
    const p = detectProject('/p', view({ Dockerfile: 'FROM x' }), { skipTests: false });
    expect(p.builder).toBe('none');
    expect(p.dockerfile).toBe('/p/Dockerfile');
  });
  it('refuses a project with no build file and no Dockerfile, with a hint', () => {
    const e = shipErr(() => detectProject('/p', view({ 'README.md': '' }), { skipTests: false }));
    expect(e.code).toBe('project');
    expect(e.exitCode).toBe(3);
    expect(e.hint).toMatch(/Dockerfile/);
  });
  it('refuses a path that is not a directory', () => {
    expect(shipErr(() => detectProject('/p/file.txt', view({}, [], false), { skipTests: false })).message).toMatch(/not a directory/);
  });
  it('refuses a gradlew that is not executable and says how to fix it', () => {
    const e = shipErr(() => detectProject('/p', view({ gradlew: '', 'build.gradle': '' }), { skipTests: false }));
    expect(e.code).toBe('project');
    expect(e.hint).toMatch(/chmod \+x/);
  });
  it('notices Actuator', () => {
    const p = detectProject('/p', view({ 'pom.xml': '<artifactId>spring-boot-starter-actuator</artifactId>' }), { skipTests: false });
    expect(p.actuator).toBe(true);
  });
});

describe('project name', () => {
  it('takes the pom\'s own artifactId, not the parent\'s', () => {
    const pom = '<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent><artifactId>Demo_App</artifactId></project>';
    expect(projectName('/x/dir', view({ 'pom.xml': pom }))).toBe('demo_app');
  });
  it('falls back to the directory name, made valid', () => {
    expect(projectName('/x/My Spring App', view({}))).toBe('my-spring-app');
  });
});

describe('jar choice', () => {
  it('picks the one runnable jar, ignoring -plain', () => {
    const fs = view({ 'build/libs/app-0.0.1-SNAPSHOT.jar': '', 'build/libs/app-0.0.1-SNAPSHOT-plain.jar': '' });
    expect(chooseJar('/p', 'gradle', fs)).toBe('/p/build/libs/app-0.0.1-SNAPSHOT.jar');
  });
  it('finds a Maven jar in target/ or a redirected build/libs', () => {
    expect(chooseJar('/p', 'maven', view({ 'target/a.jar': '', 'target/a.jar.original': '' }))).toBe('/p/target/a.jar');
    expect(chooseJar('/p', 'maven', view({ 'build/libs/a.jar': '' }))).toBe('/p/build/libs/a.jar');
  });
  it('names every jar when there are several', () => {
    const e = shipErr(() => chooseJar('/p', 'gradle', view({ 'build/libs/a.jar': '', 'build/libs/b.jar': '' })));
    expect(e.code).toBe('build');
    expect(e.message).toContain('a.jar, b.jar');
  });
  it('says where it looked when there is none', () => {
    const e = shipErr(() => chooseJar('/p', 'gradle', view({ 'src/Main.java': '' })));
    expect(e.message).toContain('/p/build/libs');
  });
});
