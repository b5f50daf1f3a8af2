import { describe, expect, it } from 'vitest';
import { CONFIG_ERROR_SETTLE_MS } from '../../src/core/diagnose/config-error.js';
import { defaultPullPolicy } from '../../src/core/diagnose/image-pull.js';
import { diagnosePod, type DiagnoseInput } from '../../src/core/diagnose/index.js';
import { parseImageRef, shortRef } from '../../src/core/image-ref.js';
import { formatEvents, humanDuration, podSummary } from '../../src/core/kubectl-format.js';
import { isCompletedJobPod, isPodReady } from '../../src/core/pod-ready.js';
import { fixtureNames, loadCase } from './fixtures/pods/load.js';

const BUILT = 'kubernetes-spring:ship-3f2a9c1b7d0e';

function diagnose(name: string, extra: Partial<DiagnoseInput> = {}) {
  const c = loadCase(name);
  return diagnosePod({ pod: c.pod, events: c.events, now: c.now, builtImages: [BUILT], ...extra });
}

describe('image references', () => {
  it('parses registry, repository, tag and digest', () => {
    expect(parseImageRef('registry.invalid/nope:1.0')).toEqual({ registry: 'registry.invalid', repository: 'nope', tag: '1.0', digest: undefined });
    expect(parseImageRef('localhost:5000/a/b')).toEqual({ registry: 'localhost:5000', repository: 'a/b', tag: undefined, digest: undefined });
    expect(parseImageRef('kubernetes-spring')).toEqual({ registry: undefined, repository: 'kubernetes-spring', tag: undefined, digest: undefined });
    expect(parseImageRef('busybox@sha256:abc').digest).toBe('sha256:abc');
  });
  it('normalizes docker.io spellings and a missing tag', () => {
    expect(shortRef('docker.io/library/kubernetes-spring:ship-1')).toBe('kubernetes-spring:ship-1');
    expect(shortRef('kubernetes-spring')).toBe('kubernetes-spring:latest');
    expect(shortRef('ship.local/busybox:1')).toBe('ship.local/busybox:1');
  });
  it('defaults the pull policy to Always only for no tag or :latest', () => {
    expect(defaultPullPolicy('kubernetes-spring')).toBe('Always');
    expect(defaultPullPolicy('kubernetes-spring:latest')).toBe('Always');
    expect(defaultPullPolicy('kubernetes-spring:ship-1')).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/app')).toBe('Always');
    expect(defaultPullPolicy('app@sha256:0123')).toBe('IfNotPresent');
  });
});

describe('diagnosePod: image pulls', () => {
  it('ImagePullBackOff on an unresolvable registry is certain and says which image, container and why', () => {
    const d = diagnose('image-pull-backoff-unresolvable')!;
    expect(d).toMatchObject({ certain: true, reason: 'ImagePullBackOff', pod: 'nope', container: 'app' });
    expect(d.message).toContain('"registry.invalid/nope:1.0"');
    expect(d.message).toContain('container "app"');
    expect(d.message).toContain('the registry host "registry.invalid" cannot be resolved');
    expect(d.message).toContain('ship did not build this image and no registry the node can reach has it');
    expect(d.details).toContain('Pull policy: IfNotPresent (the default for a tagged image)');
    expect(d.details).toContain('Built by ship: no');
    expect(d.details).toContain('On the node: unknown');
    expect(d.details.some((l) => l.startsWith('Kubelet: ') && l.includes('no such host'))).toBe(true);
  });

  it('an untagged image ship did not build: explains the latest → Always default', () => {
    const d = diagnose('err-image-pull-untagged', { nodeHasImage: { 'kubernetes-spring:latest': false } })!;
    expect(d.certain).toBe(true); // "pull access denied" is final
    expect(d.reason).toBe('ErrImagePull');
    expect(d.message).toContain('the registry refused it');
    expect(d.details).toContain('Pull policy: Always (the default for an image with no tag or :latest)');
    expect(d.details).toContain('On the node: no');
    expect(d.details[0]).toContain('docker.io/library/kubernetes-spring:latest');
    expect(d.hint).toMatch(/defaults imagePullPolicy to Always/);
    expect(d.details.some((l) => l.includes('its default pull policy is Always'))).toBe(true);
  });

  it('an image ship built that is not on the node blames the loader; a network timeout alone is not certain', () => {
    const d = diagnose('err-image-pull-built-not-loaded', { nodeHasImage: { [BUILT]: false } })!;
    expect(d.certain).toBe(false);
    expect(d.message).toContain('no registry can be reached from the node');
    expect(d.message).toContain('ship built this image, but it is not on the node: the image loader did not put it there.');
    expect(d.details).toContain('Built by ship: yes');
    expect(d.details).toContain('On the node: no');
  });

  it('the built image matches even when spelled with docker.io/library/', () => {
    const d = diagnose('err-image-pull-built-not-loaded', { builtImages: ['docker.io/library/' + BUILT] })!;
    expect(d.details).toContain('Built by ship: yes');
    expect(d.message).toContain('the kubelet did not find it on the node');
  });

  it('policy Always on a built image that the node has: says the policy is the problem', () => {
    const c = loadCase('err-image-pull-built-not-loaded');
    c.pod.spec!.containers[0].imagePullPolicy = 'Always';
    const d = diagnosePod({ pod: c.pod, events: c.events, now: c.now, builtImages: [BUILT], nodeHasImage: { [BUILT]: true } })!;
    expect(d.message).toContain('imagePullPolicy Always makes the kubelet pull it from a registry anyway');
    expect(d.hint).toContain('IfNotPresent');
    expect(d.details).toContain('Pull policy: Always');
  });

  it('ErrImageNeverPull and InvalidImageName are certain', () => {
    const never = diagnose('err-image-never-pull')!;
    expect(never).toMatchObject({ certain: true, reason: 'ErrImageNeverPull', container: 'helper' });
    expect(never.message).toContain('imagePullPolicy Never');
    const invalid = diagnose('invalid-image-name')!;
    expect(invalid).toMatchObject({ certain: true, reason: 'InvalidImageName' });
    expect(invalid.message).toContain('"Kubernetes_Spring:Latest!"');
    expect(invalid.details[0]).toContain('must be lowercase');
  });
});

describe('diagnosePod: crashes', () => {
  it('CrashLoopBackOff with exit 1 is certain and asks for the previous logs', () => {
    const d = diagnose('crashloop-exit1')!;
    expect(d).toMatchObject({ certain: true, reason: 'CrashLoopBackOff', container: 'app', needsLogs: { container: 'app', previous: true } });
    expect(d.message).toContain('exited with code 1');
    expect(d.message).toContain('It has crashed 3 times; the kubelet now waits before each restart (CrashLoopBackOff).');
    expect(d.hint).toContain('kubectl -n default logs crash-pod -c app --previous');
  });

  it('quotes the last non-empty log line when the logs are given', () => {
    const d = diagnose('crashloop-exit1', { logs: { app: ['Starting', 'fatal: CRASH_AT_START is set, exiting', '', '  '] } })!;
    expect(d.message).toContain('Its last log line: "fatal: CRASH_AT_START is set, exiting"');
    expect(d.details).toContain('  fatal: CRASH_AT_START is set, exiting');
    expect(diagnose('crashloop-exit1', { logs: { app: [] } })!.message).toContain('It wrote no log lines.');
  });

  it('a first crash that the kubelet will restart is not certain; neither is one crash then running', () => {
    const first = diagnose('crash-first-exit')!;
    expect(first.certain).toBe(false);
    expect(first.reason).toBe('Error');
    expect(first.needsLogs).toEqual({ container: 'app', previous: false });
    const again = diagnose('crash-once-running')!;
    expect(again.certain).toBe(false);
    expect(again.message).toContain('restarted 1 time.');
    expect(again.needsLogs).toEqual({ container: 'app', previous: true });
  });

  it('a second crash after a restart, or a second restart after a failure, is certain', () => {
    const c = loadCase('crash-first-exit');
    c.pod.status!.containerStatuses![0].restartCount = 1;
    const twice = diagnosePod({ pod: c.pod, events: c.events, now: c.now })!;
    expect(twice.certain).toBe(true);
    expect(twice.message).toContain('It has crashed 2 times in a row.');
    const r = loadCase('crash-once-running');
    r.pod.status!.containerStatuses![0].restartCount = 2;
    expect(diagnosePod({ pod: r.pod, events: r.events, now: r.now })!.certain).toBe(true);
  });

  it('restartPolicy Never: the pod failed, certain at the first exit, with the termination message', () => {
    const d = diagnose('crash-restart-never')!;
    expect(d.certain).toBe(true);
    expect(d.message).toContain('exited with code 3');
    expect(d.message).toContain('restartPolicy Never does not restart it');
    expect(d.details).toContain('Termination message: fatal: CRASH_AT_START is set, exiting');
    expect(d.needsLogs).toEqual({ container: 'app', previous: false });
  });

  it('OOMKilled names the memory limit', () => {
    const d = diagnose('oomkilled')!;
    expect(d).toMatchObject({ certain: true, reason: 'OOMKilled', container: 'app' });
    expect(d.message).toContain('ran out of memory (its limit is 64Mi)');
    expect(d.hint).toContain('limits.memory (now 64Mi)');
    expect(d.details).toContain('Memory limit: 64Mi');
  });

  it('a command missing from the image (StartError, exit 128) points at command/ENTRYPOINT', () => {
    const d = diagnose('start-error-command')!;
    expect(d.certain).toBe(true);
    expect(d.message).toContain('exited with code 128 (StartError)');
    expect(d.hint).toContain('ENTRYPOINT');
    expect(d.details.some((l) => l.includes('/app/start.sh: no such file or directory'))).toBe(true);
  });

  it('an init container in CrashLoopBackOff is reported as such', () => {
    const d = diagnose('init-crashloop')!;
    expect(d).toMatchObject({ certain: true, reason: 'CrashLoopBackOff', container: 'wait-db' });
    expect(d.message).toContain('Init container "wait-db"');
  });

  it('a liveness kill is recognised from the events', () => {
    const c = loadCase('crashloop-exit1');
    const st = c.pod.status!.containerStatuses![0];
    st.lastState!.terminated!.exitCode = 137;
    const killing = structuredClone(c.events[c.events.length - 1]);
    killing.reason = 'Killing';
    killing.message = 'Container app failed liveness probe, will be restarted';
    const d = diagnosePod({ pod: c.pod, events: [...c.events, killing], now: c.now })!;
    expect(d.hint).toContain('liveness probe killed it');
    expect(d.details).toContain('Kubelet: Container app failed liveness probe, will be restarted');
  });
});

describe('diagnosePod: configuration', () => {
  it('a missing ConfigMap is named, with the namespace, and certain once it has lasted a few seconds', () => {
    const d = diagnose('create-config-missing-configmap')!;
    expect(d).toMatchObject({ certain: true, reason: 'CreateContainerConfigError', container: 'app' });
    expect(d.message).toBe('Container "app" cannot start: the ConfigMap "ship-missing-config" it refers to does not exist in namespace "default".');
    expect(d.hint).toContain('kubectl -n default create configmap ship-missing-config');
  });

  it('a missing Secret key is named; reported 2 s ago is not yet certain, later it is', () => {
    const c = loadCase('create-config-missing-secret-key');
    const early = diagnosePod({ pod: c.pod, events: c.events, now: c.now })!;
    expect(early.certain).toBe(false);
    expect(early.message).toBe('Container "app" cannot start: the Secret "db" has no key "password".');
    const later = diagnosePod({ pod: c.pod, events: c.events, now: c.now + CONFIG_ERROR_SETTLE_MS })!;
    expect(later.certain).toBe(true);
  });

  it('a configMap volume whose ConfigMap is missing (ContainerCreating for ever) is certain after a while', () => {
    const d = diagnose('failed-mount-configmap')!;
    expect(d).toMatchObject({ certain: true, reason: 'FailedMount' });
    expect(d.message).toContain('the ConfigMap "app-config" that a volume refers to does not exist');
  });
});

describe('diagnosePod: scheduling and readiness', () => {
  it('Unschedulable quotes the scheduler and what the pod requests', () => {
    const d = diagnose('unschedulable-cpu')!;
    expect(d).toMatchObject({ certain: true, reason: 'Unschedulable', pod: 'huge-cpu-pod' });
    expect(d.message).toBe('Pod "huge-cpu-pod" cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu. It requests app: cpu 64.');
    expect(d.hint).toContain('Lower resources.requests (cpu)');
    expect(d.details[0]).toContain('preemption');
  });

  it('Unschedulable is not certain while an older pod of the app is terminating', () => {
    const d = diagnose('unschedulable-cpu', { terminatingPeers: 1 })!;
    expect(d.certain).toBe(false);
    expect(d.details).toContain('An older pod of this app is still terminating; its resources may free up.');
  });

  it('an unbound PersistentVolumeClaim is diagnosed but not certain', () => {
    const d = diagnose('unschedulable-pvc')!;
    expect(d.certain).toBe(false);
    expect(d.message).toContain('unbound immediate PersistentVolumeClaims');
    expect(d.hint).toContain('StorageClass');
  });

  it('a readiness probe failing for minutes on a running container is certain, with the probe and last failure', () => {
    const d = diagnose('readiness-failing-long')!;
    expect(d).toMatchObject({ certain: true, reason: 'ReadinessProbeFailed', container: 'app', needsLogs: { container: 'app', previous: false } });
    expect(d.message).toContain('readiness probe (HTTP GET http://:8080/actuator/health/readiness) has failed for 4m50s: HTTP probe failed with statuscode: 404');
    expect(d.hint).toContain('spring-boot-starter-actuator');
    expect(d.details).toContain('Failures: 58, the last: HTTP probe failed with statuscode: 404');
  });

  it('a readiness probe failing for 30 s while the app boots is not certain', () => {
    const d = diagnose('readiness-failing-short')!;
    expect(d.certain).toBe(false);
    expect(d.hint).toContain('Nothing listens');
    expect(d.needsLogs).toBeUndefined();
  });

  it('never certain when the container has not started (startup probe pending)', () => {
    const c = loadCase('readiness-failing-long');
    c.pod.status!.containerStatuses![0].started = false;
    expect(diagnosePod({ pod: c.pod, events: c.events, now: c.now })!.certain).toBe(false);
  });
});

describe('diagnosePod: pod phases and healthy pods', () => {
  it('Evicted is certain and quotes the node message', () => {
    const d = diagnose('evicted')!;
    expect(d).toMatchObject({ certain: true, reason: 'Evicted' });
    expect(d.message).toContain('The node was low on resource: memory.');
  });

  it('a bare pod that completed is certain; a Job pod that completed is done (no diagnosis)', () => {
    expect(diagnose('completed-bare-pod')).toMatchObject({ certain: true, reason: 'Completed' });
    expect(diagnose('completed-job-pod')).toBeUndefined();
    expect(isCompletedJobPod(loadCase('completed-job-pod').pod)).toBe(true);
    expect(isCompletedJobPod(loadCase('completed-bare-pod').pod)).toBe(false);
  });

  it('healthy, creating and terminating pods have no diagnosis', () => {
    expect(diagnose('running-ready')).toBeUndefined();
    expect(diagnose('container-creating')).toBeUndefined();
    expect(diagnose('terminating')).toBeUndefined();
  });

  it('works on raw watch JSON (string timestamps) as well as on typed objects', () => {
    for (const name of fixtureNames()) {
      const typed = loadCase(name);
      const raw = loadCase(name, { raw: true });
      const a = diagnosePod({ pod: typed.pod, events: typed.events, now: typed.now, builtImages: [BUILT] });
      const b = diagnosePod({ pod: raw.pod, events: raw.events, now: raw.now, builtImages: [BUILT] });
      expect(b, name).toEqual(a);
    }
  });
});

describe('podSummary (kubectl STATUS column)', () => {
  const cases: Array<[string, string, string, number]> = [
    ['running-ready', 'Running', '1/1', 0],
    ['container-creating', 'ContainerCreating', '0/1', 0],
    ['crashloop-exit1', 'CrashLoopBackOff', '0/1', 2],
    ['crash-first-exit', 'Error', '0/1', 0],
    ['image-pull-backoff-unresolvable', 'ImagePullBackOff', '0/1', 0],
    ['err-image-pull-untagged', 'ErrImagePull', '0/1', 0],
    ['create-config-missing-configmap', 'CreateContainerConfigError', '0/1', 0],
    ['unschedulable-cpu', 'Pending', '0/1', 0],
    ['completed-bare-pod', 'Completed', '0/1', 0],
    ['terminating', 'Terminating', '1/1', 0],
    // kubectl lets a terminated container's reason override the pod's: an evicted pod whose
    // container was lost shows ContainerStatusUnknown (the next test covers plain Evicted).
    ['evicted', 'ContainerStatusUnknown', '0/1', 0],
    ['init-crashloop', 'Init:CrashLoopBackOff', '0/1', 3],
    ['oomkilled', 'CrashLoopBackOff', '0/1', 1],
  ];
  for (const [name, status, ready, restarts] of cases) {
    it(`${name} → ${status} ${ready}`, () => {
      const c = loadCase(name);
      expect(podSummary(c.pod, c.now)).toMatchObject({ status, ready, restarts });
    });
  }
  it('age is measured from creation; Init:N/M while init containers run', () => {
    const c = loadCase('init-crashloop');
    expect(podSummary(c.pod, c.now).ageMs).toBe(5 * 60_000);
    const st = c.pod.status!.initContainerStatuses![0];
    st.state = { running: { startedAt: new Date(c.now) } };
    expect(podSummary(c.pod, c.now).status).toBe('Init:0/1');
  });
  it('an evicted pod with no container statuses shows Evicted', () => {
    const c = loadCase('evicted');
    delete c.pod.status!.containerStatuses;
    expect(podSummary(c.pod, c.now).status).toBe('Evicted');
  });
  it('isPodReady reads the Ready condition', () => {
    expect(isPodReady(loadCase('running-ready').pod)).toBe(true);
    expect(isPodReady(loadCase('readiness-failing-long').pod)).toBe(false);
  });
});

describe('formatEvents', () => {
  it('prints a kubectl-describe-like table, oldest first, with repeat counts', () => {
    const c = loadCase('image-pull-backoff-unresolvable');
    const lines = formatEvents(c.events, c.now);
    expect(lines[0]).toMatch(/^TYPE\s+REASON\s+AGE\s+FROM\s+MESSAGE$/);
    expect(lines).toHaveLength(c.events.length + 1);
    expect(lines[1]).toMatch(/^Normal\s+Scheduled\s+4m59s\s+default-scheduler\s+Successfully assigned default\/nope to ship-local$/);
    expect(lines.at(-1)).toMatch(/^Warning\s+Failed\s+4m10s \(x3 over 4m56s\)\s+kubelet\s+Error: ImagePullBackOff$/);
    // columns line up
    const col = lines[0].indexOf('MESSAGE');
    expect(lines.slice(1).every((l) => l.length > col && l[col - 1] === ' ')).toBe(true);
  });
  it('keeps only the last ones and returns nothing for no events', () => {
    const c = loadCase('image-pull-backoff-unresolvable');
    expect(formatEvents(c.events, c.now, 2)).toHaveLength(3);
    expect(formatEvents([], c.now)).toEqual([]);
  });
  it('humanDuration follows kubectl', () => {
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration(119_000)).toBe('119s');
    expect(humanDuration(200_000)).toBe('3m20s');
    expect(humanDuration(30 * 60_000)).toBe('30m');
    expect(humanDuration(5 * 3600_000 + 60_000)).toBe('5h1m');
    expect(humanDuration(72 * 3600_000)).toBe('3d');
  });
});
