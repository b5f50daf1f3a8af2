// Manifests that are rendered before ship rewrites them: a kustomize directory or a Helm chart.
// Pure planning: which directory is a kustomization, which tool renders it (as data, so it can be
// checked without running anything), which image names an overlay's `images:` entries turn the
// built image into, and the `helm template` command line. The adapter (adapters/renderers.ts)
// reads the files and runs the commands.

import { ShipError } from '../errors.js';
import { canonicalName } from './image-ref.js';
import { generatedPodName } from './manifest/pod.js';

/** The file names kustomize accepts for a kustomization, in the order it looks for them. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Project directories (relative) where a kustomization is picked up without a flag, in order. */
export const KUSTOMIZE_DIRS = ['.', 'k8s', 'kubernetes', 'deploy'];

/** A command as data: the program and its arguments. */
export interface Command {
  cmd: string;
  args: string[];
}

/** The kustomization file in a directory, if there is one (`has` answers for a path relative to it). */
export function kustomizationFile(has: (name: string) => boolean): string | undefined {
  return KUSTOMIZATION_FILES.find((f) => has(f));
}

/**
 * The kustomize directory of a project, or undefined when it has none: `--kustomize DIR` first,
 * then a `--manifest DIR` holding a kustomization (only when it is the one --manifest given), then
 * the project's root, k8s/, kubernetes/ and deploy/. `isKustomization(dir)` answers for a path
 * relative to the project (or absolute, for the flags).
 */
export function pickKustomizeDir(input: {
  kustomize?: string;
  manifests: string[];
  isKustomization: (dir: string) => boolean;
}): string | undefined {
  if (input.kustomize !== undefined) {
    if (!input.isKustomization(input.kustomize)) {
      throw new ShipError('manifest', `${input.kustomize} holds no kustomization (${KUSTOMIZATION_FILES.join(', ')}).`, {
        hint: 'Give --kustomize the directory of a kustomization.yaml (a base or an overlay).',
      });
    }
    return input.kustomize;
  }
  if (input.manifests.length > 0) {
    const dirs = input.manifests.filter((m) => input.isKustomization(m));
    if (dirs.length === 0) return undefined;
    if (input.manifests.length > 1) {
      throw new ShipError('manifest', `--manifest ${dirs[0]} is a kustomization, and cannot be combined with other --manifest paths.`, {
        hint: 'Render one kustomization (put the other files into its resources:), or give --kustomize DIR alone.',
      });
    }
    return dirs[0];
  }
  return KUSTOMIZE_DIRS.find((d) => input.isKustomization(d));
}

/**
 * How to render a kustomization: the `kustomize` binary when present, else `kubectl kustomize`
 * (built into kubectl). Neither: a manifest error saying what to install.
 */
export function kustomizeCommand(dir: string, present: { kustomize: boolean; kubectl: boolean }): Command {
  if (present.kustomize) return { cmd: 'kustomize', args: ['build', dir] };
  if (present.kubectl) return { cmd: 'kubectl', args: ['kustomize', dir] };
  throw new ShipError('manifest', `${dir} is a kustomization, but neither kustomize nor kubectl is installed to render it.`, {
    hint: 'Install kubectl (it renders kustomizations: kubectl kustomize) or the kustomize binary (go install sigs.k8s.io/kustomize/kustomize/v5@latest), and put it on your PATH.',
  });
}

/** One `images:` entry of a kustomization. */
export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** Parse a kustomization's `images:` list (anything malformed is left out: kustomize reports it). */
export function kustomizeImages(kustomization: unknown): KustomizeImage[] {
  const images = (kustomization as { images?: unknown } | null)?.images;
  if (!Array.isArray(images)) return [];
  const out: KustomizeImage[] = [];
  for (const i of images) {
    if (!i || typeof i !== 'object' || typeof (i as { name?: unknown }).name !== 'string') continue;
    const e = i as Record<string, unknown>;
    out.push({
      name: e.name as string,
      ...(typeof e.newName === 'string' ? { newName: e.newName } : {}),
      ...(typeof e.newTag === 'string' || typeof e.newTag === 'number' ? { newTag: String(e.newTag) } : {}),
      ...(typeof e.digest === 'string' ? { digest: e.digest } : {}),
    });
  }
  return out;
}

/**
 * The image names the built image appears under after kustomize ran: an overlay's
 * `images: [{name: app, newName: team/app, newTag: dev}]` turns `app` into `team/app:dev`, which
 * ship must still recognise as its image (and then give its own tag: ship's tag wins over newTag).
 * Follows chains (a base renames, an overlay renames again). Returns the extra names only.
 */
export function kustomizeImageAliases(entries: KustomizeImage[], matchNames: string[]): string[] {
  const known = new Set(matchNames.map(canonicalName));
  const extra: string[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of entries) {
      if (!e.newName || !known.has(canonicalName(e.name))) continue;
      const c = canonicalName(e.newName);
      if (known.has(c)) continue;
      known.add(c);
      extra.push(e.newName);
      grew = true;
    }
  }
  return extra;
}

/**
 * The image names as the project's own files wrote them, before kustomize renamed them: each
 * rendered name an `images:` entry produced (newName) is traced back to the name it replaced, so
 * the image ship builds is named like the project's manifests, not like an overlay's registry.
 */
export function originalImageNames(rendered: string[], entries: KustomizeImage[]): string[] {
  const back = new Map<string, string>();
  for (const e of entries) if (e.newName) back.set(canonicalName(e.newName), e.name);
  return rendered.map((image) => {
    let name = image;
    for (let hops = 0; hops <= entries.length && back.has(canonicalName(name)); hops++) name = back.get(canonicalName(name))!;
    return name;
  });
}

/**
 * The overlay entries that set a tag or digest on the built image: ship replaces them with its
 * own tag, and says so (the deployed image is the one ship built, not the overlay's tag).
 */
export function overriddenImageTags(entries: KustomizeImage[], matchNames: string[]): KustomizeImage[] {
  const names = new Set([...matchNames, ...kustomizeImageAliases(entries, matchNames)].map(canonicalName));
  return entries.filter((e) => (e.newTag !== undefined || e.digest !== undefined) && names.has(canonicalName(e.name)));
}

/**
 * The local directories a kustomization builds on (`resources:`, `bases:`, `components:`), for
 * collecting their `images:` entries. Files and remote URLs are left out.
 */
export function kustomizeLocalRefs(kustomization: unknown): string[] {
  const k = kustomization as Record<string, unknown> | null;
  if (!k || typeof k !== 'object') return [];
  const refs: string[] = [];
  for (const key of ['resources', 'bases', 'components']) {
    const list = k[key];
    if (!Array.isArray(list)) continue;
    for (const r of list) {
      if (typeof r !== 'string' || /^[a-z][a-z0-9+.-]*:\/\//i.test(r) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(r) || r.includes('?ref=')) continue;
      if (/\.(ya?ml|json)$/i.test(r)) continue;
      refs.push(r);
    }
  }
  return refs;
}

// ---------------------------------------------------------------------------------------------
// Helm

export interface HelmInput {
  /** The release name: the app's name (made a valid release name). */
  app: string;
  chart: string;
  /** -f/--values files, in order (later ones win, as in helm). */
  values: string[];
  /** --set key=value, in order. */
  set: string[];
  namespace?: string;
}

/** A Helm release name from the app name: the DNS label ship names a generated Pod, at most 53 characters (helm's limit). */
export function helmReleaseName(app: string): string {
  return generatedPodName(app).slice(0, 53).replace(/-+$/, '') || 'app';
}

/**
 * `helm template RELEASE CHART [--namespace NS] [-f FILE]... [--set K=V]... --skip-tests`: chart
 * tests (pods that run once and exit) are not part of the app ship waits for.
 */
export function helmTemplateCommand(input: HelmInput): Command {
  for (const s of input.set) {
    if (!/^[^=]+=/.test(s)) {
      throw new ShipError('usage', `--set ${s}: expected KEY=VALUE (e.g. --set replicaCount=2).`, {
        hint: 'Each --set takes one key=value pair, as helm does (a.b=1,c=2 is also accepted).',
      });
    }
  }
  const args = ['template', helmReleaseName(input.app), input.chart];
  if (input.namespace) args.push('--namespace', input.namespace);
  for (const f of input.values) args.push('--values', f);
  for (const s of input.set) args.push('--set', s);
  args.push('--skip-tests');
  return { cmd: 'helm', args };
}

/** What to say when `helm` is not installed. */
export function helmMissing(chart: string): ShipError {
  return new ShipError('manifest', `--helm ${chart} needs helm to render the chart, and helm is not installed.`, {
    hint: 'Install helm 3 (go install helm.sh/helm/v3/cmd/helm@latest builds it) and put it on your PATH.',
  });
}
