// Bundles ship into dist/ with esbuild, as two files (bench/README.md has the figures behind both):
//
// - dist/ship.cjs: every command and the dependencies they use (entry src/modules.ts), one
//   CommonJS file. dist/cli.js runs it through V8's code cache (src/code-cache.ts), so a run does
//   not parse and compile its megabytes again; Node 20 has no such cache for ES modules.
// - dist/cli.js: the `ship` command (src/cli.ts): argument parsing, --help and --version, and the
//   loader of dist/ship.cjs, whose content hash it carries (the code cache's key).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = resolve(root, 'dist');
await rm(dist, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
};

// Modules that dependencies require as they load but that ship only calls on paths it does not take
// by default: dockerode's BuildKit session (gRPC and protobuf; ship uses the classic builder) and
// docker-modem's SSH transport (ssh2, read from node_modules: ~40 ms per run just to load). Each is
// bundled as a function that requires the real module on its first call. Both export a single
// function that their importer only calls; the build fails if that is no longer what they export.
const lazyModules = [
  { importer: /docker-modem[\\/]lib[\\/]modem\.js$/, request: './ssh', exportsFunction: /^module\.exports = function \(/m },
  { importer: /dockerode[\\/]lib[\\/]docker\.js$/, request: './session', exportsFunction: /^function withSession\(.*^module\.exports = withSession;$/ms },
];
const lazyApplied = new Set();
const lazyRequires = {
  name: 'lazy-requires',
  setup(b) {
    b.onResolve({ filter: /^\.\/(ssh|session)$/ }, (args) => {
      const lazy = lazyModules.find((m) => m.request === args.path && m.importer.test(args.importer));
      if (!lazy) return undefined;
      lazyApplied.add(lazy);
      return { path: createRequire(args.importer).resolve(args.path), namespace: 'lazy', pluginData: lazy };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, async (args) => {
      if (!args.pluginData.exportsFunction.test(await readFile(args.path, 'utf8'))) {
        throw new Error(`${args.path} no longer exports one plain function: update lazyModules in scripts/bundle.mjs`);
      }
      const real = JSON.stringify(args.path);
      return { contents: `let real;\nmodule.exports = function () {\n  real ??= require(${real});\n  return real.apply(this, arguments);\n};\n`, resolveDir: dirname(args.path), loader: 'js' };
    });
  },
};

const commands = await build({
  ...common,
  entryPoints: ['src/modules.ts'],
  outfile: 'dist/ship.cjs',
  format: 'cjs',
  write: false,
  metafile: true,
  // Optional native add-ons of dockerode's SSH transport: loaded from node_modules when present.
  external: ['ssh2', 'cpu-features'],
  // import.meta is empty in CommonJS: code that needs it must not be bundled here unnoticed.
  logOverride: { 'empty-import-meta': 'error' },
  plugins: [lazyRequires],
});
for (const m of lazyModules.filter((l) => !lazyApplied.has(l))) {
  console.warn(`scripts/bundle.mjs: ${m.request} is no longer required by ${m.importer}: it loads eagerly again (update lazyModules)`);
}
// vm.Script (how cli.js runs this file) has no loader for import(): nothing may be left to one.
const dynamic = Object.values(commands.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import'));
if (dynamic.length > 0) throw new Error(`dist/ship.cjs keeps dynamic imports (${dynamic.map((i) => i.path).join(', ')}): vm.Script cannot run them`);
const code = commands.outputFiles.find((f) => f.path.endsWith('.cjs'));
// cli.js reads it as one-byte text (quicker than UTF-8); esbuild escapes non-ASCII by default.
if (code.contents.some((byte) => byte > 0x7f)) throw new Error('dist/ship.cjs is not ASCII: cli.js reads it as such');
const hash = createHash('sha256').update(code.contents).digest('hex').slice(0, 16);
for (const f of commands.outputFiles) {
  await mkdir(dirname(f.path), { recursive: true });
  await writeFile(f.path, f.contents);
}

await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.js',
  format: 'esm',
  define: { __SHIP_BUNDLE_HASH__: JSON.stringify(hash) },
  plugins: [
    {
      // cli.ts imports the sources' modules.js only when run unbundled; built, it loads ship.cjs.
      name: 'modules-stay-out',
      setup(b) {
        b.onResolve({ filter: /^\.\/modules\.js$/ }, (args) => (args.importer.endsWith('cli.ts') ? { path: args.path, external: true } : undefined));
      },
    },
  ],
  // Bundled CommonJS dependencies (commander) call require(); give the ES module one.
  banner: { js: "import { createRequire as __shipRequire } from 'node:module'; const require = __shipRequire(import.meta.url);" },
});
