import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLayeredJar, readJarInfo } from '../../src/adapters/jar.js';
import { APP_UID, generateDockerfile, jarInfo, parseFromImages, parseLayersIdx } from '../../src/core/dockerfile.js';

describe('generateDockerfile: plain jar', () => {
  const text = generateDockerfile({ jarName: 'build/libs/app-1.0.jar', port: 8080, layered: false });
  const lines = text.split('\n');

  it('builds on the JRE 17 base and copies the jar', () => {
    expect(lines).toContain('FROM eclipse-temurin:17-jre');
    expect(lines).toContain('COPY build/libs/app-1.0.jar /app/app.jar');
    expect(parseFromImages(text)).toEqual(['eclipse-temurin:17-jre']);
  });

  it('runs as a numeric non-root user, exposes the port, exec-form ENTRYPOINT', () => {
    expect(lines).toContain(`USER ${APP_UID}`);
    expect(APP_UID).toBeGreaterThan(0);
    expect(lines).toContain('EXPOSE 8080');
    const entry = lines.find((l) => l.startsWith('ENTRYPOINT '))!;
    expect(JSON.parse(entry.slice('ENTRYPOINT '.length))).toEqual(['java', '-jar', '/app/app.jar']);
    // USER comes before ENTRYPOINT so the app does not run as root.
    expect(lines.indexOf(`USER ${APP_UID}`)).toBeLessThan(lines.indexOf(entry));
  });

  it('honours another base image and port; quotes a jar path with spaces', () => {
    const t = generateDockerfile({ jarName: 'out/my app.jar', port: 9090, layered: false, baseImage: 'my/jre:21' });
    expect(t).toContain('FROM my/jre:21\n');
    expect(t).toContain('COPY "out/my app.jar" /app/app.jar');
    expect(t).toContain('EXPOSE 9090');
  });
});

describe('generateDockerfile: Spring Boot layered jar', () => {
  it('Boot 3.3+: two stages, tools extract with the launcher, one COPY per layer in order', () => {
    const text = generateDockerfile({ jarName: 'target/demo.jar', port: 8080, layered: true, springBootVersion: '3.5.7' });
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('FROM '))).toEqual(['FROM eclipse-temurin:17-jre AS extract', 'FROM eclipse-temurin:17-jre']);
    expect(text).toContain('java -Djarmode=tools -jar app.jar extract --layers --launcher --destination extracted');
    const copies = lines.filter((l) => l.startsWith('COPY --from=extract'));
    expect(copies).toEqual([
      'COPY --from=extract /build/extracted/dependencies/ ./',
      'COPY --from=extract /build/extracted/spring-boot-loader/ ./',
      'COPY --from=extract /build/extracted/snapshot-dependencies/ ./',
      'COPY --from=extract /build/extracted/application/ ./',
    ]);
    // Empty layers are created so their COPY cannot fail.
    expect(text).toMatch(/mkdir -p extracted\/dependencies extracted\/spring-boot-loader extracted\/snapshot-dependencies extracted\/application/);
    const entry = lines.find((l) => l.startsWith('ENTRYPOINT '))!;
    expect(JSON.parse(entry.slice(11))).toEqual(['java', 'org.springframework.boot.loader.launch.JarLauncher']);
    expect(lines).toContain(`USER ${APP_UID}`);
    // The stage name is not a base image.
    expect(parseFromImages(text)).toEqual(['eclipse-temurin:17-jre']);
  });

  it('older Boot: layertools, and the pre-3.2 launcher class', () => {
    const t31 = generateDockerfile({ jarName: 'a.jar', port: 8080, layered: true, springBootVersion: '3.1.5' });
    expect(t31).toContain('java -Djarmode=layertools -jar app.jar extract --destination extracted');
    expect(t31).toContain('"org.springframework.boot.loader.JarLauncher"');
    const t32 = generateDockerfile({ jarName: 'a.jar', port: 8080, layered: true, springBootVersion: '3.2.0' });
    expect(t32).toContain('-Djarmode=layertools');
    expect(t32).toContain('"org.springframework.boot.loader.launch.JarLauncher"');
  });

  it('uses the layer names from layers.idx', () => {
    const t = generateDockerfile({ jarName: 'a.jar', port: 8080, layered: true, layers: ['dependencies', 'company-deps', 'application'] });
    expect(t.split('\n').filter((l) => l.startsWith('COPY --from'))).toHaveLength(3);
    expect(t).toContain('COPY --from=extract /build/extracted/company-deps/ ./');
  });
});

describe('parseFromImages', () => {
  it('lists base images, skipping stage names, scratch and duplicates', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM maven:3.9-eclipse-temurin-17 AS build',
      'RUN mvn package',
      'FROM build AS test',
      'from --platform=linux/amd64 eclipse-temurin:17-jre as runtime',
      'COPY --from=build /x /y',
      'FROM scratch',
      'FROM eclipse-temurin:17-jre',
    ].join('\n');
    expect(parseFromImages(text)).toEqual(['maven:3.9-eclipse-temurin-17', 'eclipse-temurin:17-jre']);
  });

  it('substitutes ARGs declared before the first FROM, drops what it cannot resolve', () => {
    const text = [
      'ARG JRE=17',
      'ARG REGISTRY',
      'FROM eclipse-temurin:${JRE}-jre',
      'FROM ${REGISTRY}/base:1',
      'FROM ${OTHER:-busybox}:1',
      'FROM $UNKNOWN',
    ].join('\n');
    expect(parseFromImages(text)).toEqual(['eclipse-temurin:17-jre', 'busybox:1']);
  });

  it('joins continuation lines and ignores comments', () => {
    expect(parseFromImages('FROM \\\n  alpine:3\n# FROM commented:1\nRUN true')).toEqual(['alpine:3']);
  });
});

// A zip written by hand (stored and deflated entries) so the jar reader is tested without a build.
function zip(entries: Array<{ name: string; data: string; deflate?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = Buffer.from(e.data);
    const body = e.deflate ? deflateRawSync(raw) : raw;
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

describe('readJarInfo / isLayeredJar', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-jar-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const idx = '- "dependencies":\n  - "BOOT-INF/lib/"\n- "spring-boot-loader":\n  - "org/"\n- "snapshot-dependencies":\n- "application":\n  - "BOOT-INF/classes/"\n';

  it('a Boot jar with BOOT-INF/layers.idx is layered; layers and version are read', async () => {
    const jar = join(dir, 'boot.jar');
    await writeFile(
      jar,
      zip([
        { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\r\nSpring-Boot-Version: 3.5.7\r\nMain-Class: x\r\nStart-Class: com.example.App\r\n', deflate: true },
        { name: 'BOOT-INF/classes/App.class', data: 'x'.repeat(100), deflate: true },
        { name: 'BOOT-INF/layers.idx', data: idx, deflate: true },
      ]),
    );
    expect(await isLayeredJar(jar)).toBe(true);
    expect(await readJarInfo(jar)).toEqual({
      layered: true,
      layers: ['dependencies', 'spring-boot-loader', 'snapshot-dependencies', 'application'],
      springBootVersion: '3.5.7',
      startClass: 'com.example.App',
    });
  });

  it('a plain jar is not layered', async () => {
    const jar = join(dir, 'plain.jar');
    await writeFile(jar, zip([{ name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\nMain-Class: a.Main\n' }, { name: 'a/Main.class', data: 'y' }]));
    expect(await isLayeredJar(jar)).toBe(false);
    expect(await readJarInfo(jar)).toEqual({ layered: false, layers: [], startClass: 'a.Main' });
  });

  it('a file that is not a zip is an error', async () => {
    const f = join(dir, 'not.jar');
    await writeFile(f, 'hello, not a zip');
    await expect(isLayeredJar(f)).rejects.toThrow(/not a zip/);
  });

  it('parseLayersIdx', () => {
    expect(parseLayersIdx(idx)).toEqual(['dependencies', 'spring-boot-loader', 'snapshot-dependencies', 'application']);
    expect(parseLayersIdx('')).toEqual([]);
  });

  it('jarInfo reads the two entries as text, no jar needed', () => {
    expect(jarInfo({ layersIdx: idx, manifest: 'Manifest-Version: 1.0\nSpring-Boot-Version: 3.2.5\n' })).toEqual({
      layered: true,
      layers: ['dependencies', 'spring-boot-loader', 'snapshot-dependencies', 'application'],
      springBootVersion: '3.2.5',
    });
    expect(jarInfo({ manifest: 'Manifest-Version: 1.0\n' })).toEqual({ layered: false, layers: [] });
    expect(jarInfo({ manifest: 'Main-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: com.example.App\n' }).startClass).toBe('com.example.App');
  });
});
