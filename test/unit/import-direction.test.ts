// Imports in src/ only point down the layers (cli → commands → pipeline → tasks → adapters → core →
// errors) and never go round in a cycle. The check itself is proven on two fixture trees first.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkImportDirection,
  formatImportProblem,
  importSpecifiers,
} from '../support/import-direction.js';

const fixtures = resolve(import.meta.dirname, 'fixtures/imports');
const report = (root: string) => checkImportDirection(root).map(formatImportProblem);

describe('the import-direction check', () => {
  it('sees static, type-only, re-exported, dynamic and import-type specifiers', () => {
    const text = [
      `import { a } from './a.js';`,
      `import type { B } from './b.js';`,
      `export { c } from './c.js';`,
      `export * from './d.js';`,
      `const e = await import('./e.js');`,
      `type F = import('./f.js').F;`,
      `import g = require('./g.js');`,
      `import 'node:fs';`,
    ].join('\n');
    expect(importSpecifiers('x.ts', text)).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: './b.js', line: 2 },
      { specifier: './c.js', line: 3 },
      { specifier: './d.js', line: 4 },
      { specifier: './e.js', line: 5 },
      { specifier: './f.js', line: 6 },
      { specifier: './g.js', line: 7 },
      { specifier: 'node:fs', line: 8 },
    ]);
  });

  it('reports upward imports (type-only and dynamic too) and a cycle, naming the files', () => {
    expect(report(resolve(fixtures, 'bad')).sort()).toEqual([
      `import cycle: pipeline/context.ts → pipeline/run.ts → pipeline/context.ts`,
      `upward import: core/plan.ts:1 imports adapters/docker.ts ('../adapters/docker.js'): core/ may not import adapters/`,
      `upward import: tasks/build.ts:4 imports commands/options.ts ('../commands/options.js'): tasks/ may not import commands/`,
    ]);
  });

  it('reports nothing on a tree whose imports all point down', () => {
    expect(report(resolve(fixtures, 'clean'))).toEqual([]);
  });
});

describe('src/', () => {
  it('has no upward import, no import cycle, no file outside the layers', () => {
    const problems = report(resolve(import.meta.dirname, '../../src'));
    if (problems.length > 0) {
      console.error(`import-direction check, ${problems.length} problem(s) in src/:\n  ${problems.join('\n  ')}`);
    }
    expect(problems).toEqual([]);
  });
});
