import { describe, expect, it } from 'vitest';
import { canonicalName, canonicalRef, parseImageRef, sameRepository, shortName, shortRef } from '../../src/core/image-ref.js';

describe('image references', () => {
  it('parse registry, repository, tag and digest', () => {
    expect(parseImageRef('localhost:5000/team/app:1@sha256:ab')).toEqual({ registry: 'localhost:5000', repository: 'team/app', tag: '1', digest: 'sha256:ab' });
    expect(parseImageRef('me/app')).toEqual({ registry: undefined, repository: 'me/app', tag: undefined, digest: undefined });
  });
  it('agree on every spelling of a Docker Hub image', () => {
    const spellings = ['kubernetes-spring', 'kubernetes-spring:ship-1', 'library/kubernetes-spring', 'docker.io/library/kubernetes-spring:2', 'index.docker.io/library/kubernetes-spring@sha256:ab'];
    for (const s of spellings) {
      expect(shortName(s)).toBe('kubernetes-spring');
      expect(canonicalName(s)).toBe('docker.io/library/kubernetes-spring');
      expect(sameRepository(s, 'kubernetes-spring')).toBe(true);
    }
    expect(sameRepository('kubernetes-spring', 'other/kubernetes-spring')).toBe(false);
  });
  it('give containerd\'s and the short form with the default tag', () => {
    expect(canonicalRef('app')).toBe('docker.io/library/app:latest');
    expect(canonicalRef('me/app:1')).toBe('docker.io/me/app:1');
    expect(canonicalRef('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(shortRef('docker.io/library/app')).toBe('app:latest');
    expect(shortRef('registry.invalid/nope/sidecar:1.0')).toBe('registry.invalid/nope/sidecar:1.0');
  });
});
