// The shared types of a run: the options it was given, what each step makes that another step (or
// a command) reads, and the output sink every layer writes through. Types only; a port's own types
// sit beside the port (the loader's LoadResult in adapters/loaders/types.ts, AppliedObject in
// adapters/kube/apply.ts, the process runner's in adapters/process.ts).

import type { Writable } from 'node:stream';

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
  /** --kustomize DIR (absolute): render this kustomization. */
  kustomize?: string;
  /** --helm CHART with its -f/--values files (absolute) and --set values, in order. */
  helm?: { chart: string; values: string[]; set: string[] };
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
  /** --explain: after each step, the commands a person would have typed for it. */
  explain?: boolean;
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

/** The repository and immutable tag chosen for this run's image, before it is built. */
export interface ImageTag {
  repository: string;
  tag: string;
  ref: string;
  /** The input digest the tag derives from. */
  digest: string;
  /** Docker already has this image, built from these exact inputs: build and image are skipped. */
  existing?: ImageResult;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ForwardInfo {
  localPort: number;
  remotePort: number;
  url: string;
  /** The pod the forward serves now (it follows a replacement). */
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

export type ShipEvent =
  | { type: 'step'; step: string; status: 'start' | 'done' | 'skip' | 'fail'; durationMs?: number; detail?: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'diagnosis'; reason: string; message: string; pod?: string; container?: string; details?: string[] }
  | { type: 'result'; ok: boolean; url?: string; status?: number; exitCode: number; error?: string; hint?: string }
  | { type: string; [key: string]: unknown };

/**
 * The output sink every step writes through. Human text goes to `human` (stderr when --json is on,
 * stdout otherwise); machine events are one JSON object per line. The implementations are in
 * src/pipeline/output.ts.
 */
export interface Output {
  /** Human-readable line (no trailing newline needed). */
  info(message: string): void;
  warn(message: string): void;
  /** Machine-readable event; written only with --json. */
  event(e: ShipEvent): void;
  /** The stream human output goes to (listr2 renders here). */
  readonly human: Writable;
  readonly json: boolean;
}
