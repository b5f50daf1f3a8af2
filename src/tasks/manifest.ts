// Step: manifest. Find the project's manifests (or generate a Pod), then rewrite the containers
// that use the image ship built to its immutable tag with imagePullPolicy IfNotPresent.

import type { ListrTask } from 'listr2';
import { ShipError } from '../errors.js';
import { GENERATED_FILE, generatePodManifest, generatedPodName } from '../core/manifest/pod.js';
import { manifestLabel } from '../core/manifest/parse.js';
import { renderManifest } from '../core/manifest/render.js';
import type { ManifestSource, RenderedManifest } from '../core/manifest/types.js';
import { findManifests } from '../adapters/manifest-files.js';
import type { ShipContext } from '../pipeline/context.js';
import { splitRef } from '../adapters/loaders/registry.js';

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

export function manifestTask(): ListrTask<ShipContext> {
  return {
    title: 'manifest',
    task: async (ctx, task) => {
      const built = ctx.image ?? ctx.imagePlan;
      // Pushed to a registry: the cluster pulls the pushed name.
      const image = ctx.load?.pushedRef ? splitRef(ctx.load.pushedRef) : built;
      if (!ctx.project || !image || !built) {
        throw new ShipError('internal', 'The manifest step ran before the project and image were known.');
      }
      ctx.manifest = await planManifest({
        projectDir: ctx.opts.projectDir,
        manifests: ctx.opts.manifests,
        project: ctx.project,
        image,
        alsoMatch: [built.repository],
        namespace: ctx.opts.namespace,
        replicas: ctx.opts.replicas,
        port: ctx.opts.port.remote,
      });
      const lines = describeRewrites(ctx.manifest);
      const files = [...new Set(ctx.manifest.objects.map((o) => o.source.file))].join(', ');
      task.title = `manifest · ${files} · ${lines.length === 1 ? lines[0] : `${lines.length} containers rewritten`}`;
      if (lines.length > 1) task.output = lines.join('\n');
      ctx.out.event({ type: 'manifest', files: files.split(', '), rewritten: ctx.manifest.rewritten, otherImages: ctx.manifest.otherImages });
    },
  };
}
