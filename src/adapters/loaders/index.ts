// Pick and build the loader for a LoaderChoice (see src/core/cluster-detect.ts).

import type { LoaderChoice } from '../../core/cluster-detect.js';
import type { ImageLoader, LoaderDeps } from './types.js';
import { createKindLoader } from './kind.js';
import { createK3dLoader } from './k3d.js';
import { createContainerdLoader } from './containerd.js';
import { createMinikubeLoader } from './minikube.js';
import { createNoneLoader, createSharedLoader } from './shared.js';
import { createRegistryLoader } from './registry.js';

export type { ImageLoader, LoadResult, LoaderDeps, LoaderDocker } from './types.js';

export function createLoader(choice: LoaderChoice, deps: LoaderDeps): ImageLoader {
  switch (choice.kind) {
    case 'kind':
      return createKindLoader(deps.docker, choice.cluster);
    case 'k3d':
      return createK3dLoader(deps.docker, choice.cluster);
    case 'containerd':
      return createContainerdLoader(deps, choice.sockets ?? choice.socket);
    case 'minikube':
      return createMinikubeLoader(deps, choice.profile);
    case 'shared':
      return createSharedLoader(deps.docker, choice.name);
    case 'none':
      return createNoneLoader();
    case 'registry':
      return createRegistryLoader({ docker: deps.docker, runner: deps.runner, env: deps.env }, choice.target ?? choice.registry);
  }
}
