// Bounds on what ship will parse as manifests, checked before the YAML parser sees the text.
// Pure: sizes, texts and errors in, ShipError('manifest') (exit 10) out.
//
// Why (issue 9 item 7, `ship render APP --tag t1 --manifest FILE`):
// - a YAML alias bomb ("billion laughs") ended in `internal error: ReferenceError: Excessive alias
//   count` (exit 1);
// - 5,000-deep nesting gave "Maximum call stack size exceeded";
// - 30 MB of manifests took 1.5-1.8 GB of memory (the parsed documents and their nodes weigh
//   ~40-60 times the text) and minutes;
// - an unreadable file was an internal error.
// The limits are far above what one app's manifests hold (the API server itself refuses objects
// over ~1.5 MiB), so they only stop input that is not an app's manifests.

import { parseAllDocuments } from 'yaml';
import { ShipError } from '../../errors.js';

/** All manifest files of one run together. At the limit `ship render` peaks at ~450 MB (4.0 MiB of
 * Deployments, 12,400 documents: 445 MB, bench figures in the issue 9 report); 30 MB took 1.7 GB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Nesting of mappings and sequences; Kubernetes objects (CRD schemas included) stay far below. */
export const MAX_MANIFEST_DEPTH = 100;

const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

function tooBig(what: string): ShipError {
  return new ShipError('manifest', `${what}: ship reads at most ${mib(MAX_MANIFEST_BYTES)} of manifests per run.`, {
    hint: "That is far more than one app needs (the API server refuses objects over ~1.5 MiB). Point --manifest at the app's own manifests, and apply the rest with kubectl.",
  });
}

/** Before reading a file: its size (from stat), so an oversized file is never loaded. */
export function checkManifestFileSize(file: string, bytes: number): void {
  if (bytes > MAX_MANIFEST_BYTES) throw tooBig(`The manifest ${file} is ${mib(bytes)}`);
}

/** After reading: all sources together. */
export function checkManifestTotal<T extends { text: string }>(sources: T[]): T[] {
  const bytes = sources.reduce((n, s) => n + Buffer.byteLength(s.text), 0);
  if (bytes > MAX_MANIFEST_BYTES) throw tooBig(`The ${sources.length} manifest files add up to ${mib(bytes)}`);
  return sources;
}

/** A file that cannot be read, named, as exit 10; ShipErrors pass through. */
export function manifestReadError(file: string, e: unknown): ShipError {
  if (e instanceof ShipError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EISDIR'
          ? 'it is a directory'
          : ((e as Error)?.message ?? String(e));
  return new ShipError('manifest', `The manifest ${file} cannot be read: ${why}.`, {
    hint: code === 'EACCES' || code === 'EPERM' ? `Check its permissions (ls -l ${file}).` : 'Check the path given to --manifest.',
    cause: e,
  });
}

/**
 * The deepest nesting of a YAML text and the line where it is reached, in one linear pass:
 * flow collections ([ and { outside quotes and comments) plus block levels (indentation, and
 * "- " entries that open a sequence on the same line). Block scalar bodies (| and >) are skipped.
 */
export function yamlDepth(text: string): { depth: number; line: number } {
  let max = 0;
  let maxLine = 0;
  let flow = 0;
  const indents: number[] = [];
  let scalarIndent = -1; // inside a block scalar: lines indented more than this are its text
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end);
    start = end + 1;
    let i = 0;
    while (i < line.length && line[i] === ' ') i++;
    if (i === line.length || line[i] === '#' || line[i] === '\r') continue;
    if (scalarIndent >= 0) {
      if (i > scalarIndent) continue;
      scalarIndent = -1;
    }
    if (line.startsWith('---') || line.startsWith('...')) {
      flow = 0;
      indents.length = 0;
      continue;
    }
    let block = 0;
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! >= i) indents.pop();
      indents.push(i);
      // "- - - x": each dash opens one more sequence
      let j = i;
      while (line[j] === '-' && (line[j + 1] === ' ' || j + 1 === line.length)) {
        block++;
        j += 2;
        while (line[j] === ' ') j++;
      }
    }
    let quote = '';
    for (let k = i; k < line.length; k++) {
      const c = line[k];
      if (quote) {
        if (quote === '"' && c === '\\') k++;
        else if (c === quote) {
          if (quote === "'" && line[k + 1] === "'") k++;
          else quote = '';
        }
        continue;
      }
      if (c === '#' && (k === 0 || line[k - 1] === ' ' || line[k - 1] === '\t')) break;
      if ((c === '"' || c === "'") && (k === i || /[\s[{,:-]/.test(line[k - 1]!))) quote = c;
      else if (c === '[' || c === '{') {
        flow++;
        const d = indents.length + block + flow;
        if (d > max) (max = d), (maxLine = lineNo);
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
    }
    const d = indents.length + block + flow;
    if (d > max) (max = d), (maxLine = lineNo);
    if (flow === 0 && /(?:^|[\s:-])[|>][-+0-9]*\s*(?:#.*)?\r?$/.test(line.slice(i))) scalarIndent = i;
  }
  return { depth: max, line: maxLine };
}

const ALIAS = /(?:^|[\s,[{:-])\*[^\s,[\]{}]+/m;

/** What the parser must never see: nesting past MAX_MANIFEST_DEPTH, an alias expansion bomb. */
export function checkManifestText(file: string, text: string): void {
  const { depth, line } = yamlDepth(text);
  if (depth > MAX_MANIFEST_DEPTH) {
    throw new ShipError('manifest', `${file}:${line}: nested more than ${MAX_MANIFEST_DEPTH} levels deep; ship does not read it.`, {
      hint: 'No Kubernetes object is nested that deep: check that this file is a manifest (a generated or corrupted file?).',
    });
  }
  // Aliases are rare in manifests: only a text that has some is expanded here, with the
  // parser's own bound on alias expansion (maxAliasCount), so the check itself stays small.
  if (!ALIAS.test(text)) return;
  const docs = parseAllDocuments(text);
  for (const [index, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    if (doc.errors.length > 0) continue; // reported with its position by the render
    try {
      doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
      throw new ShipError('manifest', `${file} (document ${index + 1}): its YAML aliases (*name) expand to too many nodes — an "alias bomb"; ship does not read it.`, {
        hint: 'Write the repeated parts out, or use fewer nested aliases.',
      });
    }
  }
}
