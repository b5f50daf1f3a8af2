// Bundles ship into dist/ with esbuild, as two files (bench/README.md has the figures behind both):
//
// - dist/ship.cjs: every command and the dependencies they use (entry src/modules.ts), one
//   CommonJS file. dist/cli.js runs it through V8's code cache (src/code-cache.ts), so a run does
//   not parse and compile its megabytes again; Node 20 has no such cache for ES modules.
// - dist/cli.js: the `ship` command (src/cli.ts): argument parsing, --help and --version, and the
//   loader of dist/ship.cjs, whose content hash it carries (the code cache's key).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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

// Modules of dependencies that ship never runs by default stay out of the bundle and are required
// from node_modules on first use. Those that their importer requires as it loads are replaced by a
// stub that does so: a function that calls the real one (`call`), or an object whose URL getter
// reads the real one's (`URL`). The build fails if an importer or module no longer fits its stub,
// or if the path would not reach, from dist/, the very file the importer uses.
const onFirstUse = [
  // docker-modem's SSH transport (ssh:// is refused by ship): loading ssh2 cost ~40 ms per run.
  {
    importer: /docker-modem[\\/]lib[\\/]modem\.js$/,
    request: './ssh',
    module: 'docker-modem/lib/ssh.js',
    stub: 'call',
    fits: (mod) => /^module\.exports = function \(/m.test(mod),
  },
  // dockerode's BuildKit session and progress decoder (gRPC, protobuf): ship uses the classic builder.
  {
    importer: /dockerode[\\/]lib[\\/]docker\.js$/,
    request: './session',
    module: 'dockerode/lib/session.js',
    stub: 'call',
    fits: (mod) => /^function withSession\(.*^module\.exports = withSession;$/ms.test(mod),
  },
  { importer: /dockerode[\\/]lib[\\/]docker\.js$/, request: './buildkit', module: 'dockerode/lib/buildkit.js' }, // required where used already
  // yauzl (reading jars: builds only) and proper-lockfile (the project lock: deploys only) load when
  // first called, so the other commands never compile them.
  { importer: /src[\\/]adapters[\\/]jar\.ts$/, request: 'yauzl', module: 'yauzl', stub: 'props', props: ['open'] },
  { importer: /src[\\/]adapters[\\/]run-lock\.ts$/, request: 'proper-lockfile', module: 'proper-lockfile', stub: 'props', props: ['lock'] },
  // whatwg-url (with its 250 kB table): node-fetch reads its URL only where Node has none of its own.
  {
    importer: /node-fetch[\\/]lib[\\/]index\.js$/,
    request: 'whatwg-url',
    module: 'whatwg-url',
    stub: 'URL',
    fits: (_mod, importer) => /Url\.URL \|\| whatwgUrl\.URL/.test(importer) && importer.match(/whatwgUrl\b/g).length === importer.match(/whatwgUrl\.URL\b/g).length + 1,
  },
];
const stubs = {
  call: (m) => `let real;\nmodule.exports = function () {\n  real ??= require(${m});\n  return real.apply(this, arguments);\n};\n`,
  URL: (m) => `module.exports = {\n  get URL() {\n    return require(${m}).URL;\n  },\n};\n`,
  props: (m, entry) => `module.exports = {\n${entry.props.map((p) => `  get ${p}() {\n    return require(${m}).${p};\n  },\n`).join('')}};\n`,
};
const applied = new Set();
const requireOnFirstUse = {
  name: 'require-on-first-use',
  setup(b) {
    const fromDist = createRequire(resolve(dist, 'ship.cjs'));
    b.onResolve({ filter: /^(\.\/(ssh|session|buildkit)|whatwg-url|yauzl|proper-lockfile)$/ }, async (args) => {
      const entry = onFirstUse.find((m) => m.request === args.path && m.importer.test(args.importer));
      if (!entry) return undefined;
      const file = createRequire(args.importer).resolve(args.path);
      if (fromDist.resolve(entry.module) !== file) throw new Error(`${entry.module} does not resolve to ${file} from dist/: update onFirstUse in scripts/bundle.mjs`);
      if (entry.fits && !entry.fits(await readFile(file, 'utf8'), await readFile(args.importer, 'utf8'))) {
        throw new Error(`${args.importer} or ${file} changed: the ${entry.stub} stub no longer fits (update onFirstUse in scripts/bundle.mjs)`);
      }
      applied.add(entry);
      return entry.stub ? { path: entry.module, namespace: 'on-first-use', pluginData: entry } : { path: entry.module, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: 'on-first-use' }, (args) => ({ contents: stubs[args.pluginData.stub](JSON.stringify(args.path), args.pluginData), loader: 'js' }));
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

// The seed code cache (dist/ship-<hash>-node<version>-<arch>.v8cache): a child process loads
// dist/ship.cjs through src/code-cache.ts and initializes every command's modules, then writes the
// cache it compiled. A run without a cache of its own uses it (V8 refuses it under another Node);
// it also shows, at build time, that every command's modules load.
const seedDir = await mkdtemp(join(tmpdir(), 'ship-seed-'));
try {
  const seeder = join(seedDir, 'seed.mjs');
  await build({
    ...common,
    sourcemap: false,
    minify: false,
    format: 'esm',
    outfile: seeder,
    stdin: {
      resolveDir: root,
      sourcefile: 'seed.ts',
      contents: `
        import { loadWithCodeCache } from './src/code-cache.ts';
        const [file, key, dir] = process.argv.slice(2);
        const bundle = loadWithCodeCache({ file, key, cacheDir: dir, purpose: 'seed', ascii: true });
        for (const load of Object.values(bundle.exports)) await load();
        if (!bundle.save(false)) throw new Error('the seed code cache could not be written to ' + dir);
        process.exit(0);
      `,
    },
  });
  execFileSync(process.execPath, [seeder, resolve(dist, 'ship.cjs'), hash, dist], { stdio: 'inherit' });
  // Written as a user's cache (0600); anyone who can run dist/ may read the seed.
  for (const f of await readdir(dist)) if (f.endsWith('.v8cache')) await chmod(join(dist, f), 0o644);
} finally {
  await rm(seedDir, { recursive: true, force: true });
}
