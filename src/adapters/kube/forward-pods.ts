// Which pod the forward talks to: the pods matching the app's label selector, kept current by a
// list + watch (client-node Watch), plus a periodic re-list in case a watch dies silently.
// A pod is usable when it is Ready and not being deleted. The forward keeps its pod as long as it
// is usable; when it goes away it moves to the newest usable pod (same local port, the listening
// socket never changes).

import { Watch } from '@kubernetes/client-node';
import { errorMessage } from '../../errors.js';
import { isPodReady } from '../../core/pod-ready.js';
import type { Kube } from './client.js';

export interface PodState {
  name: string;
  ready: boolean;
  terminating: boolean;
  /** creationTimestamp in ms (0 when unknown). */
  created: number;
}

interface PodLike {
  metadata?: { name?: string; creationTimestamp?: Date | string; deletionTimestamp?: Date | string | null };
  status?: { phase?: string; conditions?: Array<{ type?: string; status?: string }> };
}

/** Works on both the typed client objects (Date fields) and raw watch JSON (string fields). */
export function podState(pod: PodLike): PodState | undefined {
  const name = pod.metadata?.name;
  if (!name) return undefined;
  const ready =
    pod.status?.phase === 'Running' && isPodReady(pod);
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
  return { name, ready, terminating: Boolean(pod.metadata?.deletionTimestamp), created: Number.isFinite(created) ? created : 0 };
}

/** The pod to use: the current one while usable, else the newest usable one. Pure. */
export function choosePod(pods: Iterable<PodState>, current: string | undefined, avoid: ReadonlySet<string> = new Set()): string | undefined {
  const usable = [...pods].filter((p) => p.ready && !p.terminating && !avoid.has(p.name));
  if (current && usable.some((p) => p.name === current)) return current;
  usable.sort((a, b) => b.created - a.created || a.name.localeCompare(b.name));
  return usable[0]?.name;
}

export interface PodTrackerOptions {
  namespace: string;
  labelSelector: string;
  /** Start with this pod (e.g. the one the wait step saw Ready). */
  initial?: string;
  onInfo?: (message: string) => void;
  /** Called when the chosen pod changes. */
  onSwitch?: (from: string | undefined, to: string) => void;
  /** Re-list interval as a safety net for a silently dead watch (default 20 s). */
  relistMs?: number;
}

export class PodTracker {
  private readonly pods = new Map<string, PodState>();
  private readonly bad = new Map<string, number>();
  private currentPod: string | undefined;
  private closed = false;
  private watchAbort: AbortController | undefined;
  private relistTimer: NodeJS.Timeout | undefined;
  private rewatchTimer: NodeJS.Timeout | undefined;
  private waiters = new Set<() => void>();
  private resourceVersion: string | undefined;
  private waitingReported: string | undefined;
  private lastBadRelist = 0;
  /** True once the selector has matched at least one pod. */
  private sawAny = false;

  constructor(
    private readonly kube: Kube,
    private readonly opts: PodTrackerOptions,
  ) {
    this.currentPod = opts.initial;
  }

  /** First list (throws when the API refuses it), then the watch and the periodic re-list. */
  async start(): Promise<void> {
    await this.relist();
    void this.startWatch();
    this.relistTimer = setInterval(() => {
      this.relist().catch((e) => this.opts.onInfo?.(`could not list pods: ${errorMessage(e)}`));
    }, this.opts.relistMs ?? 20_000);
    this.relistTimer.unref();
  }

  /** The pod in use now (may be one that is no longer usable, until the next pick()). */
  current(): string | undefined {
    return this.currentPod;
  }

  /** Remember that connecting to this pod failed; avoided for a few seconds and re-listed. */
  markBad(name: string): void {
    this.bad.set(name, Date.now() + 5000);
    // One re-list per second at most, however many connections fail at once.
    if (Date.now() - this.lastBadRelist < 1000) return;
    this.lastBadRelist = Date.now();
    this.relist().catch(() => {});
  }

  /** The pod to connect to, waiting (until deadline) for one to become usable. */
  async pick(deadline: number, signal?: AbortSignal): Promise<string | undefined> {
    for (;;) {
      const chosen = this.choose();
      if (chosen) return chosen;
      // The selector has never matched anything: trust the pod we were given.
      if (!this.sawAny && this.opts.initial) return this.opts.initial;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed || signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.relistTimer);
    clearTimeout(this.rewatchTimer);
    this.watchAbort?.abort();
    for (const wake of [...this.waiters]) wake();
  }

  private choose(): string | undefined {
    const now = Date.now();
    for (const [name, until] of this.bad) if (until <= now) this.bad.delete(name);
    const chosen = choosePod(this.pods.values(), this.currentPod, new Set(this.bad.keys()));
    if (chosen && chosen !== this.currentPod) {
      const from = this.currentPod;
      this.currentPod = chosen;
      this.opts.onSwitch?.(from, chosen);
    }
    return chosen;
  }

  /** Pod list changed: switch right away (so the switch is reported when it happens), wake waiters. */
  private changed(): void {
    const chosen = this.choose();
    const current = this.currentPod;
    if (!chosen && current && this.sawAny && this.waitingReported !== current) {
      this.waitingReported = current;
      this.opts.onInfo?.(`forward: pod ${current} is not Ready any more; new connections wait for a Ready pod`);
    }
    for (const wake of [...this.waiters]) wake();
  }

  private async relist(): Promise<void> {
    if (this.closed) return;
    const list = await this.kube.core.listNamespacedPod({ namespace: this.opts.namespace, labelSelector: this.opts.labelSelector });
    this.pods.clear();
    for (const item of list.items) {
      const state = podState(item as PodLike);
      if (state) this.pods.set(state.name, state);
    }
    if (this.pods.size > 0) this.sawAny = true;
    this.resourceVersion = list.metadata?.resourceVersion;
    this.changed();
  }

  private async startWatch(): Promise<void> {
    if (this.closed) return;
    const path = `/api/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/pods`;
    const again = (delayMs: number) => {
      if (this.closed) return;
      clearTimeout(this.rewatchTimer);
      this.rewatchTimer = setTimeout(() => {
        this.relist()
          .catch(() => {})
          .finally(() => void this.startWatch());
      }, delayMs);
      this.rewatchTimer.unref();
    };
    try {
      this.watchAbort = await new Watch(this.kube.kc).watch(
        path,
        { labelSelector: this.opts.labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
        (phase, obj: PodLike & { metadata?: { resourceVersion?: string }; code?: number }) => {
          if (phase === 'ERROR') {
            // 410 Gone and friends: list again and watch from there.
            this.watchAbort?.abort();
            again(200);
            return;
          }
          if (obj?.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
          if (phase === 'BOOKMARK') return;
          const state = podState(obj);
          if (!state) return;
          if (phase === 'DELETED') this.pods.delete(state.name);
          else {
            this.pods.set(state.name, state);
            this.sawAny = true;
          }
          this.changed();
        },
        () => again(1000),
      );
      if (this.closed) this.watchAbort.abort();
    } catch {
      again(2000);
    }
  }
}
