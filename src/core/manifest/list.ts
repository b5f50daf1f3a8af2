// `kind: List` (what `kubectl get -o yaml` prints, and what kubectl apply accepts): each item is
// applied as its own object. ship used to reject it ("has no metadata.name"). Pure.
//
// A List document becomes one document per item whose contents are that item's node, so the
// item's comments and key order survive the rewrite.
// Typed lists (PodList, ConfigMapList…) are expanded the same way, as kubectl does.

import { isMap, isSeq, type Document } from 'yaml';

export function isListKind(kind: unknown): boolean {
  return typeof kind === 'string' && /List$/.test(kind);
}

/** The documents a parsed document stands for: its items for a List, else itself. */
export function expandListDocument<D extends Document.Parsed>(doc: D): D[] {
  const root = doc.contents;
  if (!isMap(root) || !isListKind(root.get('kind'))) return [doc];
  const items = root.get('items', true);
  if (!isSeq(items)) return [doc];
  // One empty shell (the document's options, directives and schema), then each item's own node
  // in a copy of it: linear in the number of items. The List document itself is not used again.
  doc.contents = null;
  const shell = doc.clone() as D;
  doc.contents = root;
  shell.commentBefore = null;
  shell.comment = null;
  return items.items.map((item) => {
    const one = shell.clone() as D;
    one.contents = item as D['contents'];
    return one;
  });
}
