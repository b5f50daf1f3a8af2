// Step: manifest. Find the project's manifests (or generate a Pod), then rewrite the containers
// that use the image ship built to its immutable tag with imagePullPolicy IfNotPresent.

import { GENERATED_FILE, generatePodManifest, generatedPodName } from '../core/manifest/pod.js';
import { manifestLabel } from '../core/manifest/parse.js';
import { renderManifest } from '../core/manifest/render.js';
import type { ManifestSource, RenderedManifest } from '../core/manifest/types.js';
import { findManifests } from '../adapters/manifest-files.js';
import type { ImageResult, ProjectInfo } from '../core/model.js';
import { splitRef } from '../adapters/loaders/registry.js';
import type { StepEnv, StepLine } from './types.js';

export interface PlanManifestInput {
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
}

/** Find (or generate) and render the manifests; no listr, so `ship render` can use it too. */
export async function planManifest(input: PlanManifestInput): Promise<RenderedManifest> {
  let sources: ManifestSource[] = await findManifests(input.projectDir, input.manifests);
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
  const matchNames = [...new Set([input.project.name, input.image.repository, ...(input.alsoMatch ?? [])])];
  const rendered = renderManifest({
    sources: sources.map((s) => ({ ...s, file: manifestLabel(input.projectDir, s.file) })),
    image: input.image,
    matchNames,
    app: input.project.name,
    namespace: input.namespace,
    replicas: input.replicas,
  });
  return rendered;
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
  run: Pick<StepEnv, 'opts' | 'out'>,
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
  if (lines.length > 1) ui.output = lines.join('\n');
  run.out.event({ type: 'manifest', files: files.split(', '), rewritten: manifest.rewritten, otherImages: manifest.otherImages });
  return manifest;
}
