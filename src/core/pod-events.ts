// Times on pods and events: client-node gives Date objects, recorded JSON gives strings; an event's
// first and last occurrence, its count, and the container it is about.

import type { CoreV1Event } from '@kubernetes/client-node';

export type Time = Date | string | undefined | null;

/** Timestamps are Date objects from client-node and strings in recorded JSON: accept both. */
export function timeMs(t: Time): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

export function eventLast(e: CoreV1Event): number {
  return (
    timeMs(e.series?.lastObservedTime as Time) ??
    timeMs(e.lastTimestamp as Time) ??
    timeMs(e.eventTime as Time) ??
    timeMs(e.firstTimestamp as Time) ??
    timeMs(e.metadata?.creationTimestamp as Time) ??
    0
  );
}

export function eventFirst(e: CoreV1Event): number {
  return timeMs(e.firstTimestamp as Time) ?? timeMs(e.eventTime as Time) ?? eventLast(e);
}

export function eventCount(e: CoreV1Event): number {
  return e.series?.count ?? e.count ?? 1;
}

/** The container name an event is about ("spec.containers{app}" → "app"). */
export function eventContainer(e: CoreV1Event): string | undefined {
  const m = /\{([^}]+)\}/.exec(e.involvedObject?.fieldPath ?? '');
  return m?.[1];
}
