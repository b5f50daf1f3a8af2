import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { formatStatusTable, statusFooter, statusJson, statusRow, nothingDeployedLines, needsEvents } from '../../src/core/status-format.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const labels = { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'demo' };

// Pods as the API returns them (recorded JSON shape: timestamps are strings).
function pod(name: string, status: Record<string, unknown>, extra: { image?: string; restartPolicy?: string; deleting?: boolean } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels, uid: `uid-${name}`, creationTimestamp: ago(300) as unknown as Date, ...(extra.deleting ? { deletionTimestamp: ago(1) as unknown as Date } : {}) },
    spec: { restartPolicy: extra.restartPolicy ?? 'Always', containers: [{ name: 'app', image: extra.image ?? 'demo:ship-3f2a9c1b7d0e' }] },
    status: status as V1Pod['status'],
  } as V1Pod;
}

const running = pod('demo', {
  phase: 'Running',
  conditions: [{ type: 'Ready', status: 'True' }],
  containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'demo:ship-3f2a9c1b7d0e', imageID: '', state: { running: { startedAt: ago(290) } } }],
});

const crashing = pod('demo-crash', {
  phase: 'Running',
  conditions: [{ type: 'Ready', status: 'False' }],
  containerStatuses: [
    {
      name: 'app',
      ready: false,
      restartCount: 4,
      image: 'demo:ship-3f2a9c1b7d0e',
      imageID: '',
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=app pod=demo-crash' } },
      lastState: { terminated: { exitCode: 3, reason: 'Error', startedAt: ago(46), finishedAt: ago(45) } },
    },
  ],
});

const creating = pod('demo-new', {
  phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'True' }],
  containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'demo:ship-1', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }],
});

const exited = pod(
  'demo-once',
  {
    phase: 'Failed',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'demo:ship-1', imageID: '', state: { terminated: { exitCode: 3, reason: 'Error', startedAt: ago(20), finishedAt: ago(19) } } }],
  },
  { restartPolicy: 'Never' },
);

const backoffEvents: CoreV1Event[] = [
  {
    metadata: { name: 'e1' },
    involvedObject: { kind: 'Pod', name: 'demo-crash', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    type: 'Warning',
    message: 'Back-off restarting failed container app in pod demo-crash_default',
    count: 6,
    firstTimestamp: ago(200) as unknown as Date,
    lastTimestamp: ago(5) as unknown as Date,
  } as CoreV1Event,
];

describe('status rows', () => {
  it('shows kubectl columns and the image for a healthy pod, with no diagnosis', () => {
    const r = statusRow(running, [], NOW);
    expect(r).toMatchObject({ name: 'demo', ready: '1/1', status: 'Running', restarts: 0, images: ['demo:ship-3f2a9c1b7d0e'], podReady: true });
    expect(r.diagnosis).toBeUndefined();
    expect(r.ageMs).toBe(300_000);
  });

  it('a crash loop shows CrashLoopBackOff, the restart count with when, and the diagnosis', () => {
    const r = statusRow(crashing, backoffEvents, NOW);
    expect(r.status).toBe('CrashLoopBackOff');
    expect(r.ready).toBe('0/1');
    expect(r.restarts).toBe(4);
    expect(r.lastRestartAgoMs).toBe(45_000);
    expect(r.diagnosis?.reason).toBe('CrashLoopBackOff');
    expect(r.diagnosis?.certain).toBe(true);
    expect(r.diagnosis?.message).toMatch(/exit|code 3|crash/i);
  });

  it('a container that exited under restartPolicy Never shows Error and why', () => {
    const r = statusRow(exited, [], NOW);
    expect(r.status).toBe('Error');
    expect(r.diagnosis?.certain).toBe(true);
  });

  it('only pods that are not Ready need their events fetched', () => {
    expect(needsEvents(running)).toBe(false);
    expect(needsEvents(crashing)).toBe(true);
    expect(needsEvents(pod('gone', { phase: 'Running' }, { deleting: true }))).toBe(false);
  });

  it('a pod being deleted shows Terminating and no diagnosis', () => {
    const r = statusRow(pod('old', running.status as Record<string, unknown>, { deleting: true }), [], NOW);
    expect(r.status).toBe('Terminating');
  });
});

describe('status table', () => {
  it('lines up columns, puts the diagnosis under the failing pod and points at ship why', () => {
    const rows = [statusRow(running, [], NOW), statusRow(crashing, backoffEvents, NOW), statusRow(creating, [], NOW)];
    const lines = formatStatusTable(rows);
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IMAGE$/);
    const col = (h: string) => lines[0].indexOf(h);
    const runningLine = lines.find((l) => l.startsWith('demo '))!;
    expect(runningLine.slice(col('STATUS')).startsWith('Running')).toBe(true);
    expect(runningLine.slice(col('AGE')).startsWith('5m')).toBe(true);
    expect(runningLine.slice(col('IMAGE'))).toBe('demo:ship-3f2a9c1b7d0e');
    const i = lines.findIndex((l) => l.startsWith('demo-crash'));
    expect(lines[i].slice(col('RESTARTS')).startsWith('4 (45s ago)')).toBe(true);
    expect(lines[i + 1]).toMatch(/^ {2}└ /);
    expect(lines.find((l) => l.startsWith('demo-new'))!.slice(col('STATUS')).startsWith('ContainerCreating')).toBe(true);
    expect(statusFooter(rows)).toEqual(['', 'For details: ship why demo-crash']);
    expect(statusFooter([rows[0]])).toEqual([]);
  });

  it('says so when nothing is deployed, with the command that deploys', () => {
    expect(nothingDeployedLines({ app: 'demo', namespace: 'default', context: 'kind-kind', projectDir: '/p/demo', display: './demo' })).toEqual([
      'Nothing deployed for "demo" in namespace default (context kind-kind).',
      'Deploy it with: ship ./demo',
    ]);
  });

  it('gives the same facts as data', () => {
    const [j] = statusJson([statusRow(crashing, backoffEvents, NOW)]);
    expect(j).toMatchObject({ name: 'demo-crash', namespace: 'default', ready: '0/1', status: 'CrashLoopBackOff', restarts: 4, ageSeconds: 300, images: ['demo:ship-3f2a9c1b7d0e'], podReady: false });
    expect((j.diagnosis as { reason: string }).reason).toBe('CrashLoopBackOff');
  });
});
