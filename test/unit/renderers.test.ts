import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/adapters/process.js';
import { collectKustomizeImages, locateKustomization, renderHelm, renderKustomize } from '../../src/adapters/renderers.js';
import { rejectedShipError } from '../support/ship-error.js';

/** A runner that knows which programs are installed and what each prints. */
function fakeRunner(installed: Record<string, (args: string[]) => Partial<RunResult>>) {
  const calls: Array<{ cmd: string; args: string[]; cwd: string }> = [];
  const runner: ProcessRunner = {
    async run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
      calls.push({ cmd, args, cwd: opts.cwd });
      const program = installed[cmd];
      if (!program) {
        const err = Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: 'ENOENT' }) as NodeJS.ErrnoException;
        return { exitCode: 127, tail: [], stdout: '', startError: err };
      }
      const r = program(args);
      return { exitCode: 0, tail: [], stdout: '', ...r };
    },
  };
  return { runner, calls };
}

const RENDERED = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: dev-app\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ship-render-'));
  mkdirSync(join(dir, 'k8s/base'), { recursive: true });
  mkdirSync(join(dir, 'k8s/overlays/dev'), { recursive: true });
  writeFileSync(join(dir, 'k8s/base/kustomization.yaml'), 'resources: [pod.yaml]\nimages:\n- name: app\n  newName: team/app\n');
  writeFileSync(
    join(dir, 'k8s/overlays/dev/kustomization.yaml'),
    'resources:\n- ../../base\nnamePrefix: dev-\nimages:\n- name: team/app\n  newName: registry.local/team/app\n  newTag: dev\n',
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('locating a kustomization', () => {
  it('finds --kustomize, a --manifest directory, or k8s/ in the project', () => {
    expect(locateKustomization(dir, { kustomize: 'k8s/overlays/dev', manifests: [] })).toBe(join(dir, 'k8s/overlays/dev'));
    expect(locateKustomization(dir, { manifests: [join(dir, 'k8s/base')] })).toBe(join(dir, 'k8s/base'));
    expect(locateKustomization(dir, { manifests: [] })).toBeUndefined(); // k8s/ itself has none
    writeFileSync(join(dir, 'k8s/kustomization.yml'), 'resources: [overlays/dev]\n');
    expect(locateKustomization(dir, { manifests: [] })).toBe(join(dir, 'k8s'));
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [k8s]\n');
    expect(locateKustomization(dir, { manifests: [] })).toBe(dir);
  });

  it('collects images: entries of the overlay and its bases, bases first', () => {
    expect(collectKustomizeImages(join(dir, 'k8s/overlays/dev'))).toEqual([
      { name: 'app', newName: 'team/app' },
      { name: 'team/app', newName: 'registry.local/team/app', newTag: 'dev' },
    ]);
  });

  it('survives a cycle and a malformed file', () => {
    writeFileSync(join(dir, 'k8s/base/kustomization.yaml'), 'resources: [../overlays/dev]\nimages: [{name: a, newName: b}]\n');
    expect(collectKustomizeImages(join(dir, 'k8s/overlays/dev'))).toHaveLength(2);
    writeFileSync(join(dir, 'k8s/base/kustomization.yaml'), 'resources: [\n');
    expect(collectKustomizeImages(join(dir, 'k8s/base'))).toEqual([]);
  });
});

describe('renderKustomize', () => {
  it('runs kustomize build in the project when kustomize is installed', async () => {
    const { runner, calls } = fakeRunner({ kustomize: () => ({ stdout: RENDERED }), kubectl: () => ({ stdout: 'never' }) });
    const r = await renderKustomize({ runner, projectDir: dir }, join(dir, 'k8s/overlays/dev'));
    expect(calls).toEqual([{ cmd: 'kustomize', args: ['build', 'k8s/overlays/dev'], cwd: dir }]);
    expect(r).toMatchObject({ file: 'kustomize k8s/overlays/dev', text: RENDERED, command: 'kustomize build k8s/overlays/dev' });
    expect(r.images).toHaveLength(2);
  });

  it('falls back to kubectl kustomize', async () => {
    const { runner, calls } = fakeRunner({ kubectl: () => ({ stdout: RENDERED }) });
    const r = await renderKustomize({ runner, projectDir: dir }, dir + '/k8s/base');
    expect(calls.map((c) => c.cmd)).toEqual(['kustomize', 'kubectl']);
    expect(r.command).toBe('kubectl kustomize k8s/base');
  });

  it('says what to install when neither exists', async () => {
    const { runner } = fakeRunner({});
    const e = await rejectedShipError(renderKustomize({ runner, projectDir: dir }, join(dir, 'k8s/base')));
    expect(e.code).toBe('manifest');
    expect(e.hint).toMatch(/Install kubectl/);
  });

  it('a failing build is a manifest error with its output', async () => {
    const { runner } = fakeRunner({ kustomize: () => ({ exitCode: 1, tail: ['Error: accumulating resources: missing.yaml: no such file'] }) });
    const e = await rejectedShipError(renderKustomize({ runner, projectDir: dir }, join(dir, 'k8s/base')));
    expect(e.code).toBe('manifest');
    expect(e.message).toBe('kustomize build k8s/base failed (exit 1): Error: accumulating resources: missing.yaml: no such file');
  });
});

describe('renderHelm', () => {
  beforeEach(() => {
    mkdirSync(join(dir, 'chart/templates'), { recursive: true });
    writeFileSync(join(dir, 'chart/Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 0.1.0\n');
    writeFileSync(join(dir, 'values-dev.yaml'), 'replicaCount: 2\n');
  });

  it('runs helm template with the release named after the app', async () => {
    const { runner, calls } = fakeRunner({ helm: () => ({ stdout: RENDERED }) });
    const r = await renderHelm({ runner, projectDir: dir }, { app: 'my-app', chart: 'chart', values: [join(dir, 'values-dev.yaml')], set: ['a=b'], namespace: 'ns1' });
    expect(calls[0]).toEqual({
      cmd: 'helm',
      args: ['template', 'my-app', 'chart', '--namespace', 'ns1', '--values', 'values-dev.yaml', '--set', 'a=b', '--skip-tests'],
      cwd: dir,
    });
    expect(r).toMatchObject({ file: 'helm chart', text: RENDERED });
  });

  it('refuses a directory without Chart.yaml and a missing values file', async () => {
    const { runner, calls } = fakeRunner({ helm: () => ({ stdout: RENDERED }) });
    let e = await rejectedShipError(renderHelm({ runner, projectDir: dir }, { app: 'a', chart: 'k8s', values: [], set: [] }));
    expect(e.message).toContain('not a Helm chart directory');
    e = await rejectedShipError(renderHelm({ runner, projectDir: dir }, { app: 'a', chart: 'chart', values: ['nope.yaml'], set: [] }));
    expect(e.message).toContain('nope.yaml does not exist');
    expect(calls).toHaveLength(0);
  });

  it('says how to get helm when it is missing, and reports a failing template', async () => {
    let e = await rejectedShipError(renderHelm({ runner: fakeRunner({}).runner, projectDir: dir }, { app: 'a', chart: 'chart', values: [], set: [] }));
    expect(e.hint).toContain('helm');
    e = await rejectedShipError(
      renderHelm({ runner: fakeRunner({ helm: () => ({ exitCode: 1, tail: ['Error: parse error at (app/templates/x.yaml:3)'] }) }).runner, projectDir: dir }, { app: 'a', chart: 'chart', values: [], set: [] }),
    );
    expect(e.message).toContain('helm template a chart --skip-tests failed (exit 1): Error: parse error');
  });
});
