import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerConfigPath, dockerCredentials } from '../../src/adapters/docker-credentials.js';
import {
  authKeyHost,
  lookupCredentials,
  parseLocalRegistryHosting,
  parseRegistry,
  registryRefs,
  targetFromHosting,
} from '../../src/core/registry.js';
import type { ProcessRunner, RunOptions, RunResult } from '../../src/adapters/process.js';
import { ShipError } from '../../src/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ShipError ? e.code : 'not-a-ship-error';
  }
  return undefined;
}

describe('--registry parsing', () => {
  it('takes a host with a port', () => {
    expect(parseRegistry('localhost:5000')).toMatchObject({ host: 'localhost:5000', pullHost: 'localhost:5000', prefix: '' });
  });
  it('takes a host with a prefix', () => {
    expect(parseRegistry('registry.example.com/team')).toMatchObject({ host: 'registry.example.com', prefix: 'team' });
  });
  it('takes an address with a port and a nested prefix, and drops a trailing slash', () => {
    expect(parseRegistry('127.0.0.1:5001/a/b')).toMatchObject({ host: '127.0.0.1:5001', prefix: 'a/b' });
    expect(parseRegistry('127.0.0.1:5001/a/b/')).toMatchObject({ host: '127.0.0.1:5001', prefix: 'a/b' });
    expect(parseRegistry('[::1]:5000/x')).toMatchObject({ host: '[::1]:5000', prefix: 'x' });
  });
  it.each([
    '',
    'http://localhost:5000',
    'https://registry.example.com/team',
    'localhost:0',
    'localhost:70000',
    'localhost:abc',
    'local host:5000',
    'user:pw@registry.example.com',
    'registry.example.com//team',
    'registry.example.com/Team',
    'registry.example.com/team:tag',
    '-bad.example.com',
    ':5000',
  ])('refuses %j with a usage error', (bad) => {
    expect(codeOf(() => parseRegistry(bad))).toBe('usage');
  });
  it('says what is wrong and how to write it', () => {
    try {
      parseRegistry('http://localhost:5000');
      expect.unreachable();
    } catch (e) {
      expect((e as ShipError).message).toMatch(/without a scheme/);
      expect((e as ShipError).hint).toMatch(/HOST\[:PORT\]\[\/PREFIX\]/);
    }
  });
});

describe('pushed references', () => {
  it('puts the repository under the host and prefix with the tag', () => {
    expect(registryRefs(parseRegistry('127.0.0.1:5001/a/b'), 'kubernetes-spring', 'ship-1a2b').pushRef).toBe('127.0.0.1:5001/a/b/kubernetes-spring:ship-1a2b');
    const r = registryRefs(parseRegistry('localhost:5000'), 'kubernetes-spring', 'ship-1');
    expect(r).toEqual({ pushRef: 'localhost:5000/kubernetes-spring:ship-1', pullRef: 'localhost:5000/kubernetes-spring:ship-1', pushRepository: 'localhost:5000/kubernetes-spring', tag: 'ship-1' });
  });
  it('drops a registry host the repository already names, and does not repeat the prefix', () => {
    expect(registryRefs(parseRegistry('localhost:5000'), 'other.example.com/team/app', 't').pushRef).toBe('localhost:5000/team/app:t');
    expect(registryRefs(parseRegistry('localhost:5000/team'), 'localhost:5000/team/app', 't').pushRef).toBe('localhost:5000/team/app:t');
    expect(registryRefs(parseRegistry('localhost:5000/team'), 'me/app', 't').pushRef).toBe('localhost:5000/team/me/app:t');
  });
  it('uses hostFromContainerRuntime for the name the cluster pulls', () => {
    const t = targetFromHosting({ host: 'localhost:5001', hostFromContainerRuntime: 'kind-registry:5000' })!;
    const r = registryRefs(t, 'app', 'ship-9');
    expect(r.pushRef).toBe('localhost:5001/app:ship-9');
    expect(r.pullRef).toBe('kind-registry:5000/app:ship-9');
  });
});

describe('KEP-1755 local-registry-hosting ConfigMap', () => {
  const kindStyle = [
    'host: "localhost:5001"',
    'hostFromContainerRuntime: "kind-registry:5000"',
    'hostFromClusterNetwork: "kind-registry:5000"',
    'help: "https://kind.sigs.k8s.io/docs/user/local-registry/"',
    'futureField: 3',
  ].join('\n');
  it('reads all four fields and ignores unknown ones', () => {
    expect(parseLocalRegistryHosting({ 'localRegistryHosting.v1': kindStyle })).toEqual({
      host: 'localhost:5001',
      hostFromContainerRuntime: 'kind-registry:5000',
      hostFromClusterNetwork: 'kind-registry:5000',
      help: 'https://kind.sigs.k8s.io/docs/user/local-registry/',
    });
  });
  it('is undefined without the key, and a target needs a host', () => {
    expect(parseLocalRegistryHosting(undefined)).toBeUndefined();
    expect(parseLocalRegistryHosting({ other: 'x' })).toBeUndefined();
    expect(targetFromHosting(parseLocalRegistryHosting({ 'localRegistryHosting.v1': 'help: "https://example.com"' }))).toBeUndefined();
    expect(targetFromHosting({ host: 'localhost:5000' })).toMatchObject({ host: 'localhost:5000', pullHost: 'localhost:5000', prefix: '' });
  });
  it('reports broken YAML, a non-mapping, a non-string field and a bad host as a cluster error', () => {
    expect(codeOf(() => parseLocalRegistryHosting({ 'localRegistryHosting.v1': 'host: [unclosed' }))).toBe('cluster');
    expect(codeOf(() => parseLocalRegistryHosting({ 'localRegistryHosting.v1': '- a\n- b' }))).toBe('cluster');
    expect(codeOf(() => parseLocalRegistryHosting({ 'localRegistryHosting.v1': 'host: {a: 1}' }))).toBe('cluster');
    expect(codeOf(() => targetFromHosting({ host: 'http://localhost:5000' }))).toBe('cluster');
  });
});

/** A runner that answers `docker-credential-*` calls from a table and records what it was asked. */
function fakeRunner(answers: Record<string, Partial<RunResult>>): ProcessRunner & { calls: Array<{ cmd: string; args: string[]; input?: unknown }> } {
  const calls: Array<{ cmd: string; args: string[]; input?: unknown }> = [];
  return {
    calls,
    async run(cmd: string, args: string[], opts: RunOptions) {
      calls.push({ cmd, args, input: opts.input });
      const a = answers[cmd];
      if (!a) return { exitCode: 127, tail: [], stdout: '', startError: Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' }) };
      const stdout = a.stdout ?? '';
      return { exitCode: a.exitCode ?? 0, stdout, tail: a.tail ?? stdout.split('\n') };
    },
  };
}

describe('Docker credentials', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-registry-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const io = (runner: ProcessRunner) => ({ env: { DOCKER_CONFIG: dir, HOME: '/nonexistent' }, runner, cwd: dir });
  const write = (config: unknown) => writeFile(join(dir, 'config.json'), JSON.stringify(config));

  it('finds the config through DOCKER_CONFIG, else under HOME', () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: '/x/y' })).toBe('/x/y/config.json');
    expect(dockerConfigPath({ HOME: '/home/u' })).toBe('/home/u/.docker/config.json');
    expect(authKeyHost('https://Registry.example.com:5000/v2/')).toBe('registry.example.com:5000');
  });

  it('decodes auths[host].auth into user and password (the password may contain colons)', async () => {
    await write({ auths: { 'localhost:5000': { auth: b64('alice:s3:cret') }, 'other:1': { auth: b64('bob:x') } } });
    const r = fakeRunner({});
    expect(await dockerCredentials('localhost:5000', io(r))).toEqual({ serveraddress: 'localhost:5000', username: 'alice', password: 's3:cret' });
    expect(r.calls).toEqual([]);
  });

  it('matches keys written with a scheme and a path', async () => {
    await write({ auths: { 'https://registry.example.com/v1/': { auth: b64('u:p') } } });
    expect(await dockerCredentials('registry.example.com', io(fakeRunner({})))).toMatchObject({ username: 'u', password: 'p' });
  });

  it('uses an identitytoken', async () => {
    await write({ auths: { 'registry.example.com': { identitytoken: 'tok-123' } } });
    expect(await dockerCredentials('registry.example.com', io(fakeRunner({})))).toEqual({ serveraddress: 'registry.example.com', identitytoken: 'tok-123' });
  });

  it('is undefined without a config file or without an entry for the host', async () => {
    expect(await dockerCredentials('localhost:5000', io(fakeRunner({})))).toBeUndefined();
    await write({ auths: { 'other:5000': { auth: b64('u:p') } } });
    expect(await dockerCredentials('localhost:5000', io(fakeRunner({})))).toBeUndefined();
  });

  it('asks the per-host credential helper, passing the server on stdin', async () => {
    await write({ auths: { 'registry.example.com': {} }, credsStore: 'desktop', credHelpers: { 'registry.example.com': 'pass' } });
    const r = fakeRunner({ 'docker-credential-pass': { stdout: JSON.stringify({ ServerURL: 'registry.example.com', Username: 'carol', Secret: 'pw' }) } });
    expect(await dockerCredentials('registry.example.com', io(r))).toEqual({ serveraddress: 'registry.example.com', username: 'carol', password: 'pw' });
    expect(r.calls).toEqual([{ cmd: 'docker-credential-pass', args: ['get'], input: 'registry.example.com' }]);
  });

  it('falls back to credsStore, reads "<token>" as an identity token, and treats "not found" as no credentials', async () => {
    await write({ credsStore: 'desktop' });
    const token = fakeRunner({ 'docker-credential-desktop': { stdout: JSON.stringify({ Username: '<token>', Secret: 'idt' }) } });
    expect(await dockerCredentials('localhost:5000', io(token))).toEqual({ serveraddress: 'localhost:5000', identitytoken: 'idt' });
    const none = fakeRunner({ 'docker-credential-desktop': { exitCode: 1, stdout: 'credentials not found in native keychain' } });
    expect(await dockerCredentials('localhost:5000', io(none))).toBeUndefined();
  });

  it('reports a missing helper and a failing helper as registry errors', async () => {
    await write({ credHelpers: { 'localhost:5000': 'gone' } });
    await expect(dockerCredentials('localhost:5000', io(fakeRunner({})))).rejects.toMatchObject({ code: 'registry', message: expect.stringMatching(/docker-credential-gone is not installed/) });
    await write({ credsStore: 'broken' });
    const r = fakeRunner({ 'docker-credential-broken': { exitCode: 3, stdout: 'keyring locked' } });
    await expect(dockerCredentials('localhost:5000', io(r))).rejects.toMatchObject({ code: 'registry', details: ['keyring locked'] });
  });

  it('reports an unreadable config and a bad auth value as registry errors', async () => {
    await writeFile(join(dir, 'config.json'), '{ not json');
    await expect(dockerCredentials('localhost:5000', io(fakeRunner({})))).rejects.toMatchObject({ code: 'registry' });
    expect(() => lookupCredentials({ auths: { 'localhost:5000': { auth: b64('no-colon') } } }, 'localhost:5000')).toThrow(/not base64 of user:password/);
  });

  it('maps Docker Hub names to its historical key', () => {
    const found = lookupCredentials({ auths: { 'https://index.docker.io/v1/': { auth: b64('d:h') } } }, 'docker.io');
    expect(found).toEqual({ kind: 'auth', auth: { serveraddress: 'https://index.docker.io/v1/', username: 'd', password: 'h' } });
  });
});
