// Statuses and events recorded from the real test cluster (test/e2e/wait.test.ts with
// SHIP_RECORD_FIXTURES=1), replayed through the pure diagnosis.
import { describe, expect, it } from 'vitest';
import { diagnosePod } from '../../src/core/diagnose/index.js';
import { formatEvents, podSummary } from '../../src/core/kubectl-format.js';
import { loadCase } from './fixtures/pods/load.js';

function run(name: string, logs?: Record<string, string[]>) {
  const c = loadCase(`recorded-${name}`);
  return { c, d: diagnosePod({ pod: c.pod, events: c.events, now: c.now, logs }), s: podSummary(c.pod, c.now) };
}

describe('recorded from the cluster', () => {
  it('a Ready pod: no diagnosis', () => {
    const { d, s } = run('ready');
    expect(d).toBeUndefined();
    expect(s).toMatchObject({ name: 'ready', ready: '1/1', status: 'Running', restarts: 0 });
  });

  it('registry.invalid/nope:1.0: a certain pull failure, "no such host"', () => {
    const { d, s } = run('pull');
    expect(d).toMatchObject({ certain: true, pod: 'pull', container: 'app' });
    expect(d!.reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    expect(d!.message).toContain('the registry host "registry.invalid" cannot be resolved');
    expect(s.status).toBe(d!.reason);
  });

  it('64 CPUs: Unschedulable, the scheduler message without its preemption tail', () => {
    const { d, s } = run('cpu');
    expect(d).toMatchObject({ certain: true, reason: 'Unschedulable' });
    expect(d!.message).toBe('Pod "cpu" cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu. It requests app: cpu 64.');
    expect(s.status).toBe('Pending');
  });

  it('missing ConfigMap: CreateContainerConfigError naming it', () => {
    const { c, d, s } = run('config');
    expect(d).toMatchObject({ certain: true, reason: 'CreateContainerConfigError' });
    expect(d!.message).toContain(`the ConfigMap "ship-missing-config" it refers to does not exist in namespace "${c.pod.metadata!.namespace}"`);
    expect(s.status).toBe('CreateContainerConfigError');
  });

  it('exit 1: a certain crash that asks for its logs and quotes them', () => {
    const { d } = run('crash');
    expect(d).toMatchObject({ certain: true, container: 'app' });
    expect(d!.message).toContain('exited with code 1');
    expect(d!.needsLogs?.container).toBe('app');
    expect(run('crash', { app: ['boom'] }).d!.message).toContain('Its last log line: "boom"');
  });

  it('exit 2 after 2 s: the second crash is certain', () => {
    const { d } = run('late');
    expect(d).toMatchObject({ certain: true, container: 'app' });
    expect(d!.message).toContain('exited with code 2');
  });

  it('OOMKilled under a 32Mi limit: names the limit', () => {
    const { d, s } = run('oom');
    expect(d).toMatchObject({ certain: true, reason: 'OOMKilled', container: 'app' });
    expect(d!.message).toContain('ran out of memory (its limit is 32Mi)');
    expect(s.status).toMatch(/^(OOMKilled|CrashLoopBackOff)$/);
  });

  it('a command the image lacks: RunContainerError saying so, certain', () => {
    const { d, s } = run('nocmd');
    expect(d).toMatchObject({ certain: true, container: 'app' });
    expect(d!.reason).toMatch(/^(RunContainerError|CrashLoopBackOff|StartError)$/);
    expect(d!.message).toMatch(/its command does not exist in the image|exited with code 128/);
    expect(d!.details.join('\n')).toContain('/app/start.sh');
    expect(s.status).toBe(d!.reason === 'StartError' ? 'StartError' : d!.reason);
  });

  it('restartPolicy Never, exit 3: certain at once, previous logs not needed', () => {
    const { d, s } = run('never', { app: ['bye'] });
    expect(d).toMatchObject({ certain: true, reason: 'Error', needsLogs: { container: 'app', previous: false } });
    expect(d!.message).toBe('Container "app" exited with code 3. restartPolicy Never does not restart it. Its last log line: "bye"');
    expect(s.status).toBe('Error');
  });

  it('readiness probe refused: certain after two minutes (the app may still be starting before), with the probe and the hint', () => {
    const { c, s } = run('probe');
    expect(diagnosePod({ pod: c.pod, events: c.events, now: c.now })).toMatchObject({ certain: false, reason: 'ReadinessProbeFailed' });
    const d = diagnosePod({ pod: c.pod, events: c.events, now: Date.parse('2026-11-27T21:16:45Z') });
    expect(d).toMatchObject({ certain: true, reason: 'ReadinessProbeFailed', container: 'app' });
    expect(d!.message).toMatch(/readiness probe \(HTTP GET http:\/\/:8080\/actuator\/health\/readiness\) has failed for 2m3s: Get .*connection refused/);
    expect(d!.hint).toContain('Nothing listens');
    expect(s).toMatchObject({ status: 'Running', ready: '0/1' });
    // 30 s after start it was not certain yet
    const early = diagnosePod({ pod: c.pod, events: c.events, now: Date.parse('2026-11-27T21:15:11Z') });
    expect(early?.certain).toBe(false);
  });

  it('the events table reads like kubectl describe', () => {
    const { c } = run('crash');
    const lines = formatEvents(c.events, c.now);
    expect(lines[0]).toMatch(/^TYPE\s+REASON\s+AGE\s+FROM\s+MESSAGE$/);
    expect(lines.some((l) => /^Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned/.test(l))).toBe(true);
    expect(lines.some((l) => /^Normal\s+Started\s+.*kubelet\s+Started container app$/.test(l))).toBe(true);
  });
});
