// Rendering manifests: rewrite the containers that use the image ship built to its tag with
// imagePullPolicy IfNotPresent, add ship's labels, --replicas and the namespace.
//
// The rewrite goes through the yaml package's Document API, so comments, key order and anchors
// in the user's files survive. Only containers whose image is the one ship built are touched
// (image -> repository:immutable-tag, imagePullPolicy -> IfNotPresent); every other container
// is left exactly as written.

import { isAlias, isMap, isSeq, visit, type Document, type YAMLMap } from 'yaml';
import { ShipError } from '../../errors.js';
import { canonicalName } from '../image-ref.js';
import { MANAGED_BY_LABEL, NAME_LABEL, POD_TEMPLATE_PATHS, SCALABLE, isClusterScoped } from './kinds.js';
import { checkObject, checkUnknownFields, displayFile, parseSources } from './parse.js';
import type { RenderedManifest, RenderedObject, RenderInput, RewrittenContainer } from './types.js';

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

/** Render the manifests: rewrite the built image, add labels, replicas and namespace. */
export function renderManifest(input: RenderInput): RenderedManifest {
  const parsed = parseSources(input.sources);
  const match = new Set([input.image.repository, ...input.matchNames].map(canonicalName));
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
            if (!match.has(canonicalName(image))) {
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
