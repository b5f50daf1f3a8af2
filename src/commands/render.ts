// `ship render [dir]`: print the exact multi-document YAML that `ship` would apply — rewritten
// images, pull policies, labels — without touching the cluster. `--tag` renders without Docker.

import type { CommandIo } from './io.js';
import type { RawFlags } from '../core/options.js';
import { basename } from 'node:path';
import { effectiveOptions } from './options.js';
import { detectProject } from '../core/project.js';
import { fileView } from '../adapters/fs-view.js';
import { manifestImageNames } from '../adapters/renderers.js';
import { imageNameFor } from '../core/tag.js';
import { planManifest } from '../tasks/manifest.js';
import { tagStep } from '../tasks/tag.js';
import { createDocker } from '../adapters/docker/client.js';
import { createOutput } from '../pipeline/output.js';
import { explainBuild, explainImageStep, explainManifestStep, explainSink } from '../pipeline/explain.js';
import { shellLine } from '../core/explain.js';
import { checkAppPorts, repositoryFor } from '../tasks/ports.js';

export async function runRenderCommand(dir: string, flags: RawFlags, io: CommandIo, typed?: (key: keyof RawFlags) => boolean): Promise<number> {
  const opts = await effectiveOptions(dir, flags, io, typed);
  const project = detectProject(opts.projectDir, fileView(opts.projectDir), { builder: opts.builder, skipTests: opts.skipTests, dockerfile: opts.dockerfile });
  // Human output (warnings, --explain) goes to stderr: stdout is the YAML.
  const human = createOutput({ json: false, stdout: io.stderr, stderr: io.stderr });
  const repository = await repositoryFor(project, opts.manifests);
  // The same port check as the deploy's check step, before anything is built (exit 19).
  await checkAppPorts({ projectDir: project.dir, manifests: opts.manifests, project, repository, namespace: opts.namespace, replicas: opts.replicas, portRemote: opts.port.remote }, human);
  let image: { repository: string; tag: string };
  if (opts.tag) {
    const manifestImages = await manifestImageNames(project.dir, opts, { app: project.name, namespace: opts.namespace, env: io.env, signal: io.signal });
    image = { repository: imageNameFor({ manifestImages, rootProjectName: project.name, dirName: basename(project.dir) }), tag: opts.tag };
  } else {
    // The tag comes from the sources and the base image's ID, which Docker knows.
    image = await tagStep({ opts, env: io.env, signal: io.signal }, { project, docker: createDocker(io.env) });
  }
  const rendered = await planManifest({
    projectDir: project.dir,
    manifests: opts.manifests,
    kustomize: opts.kustomize,
    helm: opts.helm,
    env: io.env,
    signal: io.signal,
    project,
    image,
    namespace: opts.namespace,
    replicas: opts.replicas,
    port: opts.port.remote,
  });
  if (opts.explain) {
    // Without a cluster: the build, the image and the manifest's rewrite, as a person would do them.
    const say = explainSink(human);
    say.say({ step: 'check', commands: [shellLine(['cd', project.dir])], notes: [] });
    if (project.buildCommand) say.say(explainBuild({ command: project.buildCommand }));
    say.say(await explainImageStep({ projectDir: project.dir, ref: `${image.repository}:${image.tag}`, dockerfile: project.dockerfile }));
    say.say(await explainManifestStep({ projectDir: project.dir, manifests: opts.manifests, app: project.name, rendered }));
  }
  if (rendered.renderedBy) io.stderr.write(`rendered by: ${rendered.renderedBy}\n`);
  for (const t of rendered.replacedTags) io.stderr.write(`images: ${t} → ship's own tag (the image ship built is deployed)\n`);
  io.stdout.write(rendered.yaml.endsWith('\n') ? rendered.yaml : rendered.yaml + '\n');
  return 0;
}
