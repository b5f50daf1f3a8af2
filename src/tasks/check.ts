// Step: check. Everything that can be checked in seconds, before any minute is spent building: the
// project is one ship understands, the kubeconfig names a reachable cluster ship can get an image
// into (the loader decision, tasks/load.ts), Docker answers, the local port is free and the
// loader's own preflight passes. Returns the project, the clients and the loader choice.

import { detectProject } from '../core/project.js';
import type { LoaderChoice } from '../core/cluster-detect.js';
import type { ProjectInfo } from '../core/model.js';
import { fileView } from '../adapters/fs-view.js';
import type { ProcessRunner } from '../adapters/process.js';
import { openKube, serverVersion, type Kube } from '../adapters/kube/client.js';
import type { DockerApi } from '../adapters/docker/api.js';
import { createDocker } from '../adapters/docker/client.js';
import { minikubeDockerEnv } from '../adapters/loaders/minikube.js';
import { assertPortFree } from '../adapters/kube/forward.js';
import { loaderChoiceFor, preflightLoader } from './load.js';
import { checkAppPorts, repositoryFor, type PortFacts } from './ports.js';
import type { StepEnv } from './types.js';

export interface CheckInput {
  runner: ProcessRunner;
  /** Clients already open (ship dev's later runs, tests): used as they are. */
  kube?: Kube;
  docker?: DockerApi;
  /** The forward is already open (ship dev's later runs): its local port is not checked again. */
  forwardOpen?: boolean;
}

export interface Checked {
  project: ProjectInfo;
  kube: Kube;
  /** The Docker the image is built in (minikube's docker runtime: minikube's own). */
  docker: DockerApi;
  /** How the image reaches the cluster, decided once here; the load step follows it. */
  loaderChoice: LoaderChoice;
  dockerVersion: string;
  clusterVersion: string;
  /** The app's port against the manifest's and the forward's (a certain mismatch has failed the check already). */
  ports: PortFacts;
}

export async function checkStep(run: Pick<StepEnv, 'opts' | 'env' | 'signal' | 'out'>, input: CheckInput): Promise<Checked> {
  const { opts, env } = run;
  const project = detectProject(opts.projectDir, fileView(opts.projectDir), {
    builder: opts.builder,
    skipTests: opts.skipTests,
    dockerfile: opts.dockerfile,
  });
  // The app's port against the manifest's: known from the files alone, so first (exit 19 when certain).
  const ports = await checkAppPorts(
    { projectDir: project.dir, manifests: opts.manifests, project, repository: await repositoryFor(project, opts.manifests), namespace: opts.namespace, replicas: opts.replicas, portRemote: opts.port.remote },
    run.out,
  );
  const kube = input.kube ?? openKube({ kubeconfig: opts.kubeconfig, context: opts.context, env });
  const loaderChoice = await loaderChoiceFor({ kube, opts });
  let docker = input.docker;
  if (!docker) {
    const dockerEnv = loaderChoice.kind === 'minikube' ? { ...env, ...(await minikubeDockerEnv(loaderChoice.profile, input.runner, env)) } : env;
    docker = createDocker(dockerEnv);
  }
  // A busy local port is known now, not after minutes of building (the forward step checks again).
  const [version, clusterVersion] = await Promise.all([docker.ping(), serverVersion(kube), input.forwardOpen ? undefined : assertPortFree(opts.port.local)]);
  // So is a kind/k3d cluster whose node containers are gone or stopped.
  await preflightLoader(loaderChoice, { docker, runner: input.runner, env }, run.signal);
  return { project, kube, docker, loaderChoice, dockerVersion: version.version, clusterVersion, ports };
}

/** "gradle project demo · Docker 28.2.2 · cluster kind-dev (v1.34.4) · loader kind" */
export function describeCheck(c: Checked): string {
  return `${c.project.builder} project ${c.project.name} · Docker ${c.dockerVersion} · cluster ${c.kube.context} (${c.clusterVersion}) · loader ${c.loaderChoice.kind}`;
}
