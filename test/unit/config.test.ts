import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, readConfig } from '../../src/adapters/config-file.js';
import { CONFIG_KEYS, closest, configTemplate, mergeFlags, parseConfig } from '../../src/core/config.js';
import { toOptions } from '../../src/core/options.js';
import { ExitCode, ShipError } from '../../src/errors.js';

const where = { projectDir: '/p/app', file: '/p/app/ship.yaml' };

function configError(text: string): ShipError {
  try {
    parseConfig(text, where);
  } catch (e) {
    expect(e).toBeInstanceOf(ShipError);
    return e as ShipError;
  }
  throw new Error('expected parseConfig to throw for:\n' + text);
}

describe('ship.yaml parsing', () => {
  it('maps every key to its flag, resolves paths against the project and turns numbers into flag text', () => {
    const c = parseConfig(
      [
        'builder: maven',
        'skipTests: true',
        'dockerfile: docker/Dockerfile',
        'manifests: [k8s, /abs/extra.yaml]',
        'namespace: team-a',
        'context: kind-dev',
        'kubeconfig: ../kube.yaml',
        'allowContexts: remote',
        'port: 18080',
        'timeout: 90',
        'replicas: 3',
        'smokePath: /healthz',
        'smoke: false',
        'detach: true',
        'tag: dev',
      ].join('\n'),
      where,
    );
    expect(c).toEqual({
      builder: 'maven',
      skipTests: true,
      dockerfile: '/p/app/docker/Dockerfile',
      manifest: ['/p/app/k8s', '/abs/extra.yaml'],
      namespace: 'team-a',
      context: 'kind-dev',
      kubeconfig: '/p/kube.yaml',
      allowContext: ['remote'],
      port: '18080',
      timeout: '90',
      replicas: '3',
      smokePath: '/healthz',
      smoke: false,
      detach: true,
      tag: 'dev',
    });
  });

  it('accepts "LOCAL:REMOTE" ports and durations with units', () => {
    expect(parseConfig('port: "18080:8080"\ntimeout: 5m', where)).toEqual({ port: '18080:8080', timeout: '5m' });
  });

  it('treats an empty file or a file of comments as no settings', () => {
    expect(parseConfig('', where)).toEqual({});
    expect(parseConfig('# nothing here\n', where)).toEqual({});
  });

  it('names the file and the key in every error, as a usage error with a hint', () => {
    const cases: Array<[string, RegExp]> = [
      ['port: eighty', /^ship\.yaml: port: must be a number or "LOCAL:REMOTE" \(got "eighty"\)\.$/],
      ['port: 99999', /^ship\.yaml: port: must be a number or "LOCAL:REMOTE"/],
      ['timeout: soon', /^ship\.yaml: timeout: must be a duration/],
      ['builder: ant', /^ship\.yaml: builder: must be one of gradle, maven, none/],
      ['skipTests: yes please', /^ship\.yaml: skipTests: must be true or false/],
      ['replicas: 0', /^ship\.yaml: replicas: must be a whole number from 1 to 100/],
      ['replicas: 2.5', /^ship\.yaml: replicas: must be a whole number/],
      ['smokePath: health', /^ship\.yaml: smokePath: must be a path starting with "\/"/],
      ['namespace: Team_A', /^ship\.yaml: namespace: must be a namespace name/],
      ['manifests: []', /^ship\.yaml: manifests: must be a path or a list of paths/],
      ['manifests: [k8s, 3]', /^ship\.yaml: manifests: must be a path or a list of paths/],
      ['context:', /^ship\.yaml: context: must be a kubeconfig context name \(it is empty\)\.$/],
      ['dockerfile: {a: 1}', /^ship\.yaml: dockerfile: must be a path/],
    ];
    for (const [text, re] of cases) {
      const e = configError(text);
      expect(e.message, text).toMatch(re);
      expect(e.exitCode).toBe(ExitCode.usage);
      expect(e.hint, text).toBeTruthy();
    }
  });

  it('points at the line of the bad value', () => {
    const e = configError('# defaults\nbuilder: gradle\n\nport: nope\n');
    expect(e.details).toEqual(['/p/app/ship.yaml, line 4']);
  });

  it('refuses unknown keys and suggests the nearest known one', () => {
    const e = configError('smoke-path: /x');
    expect(e.message).toBe('ship.yaml: smoke-path: unknown key.');
    expect(e.hint).toMatch(/^Did you mean "smokePath"\?/);
    const far = configError('colour: blue');
    expect(far.hint).toMatch(/^Known keys: builder, /);
  });

  it('refuses YAML that is not a mapping, broken YAML and duplicate keys', () => {
    expect(configError('- port: 1').message).toMatch(/^ship\.yaml: must be a mapping/);
    expect(configError('port: [1, 2').message).toMatch(/^ship\.yaml: not valid YAML/);
    expect(configError('port: 1\nport: 2').message).toMatch(/^ship\.yaml: not valid YAML/);
  });
});

describe('flags override ship.yaml', () => {
  it('a typed flag wins; a missing flag takes the file value', () => {
    const merged = mergeFlags({ port: '18080', namespace: 'team-a', skipTests: true }, { port: '9090', json: true });
    expect(merged).toEqual({ port: '9090', namespace: 'team-a', skipTests: true, json: true });
  });

  it("commander's defaults do not override the file, typed flags do", () => {
    const flags = { port: '8080', timeout: '5m', smokePath: '/', smoke: true, manifest: [] as string[], allowContext: [] as string[] };
    const typed = new Set(['timeout']);
    const merged = mergeFlags({ port: '18080', timeout: '90s', smoke: false, manifest: ['/p/k8s'] }, flags, (k) => typed.has(k));
    expect(merged).toEqual({ port: '18080', timeout: '5m', smokePath: '/', smoke: false, manifest: ['/p/k8s'], allowContext: [] });
  });

  it('an empty repeatable flag leaves the file list in place, a given one replaces it', () => {
    expect(mergeFlags({ manifest: ['/p/a.yaml'] }, { manifest: [] }).manifest).toEqual(['/p/a.yaml']);
    expect(mergeFlags({ manifest: ['/p/a.yaml'] }, { manifest: ['b.yaml'] }).manifest).toEqual(['b.yaml']);
  });

  it('the merged flags go through the same option parsing as typed ones', () => {
    const o = toOptions('/p/app', mergeFlags(parseConfig('port: "18080:8080"\ntimeout: 90', where), {}), { cwd: '/elsewhere', env: {}, isTTY: false });
    expect(o.port).toEqual({ local: 18080, remote: 8080 });
    expect(o.timeoutMs).toBe(90_000);
  });
});

describe('reading the file', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('no ship.yaml means no settings', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-config-'));
    expect(await readConfig(dir)).toEqual({ config: {} });
  });

  it('reads ship.yaml (or ship.yml) from the project directory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-config-'));
    await writeFile(join(dir, 'ship.yml'), 'manifests: k8s\n');
    expect(await loadConfig(dir)).toEqual({ manifest: [join(dir, 'k8s')] });
    await writeFile(join(dir, 'ship.yaml'), 'port: 1\n');
    expect(await readConfig(dir)).toEqual({ file: join(dir, 'ship.yaml'), config: { port: '1' } });
  });
});

describe('the template', () => {
  it('documents every key, all commented out, and parses as an empty config', () => {
    const t = configTemplate();
    for (const key of Object.keys(CONFIG_KEYS)) expect(t).toContain(`# ${key}: `);
    expect(parseConfig(t, where)).toEqual({});
  });

  it('each example value is valid once uncommented', () => {
    const uncommented = configTemplate()
      .split('\n')
      .filter((l) => /^# [a-zA-Z]+: /.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    const c = parseConfig(uncommented, where);
    expect(Object.keys(c).length).toBe(Object.keys(CONFIG_KEYS).length);
  });

  it('suggests near names only', () => {
    expect(closest('namespce', Object.keys(CONFIG_KEYS))).toBe('namespace');
    expect(closest('xyz', Object.keys(CONFIG_KEYS))).toBeUndefined();
  });
});
