// A containerd on this machine (k3s, kubeadm, microk8s, ship's test cluster): `ctr -a SOCKET -n
// k8s.io …` through the process runner, with `docker save` streamed into the import's stdin.

import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ShipError, InterruptedError } from '../../errors.js';
import type { ProcessRunner } from '../process.js';
import { DEFAULT_SNAPSHOTTER, K8S_NAMESPACE } from '../../core/ctr-protocol.js';
import { ensureImage, hasEverywhere, removeEverywhere, summarize } from './ctr.js';
import type { CtrTarget } from './ctr-target.js';
import { saveSource } from './nodes.js';
import type { ImageLoader, LoaderDocker } from './types.js';

export function hostCtrCommand(socket: string, namespace: string, args: string[]): [string, string[]] {
  return ['ctr', ['-a', socket, '-n', namespace, ...args]];
}

async function socketCheck(socket: string): Promise<void> {
  let isSocket = false;
  try {
    isSocket = (await stat(socket)).isSocket();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return; // let ctr report what it can
  }
  if (!isSocket) {
    throw new ShipError('load', `No containerd socket at ${socket}.`, {
      hint: `containerd does not answer at ${socket}: is it running, and is that its socket? (k3s: /run/k3s/containerd/containerd.sock, microk8s: /var/snap/microk8s/common/run/containerd.sock; pass it with --load containerd:SOCKET)`,
    });
  }
}

export function hostTarget(runner: ProcessRunner, socket: string, env: NodeJS.ProcessEnv, namespace = K8S_NAMESPACE): CtrTarget {
  return {
    name: socket,
    hint: `ctr -a ${socket} -n ${namespace} images ls`,
    async ctr(args, opts) {
      // ctr waits 10 s before giving up on a socket that does not exist: say so at once.
      await socketCheck(socket);
      const [cmd, argv] = hostCtrCommand(socket, namespace, args);
      const r = await runner.run(cmd, argv, { cwd: '/', env, signal: opts.signal, input: opts.stdin as Readable | undefined, keepLines: 30 });
      if (opts.signal?.aborted) throw new InterruptedError();
      if (r.startError) {
        throw new ShipError('load', `ctr could not be started: ${r.startError.message}`, {
          hint: 'Loading into a containerd on this machine needs its `ctr` client (Debian/Ubuntu: apt-get install containerd).',
          cause: r.startError,
        });
      }
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.exitCode === 0 ? '' : r.tail.join('\n') };
    },
    // ctr cannot ask a running containerd for its CRI config; a host containerd uses overlayfs
    // unless configured otherwise (CONTAINERD_SNAPSHOTTER is also what ctr itself honours).
    async snapshotter() {
      return env.CONTAINERD_SNAPSHOTTER || DEFAULT_SNAPSHOTTER;
    },
  };
}

/** One containerd, or one per node (each socket gets the image, like kind's nodes). */
export function createContainerdLoader(deps: { docker: LoaderDocker; runner: ProcessRunner; env: NodeJS.ProcessEnv }, sockets: string | string[]): ImageLoader {
  const targets = (Array.isArray(sockets) ? sockets : [sockets]).map((s) => hostTarget(deps.runner, s, deps.env));
  return {
    name: 'containerd',
    has: (image, signal) => hasEverywhere(targets, image, signal),
    async load(image, opts) {
      const outcomes = await ensureImage(targets, image, {
        signal: opts.signal,
        onInfo: opts.onInfo,
        ...saveSource(deps.docker, image.ref, opts.signal),
      });
      return summarize('containerd', outcomes);
    },
    removeImages: (refs, signal) => removeEverywhere(targets, refs, signal),
  };
}
