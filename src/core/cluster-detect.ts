// Which way gets a built image into the cluster's image store — decided from the kubeconfig
// context alone (pure: no Docker, no network). The loaders in src/adapters/loaders/ do the work.

import { ShipError } from '../errors.js';

export type SharedDaemonName = 'docker-desktop' | 'rancher-desktop' | 'orbstack' | 'colima';

export type LoaderChoice =
  | { kind: 'kind'; cluster: string }
  | { kind: 'k3d'; cluster: string }
  | { kind: 'minikube'; profile: string }
  | { kind: 'shared'; name: string }
  /** sockets: every node's containerd when more than one was given (`containerd:/a.sock,/b.sock`); socket is the first. */
  | { kind: 'containerd'; socket: string; sockets?: string[]; namespace: 'k8s.io' }
  | { kind: 'registry'; registry: string; target?: import('./registry.js').RegistryTarget }
  | { kind: 'none' };

export interface ClusterFacts {
  /** Name of the kubeconfig context in use. */
  context: string;
  /** Cluster name that context points at. */
  cluster: string;
  /** API server URL. */
  server: string;
  /** User name of the context. */
  user?: string;
  /** --load */
  loadFlag?: string;
  /** --allow-context */
  allowContexts: string[];
  /** --registry */
  registry?: string;
  /**
   * What the kubeconfig says about where the cluster came from: `provider` values of the
   * cluster's/context's extensions (minikube writes "minikube.sigs.k8s.io"), and the CA and client
   * certificate paths (minikube keeps them under ~/.minikube/).
   */
  marks?: { providers?: string[]; caFile?: string; certFile?: string; keyFile?: string };
}

export const DEFAULT_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
/** kind's and k3d's default cluster names, minikube's default profile. */
const DEFAULT_KIND = 'kind';
const DEFAULT_K3D = 'k3s-default';
const DEFAULT_MINIKUBE = 'minikube';

const LOAD_VALUES = 'kind[:NAME], k3d[:NAME], minikube[:PROFILE], containerd[:SOCKET[,SOCKET...]], shared, registry, none';

function usage(message: string): ShipError {
  return new ShipError('usage', message, { hint: `--load takes one of: ${LOAD_VALUES}.` });
}

/** The name after a "kind-"/"k3d-" context prefix, when the context has it. */
function suffix(context: string, prefix: string): string | undefined {
  return context.startsWith(prefix) && context.length > prefix.length ? context.slice(prefix.length) : undefined;
}

const SHARED: Array<{ name: SharedDaemonName; test: (ctx: string) => boolean }> = [
  { name: 'docker-desktop', test: (c) => c === 'docker-desktop' || c === 'docker-for-desktop' },
  { name: 'rancher-desktop', test: (c) => c === 'rancher-desktop' },
  { name: 'orbstack', test: (c) => c === 'orbstack' },
  { name: 'colima', test: (c) => c === 'colima' || (c.startsWith('colima-') && c.length > 'colima-'.length) },
];

/** Whether the kubeconfig entries carry what minikube writes. */
export function looksLikeMinikube(f: ClusterFacts): boolean {
  if (f.context === 'minikube') return true;
  const m = f.marks ?? {};
  if (m.providers?.some((p) => p === 'minikube.sigs.k8s.io' || p.startsWith('minikube'))) return true;
  const isMinikubePath = (p?: string) => !!p && /(^|[\\/])\.minikube[\\/]/.test(p);
  if (isMinikubePath(m.caFile) || isMinikubePath(m.certFile) || isMinikubePath(m.keyFile)) return true;
  // minikube names context, cluster and user after the profile; with the docker driver the API
  // server sits at 192.168.49.x:8443 (or a forwarded 127.0.0.1 port).
  const sameNames = f.cluster === f.context && (f.user === undefined || f.user === f.context);
  if (sameNames && /^https:\/\/192\.168\.49\.\d+:8443\/?$/.test(f.server)) return true;
  return false;
}

function parseLoadFlag(flag: string, f: ClusterFacts): LoaderChoice {
  const colon = flag.indexOf(':');
  const kind = (colon < 0 ? flag : flag.slice(0, colon)).trim().toLowerCase();
  const arg = colon < 0 ? undefined : flag.slice(colon + 1).trim();
  if (arg !== undefined && arg === '') throw usage(`--load ${flag}: nothing after the colon.`);
  switch (kind) {
    case 'kind':
      return { kind: 'kind', cluster: arg ?? suffix(f.context, 'kind-') ?? DEFAULT_KIND };
    case 'k3d':
      return { kind: 'k3d', cluster: arg ?? suffix(f.context, 'k3d-') ?? DEFAULT_K3D };
    case 'minikube':
      return { kind: 'minikube', profile: arg ?? (looksLikeMinikube(f) ? f.context : DEFAULT_MINIKUBE) };
    case 'containerd': {
      // one socket per node: containerd:/run/a.sock,/run/b.sock loads the image into each
      const sockets = arg === undefined ? [DEFAULT_CONTAINERD_SOCKET] : [...new Set(arg.split(',').map((s) => s.trim()))];
      for (const s of sockets) {
        if (!s.startsWith('/')) throw usage(`--load ${flag}: the containerd socket${sockets.length > 1 ? 's' : ''} must be ${sockets.length > 1 ? 'absolute paths' : 'an absolute path'}.`);
      }
      return { kind: 'containerd', socket: sockets[0]!, ...(sockets.length > 1 ? { sockets } : {}), namespace: 'k8s.io' };
    }
    case 'shared':
      if (arg !== undefined) throw usage(`--load ${flag}: "shared" takes no argument.`);
      return { kind: 'shared', name: SHARED.find((s) => s.test(f.context))?.name ?? f.context };
    case 'registry': {
      const registry = arg ?? f.registry;
      if (!registry) {
        throw new ShipError('usage', '--load registry needs a registry to push to.', {
          hint: 'Add --registry HOST[:PORT][/PREFIX] (for example --registry localhost:5001).',
        });
      }
      return { kind: 'registry', registry };
    }
    case 'none':
      if (arg !== undefined) throw usage(`--load ${flag}: "none" takes no argument.`);
      return { kind: 'none' };
    default:
      throw usage(`--load ${flag}: unknown loader "${kind}".`);
  }
}

/**
 * Decide how the image reaches the cluster. Order: --load wins; then the context name (kind-*,
 * k3d-*, minikube or minikube's marks, the shared-daemon desktops); then an allowed context with
 * --registry. Anything else is refused: ship only deploys to local clusters unless told otherwise.
 */
export function chooseLoader(f: ClusterFacts): LoaderChoice {
  if (f.loadFlag !== undefined && f.loadFlag.trim() !== '') return parseLoadFlag(f.loadFlag.trim(), f);

  const local = localChoice(f);
  const where = `The context "${f.context}" (${f.server})`;
  const allowed = f.allowContexts.includes(f.context);
  // --registry: push and deploy the pushed name, on a local cluster or an allowed remote one.
  if (f.registry && (local || allowed)) return { kind: 'registry', registry: f.registry };
  if (local) return local;
  if (allowed) {
    throw new ShipError('kubeconfig', `${where} is allowed, but ship has no way to get the image into that cluster.`, {
      hint:
        `A cluster ship does not recognise can only pull the image from a registry: add --registry HOST[:PORT][/PREFIX] ` +
        `(a registry the cluster's nodes can pull from; a cluster that advertises one in kube-public/local-registry-hosting needs no flag), ` +
        `or --load containerd:SOCKET when it is a single-node cluster whose containerd socket is on this machine.`,
    });
  }
  throw new ShipError('kubeconfig', `${where} is not a local cluster ship knows`, {
    hint:
      `ship only deploys to local clusters (kind, minikube, k3d, Docker Desktop, …). ` +
      `To use this one anyway: --allow-context ${f.context} --registry HOST/PREFIX, or --load containerd:SOCKET for a single-node containerd`,
  });
}

/** The loader a known local cluster's context implies, if it is one. */
function localChoice(f: ClusterFacts): LoaderChoice | undefined {
  const kind = suffix(f.context, 'kind-');
  if (kind) return { kind: 'kind', cluster: kind };
  const k3d = suffix(f.context, 'k3d-');
  if (k3d) return { kind: 'k3d', cluster: k3d };
  if (looksLikeMinikube(f)) return { kind: 'minikube', profile: f.context };
  const shared = SHARED.find((s) => s.test(f.context));
  if (shared) return { kind: 'shared', name: shared.name };
  return undefined;
}

/** One line for the task output: "kind cluster \"dev\"", "containerd at /run/…". */
export function describeChoice(c: LoaderChoice): string {
  switch (c.kind) {
    case 'kind':
      return `kind cluster "${c.cluster}"`;
    case 'k3d':
      return `k3d cluster "${c.cluster}"`;
    case 'minikube':
      return `minikube profile "${c.profile}"`;
    case 'shared':
      return `${c.name} (shares the Docker daemon)`;
    case 'containerd':
      return c.sockets ? `containerd at ${c.sockets.join(', ')}` : `containerd at ${c.socket}`;
    case 'registry':
      return `registry ${c.registry}`;
    case 'none':
      return 'no loading (--load none)';
  }
}
