// The Docker adapter's interface: what steps and loaders may ask of a Docker engine (DockerApi)
// and the shapes it answers with. The real implementation is client.ts.

import type { RegistryAuth } from '../../core/registry.js';

export interface DockerVersion {
  version: string;
  apiVersion: string;
  /** Where the engine was reached, e.g. unix:///var/run/docker.sock or tcp://192.168.49.2:2376. */
  host: string;
  storageDriver?: string;
  /** The engine stores images in containerd (the "containerd image store"). */
  containerdStore?: boolean;
  os?: string;
  architecture?: string;
}

export interface BuildRequest {
  /** The build context as a tar stream. */
  context: NodeJS.ReadableStream;
  /** Path of the Dockerfile inside the tar. */
  dockerfile: string;
  tags: string[];
  labels: Record<string, string>;
  buildArgs?: Record<string, string>;
  signal?: AbortSignal;
  /** Each line of build output as it arrives ("Step 2/5 : COPY …", RUN output). */
  onLine?: (line: string) => void;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  size: number;
  os: string;
  architecture: string;
  variant?: string;
  labels: Record<string, string>;
  /** diffIDs of the layers, bottom first (RootFS.Layers). */
  layers?: string[];
  /** What a container of the image runs: Config.Entrypoint, then Config.Cmd (absent when unset). */
  entrypoint?: string[];
  cmd?: string[];
}

/** One image as `docker image ls` lists it. */
export interface ImageSummary {
  id: string;
  repoTags: string[];
  /** Creation time, ms since the epoch. */
  createdMs: number;
  labels: Record<string, string>;
}

export interface ContainerInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One progress object of Docker's push stream. */
export interface PushEvent {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

export interface DockerApi {
  /** Version and storage facts; throws ShipError('docker') when the engine does not answer. */
  ping(): Promise<DockerVersion>;
  /** Classic-builder build; a failed build throws ShipError('image') naming the step. */
  buildImage(req: BuildRequest): Promise<{ id: string }>;
  /** undefined when the image does not exist. */
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  tagImage(ref: string, repository: string, tag: string): Promise<void>;
  /** Images carrying every given label (value '' = any value). */
  listImages(labels: Record<string, string>): Promise<ImageSummary[]>;
  /**
   * Removes one name (repository:tag); the image goes with its last name. Resolves false when the
   * engine refuses because a container uses it (never forced).
   */
  removeImage(ref: string): Promise<boolean>;
  /**
   * `docker save` as a stream. `platform` ("linux/amd64") is sent when the engine's API supports it
   * (1.48+), which avoids "content digest not found" with the containerd image store.
   */
  saveImage(ref: string, opts?: { platform?: string; signal?: AbortSignal }): Promise<NodeJS.ReadableStream>;
  /** All containers (running or not) carrying every given label (value '' = any value). */
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /**
   * Runs cmd in a running container. stdin, when given, is streamed over the hijacked connection
   * and half-closed at its end (so `cat`, `ctr images import -` see EOF); it is destroyed if the
   * command exits before reading it all. stdout/stderr are demultiplexed.
   */
  exec(containerId: string, cmd: string[], opts?: { stdin?: NodeJS.ReadableStream; signal?: AbortSignal; maxOutputBytes?: number }): Promise<ExecResult>;
  /**
   * Pushes repository:tag and resolves with the manifest digest the registry reported. An error
   * reported inside the progress stream (the HTTP call itself succeeds) throws ShipError('registry')
   * carrying Docker's words.
   */
  pushImage(repository: string, tag: string, opts?: { auth?: RegistryAuth; signal?: AbortSignal; onEvent?: (e: PushEvent) => void }): Promise<{ digest?: string }>;
}

