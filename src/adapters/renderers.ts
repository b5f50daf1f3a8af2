// Renders a kustomization or a Helm chart into plain manifests, through the project's process
// runner: `kustomize build` (else `kubectl kustomize`) and `helm template`. The output then goes
// through ship's own rewrite like any manifest file. Reads the kustomization files (for their
// `images:` entries) and checks the chart directory; never writes into the project.

import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { ShipError } from '../errors.js';
import { execaRunner, type ProcessRunner, type RunResult } from './process.js';
import { findManifests } from './manifest-files.js';
import { checkManifestTotal } from '../core/manifest/limits.js';
import type { ManifestSource } from '../core/manifest/types.js';
import { listImages } from '../core/manifest/parse.js';
import {
  helmMissing,
  helmTemplateCommand,
  kustomizationFile,
  kustomizeCommand,
  kustomizeImages,
  kustomizeLocalRefs,
  originalImageNames,
  pickKustomizeDir,
  type Command,
  type HelmInput,
  type KustomizeImage,
} from '../core/render-plan.js';

export interface RenderedSource {
  /** A label for messages: `kustomize k8s/overlays/dev`, `helm chart/`. */
  file: string;
  /** The multi-document YAML the tool printed. */
  text: string;
  /** The command that produced it, e.g. `kubectl kustomize k8s/overlays/dev`. */
  command: string;
  /** kustomize only: every `images:` entry of the kustomization and what it builds on. */
  images: KustomizeImage[];
}

export interface RenderEnv {
  runner: ProcessRunner;
  projectDir: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function label(projectDir: string, path: string): string {
  const rel = relative(projectDir, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** The kustomization file of a directory, if it has one. */
export function findKustomization(dir: string): string | undefined {
  if (!isDir(dir)) return undefined;
  const name = kustomizationFile((f) => isFile(join(dir, f)));
  return name ? join(dir, name) : undefined;
}

/**
 * The project's kustomize directory (absolute), or undefined: --kustomize, a --manifest directory
 * holding a kustomization, else the root, k8s/, kubernetes/, deploy/.
 */
export function locateKustomization(projectDir: string, flags: { kustomize?: string; manifests: string[] }): string | undefined {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(projectDir, p));
  const picked = pickKustomizeDir({
    kustomize: flags.kustomize === undefined ? undefined : abs(flags.kustomize),
    manifests: flags.manifests.map(abs),
    isKustomization: (d) => findKustomization(abs(d)) !== undefined,
  });
  return picked === undefined ? undefined : abs(picked);
}

/** Every `images:` entry of a kustomization and of the local directories it builds on. */
export function collectKustomizeImages(dir: string, seen = new Set<string>()): KustomizeImage[] {
  const key = resolve(dir);
  if (seen.has(key)) return [];
  seen.add(key);
  const file = findKustomization(dir);
  if (!file) return [];
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch {
    return []; // kustomize itself reports a malformed file
  }
  const own = kustomizeImages(doc);
  const inherited = kustomizeLocalRefs(doc).flatMap((ref) => collectKustomizeImages(resolve(dir, ref), seen));
  // bases first: an overlay's entry applies to what its bases produced
  return [...inherited, ...own];
}

function failed(what: string, r: RunResult, hint: string): ShipError {
  const lines = r.tail.filter((l) => l.trim() !== '');
  return new ShipError('manifest', `${what} failed (exit ${r.exitCode})${lines.length ? `: ${lines.at(-1)}` : '.'}`, {
    hint,
    details: lines.slice(-20),
  });
}

async function run(e: RenderEnv, c: Command): Promise<RunResult> {
  return e.runner.run(c.cmd, c.args, { cwd: e.projectDir, env: e.env, signal: e.signal, keepLines: 200 });
}

/** Render a kustomization with `kustomize build`, or `kubectl kustomize` when kustomize is not installed. */
export async function renderKustomize(e: RenderEnv, dir: string): Promise<RenderedSource> {
  const where = label(e.projectDir, dir);
  let cmd = kustomizeCommand(where, { kustomize: true, kubectl: true });
  let r = await run(e, cmd);
  if (r.startError) {
    cmd = kustomizeCommand(where, { kustomize: false, kubectl: true });
    r = await run(e, cmd);
    if (r.startError) kustomizeCommand(where, { kustomize: false, kubectl: false }); // throws what to install
  }
  const command = `${cmd.cmd} ${cmd.args.join(' ')}`;
  if (r.exitCode !== 0) throw failed(command, r, `Run "${command}" in ${e.projectDir} to see the whole error; fix the kustomization it names.`);
  return { file: `kustomize ${where}`, text: r.stdout, command, images: collectKustomizeImages(dir) };
}

/** Render a local chart directory with `helm template`; the release is named after the app. */
export async function renderHelm(e: RenderEnv, input: HelmInput): Promise<RenderedSource> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(e.projectDir, p));
  const chart = abs(input.chart);
  if (!isFile(join(chart, 'Chart.yaml'))) {
    throw new ShipError('manifest', `${input.chart} is not a Helm chart directory (no Chart.yaml in it).`, {
      hint: '--helm takes a local chart directory (the one holding Chart.yaml, values.yaml and templates/).',
    });
  }
  for (const f of input.values) {
    if (!isFile(abs(f))) {
      throw new ShipError('manifest', `The values file ${f} does not exist.`, { hint: 'Check the path given to -f/--values.' });
    }
  }
  const cmd = helmTemplateCommand({
    ...input,
    chart: label(e.projectDir, chart),
    values: input.values.map((f) => label(e.projectDir, abs(f))),
  });
  const r = await run(e, cmd);
  if (r.startError) throw helmMissing(input.chart);
  const command = `${cmd.cmd} ${cmd.args.join(' ')}`;
  if (r.exitCode !== 0) throw failed(command, r, `Run "${command}" in ${e.projectDir} to see the whole error; fix the chart or values it names.`);
  return { file: `helm ${label(e.projectDir, chart)}`, text: r.stdout, command, images: [] };
}

/** Where the manifests come from: --manifest paths, --kustomize DIR, --helm CHART (ShipOptions' fields). */
export interface ManifestInputs {
  manifests: string[];
  kustomize?: string;
  helm?: { chart: string; values: string[]; set: string[] };
}

export interface ManifestSources {
  sources: ManifestSource[];
  /** kustomize's `images:` entries (renames of images the output may carry). */
  renamed: KustomizeImage[];
  /** The command that rendered them (kustomize or helm), when one did. */
  command?: string;
}

/**
 * The project's manifests as ship should treat them: a chart rendered by helm (--helm), a
 * kustomization rendered by kustomize (--kustomize, a --manifest directory holding one, or one at
 * the root / in k8s/, kubernetes/, deploy/), else the YAML files (adapters/manifest-files.ts).
 * Empty: nothing found (the caller generates a Pod).
 */
export async function readManifestSources(
  projectDir: string,
  inputs: ManifestInputs,
  run: { app: string; namespace?: string; runner?: ProcessRunner; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<ManifestSources> {
  const e: RenderEnv = { runner: run.runner ?? execaRunner, projectDir, env: run.env, signal: run.signal };
  let rendered: RenderedSource | undefined;
  if (inputs.helm) {
    rendered = await renderHelm(e, { app: run.app, chart: inputs.helm.chart, values: inputs.helm.values, set: inputs.helm.set, namespace: run.namespace });
  } else {
    const dir = locateKustomization(projectDir, { kustomize: inputs.kustomize, manifests: inputs.manifests });
    if (dir !== undefined) rendered = await renderKustomize(e, dir);
  }
  if (!rendered) return { sources: await findManifests(projectDir, inputs.manifests), renamed: [] };
  if (rendered.text.trim() === '') {
    throw new ShipError('manifest', `${rendered.command} rendered nothing.`, {
      hint: inputs.helm ? 'Check the chart\'s templates and values: every template rendered empty.' : 'Check the kustomization\'s resources: it lists none.',
    });
  }
  return { sources: checkManifestTotal([{ file: rendered.file, text: rendered.text }]), renamed: rendered.images, command: rendered.command };
}

/**
 * The images the project's manifests use, for naming the image ship builds: rendered when they
 * are a chart or a kustomization, with kustomize's renames traced back to the project's own names.
 */
export async function manifestImageNames(projectDir: string, inputs: ManifestInputs, run: Parameters<typeof readManifestSources>[2]): Promise<string[]> {
  const found = await readManifestSources(projectDir, inputs, run);
  return originalImageNames(listImages(found.sources), found.renamed);
}
