// Image references, parsed once. Every comparison ship makes between image names ("is this the
// image ship built?", "does the node have it?") goes through these functions, so `kubernetes-spring`,
// `library/kubernetes-spring:1` and `docker.io/library/kubernetes-spring@sha256:…` agree everywhere.

export interface ImageRef {
  /** Registry host when the reference names one (its first part has '.' or ':', is localhost, or has capitals). */
  registry?: string;
  /** Repository path without the registry. */
  repository: string;
  tag?: string;
  /** sha256:… without the '@'. */
  digest?: string;
}

const HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  return { registry, repository: rest, tag, digest };
}

/** Docker Hub's repository path with `library/` for official images: `x` → `library/x`. */
function hubPath(p: ImageRef): string {
  return p.repository.includes('/') ? p.repository : `library/${p.repository}`;
}

function isHub(p: ImageRef): boolean {
  return !p.registry || HUB.has(p.registry);
}

/** The repository as Docker shows it, lowercased, no tag or digest: `docker.io/library/x:1` → `x`. */
export function shortName(ref: string): string {
  const p = parseImageRef(ref);
  if (!isHub(p)) return `${p.registry}/${p.repository}`.toLowerCase();
  const path = hubPath(p);
  return (path.startsWith('library/') && path.split('/').length === 2 ? path.slice('library/'.length) : path).toLowerCase();
}

/** The fully qualified repository, no tag or digest: `x:1` → `docker.io/library/x`. */
export function canonicalName(ref: string): string {
  const p = parseImageRef(ref);
  return (isHub(p) ? `docker.io/${hubPath(p)}` : `${p.registry}/${p.repository}`).toLowerCase();
}

/** The fully qualified reference as containerd stores it: `x:1` → `docker.io/library/x:1`; no tag → `:latest`. */
export function canonicalRef(ref: string): string {
  const p = parseImageRef(ref);
  const name = isHub(p) ? `docker.io/${hubPath(p)}` : `${p.registry}/${p.repository}`;
  if (p.digest) return `${name}${p.tag ? ':' + p.tag : ''}@${p.digest}`;
  return `${name}:${p.tag ?? 'latest'}`;
}

/** One short spelling per image with its tag: `docker.io/library/x` → `x:latest`. */
export function shortRef(ref: string): string {
  const p = parseImageRef(ref);
  const name = shortName(ref);
  if (p.digest) return `${name}${p.tag ? ':' + p.tag : ''}@${p.digest}`;
  return `${name}:${p.tag ?? 'latest'}`;
}

/** Whether two references name the same repository, whatever their tags. */
export function sameRepository(a: string, b: string): boolean {
  return canonicalName(a) === canonicalName(b);
}
