// Manifests: find them in a project, generate a Pod when there are none, and rewrite them so
// the cluster runs the image ship just built.
//
// The rewrite goes through the yaml package's Document API, so comments, key order and anchors
// in the user's files survive. Only containers whose image is the one ship built are touched
// (image -> repository:immutable-tag, imagePullPolicy -> IfNotPresent); every other container
// is left exactly as written. Everything here is pure except findManifests, which reads files.

import { canonicalName } from './image-ref.js';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { checkManifestFileSize, checkManifestText, checkManifestTotal, manifestReadError } from './manifest-limits.js';
import { expandListDocument } from './manifest-list.js';
import { Document, isAlias, isMap, isSeq, parseAllDocuments, visit, type YAMLMap } from 'yaml';
import { ShipError } from '../errors.js';
import { findUnknownFieldsDetailed } from './manifest-fields.js';

export interface ManifestSource {
  /** Absolute path of the file (or a label such as "<generated>"). */
  file: string;
  text: string;
}

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** The object as plain JSON, exactly what apply sends. */
  body: Record<string, unknown>;
  /** Where it came from: the file and the 0-based index of the document in it. */
  source: { file: string; doc: number };
}

export interface RewrittenContainer {
  file: string;
  kind: string;
  name: string;
  container: string;
  from: string;
  to: string;
}

export interface RenderedManifest {
  /** The multi-document YAML to apply. */
  yaml: string;
  objects: RenderedObject[];
  rewritten: RewrittenContainer[];
  /** Images of containers that were left untouched. */
  otherImages: string[];
}

export interface RenderInput {
  sources: ManifestSource[];
  image: { repository: string; tag: string };
  /** Image names that mean "the image ship built" (e.g. ['kubernetes-spring']); the repository is always one. */
  matchNames: string[];
  /** App name, for the app.kubernetes.io/name label. */
  app: string;
  /** Set on namespaced objects that name none. */
  namespace?: string;
  replicas?: number;
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const GENERATED_FILE = '<generated>';

// ---------------------------------------------------------------------------------------------
// Finding manifests

const YAML_FILE = /\.ya?ml$/i;
const MANIFEST_DIRS = ['k8s', 'kubernetes', 'deploy'];
/** Root YAML files that are never Kubernetes manifests, whatever they contain. */
const NOT_MANIFESTS = [/^application(-[\w.-]+)?\.ya?ml$/i, /^bootstrap(-[\w.-]+)?\.ya?ml$/i, /^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/i, /^ship\.ya?ml$/i, /^\./];

/** Whether the text looks like it holds Kubernetes objects (top-level apiVersion and kind). */
export function looksLikeKubernetes(text: string): boolean {
  return /^apiVersion:[ \t]*\S/m.test(text) && /^kind:[ \t]*\S/m.test(text);
}

async function yamlFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && YAML_FILE.test(e.name) && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name))
    .sort();
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function readSource(file: string): Promise<ManifestSource> {
  try {
    checkManifestFileSize(file, (await stat(file)).size); // before reading it (manifest-limits.ts)
    return { file, text: await readFile(file, 'utf8') };
  } catch (e) {
    throw manifestReadError(file, e);
  }
}

/**
 * The manifests to apply: the explicit --manifest files/dirs when given, else the project's
 * k8s/, kubernetes/ and deploy/ directories and the root YAML files that hold Kubernetes objects.
 * An empty result means the caller generates a Pod.
 */
export async function findManifests(projectDir: string, explicit: string[]): Promise<ManifestSource[]> {
  if (explicit.length > 0) {
    const out: ManifestSource[] = [];
    for (const path of explicit) {
      let info;
      try {
        info = await stat(path);
      } catch {
        throw new ShipError('manifest', `The manifest ${path} does not exist.`, {
          hint: 'Check the path given to --manifest (a YAML file or a directory of them).',
        });
      }
      if (info.isDirectory()) {
        const files = await yamlFilesIn(path);
        if (files.length === 0) {
          throw new ShipError('manifest', `The directory ${path} holds no .yaml or .yml file.`, {
            hint: 'Point --manifest at a YAML file, or at a directory that contains some.',
          });
        }
        for (const f of files) out.push(await readSource(f));
      } else {
        out.push(await readSource(path));
      }
    }
    return checkManifestTotal(out);
  }

  const out: ManifestSource[] = [];
  for (const name of MANIFEST_DIRS) {
    const dir = join(projectDir, name);
    if (!(await isDirectory(dir))) continue;
    for (const f of await yamlFilesIn(dir)) {
      const src = await readSource(f);
      if (looksLikeKubernetes(src.text)) out.push(src);
    }
  }
  for (const f of await yamlFilesIn(projectDir)) {
    const base = f.slice(projectDir.length).replace(/^[/\\]+/, '');
    if (NOT_MANIFESTS.some((re) => re.test(base))) continue;
    const src = await readSource(f);
    if (looksLikeKubernetes(src.text)) out.push(src);
  }
  return checkManifestTotal(out);
}

// ---------------------------------------------------------------------------------------------
// Generating a Pod

/** The DNS-1123 name of the Pod ship generates for an app. */
export function generatedPodName(app: string): string {
  const name = app
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name || 'app';
}

export interface GeneratePodInput {
  name: string;
  /** The image as the user would write it (the rewrite pins it to the built tag). */
  image: string;
  port?: number;
  actuator: boolean;
}

/** A single-container Pod for a project without manifests. */
export function generatePodManifest({ name, image, port = 8080, actuator }: GeneratePodInput): string {
  const readinessProbe = actuator
    ? { httpGet: { path: '/actuator/health', port }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 2 }
    : { tcpSocket: { port }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 2 };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: {
      containers: [{ name, image, ports: [{ containerPort: port }], readinessProbe }],
    },
  };
  const doc = new Document(pod);
  doc.commentBefore = ' Generated by ship: the project has no Kubernetes manifest.';
  return doc.toString();
}

// ---------------------------------------------------------------------------------------------
// Image names

/** The fully qualified repository an image reference names (`x:1` → `docker.io/library/x`). */
export const normalizeImageName = canonicalName;

// ---------------------------------------------------------------------------------------------
// Rendering

/** Where the pod template (metadata + spec) sits in each workload kind ([] = the object is the pod). */
export const POD_TEMPLATE_PATHS: Record<string, string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};
const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

/** Kinds that are not namespaced (metadata.namespace must not be set on them). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'APIService',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

interface ParsedDoc {
  file: string;
  index: number;
  doc: Document.Parsed;
}

function displayFile(file: string): string {
  return file;
}

function parseSources(sources: ManifestSource[]): ParsedDoc[] {
  const out: ParsedDoc[] = [];
  for (const src of sources) {
    checkManifestText(src.file, src.text); // depth and alias bounds (manifest-limits.ts)
    const docs = parseAllDocuments(src.text);
    if (!Array.isArray(docs)) continue; // an empty stream (only comments)
    for (const [index, doc] of docs.entries()) {
      const err = doc.errors[0];
      if (err) {
        const pos = err.linePos?.[0];
        const where = pos ? `${displayFile(src.file)}:${pos.line}:${pos.col}` : displayFile(src.file);
        const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        throw new ShipError('manifest', `${where}: ${message}`, {
          hint: 'Fix the YAML syntax at that place (indentation, a missing ":" or an unclosed bracket are the usual causes).',
          details: err.message.split('\n').slice(1).filter((l) => l.trim() !== ''),
          cause: err,
        });
      }
      if (doc.contents === null || doc.toJS() === null || doc.toJS() === undefined) continue; // empty document
      for (const one of expandListDocument(doc)) out.push({ file: src.file, index, doc: one });
    }
  }
  return out;
}

function checkObject(file: string, index: number, js: unknown): { apiVersion: string; kind: string; name: string } {
  const where = `${displayFile(file)} (document ${index + 1})`;
  if (typeof js !== 'object' || js === null || Array.isArray(js)) {
    throw new ShipError('manifest', `${where} is not a Kubernetes object (it is not a mapping).`, {
      hint: 'Each YAML document must be one object with apiVersion, kind and metadata.name.',
    });
  }
  const o = js as Record<string, unknown>;
  const meta = o.metadata as Record<string, unknown> | undefined;
  const missing = [
    typeof o.apiVersion === 'string' && o.apiVersion ? undefined : 'apiVersion',
    typeof o.kind === 'string' && o.kind ? undefined : 'kind',
    meta && typeof meta.name === 'string' && meta.name ? undefined : 'metadata.name',
  ].filter(Boolean);
  if (missing.length) {
    throw new ShipError('manifest', `${where} has no ${missing.join(', ')}.`, {
      hint: 'Each YAML document must be one Kubernetes object with apiVersion, kind and metadata.name.',
    });
  }
  return { apiVersion: o.apiVersion as string, kind: o.kind as string, name: meta!.name as string };
}

function checkUnknownFields(file: string, kind: string, name: string, js: Record<string, unknown>): void {
  const unknown = findUnknownFieldsDetailed(js);
  if (unknown.length === 0) return;
  const first = unknown[0]!;
  const more = unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : '';
  throw new ShipError('manifest', `${displayFile(file)}: unknown field "${first.path}" in ${kind} ${name}${more}`, {
    hint: first.suggestion
      ? `Did you mean "${first.suggestion}"? Kubernetes would reject or ignore "${first.field}".`
      : `"${first.field}" is not a field of ${kind} at that place; check the spelling and indentation.`,
    details: unknown.map((u) => `unknown field "${u.path}"${u.suggestion ? ` (did you mean "${u.suggestion}"?)` : ''}`),
  });
}

/**
 * The map at `path`, created when missing, and not shared with any other place: an alias there
 * is replaced by a copy of its target, and aliases elsewhere that point at an anchored map there
 * are replaced by copies of it. So adding a label to a pod template never changes a selector
 * written as `matchLabels: *labels`.
 */
function ownMap(doc: Document.Parsed, path: string[]): YAMLMap {
  const node = doc.getIn(path, true);
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (isMap(target)) {
      const copy = target.clone() as YAMLMap;
      copy.anchor = undefined;
      doc.setIn(path, copy);
      return copy;
    }
  }
  if (isMap(node)) {
    if (node.anchor) {
      let replaced = 0;
      visit(doc, {
        Alias(_, alias) {
          if (alias.resolve(doc) !== node) return undefined;
          const copy = node.clone() as YAMLMap;
          copy.anchor = undefined;
          replaced++;
          return copy;
        },
      });
      if (replaced > 0) node.anchor = undefined;
    }
    return node;
  }
  doc.setIn(path, doc.createNode({}));
  return doc.getIn(path, true) as YAMLMap;
}

function addLabels(doc: Document.Parsed, metadataPath: string[], app: string): void {
  const labels = ownMap(doc, [...metadataPath, 'labels']);
  labels.flow = false;
  labels.set(MANAGED_BY_LABEL, 'ship');
  // Never replace an existing name label: a Service or a selector may match on it.
  if (!labels.has(NAME_LABEL)) labels.set(NAME_LABEL, app);
}

/**
 * Every container image the manifests name (containers and initContainers of pod templates), in
 * order and without repeats. Malformed documents are skipped (render reports them); only hostile
 * input (checkManifestText) throws.
 */
export function listImages(sources: ManifestSource[]): string[] {
  const images: string[] = [];
  for (const src of sources) {
    checkManifestText(src.file, src.text); // hostile input is refused here too (manifest-limits.ts)
    const docs = parseAllDocuments(src.text);
    if (!Array.isArray(docs)) continue;
    for (const doc of docs.flatMap((d) => (d.errors.length ? [d] : expandListDocument(d)))) {
      if (doc.errors.length) continue;
      const js = doc.toJS() as Record<string, unknown> | null;
      const templatePath = js && typeof js.kind === 'string' ? POD_TEMPLATE_PATHS[js.kind] : undefined;
      if (!templatePath) continue;
      for (const list of ['initContainers', 'containers']) {
        const items = doc.getIn([...templatePath, 'spec', list]);
        if (!isSeq(items)) continue;
        for (const item of items.items) {
          const image = isMap(item) ? item.get('image') : undefined;
          if (typeof image === 'string' && !images.includes(image)) images.push(image);
        }
      }
    }
  }
  return images;
}

/** Render the manifests: rewrite the built image, add labels, replicas and namespace. */
export function renderManifest(input: RenderInput): RenderedManifest {
  const parsed = parseSources(input.sources);
  const match = new Set([input.image.repository, ...input.matchNames].map(normalizeImageName));
  const target = `${input.image.repository}:${input.image.tag}`;
  const replicas = input.replicas;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) {
    throw new ShipError('manifest', `--replicas must be a whole number of at least 1 (got ${replicas}).`, {
      hint: 'Use e.g. --replicas 2.',
    });
  }

  const objects: RenderedObject[] = [];
  const rewritten: RewrittenContainer[] = [];
  const otherImages: string[] = [];
  const foundImages: string[] = [];
  const texts: string[] = [];

  for (const { file, index, doc } of parsed) {
    const js = doc.toJS() as unknown;
    const { apiVersion, kind, name } = checkObject(file, index, js);
    checkUnknownFields(file, kind, name, js as Record<string, unknown>);

    // Pods are copied for --replicas; everything else stays one document.
    const copies: Array<{ doc: Document.Parsed; name: string }> =
      kind === 'Pod' && replicas !== undefined && replicas > 1
        ? Array.from({ length: replicas }, (_, i) => ({ doc: doc.clone() as Document.Parsed, name: `${name}-${i + 1}` }))
        : [{ doc, name }];

    for (const copy of copies) {
      const d = copy.doc;
      if (copy.name !== name) d.setIn(['metadata', 'name'], copy.name);
      addLabels(d, ['metadata'], input.app);

      if (input.namespace && !isClusterScoped(kind) && !d.getIn(['metadata', 'namespace'])) {
        d.setIn(['metadata', 'namespace'], input.namespace);
      }
      if (SCALABLE.has(kind) && replicas !== undefined) d.setIn(['spec', 'replicas'], replicas);

      const templatePath = POD_TEMPLATE_PATHS[kind];
      if (templatePath) {
        if (templatePath.length > 0) addLabels(d, [...templatePath, 'metadata'], input.app);
        for (const list of ['initContainers', 'containers']) {
          const seq = d.getIn([...templatePath, 'spec', list], true);
          if (!isSeq(seq)) continue;
          seq.items.forEach((item, i) => {
            if (!isMap(item)) return;
            const image = item.get('image');
            const containerName = String(item.get('name') ?? `#${i}`);
            if (typeof image !== 'string') return;
            foundImages.push(image);
            if (!match.has(normalizeImageName(image))) {
              otherImages.push(image);
              return;
            }
            item.set('image', target);
            item.set('imagePullPolicy', 'IfNotPresent');
            rewritten.push({ file, kind, name: copy.name, container: containerName, from: image, to: target });
          });
        }
      }

      const body = d.toJS() as Record<string, unknown>;
      const meta = body.metadata as Record<string, unknown>;
      objects.push({
        apiVersion,
        kind,
        name: copy.name,
        ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
        body,
        source: { file, doc: index },
      });
      let text = d.toString({ flowCollectionPadding: false });
      if (!text.startsWith('---')) text = '---\n' + text;
      texts.push(text);
    }
  }

  if (rewritten.length === 0) {
    const files = [...new Set(input.sources.map((s) => displayFile(s.file)))].join(', ') || '(no manifest)';
    const built = input.matchNames[0] ?? input.image.repository;
    const found = [...new Set(foundImages)];
    throw new ShipError('manifest', `No container in ${files} uses the image ship built (${built}).`, {
      hint:
        (found.length ? `Images found: ${found.join(', ')}. ` : 'No container image was found at all. ') +
        `Set the image of your app's container to "${built}" (any tag) in the manifest, so ship can replace it with the image it built.`,
    });
  }

  return { yaml: texts.join(''), objects, rewritten, otherImages: [...new Set(otherImages)] };
}

/** Path of a manifest relative to the project, for messages (absolute when outside it). */
export function manifestLabel(projectDir: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(projectDir, file);
  return rel.startsWith('..') ? file : rel;
}
