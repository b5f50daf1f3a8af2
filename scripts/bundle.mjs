// Bundles ship into dist/ with esbuild. One bundle (split at the CLI's lazy imports) instead of
// ~1,500 separate ES modules halves ship's own CPU time per run: most of it went to loading and
// compiling @kubernetes/client-node's files one by one (bench/README.md has the figures).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
await rm(resolve(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: true,
  // Optional native add-ons of dockerode's SSH transport: loaded from node_modules when present.
  external: ['ssh2', 'cpu-features'],
  // Bundled CommonJS dependencies call require(); give the ES module chunks one.
  banner: { js: "import { createRequire as __shipRequire } from 'node:module'; const require = __shipRequire(import.meta.url);" },
  logLevel: 'warning',
});
