// Docker Desktop, Rancher Desktop (moby), OrbStack, Colima: the cluster's kubelet uses the same
// Docker daemon ship built in, so the image is already where it needs to be.

import type { ImageLoader, LoaderDocker } from './types.js';
import { InterruptedError } from '../../errors.js';

export function createSharedLoader(docker: LoaderDocker, name: string): ImageLoader {
  return {
    name: 'shared',
    async has(image, signal) {
      try {
        return (await docker.inspectImage(image.ref))?.id === image.id;
      } catch {
        if (signal?.aborted) throw new InterruptedError();
        return false;
      }
    },
    async load() {
      return { loader: 'shared', action: 'shared', nodes: [name], detail: `${name} runs pods from the Docker daemon ship built in` };
    },
  };
}

/** --load none: the user takes care of it (a registry the cluster pulls from, a pre-loaded node). */
export function createNoneLoader(): ImageLoader {
  return {
    name: 'none',
    async has() {
      return undefined;
    },
    async load() {
      return { loader: 'none', action: 'skipped', nodes: [], detail: 'not loaded (--load none)' };
    },
  };
}
