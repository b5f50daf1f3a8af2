// Registries: where `--registry` (or a cluster's KEP-1755 advertisement) sends the image, the name
// the manifests then use, and the credentials Docker would use for that host.
// Pure: parsing, naming, and the credential lookup in a parsed Docker config. Reading that file and
// running a credential helper is src/adapters/docker-credentials.ts.

import { parse as parseYaml } from 'yaml';
import { ShipError, errorMessage } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// --registry HOST[:PORT][/PREFIX]

export interface RegistryTarget {
  /** HOST[:PORT] ship pushes to (from this machine). */
  host: string;
  /** HOST[:PORT] the cluster's container runtime pulls from; differs from `host` for KEP-1755 registries such as kind's. */
  pullHost: string;
  /** Repository path prefix without slashes at either end ("" when none). */
  prefix: string;
  /** Where the target came from, for messages: `--registry localhost:5000` or the ConfigMap. */
  source: string;
}

// A hostname label, an IPv4 address, or a bracketed IPv6 address; then an optional port.
const HOST_RE = /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*|\[[0-9A-Fa-f:.]+\])(?::(\d+))?$/;
// One path component of a repository name (the distribution reference grammar).
const COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

const REGISTRY_HINT = 'Use --registry HOST[:PORT][/PREFIX], for example --registry localhost:5000 or --registry registry.example.com/team.';

function usage(value: string, why: string): ShipError {
  return new ShipError('usage', `--registry ${value}: ${why}.`, { hint: REGISTRY_HINT });
}

/** Check a HOST[:PORT] and return it; throws ShipError('usage') with `what` in the message. */
function checkHost(host: string, value: string): string {
  const m = HOST_RE.exec(host);
  if (!m) throw usage(value, `"${host}" is not a host name or address`);
  if (m[1] !== undefined) {
    const port = Number(m[1]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw usage(value, `port ${m[1]} is out of range (1-65535)`);
  }
  return host;
}

function checkPrefix(prefix: string, value: string): string {
  if (prefix === '') return '';
  for (const part of prefix.split('/')) {
    if (part === '') throw usage(value, 'the path has an empty component ("//")');
    if (!COMPONENT_RE.test(part)) {
      throw usage(value, `"${part}" is not a valid repository path component (lower-case letters, digits and single . _ - between them)`);
    }
  }
  return prefix;
}

/** Parse `--registry HOST[:PORT][/PREFIX]`. A scheme, credentials, a tag or a bad host/port is a usage error. */
export function parseRegistry(value: string): RegistryTarget {
  const raw = value.trim();
  if (raw === '') throw usage(value, 'empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw usage(value, 'give the host without a scheme (no http:// or https://)');
  if (raw.includes('@')) throw usage(value, 'credentials or digests do not belong in the registry name (ship reads credentials from the Docker config)');
  if (/\s/.test(raw)) throw usage(value, 'contains spaces');
  const noTrail = raw.replace(/\/+$/, '');
  const slash = noTrail.indexOf('/');
  const host = slash < 0 ? noTrail : noTrail.slice(0, slash);
  const prefix = slash < 0 ? '' : noTrail.slice(slash + 1);
  if (prefix.includes(':')) throw usage(value, 'the path after the host cannot carry a tag (ship chooses the tag)');
  checkHost(host, value);
  checkPrefix(prefix, value);
  return { host, pullHost: host, prefix, source: `--registry ${raw}` };
}

/** Whether the first component of a reference names a registry host (has a dot or a port, or is localhost). */
function isHostComponent(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost';
}

/** The repository path under the target: `prefix/repo`, with any registry host the repo already names dropped. */
function repositoryPath(target: RegistryTarget, repository: string): string {
  let parts = repository.split('/').filter(Boolean);
  if (parts.length > 1 && isHostComponent(parts[0]!)) parts = parts.slice(1);
  const path = parts.join('/').toLowerCase();
  if (target.prefix && (path === target.prefix || path.startsWith(target.prefix + '/'))) return path;
  return target.prefix ? `${target.prefix}/${path}` : path;
}

export interface RegistryRefs {
  /** The name ship tags and pushes: HOST[:PORT]/PREFIX/REPO:TAG. */
  pushRef: string;
  /** The name the manifests use (the cluster's runtime pulls it): same path under `pullHost`. */
  pullRef: string;
  /** HOST[:PORT]/PREFIX/REPO without the tag (what `docker push` is given with `tag`). */
  pushRepository: string;
  tag: string;
}

/** The references for pushing `repository:tag` to the target (`localhost:5000/team/app:ship-1a2b`). */
export function registryRefs(target: RegistryTarget, repository: string, tag: string): RegistryRefs {
  const path = repositoryPath(target, repository);
  return {
    pushRef: `${target.host}/${path}:${tag}`,
    pullRef: `${target.pullHost}/${path}:${tag}`,
    pushRepository: `${target.host}/${path}`,
    tag,
  };
}

// ---------------------------------------------------------------------------------------------
// KEP-1755: the kube-public/local-registry-hosting ConfigMap

export const LOCAL_REGISTRY_CONFIGMAP = { namespace: 'kube-public', name: 'local-registry-hosting' } as const;
export const LOCAL_REGISTRY_KEY = 'localRegistryHosting.v1';

export interface LocalRegistryHosting {
  /** HOST[:PORT] that clients outside the cluster (this machine) push to. */
  host?: string;
  /** HOST[:PORT] pods inside the cluster use. */
  hostFromClusterNetwork?: string;
  /** HOST[:PORT] the nodes' container runtime pulls from. */
  hostFromContainerRuntime?: string;
  /** URL with documentation on the registry. */
  help?: string;
}

const HOSTING_FIELDS = ['host', 'hostFromClusterNetwork', 'hostFromContainerRuntime', 'help'] as const;

/**
 * Parse the ConfigMap's data. Undefined when the key is absent. Unknown fields are ignored (the
 * KEP lets later versions add some); a value that is not YAML, not a mapping, or has a non-string
 * field is a ShipError('cluster') naming the ConfigMap.
 */
export function parseLocalRegistryHosting(data: Record<string, string> | undefined): LocalRegistryHosting | undefined {
  const text = data?.[LOCAL_REGISTRY_KEY];
  if (text === undefined) return undefined;
  const where = `The ${LOCAL_REGISTRY_CONFIGMAP.namespace}/${LOCAL_REGISTRY_CONFIGMAP.name} ConfigMap's ${LOCAL_REGISTRY_KEY}`;
  const hint = `Fix it (kubectl -n ${LOCAL_REGISTRY_CONFIGMAP.namespace} edit configmap ${LOCAL_REGISTRY_CONFIGMAP.name}) or choose a loader with --load.`;
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ShipError('cluster', `${where} is not valid YAML: ${errorMessage(e)}`, { hint, cause: e });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ShipError('cluster', `${where} is not a mapping.`, { hint });
  const out: LocalRegistryHosting = {};
  for (const field of HOSTING_FIELDS) {
    const v = (doc as Record<string, unknown>)[field];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new ShipError('cluster', `${where} has a ${field} that is not a string.`, { hint });
    out[field] = v.trim();
  }
  return out;
}

/**
 * The push target a KEP-1755 advertisement gives: push to `host`, let the nodes pull from
 * `hostFromContainerRuntime` (or `host` when not given). Undefined when it names no host.
 */
export function targetFromHosting(h: LocalRegistryHosting | undefined): RegistryTarget | undefined {
  if (!h?.host) return undefined;
  const source = `the cluster's ${LOCAL_REGISTRY_CONFIGMAP.namespace}/${LOCAL_REGISTRY_CONFIGMAP.name} ConfigMap`;
  const hint = `Fix the ConfigMap or choose a loader with --load.`;
  const check = (field: string, v: string) => {
    const t = v.replace(/\/+$/, '');
    if (!HOST_RE.test(t) || t.includes('/')) {
      throw new ShipError('cluster', `${source} gives ${field} "${v}", which is not HOST[:PORT].`, { hint });
    }
    return t;
  };
  const host = check('host', h.host);
  const pullHost = h.hostFromContainerRuntime ? check('hostFromContainerRuntime', h.hostFromContainerRuntime) : host;
  return { host, pullHost, prefix: '', source };
}

// ---------------------------------------------------------------------------------------------
// Docker credentials

/** What Docker's push API takes as X-Registry-Auth (dockerode's `authconfig`). */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string } | undefined>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const DOCKER_HUB_HOSTS = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** The host part of an `auths` key: `https://host:5000/v1/` → `host:5000`. */
export function authKeyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase();
}

/** The server address Docker uses for a host (Docker Hub has its historical URL). */
export function serverAddress(host: string): string {
  return DOCKER_HUB_HOSTS.includes(host.toLowerCase()) ? DOCKER_HUB_KEY : host;
}

export type ConfigLookup =
  | { kind: 'auth'; auth: RegistryAuth }
  | { kind: 'helper'; helper: string; fallback?: RegistryAuth }
  | { kind: 'none' };

/** Decode one `auths` entry; undefined when it carries nothing usable (an empty `{}` left by a credential store). */
function decodeEntry(host: string, entry: NonNullable<NonNullable<DockerConfigFile['auths']>[string]>, file: string): RegistryAuth | undefined {
  const serveraddress = serverAddress(host);
  let username = entry.username;
  let password = entry.password;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new ShipError('registry', `The Docker config ${file} has an "auth" for ${host} that is not base64 of user:password.`, {
        hint: `Log in again: docker login ${host}`,
      });
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (entry.identitytoken) return { serveraddress, identitytoken: entry.identitytoken, ...(username ? { username } : {}) };
  if (username !== undefined && password !== undefined) return { serveraddress, username, password };
  return undefined;
}

/**
 * Pure lookup in a parsed config.json, the way the Docker CLI does it: a per-host credHelpers entry
 * wins, then credsStore; otherwise the `auths` entry whose key names the host (with or without a
 * scheme and path).
 */
export function lookupCredentials(config: DockerConfigFile, host: string, file = 'config.json'): ConfigLookup {
  const want = host.toLowerCase();
  const hub = DOCKER_HUB_HOSTS.includes(want);
  const matches = (key: string) => {
    const h = authKeyHost(key);
    return h === want || (hub && DOCKER_HUB_HOSTS.includes(h));
  };
  const entryKey = Object.keys(config.auths ?? {}).find(matches);
  const entry = entryKey === undefined ? undefined : config.auths?.[entryKey];
  const fromAuths = entry ? decodeEntry(host, entry, file) : undefined;
  const helperKey = Object.keys(config.credHelpers ?? {}).find(matches);
  const helper = (helperKey && config.credHelpers?.[helperKey]) || config.credsStore;
  if (helper) return { kind: 'helper', helper, ...(fromAuths ? { fallback: fromAuths } : {}) };
  if (fromAuths) return { kind: 'auth', auth: fromAuths };
  return { kind: 'none' };
}
