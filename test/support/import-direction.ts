// The import-direction check: in a source tree laid out like src/, every relative import (static,
// type-only, `export … from`, dynamic `import()`, `import('…').T` types) may only point to its own
// layer or a lower one, and no file may reach itself through imports (cycles of any length).
// Imports of packages and node: modules are not the check's business.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Layers from the top (index 0) down; a file belongs to the first layer one of whose entries matches
 * its path relative to the root (`dir/` for a folder, else a file). */
export const shipLayers: readonly (readonly string[])[] = [
  ['cli.ts', 'modules.ts', 'code-cache.ts', 'error-report.ts'],
  ['commands/'],
  ['pipeline/'],
  ['tasks/'],
  ['adapters/'],
  ['core/'],
  ['errors.ts'],
];

export interface ImportEdge {
  /** Importing and imported file, relative to the root, with `/` separators. */
  from: string;
  to: string;
  line: number;
  specifier: string;
}

export type ImportProblem =
  | { kind: 'upward'; edge: ImportEdge; fromLayer: string; toLayer: string }
  | { kind: 'unlayered'; file: string }
  | { kind: 'unresolved'; edge: Omit<ImportEdge, 'to'> }
  /** files: one path round the cycle; component: every file in it (the strongly connected component). */
  | { kind: 'cycle'; files: string[]; component: string[] };

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...tsFiles(full));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Every module specifier the file names, with its 1-based line. */
export function importSpecifiers(fileName: string, text: string): { specifier: string; line: number }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: { specifier: string; line: number }[] = [];
  const add = (lit: ts.Node | undefined) => {
    if (lit && ts.isStringLiteralLike(lit)) {
      found.push({ specifier: lit.text, line: sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The .ts file a relative specifier names (`./x.js` → x.ts, `./dir` → dir/index.ts), or undefined. */
function resolveRelative(importer: string, specifier: string, files: Set<string>): string | undefined {
  const base = resolve(dirname(importer), specifier);
  const stem = base.replace(/\.(js|ts|mjs|cjs)$/, '');
  return [`${stem}.ts`, base, join(base, 'index.ts')].find((c) => files.has(c));
}

function layerOf(file: string, layers: readonly (readonly string[])[]): number {
  return layers.findIndex((entries) =>
    entries.some((e) => (e.endsWith('/') ? file.startsWith(e) : file === e)),
  );
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return out;
}

/** One concrete path around a cycle: from the component's first file back to it. */
function cyclePath(component: string[], graph: Map<string, Set<string>>): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const seen = new Set<string>();
  const walk = (v: string, path: string[]): string[] | undefined => {
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (w === start) return [...path, w];
      if (members.has(w) && !seen.has(w)) {
        seen.add(w);
        const found = walk(w, [...path, w]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(start, [start]) ?? component;
}

/** Checks every .ts file under root against the layers; an empty list means the tree is clean. */
export function checkImportDirection(
  root: string,
  layers: readonly (readonly string[])[] = shipLayers,
): ImportProblem[] {
  const absolute = tsFiles(root);
  const fileSet = new Set(absolute);
  const rel = (f: string) => relative(root, f).split(sep).join('/');
  const problems: ImportProblem[] = [];
  const graph = new Map<string, Set<string>>();
  const name = (i: number) => layers[i]!.join(', ');

  for (const file of absolute) {
    const from = rel(file);
    const fromLayer = layerOf(from, layers);
    if (fromLayer < 0) problems.push({ kind: 'unlayered', file: from });
    const targets = new Set<string>();
    graph.set(from, targets);
    for (const { specifier, line } of importSpecifiers(file, readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveRelative(file, specifier, fileSet);
      if (!target) {
        problems.push({ kind: 'unresolved', edge: { from, line, specifier } });
        continue;
      }
      const to = rel(target);
      targets.add(to);
      const toLayer = layerOf(to, layers);
      if (fromLayer >= 0 && toLayer >= 0 && toLayer < fromLayer) {
        problems.push({ kind: 'upward', edge: { from, to, line, specifier }, fromLayer: name(fromLayer), toLayer: name(toLayer) });
      }
    }
  }
  for (const component of cycles(graph)) {
    problems.push({ kind: 'cycle', files: cyclePath(component, graph), component });
  }
  return problems;
}

/** One line per problem, naming the files (and line) involved. */
export function formatImportProblem(p: ImportProblem): string {
  switch (p.kind) {
    case 'upward':
      return `upward import: ${p.edge.from}:${p.edge.line} imports ${p.edge.to} ('${p.edge.specifier}'): ${p.fromLayer} may not import ${p.toLayer}`;
    case 'unlayered':
      return `file in no layer: ${p.file}`;
    case 'unresolved':
      return `unresolved import: ${p.edge.from}:${p.edge.line} '${p.edge.specifier}'`;
    case 'cycle': {
      const others = p.component.filter((f) => !p.files.includes(f));
      return `import cycle: ${p.files.join(' → ')}${others.length ? ` (also in it: ${others.join(', ')})` : ''}`;
    }
  }
}
