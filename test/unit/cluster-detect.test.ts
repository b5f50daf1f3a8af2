import { describe, expect, it } from 'vitest';
import { chooseLoader, describeChoice, looksLikeMinikube, type ClusterFacts } from '../../src/core/cluster-detect.js';
import { ShipError } from '../../src/errors.js';

function facts(over: Partial<ClusterFacts> = {}): ClusterFacts {
  return { context: 'ctx', cluster: 'ctx', server: 'https://10.1.2.3:6443', allowContexts: [], ...over };
}

function thrown(fn: () => unknown): ShipError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ShipError);
    return e as ShipError;
  }
  throw new Error('expected a ShipError, nothing was thrown');
}

describe('chooseLoader: context names', () => {
  it('kind-<name> → kind with that cluster name', () => {
    expect(chooseLoader(facts({ context: 'kind-dev', cluster: 'kind-dev', server: 'https://127.0.0.1:41234' }))).toEqual({
      kind: 'kind',
      cluster: 'dev',
    });
    expect(chooseLoader(facts({ context: 'kind-kind' }))).toEqual({ kind: 'kind', cluster: 'kind' });
  });

  it('k3d-<name> → k3d', () => {
    expect(chooseLoader(facts({ context: 'k3d-k3s-default' }))).toEqual({ kind: 'k3d', cluster: 'k3s-default' });
    expect(chooseLoader(facts({ context: 'k3d-mycluster' }))).toEqual({ kind: 'k3d', cluster: 'mycluster' });
  });

  it('a bare "kind-" or "k3d-" prefix is not a cluster name', () => {
    expect(() => chooseLoader(facts({ context: 'kind-' }))).toThrow(ShipError);
    expect(() => chooseLoader(facts({ context: 'k3d-' }))).toThrow(ShipError);
  });

  it('minikube → minikube with profile = context', () => {
    expect(chooseLoader(facts({ context: 'minikube', server: 'https://192.168.49.2:8443' }))).toEqual({
      kind: 'minikube',
      profile: 'minikube',
    });
  });

  it('a minikube profile context is recognised by the provider extension', () => {
    const f = facts({ context: 'dev', cluster: 'dev', user: 'dev', server: 'https://127.0.0.1:50123', marks: { providers: ['minikube.sigs.k8s.io'] } });
    expect(chooseLoader(f)).toEqual({ kind: 'minikube', profile: 'dev' });
  });

  it('a minikube profile context is recognised by certificates under ~/.minikube', () => {
    const f = facts({
      context: 'p2',
      cluster: 'p2',
      server: 'https://127.0.0.1:50123',
      marks: { caFile: '/home/u/.minikube/ca.crt', certFile: '/home/u/.minikube/profiles/p2/client.crt' },
    });
    expect(chooseLoader(f)).toEqual({ kind: 'minikube', profile: 'p2' });
    expect(looksLikeMinikube(facts({ marks: { certFile: 'C:\\Users\\u\\.minikube\\profiles\\p\\client.crt' } }))).toBe(true);
  });

  it('a minikube profile context is recognised by the docker-driver server address when names match', () => {
    expect(chooseLoader(facts({ context: 'p3', cluster: 'p3', user: 'p3', server: 'https://192.168.49.2:8443' }))).toEqual({
      kind: 'minikube',
      profile: 'p3',
    });
    // Same address, but names that minikube would not write: not minikube.
    expect(looksLikeMinikube(facts({ context: 'p3', cluster: 'other', server: 'https://192.168.49.2:8443' }))).toBe(false);
    // Paths that merely contain "minikube" are not marks.
    expect(looksLikeMinikube(facts({ marks: { caFile: '/etc/minikube-ca.crt' } }))).toBe(false);
  });

  it.each([
    ['docker-desktop', 'docker-desktop'],
    ['docker-for-desktop', 'docker-desktop'],
    ['rancher-desktop', 'rancher-desktop'],
    ['orbstack', 'orbstack'],
    ['colima', 'colima'],
    ['colima-work', 'colima'],
  ])('%s → shared daemon %s', (context, name) => {
    expect(chooseLoader(facts({ context }))).toEqual({ kind: 'shared', name });
  });

  it('--registry pushes, on a local cluster too; --load still wins over it; a remote context still needs --allow-context', () => {
    expect(chooseLoader(facts({ context: 'kind-dev', registry: 'localhost:5001' }))).toEqual({ kind: 'registry', registry: 'localhost:5001' });
    expect(chooseLoader(facts({ context: 'kind-dev', registry: 'localhost:5001', loadFlag: 'kind' }))).toEqual({ kind: 'kind', cluster: 'dev' });
    expect(() => chooseLoader(facts({ context: 'prod', registry: 'localhost:5001' }))).toThrow(/not a local cluster/);
  });
});

describe('chooseLoader: --load wins', () => {
  it('kind, kind:NAME', () => {
    expect(chooseLoader(facts({ context: 'kind-a', loadFlag: 'kind' }))).toEqual({ kind: 'kind', cluster: 'a' });
    expect(chooseLoader(facts({ context: 'whatever', loadFlag: 'kind' }))).toEqual({ kind: 'kind', cluster: 'kind' });
    expect(chooseLoader(facts({ context: 'kind-a', loadFlag: 'kind:b' }))).toEqual({ kind: 'kind', cluster: 'b' });
  });

  it('k3d, k3d:NAME', () => {
    expect(chooseLoader(facts({ loadFlag: 'k3d' }))).toEqual({ kind: 'k3d', cluster: 'k3s-default' });
    expect(chooseLoader(facts({ context: 'k3d-x', loadFlag: 'k3d' }))).toEqual({ kind: 'k3d', cluster: 'x' });
    expect(chooseLoader(facts({ loadFlag: 'k3d:y' }))).toEqual({ kind: 'k3d', cluster: 'y' });
  });

  it('minikube, minikube:PROFILE', () => {
    expect(chooseLoader(facts({ loadFlag: 'minikube' }))).toEqual({ kind: 'minikube', profile: 'minikube' });
    expect(chooseLoader(facts({ context: 'p', loadFlag: 'minikube', marks: { providers: ['minikube.sigs.k8s.io'] } }))).toEqual({
      kind: 'minikube',
      profile: 'p',
    });
    expect(chooseLoader(facts({ loadFlag: 'minikube:q' }))).toEqual({ kind: 'minikube', profile: 'q' });
  });

  it('containerd defaults to /run/containerd/containerd.sock; containerd:SOCKET', () => {
    expect(chooseLoader(facts({ loadFlag: 'containerd' }))).toEqual({
      kind: 'containerd',
      socket: '/run/containerd/containerd.sock',
      namespace: 'k8s.io',
    });
    expect(chooseLoader(facts({ context: 'ship-local', loadFlag: 'containerd:/run/ship-cluster/containerd.sock' }))).toEqual({
      kind: 'containerd',
      socket: '/run/ship-cluster/containerd.sock',
      namespace: 'k8s.io',
    });
  });

  it('containerd:SOCKET,SOCKET names every node\'s containerd (repeats dropped); each must be absolute', () => {
    const two = '/run/ship-cluster/containerd.sock,/run/ship-cluster/node2/containerd.sock';
    expect(chooseLoader(facts({ context: 'ship-local', loadFlag: `containerd:${two}` }))).toEqual({
      kind: 'containerd',
      socket: '/run/ship-cluster/containerd.sock',
      sockets: ['/run/ship-cluster/containerd.sock', '/run/ship-cluster/node2/containerd.sock'],
      namespace: 'k8s.io',
    });
    expect(chooseLoader(facts({ loadFlag: 'containerd:/a.sock, /a.sock' }))).toEqual({ kind: 'containerd', socket: '/a.sock', namespace: 'k8s.io' });
    expect(thrown(() => chooseLoader(facts({ loadFlag: 'containerd:/a.sock,b.sock' }))).message).toContain('absolute paths');
    expect(describeChoice(chooseLoader(facts({ loadFlag: `containerd:${two}` }))!)).toBe(
      'containerd at /run/ship-cluster/containerd.sock, /run/ship-cluster/node2/containerd.sock',
    );
  });

  it('--load wins even over a kind context and for a context that is not local', () => {
    expect(chooseLoader(facts({ context: 'kind-dev', loadFlag: 'none' }))).toEqual({ kind: 'none' });
    expect(chooseLoader(facts({ context: 'prod', server: 'https://prod.example:6443', loadFlag: 'containerd:/x.sock' }))).toMatchObject({
      kind: 'containerd',
      socket: '/x.sock',
    });
  });

  it('shared, registry, none', () => {
    expect(chooseLoader(facts({ context: 'orbstack', loadFlag: 'shared' }))).toEqual({ kind: 'shared', name: 'orbstack' });
    expect(chooseLoader(facts({ context: 'my-vm', loadFlag: 'shared' }))).toEqual({ kind: 'shared', name: 'my-vm' });
    expect(chooseLoader(facts({ loadFlag: 'registry', registry: 'localhost:5001/me' }))).toEqual({
      kind: 'registry',
      registry: 'localhost:5001/me',
    });
    expect(chooseLoader(facts({ loadFlag: 'registry:localhost:5002' }))).toEqual({ kind: 'registry', registry: 'localhost:5002' });
    expect(chooseLoader(facts({ loadFlag: 'none' }))).toEqual({ kind: 'none' });
  });

  it('rejects malformed --load values as usage errors', () => {
    expect(thrown(() => chooseLoader(facts({ loadFlag: 'docker' }))).code).toBe('usage');
    expect(thrown(() => chooseLoader(facts({ loadFlag: 'kind:' }))).code).toBe('usage');
    expect(thrown(() => chooseLoader(facts({ loadFlag: 'containerd:relative.sock' }))).code).toBe('usage');
    expect(thrown(() => chooseLoader(facts({ loadFlag: 'none:x' }))).code).toBe('usage');
    const e = thrown(() => chooseLoader(facts({ loadFlag: 'registry' })));
    expect(e.code).toBe('usage');
    expect(e.hint).toContain('--registry');
  });

  it('an empty --load is treated as absent', () => {
    expect(chooseLoader(facts({ context: 'kind-a', loadFlag: '  ' }))).toEqual({ kind: 'kind', cluster: 'a' });
  });
});

describe('chooseLoader: contexts ship does not know', () => {
  it('refuses with a kubeconfig error naming the context and server, and a hint', () => {
    const e = thrown(() => chooseLoader(facts({ context: 'prod', server: 'https://prod.example:6443' })));
    expect(e.code).toBe('kubeconfig');
    expect(e.exitCode).toBe(7);
    expect(e.message).toBe('The context "prod" (https://prod.example:6443) is not a local cluster ship knows');
    expect(e.hint).toContain('--allow-context prod --registry HOST/PREFIX');
    expect(e.hint).toContain('--load containerd:SOCKET');
  });

  it('--registry alone does not make an unknown context acceptable', () => {
    const e = thrown(() => chooseLoader(facts({ context: 'prod', registry: 'reg.local:5000' })));
    expect(e.code).toBe('kubeconfig');
    expect(e.message).toContain('not a local cluster');
  });

  it('an allowed context with --registry → registry', () => {
    expect(chooseLoader(facts({ context: 'prod', allowContexts: ['prod'], registry: 'reg.local:5000/team' }))).toEqual({
      kind: 'registry',
      registry: 'reg.local:5000/team',
    });
  });

  it('an allowed context with --load → that loader', () => {
    expect(chooseLoader(facts({ context: 'ship-local', allowContexts: ['ship-local'], loadFlag: 'containerd:/run/ship-cluster/containerd.sock' }))).toEqual({
      kind: 'containerd',
      socket: '/run/ship-cluster/containerd.sock',
      namespace: 'k8s.io',
    });
  });

  it('an allowed context without a way to get the image there explains that --registry is needed', () => {
    const e = thrown(() => chooseLoader(facts({ context: 'prod', allowContexts: ['prod'] })));
    expect(e.code).toBe('kubeconfig');
    expect(e.message).toContain('allowed');
    expect(e.hint).toContain('--registry');
  });

  it('allowing another context does not help', () => {
    expect(thrown(() => chooseLoader(facts({ context: 'prod', allowContexts: ['staging'], registry: 'r:5000' }))).message).toContain(
      'not a local cluster',
    );
  });
});

describe('describeChoice', () => {
  it('says in words where the image goes', () => {
    expect(describeChoice({ kind: 'kind', cluster: 'dev' })).toBe('kind cluster "dev"');
    expect(describeChoice({ kind: 'containerd', socket: '/s.sock', namespace: 'k8s.io' })).toBe('containerd at /s.sock');
    expect(describeChoice({ kind: 'none' })).toContain('none');
  });
});
