// Step: manifest. Find the project's manifests (or generate a Pod), then rewrite the containers
// that use the image ship built to its immutable tag with imagePullPolicy IfNotPresent.

import { GENERATED_FILE, generatePodManifest, generatedPodName } from '../core/manifest/pod.js';
import { manifestLabel } from '../core/manifest/parse.js';
import { renderManifest } from '../core/manifest/render.js';
import type { ManifestSource, RenderedManifest } from '../core/manifest/types.js';
import { readManifestSources, type ManifestInputs } from '../adapters/renderers.js';
import { kustomizeImageAliases, overriddenImageTags } from '../core/render-plan.js';
import type { ImageResult, ProjectInfo } from '../core/model.js';
import { splitRef } from '../adapters/loaders/registry.js';
import type { StepEnv, StepLine } from './types.js';
import type { ProcessRunner } from '../adapters/process.js';

export interface PlanManifestInput extends ManifestInputs {
  projectDir: string;
  /** --manifest files/dirs (absolute); empty means look in the project. */
  manifests: string[];
  project: { name: string; actuator: boolean };
  image: { repository: string; tag: string };
  /** --namespace; only this is written into the manifest (apply resolves the rest). */
  namespace?: string;
  replicas?: number;
  /** More names that mean "the image ship built" (the local name when the image was pushed). */
  alsoMatch?: string[];
  /** The container port of a generated Pod (default 8080). */
  port?: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Runs kustomize/helm (default: the real process runner; tests hand in a fake). */
  runner?: ProcessRunner;
}

export interface PlannedManifest extends RenderedManifest {
  /** The kustomize or helm command that rendered the sources, when one did. */
  renderedBy?: string;
  /** Overlay `images:` entries whose tag or digest for the built image ship replaced with its own. */
  replacedTags: string[];
}

/** Find (or generate) and render the manifests; no listr, so `ship render` can use it too. */
export async function planManifest(input: PlanManifestInput): Promise<PlannedManifest> {
  const found = await readManifestSources(input.projectDir, input, {
    app: input.project.name,
    namespace: input.namespace,
    env: input.env,
    signal: input.signal,
    runner: input.runner,
  });
  let sources: ManifestSource[] = found.sources;
  if (sources.length === 0) {
    sources = [
      {
        file: GENERATED_FILE,
        text: generatePodManifest({
          name: generatedPodName(input.project.name),
          image: input.image.repository,
          port: input.port ?? 8080,
          actuator: input.project.actuator,
        }),
      },
    ];
  }
  const names = [input.project.name, input.image.repository, ...(input.alsoMatch ?? [])];
  // an overlay that renamed the app's image: the renamed image is still the one ship built
  const matchNames = [...new Set([...names, ...kustomizeImageAliases(found.renamed, names)])];
  const rendered = renderManifest({
    sources: sources.map((s) => ({ ...s, file: manifestLabel(input.projectDir, s.file) })),
    image: input.image,
    matchNames,
    app: input.project.name,
    namespace: input.namespace,
    replicas: input.replicas,
  });
  const replacedTags = overriddenImageTags(found.renamed, names).map((e) => `${e.newName ?? e.name}:${e.newTag ?? ''}${e.digest ? `@${e.digest}` : ''}`.replace(/:$/, ''));
  return { ...rendered, ...(found.command ? { renderedBy: found.command } : {}), replacedTags };
}


/** "spring-pod/spring-container: kubernetes-spring → kubernetes-spring:ship-3f2a…" */
export function describeRewrites(rendered: RenderedManifest): string[] {
  return rendered.rewritten.map((r) => `${r.name}/${r.container}: ${r.from} → ${shorten(r.to)}`);
}

function shorten(ref: string): string {
  const m = /^(.*:ship-[0-9a-f]{4})[0-9a-f]{4,}$/.exec(ref);
  return m ? `${m[1]}…` : ref;
}

export async function manifestStep(
  run: Pick<StepEnv, 'opts' | 'out'> & Partial<Pick<StepEnv, 'env' | 'signal'>>,
  input: { project: ProjectInfo; image: ImageResult; /** The load step pushed the image: the name the cluster pulls. */ pushedRef?: string },
  ui: StepLine,
): Promise<RenderedManifest> {
  const { opts } = run;
  const built = input.image;
  // Pushed to a registry: the cluster pulls the pushed name.
  const image = input.pushedRef ? splitRef(input.pushedRef) : built;
  const manifest = await planManifest({
    projectDir: opts.projectDir,
    manifests: opts.manifests,
    kustomize: opts.kustomize,
    helm: opts.helm,
    env: run.env,
    signal: run.signal,
    project: input.project,
    image,
    alsoMatch: [built.repository],
    namespace: opts.namespace,
    replicas: opts.replicas,
    port: opts.port.remote,
  });
  const lines = describeRewrites(manifest);
  const files = [...new Set(manifest.objects.map((o) => o.source.file))].join(', ');
  ui.title = `manifest · ${files} · ${lines.length === 1 ? lines[0] : `${lines.length} containers rewritten`}`;
  const notes = [
    ...(manifest.renderedBy ? [`rendered by: ${manifest.renderedBy}`] : []),
    ...manifest.replacedTags.map((t) => `images: ${t} → ship's own tag (the image ship built is deployed)`),
  ];
  if (lines.length > 1 || notes.length) ui.output = [...notes, ...(lines.length > 1 ? lines : [])].join('\n');
  run.out.event({
    type: 'manifest',
    files: files.split(', '),
    rewritten: manifest.rewritten,
    otherImages: manifest.otherImages,
    ...(manifest.renderedBy ? { renderedBy: manifest.renderedBy } : {}),
    ...(manifest.replacedTags.length ? { replacedTags: manifest.replacedTags } : {}),
  });
  return manifest;
}
