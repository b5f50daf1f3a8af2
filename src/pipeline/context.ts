// The one typed context that every pipeline step reads and writes.
// Steps live in src/tasks/, one per file; each fills in its own part of ShipContext.

import type { Output } from './output.js';

export type BuilderName = 'gradle' | 'maven' | 'none';

/** Options as parsed from flags (and ship.yaml); resolved paths, no defaults left to guess. */
export interface ShipOptions {
  /** Absolute path of the project directory. */
  projectDir: string;
  builder?: BuilderName;
  skipTests: boolean;
  /** Absolute path of a Dockerfile given with --dockerfile. */
  dockerfile?: string;
  /** --tag: use this tag instead of the content-derived one. */
  tag?: string;
  /** --context: kubeconfig context to use instead of the current one. */
  context?: string;
  /** --kubeconfig or $KUBECONFIG (colon-separated list allowed). */
  kubeconfig?: string;
  /** --load: force a loader (e.g. "containerd:/run/containerd/containerd.sock", "kind", "none"). */
  load?: string;
  /** --allow-context: non-local contexts the user accepts. */
  allowContexts: string[];
  /** --registry HOST[:PORT][/PREFIX] */
  registry?: string;
  /** --manifest FILE|DIR (absolute). */
  manifests: string[];
  /** --namespace */
  namespace?: string;
  /** --timeout, in milliseconds. */
  timeoutMs: number;
  /** --port LOCAL[:REMOTE]; local 0 = pick a free port. */
  port: { local: number; remote?: number };
  /** --smoke-path (default "/"); smoke check skipped when false. */
  smokePath: string;
  smoke: boolean;
  /** Keep the forward open until Ctrl-C (interactive default); false in CI: exit after smoke. */
  hold: boolean;
  ci: boolean;
  json: boolean;
  /** --replicas N */
  replicas?: number;
}

export interface ProjectInfo {
  dir: string;
  /** App name: from the manifest image, rootProject.name, artifactId or the directory name. */
  name: string;
  builder: BuilderName;
  /** The command that builds it, as data: ['./gradlew', ['clean', 'build']]. Undefined for builder none. */
  buildCommand?: [string, string[]];
  /** Dockerfile path when the project has one; undefined means ship generates one in memory. */
  dockerfile?: string;
  /** Whether spring-boot-starter-actuator is a dependency (for the generated readiness probe). */
  actuator: boolean;
}

export interface BuildResult {
  /** Absolute path of the jar the build produced (undefined for builder none). */
  jar?: string;
  durationMs: number;
}

export interface ImageResult {
  /** sha256:... image ID from Docker. */
  id: string;
  /** Repository without tag, e.g. "kubernetes-spring". */
  repository: string;
  /** Immutable tag, e.g. "ship-3f2a9c1b7d0e". */
  tag: string;
  /** repository:tag */
  ref: string;
  /** Whether Docker reused an identical image (nothing changed since the last run). */
  unchanged: boolean;
}

export interface LoadResult {
  loader: string;
  /** What happened on each node: loaded, retagged, skipped (already there), or none needed. */
  action: 'loaded' | 'retagged' | 'skipped' | 'shared' | 'pushed';
  nodes: string[];
  detail?: string;
  /** Registry loaders: the name the image was pushed under, as the cluster pulls it; the manifest step uses it instead of the local ref. */
  pushedRef?: string;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface AppliedObject extends ObjectRef {
  /** created, configured (changed), unchanged, or recreated (a Pod refused an in-place change). */
  result: 'created' | 'configured' | 'unchanged' | 'recreated';
}

export interface ForwardInfo {
  localPort: number;
  remotePort: number;
  url: string;
  pod: string;
}

export interface SmokeResult {
  status: number;
  /** Time from the end of apply to the first response, in ms. */
  sinceApplyMs: number;
}

export interface StepTiming {
  step: string;
  status: 'done' | 'skipped' | 'failed';
  durationMs: number;
  detail?: string;
}

export interface ShipContext {
  opts: ShipOptions;
  out: Output;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** The cluster connection (set by the pipeline before load/apply). */
  kube?: import('../adapters/kube/client.js').Kube;
  /** The Docker API (set by the pipeline; minikube's docker-env may point it elsewhere). */
  docker?: import('../adapters/docker/api.js').DockerApi;
  /** The process runner (execa); tests hand in a fake. */
  runner?: import('../adapters/process.js').ProcessRunner;
  /** The namespace objects were applied to (flag > manifest > context > default). */
  namespace?: string;
  /** The image loader chosen for the cluster; the wait step asks it whether the node has an image. */
  loader?: import('../adapters/loaders/index.js').ImageLoader;
  /** How the image reaches the cluster, decided once by the check step (the load step uses it). */
  loaderChoice?: import('../core/cluster-detect.js').LoaderChoice;
  project?: ProjectInfo;
  /** The repository and immutable tag chosen for this run's image (before it is built). */
  imagePlan?: { repository: string; tag: string; ref: string; /** The input digest the tag derives from. */ digest?: string };
  build?: BuildResult;
  image?: ImageResult;
  load?: LoadResult;
  /** The rewritten multi-document YAML that apply sends, and what it holds. */
  manifest?: import('../core/manifest/types.js').RenderedManifest;
  applied?: AppliedObject[];
  appliedAt?: number;
  /** Pods that became Ready. */
  readyPods?: string[];
  forward?: ForwardInfo;
  smoke?: SmokeResult;
  timings: StepTiming[];
  /** Cleanup callbacks registered by steps (forward close, watches); run on success, failure and Ctrl-C. */
  cleanups: Array<() => Promise<void> | void>;
}
