import { describe, expect, it } from 'vitest';
import { editDistance, findUnknownFields, findUnknownFieldsDetailed, modelTypeFor } from '../../src/core/manifest-fields.js';

describe('findUnknownFields', () => {
  it('finds misspelled fields at any depth, with array indexes in the path', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { 'any.key/x': 'y' }, annotationz: {} },
      spec: {
        containers: [
          { name: 'a', image: 'x', ports: [{ containerPort: 8080 }] },
          { name: 'b', image: 'y', imagePullPolcy: 'Always', readinessProbe: { httpGet: { path: '/', port: 'http', hots: 'x' } } },
        ],
        containerz: [],
      },
    };
    expect(findUnknownFields(pod).sort()).toEqual(
      ['metadata.annotationz', 'spec.containerz', 'spec.containers[1].imagePullPolcy', 'spec.containers[1].readinessProbe.httpGet.hots'].sort(),
    );
    const detailed = findUnknownFieldsDetailed(pod);
    expect(detailed.find((u) => u.field === 'imagePullPolcy')?.suggestion).toBe('imagePullPolicy');
    expect(detailed.find((u) => u.field === 'containerz')?.suggestion).toBe('containers');
  });

  it('accepts a correct Deployment, Service and CronJob', () => {
    expect(
      findUnknownFields({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'd' } },
          template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { memory: '1Gi' } } }] } },
        },
      }),
    ).toEqual([]);
    expect(findUnknownFields({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } })).toEqual([]);
    expect(
      findUnknownFields({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c' },
        spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Never' } } } } },
      }),
    ).toEqual([]);
  });

  it('checks nothing for kinds client-node does not model', () => {
    expect(findUnknownFields({ apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { whatever: 1 } })).toEqual([]);
    expect(findUnknownFields({ apiVersion: 'v1', kind: 'NoSuchKind', metadata: { name: 'x' }, bogus: 1 })).toEqual([]);
  });

  it('maps apiVersion and kind to the model type, group prefix first', () => {
    expect(modelTypeFor('v1', 'Pod')).toBe('V1Pod');
    expect(modelTypeFor('v1', 'Event')).toBe('CoreV1Event');
    expect(modelTypeFor('events.k8s.io/v1', 'Event')).toBe('EventsV1Event');
    expect(modelTypeFor('autoscaling/v2', 'HorizontalPodAutoscaler')).toBe('V2HorizontalPodAutoscaler');
    expect(modelTypeFor('acme.io/v1', 'Pod')).toBeUndefined();
  });

  it('measures edit distance', () => {
    expect(editDistance('containerz', 'containers')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'ab')).toBe(2);
  });
});

describe('the model classes manifest-fields reads', () => {
  it('are every model class client-node exports (its models/all.js, the same classes as the package index)', async () => {
    const index = (await import('@kubernetes/client-node')) as unknown as Record<string, unknown>;
    const models = (await import('@kubernetes/client-node/dist/gen/models/all.js')) as unknown as Record<string, unknown>;
    const isModel = (v: unknown) => typeof v === 'function' && typeof (v as { getAttributeTypeMap?: unknown }).getAttributeTypeMap === 'function';
    const fromIndex = Object.keys(index).filter((k) => isModel(index[k]));
    expect(fromIndex.length).toBeGreaterThan(500);
    expect(fromIndex.filter((k) => models[k] !== index[k])).toEqual([]);
    expect(Object.keys(models).filter((k) => isModel(models[k])).length).toBe(fromIndex.length);
  });
});
