import type { V1Pod, V1Status } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { execOutcome, isMissingExecutable } from '../../src/adapters/kube/exec.js';
import { chooseShell, exitStatus, wantsTty } from '../../src/commands/exec.js';
import { describeState, podToExplain, whyLines, withoutKubeletNotice } from '../../src/commands/why.js';
import { ShipError } from '../../src/errors.js';

// V1Status objects as the exec status channel sends them (recorded from the test cluster).
const success: V1Status = { metadata: {}, status: 'Success' };
const exit7: V1Status = {
  metadata: {},
  status: 'Failure',
  message: 'command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7',
  reason: 'NonZeroExitCode',
  details: { causes: [{ reason: 'ExitCode', message: '7' }] },
};
const noBash: V1Status = {
  metadata: {},
  status: 'Failure',
  message:
    'Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "4e4f": OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in $PATH: unknown',
  reason: 'InternalError',
};
const notRunning: V1Status = { metadata: {}, status: 'Failure', message: 'Internal error occurred: unable to upgrade connection: container not found ("app")', reason: 'InternalError' };

describe('exec exit status', () => {
  it('maps the status channel to an exit code', () => {
    expect(execOutcome(success)).toEqual({ kind: 'exited', code: 0 });
    expect(execOutcome(exit7)).toEqual({ kind: 'exited', code: 7 });
    expect(execOutcome(noBash).kind).toBe('failed');
    expect(execOutcome(undefined).kind).toBe('failed');
  });

  it('passes the command\'s code through; a missing program is 127 like a shell', () => {
    expect(exitStatus(execOutcome(exit7), ['sh'])).toEqual({ code: 7 });
    const missing = exitStatus(execOutcome({ ...noBash, message: noBash.message!.replace(/bash/g, 'nosuch') }), ['nosuch'], 'container "app" of pod demo');
    expect(missing.code).toBe(127);
    expect(missing.message).toMatch(/^"nosuch" is not in the image of container "app" of pod demo/);
  });

  it('a container that is not running is a pod error with a hint, not an exit code', () => {
    try {
      exitStatus(execOutcome(notRunning), ['sh'], 'container "app" of pod demo-crash');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ShipError);
      expect((e as ShipError).code).toBe('pod');
      expect((e as ShipError).message).toBe('Container "app" of pod demo-crash is not running, so nothing can be run in it.');
    }
  });
});

describe('bash, else sh', () => {
  it('opens bash when the probe ran', () => {
    expect(chooseShell(execOutcome(success))).toEqual({ command: ['bash'] });
  });
  it('falls back to sh, saying so, when the image has no bash', () => {
    expect(isMissingExecutable(execOutcome(noBash))).toBe(true);
    expect(chooseShell(execOutcome(noBash))).toEqual({ command: ['sh'], note: 'This image has no bash; opening sh instead.' });
  });
  it('does not hide other failures behind sh', () => {
    expect(() => chooseShell(execOutcome(notRunning))).toThrow(ShipError);
  });
  it('a terminal only when stdin and stdout are terminals and --no-tty was not given', () => {
    expect(wantsTty({ stdin: { isTTY: true }, stdout: { isTTY: true } }, undefined)).toBe(true);
    expect(wantsTty({ stdin: { isTTY: true }, stdout: { isTTY: true } }, false)).toBe(false);
    expect(wantsTty({ stdin: {}, stdout: { isTTY: true } }, undefined)).toBe(false);
    expect(wantsTty({ stdin: { isTTY: true }, stdout: {} }, true)).toBe(false);
  });
});

const NOW = Date.parse('2026-01-10T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString() as unknown as Date;

const crashPod = {
  metadata: { name: 'demo-crash', namespace: 'mt', creationTimestamp: ago(240) },
  spec: { nodeName: 'ship-node', containers: [{ name: 'app', image: 'ship.local/busybox:1' }] },
  status: {
    phase: 'Running',
    podIP: '10.244.0.11',
    conditions: [
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [
      {
        name: 'app',
        image: 'ship.local/busybox:1',
        imageID: '',
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
        lastState: { terminated: { exitCode: 3, reason: 'Error', startedAt: ago(62), finishedAt: ago(62) } },
      },
    ],
  },
} as unknown as V1Pod;

const readyPod = {
  metadata: { name: 'demo', namespace: 'mt', creationTimestamp: ago(240) },
  spec: { containers: [{ name: 'app', image: 'ship.local/busybox:1' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(200) } } }] },
} as unknown as V1Pod;

describe('ship why', () => {
  it('explains the pod in trouble when no pod is named', () => {
    const d = (p: V1Pod) => (p === crashPod ? { certain: true, reason: 'CrashLoopBackOff', pod: 'demo-crash', message: 'x', details: [] } : undefined);
    expect(podToExplain([readyPod, crashPod], d)).toBe(crashPod);
    expect(podToExplain([readyPod], () => undefined)).toBe(readyPod);
  });

  it('describes container states in words', () => {
    expect(describeState(crashPod.status!.containerStatuses![0].lastState, NOW)).toBe('terminated: exit code 3 (Error), 62s ago, ran 0s');
    expect(describeState(readyPod.status!.containerStatuses![0].state, NOW)).toBe('running for 3m20s');
  });

  it('shows the diagnosis, conditions, container states, last termination, events and log lines', () => {
    const lines = whyLines({
      pod: crashPod,
      events: [{ metadata: {}, involvedObject: {}, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app', count: 9, firstTimestamp: ago(230), lastTimestamp: ago(130), source: { component: 'kubelet' } }],
      diagnosis: { certain: true, reason: 'CrashLoopBackOff', pod: 'demo-crash', container: 'app', message: 'Container "app" exited with code 3.', hint: 'Read its logs.', details: ['Exit code: 3'] },
      container: 'app',
      logs: { current: [], previous: ['starting'] },
      now: NOW,
    });
    const text = lines.join('\n');
    expect(lines[0]).toBe('Pod demo-crash · namespace mt · node ship-node · IP 10.244.0.11');
    expect(lines[1]).toBe('Status: CrashLoopBackOff · 0/1 ready · 5 restarts · age 4m');
    expect(text).toContain('Why: Container "app" exited with code 3.\n  hint: Read its logs.\n  Exit code: 3');
    expect(text).toContain('  Ready False (ContainersNotReady: containers with unready status: [app])');
    expect(text).toContain('    state: waiting: CrashLoopBackOff (back-off 2m40s restarting failed container)');
    expect(text).toContain('    last run: terminated: exit code 3 (Error), 62s ago');
    expect(text).toMatch(/Events:\n {2}TYPE +REASON +AGE +FROM +MESSAGE\n {2}Warning +BackOff +2m10s \(x9 over 3m50s\) +kubelet +Back-off restarting failed container app/);
    expect(text).toContain('Last log lines of the previous run (app):\n  starting');
    expect(text).toContain('Last log lines (app):\n  <none>');
  });

  it("drops the kubelet's notice about a log that is gone: it is not the app's output", () => {
    expect(withoutKubeletNotice(['unable to retrieve container logs for containerd://d6a5f30c'])).toEqual([]);
    expect(withoutKubeletNotice(['starting'])).toEqual(['starting']);
  });

  it('says plainly when nothing is wrong', () => {
    const lines = whyLines({ pod: readyPod, events: [], container: 'app', logs: { current: ['line 1'], previous: [] }, now: NOW });
    expect(lines).toContain('Why: nothing is wrong — the pod is Ready.');
    expect(lines).toContain('  <none>');
  });
});
