// kubectl-style presentation of pods and events, shared by the wait step, `ship status` and
// `ship why`: short durations, a probe in words, the Events table, the STATUS column.

import type { CoreV1Event, V1Pod, V1Probe } from '@kubernetes/client-node';
import { isPodReady } from './pod-ready.js';
import { eventCount, eventFirst, eventLast, timeMs, type Time } from './pod-events.js';
import { clip, oneLine } from './text.js';

/** kubectl-like short duration: 45s, 3m20s, 2h5m, 3d. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function describeProbe(p: V1Probe | undefined): string {
  if (!p) return 'probe';
  if (p.httpGet) return `HTTP GET ${p.httpGet.scheme === 'HTTPS' ? 'https' : 'http'}://:${String(p.httpGet.port)}${p.httpGet.path ?? '/'}`;
  if (p.tcpSocket) return `TCP port ${String(p.tcpSocket.port)}`;
  if (p.grpc) return `gRPC port ${p.grpc.port}`;
  if (p.exec) return `exec ${JSON.stringify(p.exec.command ?? [])}`;
  return 'probe';
}

/** kubectl describe's Events table: TYPE REASON AGE FROM MESSAGE, oldest first, the last `limit`. */
export function formatEvents(events: CoreV1Event[], now: number = Date.now(), limit = 15): string[] {
  if (!events.length) return [];
  const sorted = [...events].sort((a, b) => eventLast(a) - eventLast(b)).slice(-limit);
  const rows = sorted.map((e) => {
    const count = eventCount(e);
    const age = humanDuration(now - eventLast(e)) + (count > 1 ? ` (x${count} over ${humanDuration(now - eventFirst(e))})` : '');
    const from = e.source?.component || e.reportingComponent || '';
    return [e.type ?? '', e.reason ?? '', age, from, clip(oneLine(e.message), 300)];
  });
  const header = ['TYPE', 'REASON', 'AGE', 'FROM', 'MESSAGE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export interface PodSummary {
  name: string;
  /** Ready containers / containers, e.g. '1/1'. */
  ready: string;
  /** kubectl's STATUS column. */
  status: string;
  restarts: number;
  ageMs: number;
}

/** What `kubectl get pods` shows for a pod (its STATUS column logic). */
export function podSummary(pod: V1Pod, now: number = Date.now()): PodSummary {
  const status = pod.status ?? {};
  let reason: string = status.reason || status.phase || 'Pending';
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initSpecs = pod.spec?.initContainers ?? [];
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let total = (pod.spec?.containers?.length ?? 0) + sidecars.size;
  let readyCount = 0;
  let restarts = 0;
  let initializing = false;

  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount;
    if (sidecars.has(c.name)) {
      if (c.started && c.ready) readyCount++;
      if (c.started) continue;
    }
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length || initStatuses.length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount;
      const wait = c.state?.waiting;
      const term = c.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = isPodReady(pod) ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  if (total === 0) total = status.containerStatuses?.length ?? 0;
  const created = timeMs(pod.metadata?.creationTimestamp as Time);
  return {
    name: pod.metadata?.name ?? '',
    ready: `${readyCount}/${total}`,
    status: reason,
    restarts,
    ageMs: created === undefined ? 0 : Math.max(0, now - created),
  };
}
