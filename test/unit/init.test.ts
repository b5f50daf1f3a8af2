import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { expectedJar, planInit, podNameFor, runInitCommand, type PlanInitInput } from '../../src/commands/init.js';
import { parseConfig } from '../../src/core/config.js';
import type { FileView } from '../../src/core/project.js';
import { ShipError } from '../../src/errors.js';
import type { ProjectInfo } from '../../src/core/model.js';
import type { CommandIo } from '../../src/commands/io.js';

function memFs(files: Record<string, string>): FileView {
  return {
    isDirectory: () => true,
    exists: (rel) => rel in files,
    isExecutable: () => true,
    read: (rel) => files[rel],
    list: () => [],
  };
}

const project: ProjectInfo = { dir: '/p/demo', name: 'demo', builder: 'gradle', buildCommand: ['./gradlew', ['clean', 'build']], actuator: true };
const gradleFs = memFs({ 'build.gradle': "plugins { id 'org.springframework.boot' version '3.5.7' }\nversion = '0.0.1-SNAPSHOT'\n", 'settings.gradle': "rootProject.name = 'demo'" });

function input(over: Partial<PlanInitInput> = {}): PlanInitInput {
  return { project, fs: gradleFs, manifests: [], repository: 'demo', port: 8080, exists: () => false, force: false, skipExisting: false, ...over };
}

describe('ship init planning', () => {
  it('writes the Dockerfile, a Pod manifest and ship.yaml into an empty project', () => {
    const plan = planInit(input());
    expect(plan.write.map((f) => f.path)).toEqual(['Dockerfile', 'k8s/pod.yaml', 'ship.yaml']);
    const dockerfile = plan.write[0].text;
    expect(dockerfile.split('\n')[0]).toMatch(/^# Written by ship init/);
    expect(dockerfile).toContain('COPY build/libs/demo-0.0.1-SNAPSHOT.jar app.jar');
    expect(dockerfile).toContain('EXPOSE 8080');
    const [pod] = parseAllDocuments(plan.write[1].text).map((d) => d.toJS());
    expect(pod).toMatchObject({ kind: 'Pod', metadata: { name: 'demo' }, spec: { containers: [{ image: 'demo', ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: '/actuator/health' } } }] } });
    expect(parseConfig(plan.write[2].text, { projectDir: '/p/demo', file: '/p/demo/ship.yaml' })).toEqual({});
    expect(plan.notes[0]).toMatch(/not built yet.*build\/libs\/demo-0\.0\.1-SNAPSHOT\.jar/);
  });

  it('uses the built jar when there is one', () => {
    const plan = planInit(input({ jar: { rel: 'build/libs/demo-1.jar', info: { layered: false, layers: [] } } }));
    expect(plan.write[0].text).toContain('COPY build/libs/demo-1.jar /app/app.jar');
    expect(plan.notes).toEqual([]);
  });

  it('never overwrites: an existing file means nothing is written and the file is named', () => {
    const plan = planInit(input({ exists: (rel) => rel === 'ship.yaml' || rel === 'Dockerfile' }));
    expect(plan.conflicts).toEqual(['Dockerfile', 'ship.yaml']);
    expect(plan.write).toEqual([]);
  });

  it('--skip-existing writes only the missing ones; --force overwrites', () => {
    const exists = (rel: string) => rel === 'Dockerfile';
    const skip = planInit(input({ exists, skipExisting: true }));
    expect(skip.write.map((f) => f.path)).toEqual(['k8s/pod.yaml', 'ship.yaml']);
    expect(skip.skipped).toEqual([{ path: 'Dockerfile', why: 'exists (--force overwrites)' }]);
    expect(planInit(input({ exists, force: true })).write.map((f) => f.path)).toEqual(['Dockerfile', 'k8s/pod.yaml', 'ship.yaml']);
  });

  it('no Pod manifest when the project has manifests, no Dockerfile for a Dockerfile-only project', () => {
    const plan = planInit(input({ manifests: ['spring-pod.yaml'], project: { ...project, builder: 'none', buildCommand: undefined } }));
    expect(plan.write.map((f) => f.path)).toEqual(['ship.yaml']);
    expect(plan.skipped.map((s) => s.path)).toEqual(['Dockerfile', 'k8s/pod.yaml']);
  });

  it('knows the default jar names of Gradle and Maven builds', () => {
    expect(expectedJar(project, gradleFs)).toEqual({ jarName: 'build/libs/demo-0.0.1-SNAPSHOT.jar', springBootVersion: '3.5.7', boot: true });
    const pom = '<project><parent><artifactId>spring-boot-starter-parent</artifactId><version>3.5.7</version></parent><artifactId>shop</artifactId><version>1.2.0</version></project>';
    expect(expectedJar({ ...project, builder: 'maven' }, memFs({ 'pom.xml': pom }))).toEqual({ jarName: 'target/shop-1.2.0.jar', springBootVersion: '3.5.7', boot: true });
    expect(expectedJar(project, memFs({ 'build.gradle': 'apply plugin: "java"' }))).toEqual({ jarName: 'build/libs/demo.jar', springBootVersion: undefined, boot: false });
    expect(podNameFor('my_app.v2')).toBe('my-app-v2');
  });
});

describe('ship init on disk', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function io(cwd: string): CommandIo & { text: () => string } {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += String(c)));
    return { cwd, env: {}, isTTY: false, signal: new AbortController().signal, stdout: out, stderr: out, stdin: process.stdin, text: () => text };
  }

  it('writes the files, prints them, and refuses a second run with a project error (exit 3), leaving the files untouched', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-init-'));
    await writeFile(join(dir, 'settings.gradle'), "rootProject.name = 'demo'\n");
    await writeFile(join(dir, 'build.gradle'), "apply plugin: 'java'\n");
    const first = io(dir);
    expect(await runInitCommand('.', {}, first)).toBe(0);
    expect(first.text()).toMatch(/wrote Dockerfile[\s\S]*wrote k8s\/pod\.yaml[\s\S]*wrote ship\.yaml/);
    await writeFile(join(dir, 'ship.yaml'), 'port: 9090\n');
    const err = await runInitCommand('.', {}, io(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShipError);
    expect((err as ShipError).exitCode).toBe(3);
    expect((err as ShipError).message).toMatch(/would overwrite Dockerfile, ship\.yaml/);
    expect(await readFile(join(dir, 'ship.yaml'), 'utf8')).toBe('port: 9090\n');
    await mkdir(join(dir, 'extra'));
    expect(await runInitCommand('.', { force: true }, io(dir))).toBe(0);
    expect(await readFile(join(dir, 'ship.yaml'), 'utf8')).toMatch(/^# ship\.yaml/);
  });
});
