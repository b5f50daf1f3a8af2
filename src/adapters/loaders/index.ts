// Pick and build the loader for a LoaderChoice (see src/core/cluster-detect.ts).

import { ShipError } from '../../errors.js';
import type { LoaderChoice } from '../../core/cluster-detect.js';
import type { ImageLoader, LoaderDeps } from './types.js';
import { createKindLoader } from './kind.js';
import { createK3dLoader } from './k3d.js';
import { createContainerdLoader } from './containerd.js';
import { createMinikubeLoader } from './minikube.js';
import { createNoneLoader, createSharedLoader } from './shared.js';

export type { ImageLoader, LoaderDeps, LoaderDocker } from './types.js';

export function createLoader(choice: LoaderChoice, deps: LoaderDeps): ImageLoader {
  switch (choice.kind) {
    case 'kind':
      return createKindLoader(deps.docker, choice.cluster);
    case 'k3d':
      return createK3dLoader(deps.docker, choice.cluster);
    case 'containerd':
      return createContainerdLoader(deps, choice.socket);
    case 'minikube':
      return createMinikubeLoader(deps, choice.profile);
    case 'shared':
      return createSharedLoader(deps.docker, choice.name);
    case 'none':
      return createNoneLoader();
    case 'registry':
      throw new ShipError('load', `Pushing to a registry (${choice.registry}) is not supported yet.`, {
        hint: 'Use a local cluster ship loads into directly (kind, k3d, minikube, Docker Desktop), or --load containerd:SOCKET for a containerd on this machine.',
      });
  }
}
