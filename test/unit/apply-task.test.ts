import { describe, expect, it } from 'vitest';
import { describeApplied, resolveNamespace } from '../../src/tasks/apply.js';
import { renderManifest } from '../../src/core/manifest/render.js';

const pod = (ns?: string) => `apiVersion: v1
kind: Pod
metadata:
  name: p${ns ? `\n  namespace: ${ns}` : ''}
spec:
  containers:
    - name: c
      image: app
`;
const render = (text: string) =>
  renderManifest({ sources: [{ file: 'm.yaml', text }], image: { repository: 'app', tag: 't' }, matchNames: [], app: 'app' });

describe('resolveNamespace', () => {
  it('prefers the flag, then the manifest, then the context, then default', () => {
    expect(resolveNamespace('flag', render(pod('man')), { namespace: 'ctx' })).toBe('flag');
    expect(resolveNamespace(undefined, render(pod('man')), { namespace: 'ctx' })).toBe('man');
    expect(resolveNamespace(undefined, render(pod()), { namespace: 'ctx' })).toBe('ctx');
    expect(resolveNamespace(undefined, render(pod()), { namespace: '' })).toBe('default');
  });

  it('ignores cluster-scoped objects when reading the manifest namespace', () => {
    const text = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n${pod()}`;
    expect(resolveNamespace(undefined, render(text), { namespace: 'ctx' })).toBe('ctx');
  });
});

describe('describeApplied', () => {
  it('prints kind/name result', () => {
    expect(describeApplied({ apiVersion: 'v1', kind: 'Pod', name: 'spring-pod', namespace: 'default', result: 'created' })).toBe('pod/spring-pod created');
  });
});
