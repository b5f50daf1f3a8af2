import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifestStep, planManifest } from '../../src/tasks/manifest.js';
import { memoryOutput } from '../../src/pipeline/output.js';
import type { ShipOptions } from '../../src/core/model.js';

const SPRING_POD = `apiVersion: v1
kind: Pod
metadata:
  name: spring-pod
spec:
  containers:
    - name: spring-container
      image: kubernetes-spring
      ports:
        - containerPort: 8080
`;

describe('planManifest', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-plan-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders the project manifest with paths relative to the project', async () => {
    await writeFile(join(dir, 'spring-pod.yaml'), SPRING_POD);
    const r = await planManifest({
      projectDir: dir,
      manifests: [],
      project: { name: 'kubernetes-spring', actuator: true },
      image: { repository: 'kubernetes-spring', tag: 'ship-3f2a9c1b7d0e' },
    });
    expect(r.objects.map((o) => [o.kind, o.name, o.source.file])).toEqual([['Pod', 'spring-pod', 'spring-pod.yaml']]);
    expect(r.rewritten[0]).toMatchObject({ file: 'spring-pod.yaml', to: 'kubernetes-spring:ship-3f2a9c1b7d0e' });
  });

  it('generates a Pod named after the app when the project has no manifest', async () => {
    const r = await planManifest({
      projectDir: dir,
      manifests: [],
      project: { name: 'My_App', actuator: false },
      image: { repository: 'my-app', tag: 'ship-1' },
      namespace: 'dev',
    });
    const pod = parse(r.yaml);
    expect(pod.metadata).toMatchObject({ name: 'my-app', namespace: 'dev' });
    expect(pod.spec.containers[0]).toMatchObject({ image: 'my-app:ship-1', imagePullPolicy: 'IfNotPresent' });
    expect(pod.spec.containers[0].readinessProbe.tcpSocket).toEqual({ port: 8080 });
    expect(r.objects[0]!.source.file).toBe('<generated>');
  });
});

describe('manifestStep', () => {
  it('returns the rendered manifest and names the rewritten container in its title', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ship-task-'));
    try {
      await writeFile(join(dir, 'spring-pod.yaml'), SPRING_POD);
      const out = memoryOutput(true);
      const run = { opts: { projectDir: dir, manifests: [], port: { local: 8080 } } as unknown as ShipOptions, out };
      const fakeTask = { title: '', output: '' };
      const manifest = await manifestStep(
        run,
        {
          project: { dir, name: 'kubernetes-spring', builder: 'maven', actuator: true },
          image: { id: 'sha256:1', repository: 'kubernetes-spring', tag: 'ship-3f2a9c1b7d0e', ref: 'kubernetes-spring:ship-3f2a9c1b7d0e', unchanged: false },
        },
        fakeTask,
      );
      expect(manifest.rewritten).toHaveLength(1);
      expect(fakeTask.title).toBe('manifest · spring-pod.yaml · spring-pod/spring-container: kubernetes-spring → kubernetes-spring:ship-3f2a…');
      expect(out.events).toEqual([expect.objectContaining({ type: 'manifest', files: ['spring-pod.yaml'] })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
