// Issue 9 item 7: hostile or odd manifests, as `ship render APP --tag t1 --manifest FILE` reads
// them (findManifests -> listImages -> renderManifest). The alias bomb, the deep nesting and the
// oversized input run in a child process, whose own resource usage (maxRSS, CPU time) bounds them.

import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImages } from '../../src/core/manifest/parse.js';
import { renderManifest } from '../../src/core/manifest/render.js';
import { findManifests } from '../../src/adapters/manifest-files.js';
import { MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, manifestReadError, yamlDepth } from '../../src/core/manifest/limits.js';
import { ShipError } from '../../src/errors.js';

const run = promisify(execFile);
const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: spring-pod\nspec:\n  containers:\n    - name: spring-container\n      image: kubernetes-spring\n';

let dir: string;
let harness: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ship-hostile-'));
  // The render path, bundled for a plain `node` child (the source is TypeScript).
  harness = join(dir, 'render.mjs');
  await build({
    stdin: {
      resolveDir: resolve(import.meta.dirname, '../..'),
      sourcefile: 'harness.ts',
      contents: `
        import { listImages } from './src/core/manifest/parse.ts';
        import { renderManifest } from './src/core/manifest/render.ts';
        import { findManifests } from './src/adapters/manifest-files.ts';
        const file = process.argv[2];
        let result;
        try {
          const sources = await findManifests('/nowhere', [file]);
          listImages(sources);
          const r = renderManifest({ sources, app: 'demo', image: { repository: 'kubernetes-spring', tag: 't1' }, matchNames: ['kubernetes-spring'] });
          result = { ok: true, objects: r.objects.length };
        } catch (e) {
          result = { ok: false, name: e?.name, code: e?.code, message: String(e?.message ?? e) };
        }
        const u = process.resourceUsage();
        console.log(JSON.stringify({ ...result, maxRssKb: u.maxRSS, cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000) }));
      `,
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: harness,
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ChildResult {
  ok: boolean;
  name?: string;
  code?: string;
  message?: string;
  objects?: number;
  maxRssKb: number;
  cpuMs: number;
}

/** Renders `text` in a child process (killed after 60 s: a hang is a failure, not a wait). */
async function renderInChild(name: string, text: string | Buffer): Promise<ChildResult> {
  const file = join(dir, name);
  await writeFile(file, text);
  const { stdout } = await run(process.execPath, ['--max-old-space-size=1024', harness, file], { timeout: 60_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

// A bounded run: well under what the old code took (1.5-1.8 GB for 30 MB; CPU until the stack blew).
const MAX_RSS_KB = 200 * 1024;
const MAX_CPU_MS = 10_000;

describe('hostile manifests are refused with exit 10 and a plain message, within bounded memory and CPU', () => {
  it('a YAML alias bomb ("billion laughs")', async () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = 'a';
    for (const n of 'bcdefghi') {
      bomb += `${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
      prev = n;
    }
    const text = `${POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n${bomb.replace(/^/gm, '  ')}`;
    const r = await renderInChild('bomb.yaml', text);
    expect(r).toMatchObject({ ok: false, name: 'ShipError', code: 'manifest' });
    expect(r.message).toMatch(/bomb\.yaml \(document 2\): its YAML aliases .* "alias bomb"/);
    expect(r.maxRssKb).toBeLessThan(MAX_RSS_KB);
    expect(r.cpuMs).toBeLessThan(MAX_CPU_MS);
  }, 90_000);

  it.each([
    ['flow sequences', `[`.repeat(5000) + `]`.repeat(5000)],
    ['flow mappings', '{a: '.repeat(5000) + '1' + '}'.repeat(5000)],
  ])('5,000-deep nesting (%s)', async (kind, value) => {
    const r = await renderInChild(`deep-${kind.replace(' ', '-')}.yaml`, `${POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: ${value}\n`);
    expect(r).toMatchObject({ ok: false, name: 'ShipError', code: 'manifest' });
    expect(r.message).toMatch(new RegExp(`deep-.*\\.yaml:15: nested more than ${MAX_MANIFEST_DEPTH} levels deep`));
    expect(r.message).not.toMatch(/call stack/);
    expect(r.maxRssKb).toBeLessThan(MAX_RSS_KB);
    expect(r.cpuMs).toBeLessThan(MAX_CPU_MS);
  }, 90_000);

  it('5,000-deep block nesting ("- - - …" and indentation)', async () => {
    const dashes = `${POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x:\n    ${'- '.repeat(5000)}x\n`;
    const r = await renderInChild('deep-dashes.yaml', dashes);
    expect(r).toMatchObject({ ok: false, code: 'manifest' });
    expect(r.message).toContain(`nested more than ${MAX_MANIFEST_DEPTH} levels deep`);
    const lines = Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    expect(yamlDepth(`a:\n${lines.replace(/^/gm, ' ')} 1\n`).depth).toBeGreaterThan(MAX_MANIFEST_DEPTH);
  }, 90_000);

  it(`30 MB of manifests: refused before it is read (limit ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB), memory stays low`, async () => {
    const deployment = (i: number) =>
      `---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${i}\nspec:\n  selector:\n    matchLabels: {app: web-${i}}\n  template:\n    metadata:\n      labels: {app: web-${i}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n`;
    const parts = [POD];
    let size = POD.length;
    for (let i = 0; size < 30 * 1024 * 1024; i++) {
      const d = deployment(i);
      parts.push(d);
      size += d.length;
    }
    const r = await renderInChild('30mb.yaml', parts.join(''));
    expect(r).toMatchObject({ ok: false, name: 'ShipError', code: 'manifest' });
    expect(r.message).toMatch(/30mb\.yaml is 30 MiB: ship reads at most 4 MiB of manifests per run/);
    expect(r.maxRssKb).toBeLessThan(MAX_RSS_KB);
    expect(r.cpuMs).toBeLessThan(MAX_CPU_MS);
  }, 120_000);

  it('several files that together pass the limit are refused too', async () => {
    const sub = await mkdtemp(join(dir, 'many-'));
    const big = `${POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  x: "${'x'.repeat(1536 * 1024)}"\n`;
    for (const n of ['a', 'b', 'c']) await writeFile(join(sub, `${n}.yaml`), big);
    const e = await findManifests('/nowhere', [sub]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).code).toBe('manifest');
    expect((e as ShipError).message).toMatch(/The 3 manifest files add up to 4\.5 MiB: ship reads at most 4 MiB/);
  });
});

describe('odd manifests', () => {
  it('an unreadable manifest file is named, exit 10 (not an internal error)', async () => {
    const e = manifestReadError('/p/k8s/app.yaml', Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' }));
    expect(e).toBeInstanceOf(ShipError);
    expect(e.exitCode).toBe(10);
    expect(e.message).toBe('The manifest /p/k8s/app.yaml cannot be read: permission denied.');
    expect(e.hint).toContain('ls -l /p/k8s/app.yaml');
    // A real read error through findManifests: as root, permissions do not stop a read, so
    // /proc/self/mem (EIO on read) stands in; as another user, a chmod 000 file.
    const real = process.getuid?.() === 0 ? '/proc/self/mem' : join(dir, 'locked.yaml');
    if (real !== '/proc/self/mem') {
      await writeFile(real, POD);
      await chmod(real, 0o000);
    }
    const e2 = await findManifests('/nowhere', [real]).catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(ShipError);
    expect((e2 as ShipError).code).toBe('manifest');
    expect((e2 as ShipError).message).toContain(`The manifest ${real} cannot be read`);
  });

  it('kind: List is expanded: each item rendered as its own object, the built image rewritten', async () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n  # the app\n  - apiVersion: v1\n    kind: Pod\n    metadata:\n      name: spring-pod\n    spec:\n      containers:\n        - name: spring-container\n          image: kubernetes-spring\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: cfg\n    data: {a: b}\n`;
    const sources = [{ file: 'list.yaml', text: list }];
    expect(listImages(sources)).toEqual(['kubernetes-spring']);
    const r = renderManifest({ sources, app: 'demo', image: { repository: 'kubernetes-spring', tag: 't1' }, matchNames: ['kubernetes-spring'] });
    expect(r.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['Pod/spring-pod', 'ConfigMap/cfg']);
    expect(r.rewritten).toMatchObject([{ kind: 'Pod', name: 'spring-pod', to: 'kubernetes-spring:t1' }]);
    expect(r.yaml).not.toContain('kind: List');
    expect(r.yaml.match(/^---$/gm)).toHaveLength(2);
  });

  it('ordinary manifests are not mistaken for deep ones (block scalars, brackets in strings, CRD-like depth)', () => {
    const script = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  run.sh: |\n${'    echo "[[[[{{{{"\n'.repeat(200)}  re: '^[a-z[[[['\n  j: "{{{{{{"\n`;
    expect(yamlDepth(script).depth).toBeLessThan(10);
    let crd = 'spec:\n';
    for (let i = 1; i <= 40; i++) crd += `${'  '.repeat(i)}p${i}:\n`;
    expect(yamlDepth(crd).depth).toBe(41);
  });
});
