// Loading into clusters whose nodes are Docker containers (kind, k3d) without their CLIs: find the
// node containers by label, run `ctr` inside each one with docker exec, and stream `docker save`
// straight into `ctr images import -` (no temp file, no copy per node).

import type { Readable } from 'node:stream';
import { ShipError, InterruptedError, errorMessage } from '../../errors.js';
import { DEFAULT_SNAPSHOTTER, parseSnapshotter } from '../../core/ctr-protocol.js';
import { ensureImage, hasEverywhere, removeEverywhere, summarize, type EnsureOptions, type SaveFacts } from './ctr.js';
import type { CtrTarget } from './ctr-target.js';
import type { ImageInfo } from '../docker/api.js';
import type { ImageLoader, LoadResult, LoaderDocker } from './types.js';

export interface NodeFlavor {
  /** kind or k3d: the loader's name. */
  tool: string;
  /** Docker label naming the cluster a node container belongs to. */
  clusterLabel: string;
  /** Docker label with the node's role; only containers with one of `roles` are nodes. */
  roleLabel: string;
  roles: string[];
  /** ctr and its global flags inside the node. */
  ctr: string[];
  /** Prints the node's containerd config (for the snapshotter). */
  configCommand: string[];
  /** What to tell the user when no node container carries the label. */
  noNodesHint(cluster: string): string;
}

export interface NodeContainer {
  id: string;
  name: string;
  role: string;
  running: boolean;
}

/** The node containers of a cluster (load balancers and other helpers left out), sorted by name. */
export async function findNodes(docker: LoaderDocker, flavor: NodeFlavor, cluster: string): Promise<NodeContainer[]> {
  let list: Awaited<ReturnType<LoaderDocker['listContainers']>>;
  try {
    list = await docker.listContainers({ [flavor.clusterLabel]: cluster });
  } catch (e) {
    if (e instanceof ShipError) throw e;
    throw new ShipError('docker', `Docker did not list the ${flavor.tool} node containers: ${errorMessage(e)}`, {
      hint: 'Is the Docker daemon running? Check with: docker ps',
      cause: e,
    });
  }
  return list
    .filter((c) => c.labels[flavor.clusterLabel] === cluster)
    .map((c) => ({ id: c.id, name: c.name.replace(/^\//, ''), role: c.labels[flavor.roleLabel] ?? '', running: c.running }))
    .filter((c) => flavor.roles.includes(c.role))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A node's containerd, reached with docker exec. */
export function nodeTarget(docker: LoaderDocker, flavor: NodeFlavor, node: NodeContainer): CtrTarget {
  let snapshotter: string | undefined;
  return {
    name: node.name,
    hint: `docker exec ${node.name} ${flavor.ctr.join(' ')} images ls`,
    async ctr(args, opts) {
      try {
        return await docker.exec(node.id, [...flavor.ctr, ...args], { stdin: opts.stdin, signal: opts.signal });
      } catch (e) {
        if (opts.signal?.aborted) throw new InterruptedError();
        if (e instanceof ShipError) throw e;
        throw new ShipError('load', `docker exec into ${flavor.tool} node ${node.name} failed: ${errorMessage(e)}`, {
          hint: `Is the node running? docker ps --filter name=${node.name}`,
          cause: e,
        });
      }
    },
    async snapshotter(signal) {
      if (snapshotter) return snapshotter;
      try {
        const r = await docker.exec(node.id, flavor.configCommand, { signal });
        snapshotter = (r.exitCode === 0 && parseSnapshotter(r.stdout)) || DEFAULT_SNAPSHOTTER;
      } catch (e) {
        if (signal?.aborted) throw new InterruptedError();
        snapshotter = DEFAULT_SNAPSHOTTER;
      }
      return snapshotter;
    },
  };
}

function platformOf(info: { os?: string; architecture?: string; variant?: string }): string | undefined {
  return info.os && info.architecture ? [info.os, info.architecture, info.variant].filter(Boolean).join('/') : undefined;
}

/**
 * `docker save` of one image, and what ensureImage needs to know about it (layers, platform), from
 * one `docker image inspect`. The save is opened with an explicit platform (Docker's containerd
 * image store otherwise exports an index whose other platforms have no content: "content digest
 * not found").
 */
export function saveSource(docker: LoaderDocker, ref: string, signal?: AbortSignal): Pick<EnsureOptions, 'openSave' | 'describe'> {
  let inspected: Promise<ImageInfo> | undefined;
  const inspect = () =>
    (inspected ??= (async () => {
      let info: ImageInfo | undefined;
      try {
        info = await docker.inspectImage(ref);
      } catch (e) {
        if (signal?.aborted) throw new InterruptedError();
        throw e;
      }
      if (!info) {
        throw new ShipError('load', `Docker has no image ${ref} to load.`, {
          hint: 'The image step should have built it; check with: docker image ls',
        });
      }
      return info;
    })());
  return {
    async openSave() {
      const info = await inspect();
      try {
        return (await docker.saveImage(ref, { platform: platformOf(info), signal })) as Readable;
      } catch (e) {
        if (signal?.aborted) throw new InterruptedError();
        if (e instanceof ShipError) throw e;
        throw new ShipError('load', `docker save ${ref} failed: ${errorMessage(e)}`, {
          hint: `Check that Docker has the image: docker image inspect ${ref}`,
          cause: e,
        });
      }
    },
    async describe(): Promise<SaveFacts> {
      const info = await inspect();
      return { diffIds: info.layers ?? [], os: info.os, architecture: info.architecture, ...(info.variant ? { variant: info.variant } : {}) };
    },
  };
}

export function createNodeLoader(docker: LoaderDocker, flavor: NodeFlavor, cluster: string): ImageLoader {
  async function targets(): Promise<CtrTarget[]> {
    const nodes = await findNodes(docker, flavor, cluster);
    if (nodes.length === 0) {
      throw new ShipError('load', `${flavor.tool} cluster "${cluster}" has no node containers`, { hint: flavor.noNodesHint(cluster) });
    }
    const stopped = nodes.filter((n) => !n.running);
    if (stopped.length > 0) {
      throw new ShipError('load', `${flavor.tool} cluster "${cluster}" has stopped node containers: ${stopped.map((n) => n.name).join(', ')}`, {
        hint: `Start them (docker start ${stopped.map((n) => n.name).join(' ')}) or recreate the cluster.`,
      });
    }
    return nodes.map((n) => nodeTarget(docker, flavor, n));
  }

  return {
    name: flavor.tool,
    async preflight() {
      await targets();
    },
    async has(image, signal) {
      let list: CtrTarget[];
      try {
        list = await targets();
      } catch (e) {
        if (signal?.aborted) throw new InterruptedError();
        return undefined;
      }
      return hasEverywhere(list, image, signal);
    },
    async load(image, opts): Promise<LoadResult> {
      const list = await targets();
      const outcomes = await ensureImage(list, image, {
        signal: opts.signal,
        onInfo: opts.onInfo,
        ...saveSource(docker, image.ref, opts.signal),
      });
      return summarize(flavor.tool, outcomes);
    },
    async removeImages(refs, signal) {
      return removeEverywhere(await targets(), refs, signal);
    },
  };
}
