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

// Modules of dependencies that ship never runs by default: docker-modem's SSH transport (ssh://
// is refused; loading ssh2 from node_modules cost ~40 ms per run) and dockerode's BuildKit session
// and progress decoder (gRPC and protobuf; ship uses the classic builder). They stay out of the
// bundle and are required from node_modules on first use; those that their importer requires as
// it loads become a function that does so (each exports one function its importer only calls:
// the build fails if that changes, or if the path would not reach the very file the importer uses).
const onFirstUse = [
  { importer: /docker-modem[\\/]lib[\\/]modem\.js$/, request: './ssh', module: 'docker-modem/lib/ssh.js', exportsFunction: /^module\.exports = function \(/m },
  { importer: /dockerode[\\/]lib[\\/]docker\.js$/, request: './session', module: 'dockerode/lib/session.js', exportsFunction: /^function withSession\(.*^module\.exports = withSession;$/ms },
  // required inside the one function that uses it already: only kept out of the bundle
  { importer: /dockerode[\\/]lib[\\/]docker\.js$/, request: './buildkit', module: 'dockerode/lib/buildkit.js' },
];
const applied = new Set();
const requireOnFirstUse = {
  name: 'require-on-first-use',
  setup(b) {
    const fromDist = createRequire(resolve(dist, 'ship.cjs'));
    b.onResolve({ filter: /^\.\/(ssh|session|buildkit)$/ }, async (args) => {
      const entry = onFirstUse.find((m) => m.request === args.path && m.importer.test(args.importer));
      if (!entry) return undefined;
      const file = createRequire(args.importer).resolve(args.path);
      if (fromDist.resolve(entry.module) !== file) throw new Error(`${entry.module} does not resolve to ${file} from dist/: update onFirstUse in scripts/bundle.mjs`);
      if (entry.exportsFunction && !entry.exportsFunction.test(await readFile(file, 'utf8'))) {
        throw new Error(`${file} no longer exports one plain function: update onFirstUse in scripts/bundle.mjs`);
      }
      applied.add(entry);
      return entry.exportsFunction ? { path: entry.module, namespace: 'on-first-use' } : { path: entry.module, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: 'on-first-use' }, (args) => ({
      contents: `let real;\nmodule.exports = function () {\n  real ??= require(${JSON.stringify(args.path)});\n  return real.apply(this, arguments);\n};\n`,
      loader: 'js',
    }));
    b.onResolve({ filter: /.*/, namespace: 'on-first-use' }, (args) => ({ path: args.path, external: true }));
  },
};

const commands = await build({
  ...common,
  entryPoints: ['src/modules.ts'],
  outfile: 'dist/ship.cjs',
  format: 'cjs',
  write: false,
  metafile: true,
  // The SSH transport's (see onFirstUse), should anything else require them: never bundled.
  external: ['ssh2', 'cpu-features'],
  // import.meta is empty in CommonJS: code that needs it must not be bundled here unnoticed.
  logOverride: { 'empty-import-meta': 'error' },
  plugins: [requireOnFirstUse],
});
for (const m of onFirstUse.filter((e) => !applied.has(e))) {
  console.warn(`scripts/bundle.mjs: nothing matching ${m.importer} requires ${m.request} any more (update onFirstUse)`);
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
