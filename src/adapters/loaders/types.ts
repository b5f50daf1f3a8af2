// The loader interface every way of getting an image into a cluster implements.

import type { DockerApi } from '../docker/api.js';
import type { ProcessRunner } from '../process.js';

/** An image as Docker holds it, to be loaded into a cluster. */
export interface LocalImage {
  /** As Docker names it: kubernetes-spring:ship-abc */
  ref: string;
  /** Docker image ID, sha256:… (= the config digest in containerd). */
  id: string;
}

/** What a load did: the load step's result. */
export interface LoadResult {
  loader: string;
  /** What happened on each node: loaded, retagged, skipped (already there), or none needed. */
  action: 'loaded' | 'retagged' | 'skipped' | 'shared' | 'pushed';
  nodes: string[];
  detail?: string;
  /** Registry loaders: the name the image was pushed under, as the cluster pulls it; the manifest step uses it instead of the local ref. */
  pushedRef?: string;
}

export interface ImageLoader {
  /** kind, k3d, containerd, minikube, shared, none. */
  readonly name: string;
  /** Does every node already have this image ID under this ref? undefined: cannot tell. */
  has(image: LocalImage, signal?: AbortSignal): Promise<boolean | undefined>;
  /** Cheap checks that can fail before the build (kind/k3d: the node containers exist and run). */
  preflight?(signal?: AbortSignal): Promise<void>;
  /** Get the image onto every node (skips nodes that have it, tags where only the tag is missing). */
  load(image: LocalImage, opts: { signal?: AbortSignal; onInfo?: (m: string) => void }): Promise<LoadResult>;
  /**
   * Removes images ship loaded earlier (refs as Docker names them) from every node; absent when the
   * cluster keeps no copy of its own (shared daemon, registry) or ship cannot remove it (minikube).
   */
  removeImages?(refs: string[], signal?: AbortSignal): Promise<{ removed: string[]; failed: string[] }>;
}

/** The part of the Docker adapter (src/adapters/docker/) that loaders use. */
export type LoaderDocker = Pick<DockerApi, 'inspectImage' | 'saveImage' | 'listContainers' | 'exec' | 'tagImage' | 'pushImage'>;

export interface LoaderDeps {
  docker: LoaderDocker;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
}
