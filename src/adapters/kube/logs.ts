// Container logs through client-node's Log (the pods/log subresource), as lines.
//
// Log.log pipes the HTTP body into a Writable and hands back an AbortController. The body ends
// the Writable when the server closes the stream (container gone, or not following); aborting
// only errors the body (node-fetch keeps that error to itself) and never ends the Writable, so
// the end of a stream is "the Writable finished, or our signal fired", whichever comes first.

import { Writable } from 'node:stream';
import { Log, type V1Pod } from '@kubernetes/client-node';
import { ShipError } from '../../errors.js';
import type { Kube } from './client.js';
import { apiMessage } from './errors.js';

export interface LogStreamOptions {
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339 time; only one of sinceSeconds and sinceTime. */
  sinceTime?: string;
  signal: AbortSignal;
}

export interface LogTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** Turns chunks into whole lines; `flush` hands over a last line that had no newline. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
  }
  flush(): void {
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }
}

/** What the API says when it has no logs to give, as a ShipError with a hint. */
export function logError(t: LogTarget, opts: { previous?: boolean }, e: unknown): ShipError {
  const msg = apiMessage(e);
  const code = (e as { code?: number }).code;
  if (opts.previous && /previous terminated container .* not found|not found/i.test(msg)) {
    return new ShipError('pod', `Container "${t.container}" of pod "${t.pod}" has not restarted: there is no previous run to show.`, {
      hint: 'Drop --previous to see the current run.',
      cause: e,
    });
  }
  if (/waiting to start|ContainerCreating|PodInitializing/i.test(msg)) {
    return new ShipError('pod', `Container "${t.container}" of pod "${t.pod}" has not started yet: ${msg}`, {
      hint: `ship why ${t.pod} says what it is waiting for.`,
      cause: e,
    });
  }
  return new ShipError(code === 404 ? 'pod' : 'cluster', `Could not read the logs of ${t.pod}/${t.container}: ${msg}`, {
    hint: code === 404 ? 'The pod is gone; ship status lists the current ones.' : 'Is the cluster reachable? kubectl get pods says.',
    cause: e,
  });
}

/**
 * Stream one container's log as lines until the stream ends or the signal fires.
 * Resolves with how it ended; rejects only when the API refused the request.
 */
export async function streamLog(kube: Kube, t: LogTarget, opts: LogStreamOptions, onLine: (line: string) => void): Promise<'ended' | 'aborted'> {
  if (opts.signal.aborted) return 'aborted';
  const splitter = new LineSplitter(onLine);
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      splitter.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      cb();
    },
    final(cb) {
      splitter.flush();
      cb();
      finished();
    },
  });
  sink.on('error', () => finished());
  let controller: AbortController;
  try {
    controller = await new Log(kube.kc).log(t.namespace, t.pod, t.container, sink, {
      follow: opts.follow ?? false,
      previous: opts.previous ?? false,
      tailLines: opts.tailLines,
      sinceSeconds: opts.sinceSeconds,
      sinceTime: opts.sinceTime,
    });
  } catch (e) {
    throw logError(t, opts, e);
  }
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    controller.abort();
    splitter.flush();
    finished();
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  // Aborted while the request was on its way: the listener came too late to hear it.
  if (opts.signal.aborted) onAbort();
  try {
    await done;
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
  return aborted ? 'aborted' : 'ended';
}

/** The ID of the container's current run, or undefined while it has not started. */
export function containerRunId(pod: V1Pod, container: string): string | undefined {
  const st = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((c) => c.name === container);
  if (!st) return undefined;
  if (st.state?.running || st.state?.terminated) return st.containerID ?? st.state?.terminated?.containerID ?? `${st.name}#${st.restartCount}`;
  return undefined;
}
