import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inputDigest, sourceFiles } from '../../src/adapters/source-files.js';
import { sameRepository, shortName } from '../../src/core/image-ref.js';
import { digestOf, imageNameFor, skipSourceDir, skipSourceFile, tagFor, toRepositoryName, type DigestInput, type HashedSourceFile } from '../../src/core/tag.js';

describe('inputDigest and tagFor', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-tag-'));
    await put('build.gradle', "apply plugin: 'java'\n");
    await put('settings.gradle', "rootProject.name = 'demo'\n");
    await put('src/main/java/demo/App.java', 'class App {\n  String hi() { return "hi"; }\n}\n');
    await put('Dockerfile', 'FROM eclipse-temurin:17-jre\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function put(rel: string, content: string) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  const input = (over: Partial<DigestInput> = {}): DigestInput => ({
    projectDir: dir,
    dockerfileText: 'FROM eclipse-temurin:17-jre\n',
    builder: 'gradle',
    skipTests: false,
    baseImageIds: ['sha256:aaa'],
    ...over,
  });

  it('same inputs → same digest and tag; the tag is ship- plus 12 hex characters, never latest', async () => {
    const a = await inputDigest(input());
    const b = await inputDigest(input());
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(tagFor(a)).toBe('ship-' + a.slice(0, 12));
    expect(tagFor(a)).toMatch(/^ship-[0-9a-f]{12}$/);
  });

  it('one changed source line → another tag', async () => {
    const before = await inputDigest(input());
    await put('src/main/java/demo/App.java', 'class App {\n  String hi() { return "hello"; }\n}\n');
    expect(await inputDigest(input())).not.toBe(before);
  });

  it('a new, renamed or now-executable file changes it', async () => {
    const d0 = await inputDigest(input());
    await put('src/main/resources/application.properties', 'server.port=8080\n');
    const d1 = await inputDigest(input());
    expect(d1).not.toBe(d0);
    await chmod(join(dir, 'build.gradle'), 0o755);
    expect(await inputDigest(input())).not.toBe(d1);
  });

  it('build output, IDE and VCS state do not change it', async () => {
    const before = await inputDigest(input());
    await put('build/libs/demo.jar', 'jar built at ' + Date.now());
    await put('build/classes/java/main/demo/App.class', 'bytes');
    await put('target/demo.jar', 'maven output');
    await put('out/production/App.class', 'idea output');
    await put('.gradle/8.14/fileHashes/x.bin', 'cache');
    await put('.git/HEAD', 'ref: refs/heads/main\n');
    await put('.idea/workspace.xml', '<x/>');
    await put('demo.iml', '<module/>');
    await put('node_modules/x/index.js', '');
    await put('sub/build/tmp/x', 'nested module output');
    expect(await inputDigest(input())).toBe(before);
  });

  it('a Java package called build inside src is source, not output', async () => {
    const before = await inputDigest(input());
    await put('src/main/java/demo/build/Builder.java', 'class Builder {}\n');
    expect(await inputDigest(input())).not.toBe(before);
  });

  it('Dockerfile text, builder, skip-tests, build args and base image IDs are inputs', async () => {
    const base = await inputDigest(input());
    const variants = [
      input({ dockerfileText: 'FROM eclipse-temurin:21-jre\n' }),
      input({ builder: 'maven' }),
      input({ skipTests: true }),
      input({ buildArgs: { A: '1' } }),
      input({ baseImageIds: ['sha256:bbb'] }),
    ];
    const digests = await Promise.all(variants.map((v) => inputDigest(v)));
    for (const d of digests) expect(d).not.toBe(base);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('build-arg order does not matter', async () => {
    expect(await inputDigest(input({ buildArgs: { A: '1', B: '2' } }))).toBe(await inputDigest(input({ buildArgs: { B: '2', A: '1' } })));
  });

  it('sourceFiles lists sources sorted, without output', async () => {
    await put('build/x', '');
    await put('target/y', '');
    const files = (await sourceFiles(dir)).map((f) => f.rel);
    expect(files).toEqual(['Dockerfile', 'build.gradle', 'settings.gradle', 'src/main/java/demo/App.java']);
  });

  it('digestOf is the same digest from the listed files alone, with no file system', async () => {
    const files: HashedSourceFile[] = [];
    for (const f of await sourceFiles(dir)) {
      files.push({ ...f, contentSha256: createHash('sha256').update(await readFile(join(dir, f.rel))).digest('hex') });
    }
    const { projectDir: _dir, ...recipe } = input();
    expect(digestOf(recipe, files)).toBe(await inputDigest(input()));
    expect(digestOf(recipe, files.slice(1))).not.toBe(digestOf(recipe, files));
  });

  it('which files count: output directories only outside src, tool state never', () => {
    expect(skipSourceDir('build', 'build', false)).toBe(true);
    expect(skipSourceDir('build', 'src/main/java/build', true)).toBe(false);
    expect(skipSourceDir('.git', 'src/.git', true)).toBe(true);
    expect(skipSourceDir('wrapper', '.mvn/wrapper', false)).toBe(false);
    expect(skipSourceDir('dists', '.mvn/wrapper/dists', false)).toBe(true);
    expect(skipSourceFile('App.java')).toBe(false);
    expect(skipSourceFile('demo.iml')).toBe(true);
    expect(skipSourceFile('.DS_Store')).toBe(true);
  });
});

describe('shortName (how imageNameFor reads manifest images)', () => {
  it('strips docker.io, library/, tag and digest', () => {
    for (const ref of [
      'kubernetes-spring',
      'kubernetes-spring:1',
      'docker.io/library/kubernetes-spring:1',
      'library/kubernetes-spring',
      'index.docker.io/library/kubernetes-spring:latest',
      'kubernetes-spring@sha256:' + 'a'.repeat(64),
      'docker.io/kubernetes-spring:ship-0123456789ab@sha256:' + 'b'.repeat(64),
      'Kubernetes-Spring',
    ]) {
      expect(shortName(ref), ref).toBe('kubernetes-spring');
    }
  });

  it('keeps user namespaces and other registries (a port is not a tag)', () => {
    expect(shortName('docker.io/acme/app:2')).toBe('acme/app');
    expect(shortName('acme/app')).toBe('acme/app');
    expect(shortName('localhost:5000/app:1')).toBe('localhost:5000/app');
    expect(shortName('localhost:5000/app')).toBe('localhost:5000/app');
    expect(shortName('ghcr.io/acme/app@sha256:' + 'c'.repeat(64))).toBe('ghcr.io/acme/app');
  });

  it('sameRepository', () => {
    expect(sameRepository('kubernetes-spring', 'docker.io/library/kubernetes-spring:1')).toBe(true);
    expect(sameRepository('kubernetes-spring', 'acme/kubernetes-spring')).toBe(false);
  });
});

describe('imageNameFor', () => {
  it('prefers the image the manifest names', () => {
    expect(imageNameFor({ manifestImages: ['docker.io/library/kubernetes-spring:1'], rootProjectName: 'x', dirName: 'y' })).toBe('kubernetes-spring');
  });
  it('then rootProject.name, artifactId, directory name — lowercased, valid characters', () => {
    expect(imageNameFor({ rootProjectName: 'My Cool_App', artifactId: 'z', dirName: 'y' })).toBe('my-cool_app');
    expect(imageNameFor({ artifactId: 'Demo.Service', dirName: 'y' })).toBe('demo.service');
    expect(imageNameFor({ manifestImages: [], dirName: '--Spring Demo!!' })).toBe('spring-demo');
    expect(imageNameFor({ rootProjectName: '!!!', dirName: 'ok' })).toBe('ok');
    expect(imageNameFor({ dirName: '???' })).toBe('app');
  });
  it('toRepositoryName gives names Docker accepts', () => {
    const re = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
    for (const s of ['A B C', 'x..y', 'a-_b', '-lead', 'trail.', 'ÄÖÜ-app', 'app__x']) {
      const name = toRepositoryName(s);
      expect(name, s).toMatch(re);
    }
  });
});
