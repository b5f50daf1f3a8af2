// Unknown-field detection for built-in Kubernetes kinds, using client-node's own model type maps.
//
// client-node's ObjectSerializer silently drops fields it does not know (a misspelled
// `imagePullPolcy:` vanishes without a word). ship sends manifests unserialized and asks the
// server for strict validation, but it also checks here first so a typo is reported with its
// path before anything reaches the cluster. Kinds client-node has no model for (custom
// resources) are skipped: the server's strict validation catches those.

// The models only (client-node's own models/all.js, re-exported unchanged by its index): a
// namespace import of the whole package would keep every API class of every group in ship's
// bundle (2.5 MB of the 3.7 MB client-node chunk, compiled on every run). A unit test checks that
// this module still holds every model class the package exports.
import * as k8s from '@kubernetes/client-node/dist/gen/models/all.js';

interface AttributeType {
  name: string;
  /** The JSON key. */
  baseName: string;
  /** e.g. "string", "V1PodSpec", "Array<V1Container>", "{ [key: string]: string; }". */
  type: string;
}

interface ModelClass {
  getAttributeTypeMap(): AttributeType[];
}

export interface UnknownField {
  /** Path like `spec.containers[0].imagePullPolcy`. */
  path: string;
  /** The unknown key itself. */
  field: string;
  /** The closest valid key at that place, when one is close enough. */
  suggestion?: string;
}

/** API groups whose kinds client-node models (and only those: a CRD may reuse a kind name). */
const BUILT_IN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'node.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'certificates.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'resource.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'storagemigration.k8s.io',
  'internal.apiserver.k8s.io',
]);

const models = k8s as unknown as Record<string, unknown>;

function modelClass(typeName: string): ModelClass | undefined {
  const candidate = models[typeName];
  if (typeof candidate === 'function' && typeof (candidate as Partial<ModelClass>).getAttributeTypeMap === 'function') {
    return candidate as unknown as ModelClass;
  }
  return undefined;
}

const capitalize = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** The client-node model type name for an apiVersion + kind, or undefined when it has none. */
export function modelTypeFor(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  if (!BUILT_IN_GROUPS.has(group) || !/^v\d+((alpha|beta)\d+)?$/.test(version) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return undefined;
  }
  // Kinds defined in several groups carry a group prefix (CoreV1Event, EventsV1Event).
  const prefix = group === '' ? 'Core' : capitalize(group.split('.')[0]!);
  for (const name of [`${prefix}${capitalize(version)}${kind}`, `${capitalize(version)}${kind}`]) {
    if (modelClass(name)) return name;
  }
  return undefined;
}

const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(value: unknown, type: string, path: string, out: UnknownField[]): void {
  if (value === null || value === undefined) return;
  const arr = ARRAY.exec(type);
  if (arr) {
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, arr[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = MAP.exec(type);
  if (map) {
    if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) walk(item, map[1]!, path ? `${path}.${key}` : key, out);
    }
    return;
  }
  const cls = modelClass(type);
  if (!cls || !isPlainObject(value)) return; // a primitive, IntOrString, any, Date: nothing to check inside
  const attributes = cls.getAttributeTypeMap();
  for (const [key, item] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    const attr = attributes.find((a) => a.baseName === key);
    if (!attr) {
      out.push({ path: childPath, field: key, suggestion: closest(key, attributes.map((a) => a.baseName)) });
      continue;
    }
    walk(item, attr.type, childPath, out);
  }
}

/** Every unknown field of a built-in object, with its path and the closest valid name. */
export function findUnknownFieldsDetailed(obj: Record<string, unknown>): UnknownField[] {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [];
  const type = modelTypeFor(apiVersion, kind);
  if (!type) return [];
  const out: UnknownField[] = [];
  walk(obj, type, '', out);
  return out;
}

/** Paths of the unknown fields of a built-in object (`spec.containers[0].imagePullPolcy`). */
export function findUnknownFields(obj: Record<string, unknown>): string[] {
  return findUnknownFieldsDetailed(obj).map((u) => u.path);
}

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}
