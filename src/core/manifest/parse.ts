// Reading manifest text: which YAML looks like Kubernetes, parsing it into documents with errors
// that name the file, line and column, checking each object (apiVersion, kind, metadata.name,
// misspelled fields), and listing the images the pod templates name. Pure: the text is passed in.

import { isAbsolute, relative } from 'node:path';
import { isMap, isSeq, parseAllDocuments, type Document } from 'yaml';
import { ShipError } from '../../errors.js';
import { findUnknownFieldsDetailed } from '../manifest-fields.js';
import { POD_TEMPLATE_PATHS } from './kinds.js';
import type { ManifestSource } from './types.js';
import { checkManifestText } from './limits.js';
import { expandListDocument } from './list.js';

/** Whether the text looks like it holds Kubernetes objects (top-level apiVersion and kind). */
export function looksLikeKubernetes(text: string): boolean {
  return /^apiVersion:[ \t]*\S/m.test(text) && /^kind:[ \t]*\S/m.test(text);
}

export interface ParsedDoc {
  file: string;
  index: number;
  doc: Document.Parsed;
}

export function displayFile(file: string): string {
  return file;
}

export function parseSources(sources: ManifestSource[]): ParsedDoc[] {
  const out: ParsedDoc[] = [];
  for (const src of sources) {
    checkManifestText(src.file, src.text); // depth and alias bounds (limits.ts)
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

export function checkObject(file: string, index: number, js: unknown): { apiVersion: string; kind: string; name: string } {
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

export function checkUnknownFields(file: string, kind: string, name: string, js: Record<string, unknown>): void {
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
 * Every container image the manifests name (containers and initContainers of pod templates), in
 * order and without repeats. Malformed documents are skipped (render reports them); only hostile
 * input (checkManifestText) throws.
 */
export function listImages(sources: ManifestSource[]): string[] {
  const images: string[] = [];
  for (const src of sources) {
    checkManifestText(src.file, src.text); // hostile input is refused here too (limits.ts)
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

/** Path of a manifest relative to the project, for messages (absolute when outside it). */
export function manifestLabel(projectDir: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(projectDir, file);
  return rel.startsWith('..') ? file : rel;
}
