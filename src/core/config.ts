// ship.yaml: optional per-project defaults for the flags. Flags always win over the file.
//
// The file is validated by a small typed schema below (no schema library: a dozen keys do not
// need one). Every error names the file, the key and what the value must be, and is a usage
// error (exit 2). Relative paths in the file are resolved against the project directory, not
// against the directory ship was started from.
//
// Pure: the file is read by src/adapters/config-file.ts and its text handed to parseConfig.

import { isAbsolute, resolve, basename } from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, type Node } from 'yaml';
import { ShipError } from '../errors.js';
import { parseDuration, parsePort, type RawFlags } from './options.js';
import { MIN_WAIT_TIMEOUT_TEXT, waitTimeoutProblem } from './wait-timeout.js';

/** File names ship looks for in the project directory, in this order. */
export const CONFIG_FILES = ['ship.yaml', 'ship.yml'];

type Kind = 'string' | 'boolean' | 'stringList';

interface KeySpec {
  /** The RawFlags field the key fills. */
  flag: keyof RawFlags;
  kind: Kind;
  /** What the value must be, for the error message. */
  expect: string;
  /** Extra check on the (string) value; returns an error text or undefined. */
  check?: (value: string) => string | undefined;
  /** Value is a path: resolved against the project directory. */
  path?: boolean;
  /** Numbers are allowed and turned into strings (port 8080, timeout 90 = seconds, replicas 3). */
  numbers?: boolean;
  doc: string;
}

const okDuration = (v: string) => {
  try {
    return waitTimeoutProblem(parseDuration(v));
  } catch {
    return 'x';
  }
};
const okPort = (v: string) => {
  try {
    parsePort(v);
    return undefined;
  } catch {
    return 'x';
  }
};

/** The keys ship.yaml accepts, in the order `ship init` documents them. */
export const CONFIG_KEYS: Record<string, KeySpec> = {
  builder: {
    flag: 'builder',
    kind: 'string',
    expect: 'one of gradle, maven, none',
    check: (v) => (['gradle', 'maven', 'none'].includes(v) ? undefined : 'x'),
    doc: 'how to build: gradle, maven or none (the Dockerfile builds everything)',
  },
  skipTests: { flag: 'skipTests', kind: 'boolean', expect: 'true or false', doc: "skip the build's tests" },
  dockerfile: { flag: 'dockerfile', kind: 'string', expect: 'a path', path: true, doc: 'Dockerfile to use (relative to the project)' },
  tag: {
    flag: 'tag',
    kind: 'string',
    expect: 'an image tag (letters, digits, ".", "_", "-"; at most 128)',
    check: (v) => (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v) ? undefined : 'x'),
    numbers: true,
    doc: 'fixed image tag instead of the one derived from the sources',
  },
  manifests: { flag: 'manifest', kind: 'stringList', expect: 'a path or a list of paths', path: true, doc: 'manifest files or directories (relative to the project)' },
  kustomize: { flag: 'kustomize', kind: 'string', expect: 'a path', path: true, doc: 'kustomization directory to render (relative to the project)' },
  helm: { flag: 'helm', kind: 'string', expect: 'a path', path: true, doc: 'local Helm chart to render (relative to the project)' },
  values: { flag: 'values', kind: 'stringList', expect: 'a path or a list of paths', path: true, doc: 'Helm values files, in order' },
  set: { flag: 'set', kind: 'stringList', expect: 'KEY=VALUE or a list of them', check: (v) => (/^[^=]+=/.test(v) ? undefined : 'x'), doc: 'Helm values, in order' },
  namespace: {
    flag: 'namespace',
    kind: 'string',
    expect: 'a namespace name (lowercase letters, digits and "-")',
    check: (v) => (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? undefined : 'x'),
    doc: 'namespace to deploy to',
  },
  context: { flag: 'context', kind: 'string', expect: 'a kubeconfig context name', doc: 'kubeconfig context to use' },
  kubeconfig: { flag: 'kubeconfig', kind: 'string', expect: 'a path', path: true, doc: 'kubeconfig file' },
  allowContexts: { flag: 'allowContext', kind: 'stringList', expect: 'a context name or a list of them', doc: 'non-local contexts you accept (needs registry)' },
  load: { flag: 'load', kind: 'string', expect: 'kind[:NAME], k3d[:NAME], minikube[:PROFILE], containerd[:SOCKET[,SOCKET...]], shared or none', doc: 'how the image reaches the cluster' },
  registry: { flag: 'registry', kind: 'string', expect: 'HOST[:PORT][/PREFIX]', doc: 'push the image here and deploy the pushed name' },
  replicas: {
    flag: 'replicas',
    kind: 'string',
    expect: 'a whole number from 1 to 100',
    check: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 100 ? undefined : 'x'),
    numbers: true,
    doc: "N pods, or a Deployment's replica count",
  },
  timeout: { flag: 'timeout', kind: 'string', expect: `a duration of at least ${MIN_WAIT_TIMEOUT_TEXT} such as 90s or 5m (a bare number counts as seconds)`, check: okDuration, numbers: true, doc: 'how long to wait for Ready' },
  port: { flag: 'port', kind: 'string', expect: 'a number or "LOCAL:REMOTE"', check: okPort, numbers: true, doc: 'local port to forward (0 = any free port), optionally :container port' },
  smokePath: {
    flag: 'smokePath',
    kind: 'string',
    expect: 'a path starting with "/"',
    check: (v) => (v.startsWith('/') ? undefined : 'x'),
    doc: 'path of the HTTP smoke check',
  },
  smoke: { flag: 'smoke', kind: 'boolean', expect: 'true or false', doc: 'run the HTTP smoke check' },
  detach: { flag: 'detach', kind: 'boolean', expect: 'true or false', doc: 'exit after the smoke check instead of holding the forward' },
};

export type ShipConfig = Partial<RawFlags>;

/** Validate ship.yaml text. `file` is used in messages (its base name) and `projectDir` to resolve paths. */
export function parseConfig(text: string, where: { projectDir: string; file: string }): ShipConfig {
  const label = basename(where.file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  const fail = (key: string | undefined, message: string, hint: string, node?: Node | null): never => {
    const line = lineOf(node);
    throw new ShipError('usage', `${label}: ${key ? `${key}: ` : ''}${message}`, {
      hint,
      details: [line ? `${where.file}, line ${line}` : where.file],
    });
  };

  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = err.linePos?.[0]?.line;
    throw new ShipError('usage', `${label}: not valid YAML: ${err.message.split('\n')[0]}`, {
      hint: 'Fix the YAML syntax (indentation, a missing colon or quote).',
      details: [line ? `${where.file}, line ${line}` : where.file],
    });
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return {};
  if (!isMap(root)) fail(undefined, 'must be a mapping of keys to values (e.g. "port: 8080").', 'See `ship init` for a commented example.', root);

  const out: Record<string, unknown> = {};
  for (const pair of (root as import('yaml').YAMLMap).items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const spec = Object.prototype.hasOwnProperty.call(CONFIG_KEYS, key) ? CONFIG_KEYS[key] : undefined;
    if (!spec) {
      const near = closest(key, Object.keys(CONFIG_KEYS));
      fail(key, 'unknown key.', near ? `Did you mean "${near}"? Known keys: ${Object.keys(CONFIG_KEYS).join(', ')}.` : `Known keys: ${Object.keys(CONFIG_KEYS).join(', ')}.`, keyNode);
    }
    const valueNode = pair.value as Node | null;
    const value = valueNode === null ? null : (valueNode.toJSON() as unknown);
    const bad = () => fail(key, `must be ${spec!.expect}${value === null ? ' (it is empty)' : ` (got ${JSON.stringify(value)})`}.`, `Fix or remove "${key}" in ${label}; the flag --${kebab(String(spec!.flag))} sets the same thing for one run.`, valueNode ?? keyNode);
    out[spec!.flag] = convert(spec!, value, bad, where.projectDir);
  }
  return out as ShipConfig;
}

function convert(spec: KeySpec, value: unknown, bad: () => never, projectDir: string): unknown {
  const asPath = (v: string) => (spec.path ? (isAbsolute(v) ? v : resolve(projectDir, v)) : v);
  const one = (v: unknown): string => {
    let s: string;
    if (typeof v === 'string') s = v.trim();
    else if (typeof v === 'number' && spec.numbers && Number.isFinite(v)) s = String(v);
    else return bad();
    if (s === '') return bad();
    if (spec.check && spec.check(s) !== undefined) return bad();
    return asPath(s);
  };
  switch (spec.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') return bad();
      return value;
    case 'string':
      return one(value);
    case 'stringList': {
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0) return bad();
      return list.map(one);
    }
  }
}

/**
 * Merge ship.yaml under the flags: a flag the user typed always wins. `explicit` says whether a
 * flag came from the command line (commander's getOptionValueSource(key) === 'cli'); values that
 * are only commander's defaults do not override the file. Without it, any defined, non-empty flag
 * value counts as typed. Pure.
 */
export function mergeFlags(config: ShipConfig, flags: RawFlags, explicit?: (key: keyof RawFlags) => boolean): RawFlags {
  const merged: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(flags) as Array<[keyof RawFlags, unknown]>) {
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length === 0 && key in config) continue;
    if (explicit && !explicit(key) && key in config) continue;
    merged[key] = value;
  }
  return merged as RawFlags;
}

/** The commented ship.yaml that `ship init` writes; every key commented out with its default. */
export function configTemplate(defaults: { port?: number; builder?: string } = {}): string {
  const example: Record<string, string> = {
    builder: defaults.builder ?? 'gradle',
    skipTests: 'false',
    dockerfile: 'Dockerfile',
    tag: 'dev',
    manifests: '[k8s/]',
    kustomize: 'k8s/overlays/dev',
    helm: 'chart/',
    values: '[values-dev.yaml]',
    set: '[replicaCount=2]',
    namespace: 'default',
    context: 'kind-kind',
    kubeconfig: '/path/to/kubeconfig',
    allowContexts: '[my-remote-context]',
    load: 'kind',
    registry: 'localhost:5001/me',
    replicas: '1',
    timeout: '5m',
    port: String(defaults.port ?? 8080),
    smokePath: '/',
    smoke: 'true',
    detach: 'false',
  };
  const lines = [
    '# ship.yaml: defaults for this project. Every key is optional; a flag given on the command',
    '# line always wins over this file. Uncomment what you want to change.',
    '',
  ];
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    lines.push(`# ${spec.doc} (--${kebab(String(spec.flag))})`);
    lines.push(`# ${key}: ${example[key] ?? ''}`);
  }
  return lines.join('\n') + '\n';
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** The known key nearest to a typo (edit distance at most 3), if any. */
export function closest(word: string, words: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const cand of words) {
    const d = distance(w, cand.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = cand;
    }
  }
  return bestD <= Math.max(1, Math.min(3, Math.floor(word.length / 3))) ? best : undefined;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}
