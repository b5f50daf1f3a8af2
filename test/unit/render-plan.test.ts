import { describe, expect, it } from 'vitest';
import {
  helmReleaseName,
  helmTemplateCommand,
  kustomizeCommand,
  kustomizeImageAliases,
  kustomizeImages,
  kustomizeLocalRefs,
  kustomizationFile,
  overriddenImageTags,
  pickKustomizeDir,
} from '../../src/core/render-plan.js';
import { caughtShipError } from '../support/ship-error.js';

describe('kustomization detection', () => {
  it('finds the file under each name kustomize accepts, in its order', () => {
    expect(kustomizationFile((f) => f === 'Kustomization')).toBe('Kustomization');
    expect(kustomizationFile((f) => f === 'kustomization.yml' || f === 'Kustomization')).toBe('kustomization.yml');
    expect(kustomizationFile(() => false)).toBeUndefined();
  });

  it('looks at the root, then k8s/, kubernetes/, deploy/', () => {
    expect(pickKustomizeDir({ manifests: [], isKustomization: (d) => d === 'k8s' || d === 'deploy' })).toBe('k8s');
    expect(pickKustomizeDir({ manifests: [], isKustomization: (d) => d === '.' || d === 'k8s' })).toBe('.');
    expect(pickKustomizeDir({ manifests: [], isKustomization: () => false })).toBeUndefined();
  });

  it('--kustomize DIR wins and must hold a kustomization', () => {
    expect(pickKustomizeDir({ kustomize: '/p/k8s/overlays/dev', manifests: [], isKustomization: () => true })).toBe('/p/k8s/overlays/dev');
    const e = caughtShipError(() => pickKustomizeDir({ kustomize: '/p/nothing', manifests: [], isKustomization: () => false }));
    expect(e.code).toBe('manifest');
    expect(e.message).toContain('/p/nothing holds no kustomization');
  });

  it('a --manifest directory with a kustomization is rendered; plain --manifest paths are not', () => {
    const isK = (d: string) => d === '/p/overlay';
    expect(pickKustomizeDir({ manifests: ['/p/overlay'], isKustomization: isK })).toBe('/p/overlay');
    expect(pickKustomizeDir({ manifests: ['/p/pod.yaml'], isKustomization: isK })).toBeUndefined();
    // explicit --manifest paths without a kustomization never fall back to the project's k8s/
    expect(pickKustomizeDir({ manifests: ['/p/pod.yaml'], isKustomization: (d) => d === 'k8s' })).toBeUndefined();
    const e = caughtShipError(() => pickKustomizeDir({ manifests: ['/p/overlay', '/p/pod.yaml'], isKustomization: isK }));
    expect(e.message).toContain('cannot be combined');
  });
});

describe('kustomize command', () => {
  it('prefers the kustomize binary, else kubectl kustomize', () => {
    expect(kustomizeCommand('k8s/overlays/dev', { kustomize: true, kubectl: true })).toEqual({ cmd: 'kustomize', args: ['build', 'k8s/overlays/dev'] });
    expect(kustomizeCommand('k8s', { kustomize: false, kubectl: true })).toEqual({ cmd: 'kubectl', args: ['kustomize', 'k8s'] });
  });

  it('says what to install when neither is there', () => {
    const e = caughtShipError(() => kustomizeCommand('k8s', { kustomize: false, kubectl: false }));
    expect(e.code).toBe('manifest');
    expect(e.hint).toContain('kubectl');
    expect(e.hint).toContain('kustomize');
  });
});

describe('kustomize images: entries', () => {
  const overlay = {
    resources: ['../../base', 'extra.yaml', 'https://example.invalid/x', 'github.com/org/repo/k8s?ref=v1'],
    components: ['../../components/db'],
    images: [
      { name: 'kubernetes-spring', newName: 'team/kubernetes-spring', newTag: 'dev' },
      { name: 'postgres', newTag: 16 },
      { newName: 'no-name' },
      'garbage',
    ],
  };

  it('parses the entries and skips malformed ones', () => {
    expect(kustomizeImages(overlay)).toEqual([
      { name: 'kubernetes-spring', newName: 'team/kubernetes-spring', newTag: 'dev' },
      { name: 'postgres', newTag: '16' },
    ]);
    expect(kustomizeImages(null)).toEqual([]);
    expect(kustomizeImages({ images: 'x' })).toEqual([]);
  });

  it('lists the local directories it builds on, not files or remote bases', () => {
    expect(kustomizeLocalRefs(overlay)).toEqual(['../../base', '../../components/db']);
    expect(kustomizeLocalRefs({ bases: ['../base'] })).toEqual(['../base']);
  });

  it('follows renames of the built image, through chains, and ignores other images', () => {
    const entries = [
      { name: 'kubernetes-spring', newName: 'team/kubernetes-spring' },
      { name: 'team/kubernetes-spring', newName: 'registry.local:5000/team/kubernetes-spring', newTag: 'dev' },
      { name: 'postgres', newName: 'ship.local/postgres' },
    ];
    expect(kustomizeImageAliases(entries, ['kubernetes-spring'])).toEqual(['team/kubernetes-spring', 'registry.local:5000/team/kubernetes-spring']);
    // order of the entries does not matter
    expect(kustomizeImageAliases([...entries].reverse(), ['kubernetes-spring'])).toHaveLength(2);
    // docker.io/library/x and x are the same name
    expect(kustomizeImageAliases([{ name: 'docker.io/library/kubernetes-spring', newName: 'x/y' }], ['kubernetes-spring'])).toEqual(['x/y']);
    expect(kustomizeImageAliases([{ name: 'kubernetes-spring', newTag: 'dev' }], ['kubernetes-spring'])).toEqual([]);
  });

  it('names the entries whose tag ship replaces', () => {
    const entries = [
      { name: 'kubernetes-spring', newName: 'team/app', newTag: 'dev' },
      { name: 'team/app', digest: 'sha256:' + 'a'.repeat(64) },
      { name: 'postgres', newTag: '16' },
    ];
    expect(overriddenImageTags(entries, ['kubernetes-spring']).map((e) => e.name)).toEqual(['kubernetes-spring', 'team/app']);
  });
});

describe('helm template', () => {
  it('names the release after the app and passes values and --set in order', () => {
    expect(
      helmTemplateCommand({ app: 'spring-db', chart: 'chart', values: ['values-dev.yaml', 'more.yaml'], set: ['replicaCount=2', 'a.b=c'], namespace: 'team' }),
    ).toEqual({
      cmd: 'helm',
      args: ['template', 'spring-db', 'chart', '--namespace', 'team', '--values', 'values-dev.yaml', '--values', 'more.yaml', '--set', 'replicaCount=2', '--set', 'a.b=c', '--skip-tests'],
    });
    expect(helmTemplateCommand({ app: 'x', chart: '.', values: [], set: [] }).args).toEqual(['template', 'x', '.', '--skip-tests']);
  });

  it('refuses a --set without =', () => {
    const e = caughtShipError(() => helmTemplateCommand({ app: 'x', chart: '.', values: [], set: ['replicaCount'] }));
    expect(e.code).toBe('usage');
  });

  it('makes a valid release name from any app name', () => {
    expect(helmReleaseName('Kubernetes_Spring')).toBe('kubernetes-spring');
    expect(helmReleaseName('--x--')).toBe('x');
    expect(helmReleaseName('a'.repeat(60))).toHaveLength(53);
    expect(helmReleaseName('___')).toBe('app');
  });
});
