import { describe, expect, it } from 'vitest';
import { containerPort, forwardSelector, parsePortFlag } from '../../src/core/port.js';
import type { RenderedObject, RewrittenContainer } from '../../src/core/manifest/types.js';
import { ShipError } from '../../src/errors.js';

function usageError(fn: () => unknown): ShipError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).code).toBe('usage');
    expect((e as ShipError).hint).toMatch(/--port 0/);
    return e as ShipError;
  }
  throw new Error('expected a ShipError');
}

describe('parsePortFlag', () => {
  it('reads LOCAL, LOCAL:REMOTE and 0', () => {
    expect(parsePortFlag('8080')).toEqual({ local: 8080 });
    expect(parsePortFlag('18080:8080')).toEqual({ local: 18080, remote: 8080 });
    expect(parsePortFlag('0')).toEqual({ local: 0 });
    expect(parsePortFlag('0:9090')).toEqual({ local: 0, remote: 9090 });
    expect(parsePortFlag(' 65535 ')).toEqual({ local: 65535 });
  });

  it('refuses what is not a port', () => {
    for (const bad of ['', 'abc', '80a', '-1', '8080:', ':8080', '1:2:3', '8080.5', '99999999']) usageError(() => parsePortFlag(bad));
    expect(usageError(() => parsePortFlag('65536')).message).toMatch(/65536/);
    expect(usageError(() => parsePortFlag('8080:0')).message).toMatch(/1 to 65535/);
    expect(usageError(() => parsePortFlag('8080:70000')).message).toMatch(/1 to 65535/);
  });
});

function obj(kind: string, name: string, body: Record<string, unknown>): RenderedObject {
  return { apiVersion: 'v1', kind, name, body: { kind, metadata: { name }, ...body }, source: { file: 'f.yaml', doc: 0 } };
}

const podSpec = (containers: unknown[]) => ({ containers });

describe('containerPort', () => {
  const sidecar = { name: 'proxy', image: 'envoy:1', ports: [{ containerPort: 9901 }] };
  const app = { name: 'web', image: 'demo:ship-1', ports: [{ name: 'http', containerPort: 8081 }, { containerPort: 9000 }] };
  const rewritten: RewrittenContainer[] = [{ file: 'f.yaml', kind: 'Deployment', name: 'demo', container: 'web', from: 'demo', to: 'demo:ship-1' }];

  it('takes the first containerPort of the rewritten container, not of a sidecar', () => {
    const objects = [
      obj('Service', 'demo', { spec: { ports: [{ port: 80 }] } }),
      obj('Deployment', 'demo', { spec: { template: { spec: podSpec([sidecar, app]) } } }),
    ];
    expect(containerPort(objects, rewritten)).toBe(8081);
  });

  it('finds containers of a bare Pod and of a CronJob', () => {
    expect(containerPort([obj('Pod', 'p', { spec: podSpec([app]) })], [{ ...rewritten[0], kind: 'Pod', name: 'p' }])).toBe(8081);
    const cron = obj('CronJob', 'c', { spec: { jobTemplate: { spec: { template: { spec: podSpec([{ ...app, ports: [{ containerPort: 7000 }] }]) } } } } });
    expect(containerPort([cron], [{ ...rewritten[0], kind: 'CronJob', name: 'c' }])).toBe(7000);
  });

  it('falls back to 8080', () => {
    expect(containerPort([], rewritten)).toBe(8080);
    // The built container declares no port.
    const noPorts = obj('Deployment', 'demo', { spec: { template: { spec: podSpec([sidecar, { name: 'web', image: 'demo:ship-1' }]) } } });
    expect(containerPort([noPorts], rewritten)).toBe(8080);
    // Nothing was rewritten in this object (another app's Deployment).
    const other = obj('Deployment', 'other', { spec: { template: { spec: podSpec([app]) } } });
    expect(containerPort([other], rewritten)).toBe(8080);
  });

  it('without a rewrite list, takes the first container that declares a port', () => {
    const d = obj('Deployment', 'demo', { spec: { template: { spec: podSpec([{ name: 'a' }, sidecar, app]) } } });
    expect(containerPort([d])).toBe(9901);
  });
});

describe('forwardSelector', () => {
  const rewritten: RewrittenContainer[] = [{ file: 'f.yaml', kind: 'Deployment', name: 'web', container: 'web', from: 'demo', to: 'demo:ship-1' }];
  const tmpl = (labels: Record<string, string>, containers: unknown[]) => ({ spec: { template: { metadata: { labels }, spec: podSpec(containers) } } });

  it("uses every label of the built workload's pod template, not a database's", () => {
    const objects = [
      obj('Deployment', 'db', tmpl({ app: 'db', 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'demo' }, [{ name: 'pg', image: 'postgres:16' }])),
      obj('Deployment', 'web', tmpl({ 'app.kubernetes.io/name': 'demo', app: 'web', 'app.kubernetes.io/managed-by': 'ship' }, [{ name: 'web', image: 'demo:ship-1' }])),
    ];
    expect(forwardSelector(objects, rewritten, 'demo')).toBe('app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=demo,app=web');
  });

  it("reads a bare Pod's own labels", () => {
    const pod = obj('Pod', 'p', { metadata: { name: 'p', labels: { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'custom' } }, spec: podSpec([]) });
    expect(forwardSelector([pod], [{ ...rewritten[0], kind: 'Pod', name: 'p' }], 'demo')).toBe('app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=custom');
  });

  it('falls back to managed-by=ship,name=<app>', () => {
    expect(forwardSelector([], [], 'demo')).toBe('app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=demo');
    const unlabelled = obj('Deployment', 'web', { spec: { template: { spec: podSpec([]) } } });
    expect(forwardSelector([unlabelled], rewritten, 'demo')).toBe('app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=demo');
  });
});
