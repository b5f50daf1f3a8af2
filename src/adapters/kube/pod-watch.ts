// Watching an app's pods (@kubernetes/client-node): list, then watch from the list's
// resourceVersion; an ERROR 410 Gone (or an HTTP 410) lists again; a connection that ends (server
// timeout, network) re-watches from the last resourceVersion seen, with backoff on errors.
// client-node 1.4's Watch has no client-side timeout, so the server is asked to end each watch
// after WATCH_SERVER_TIMEOUT_S and a client-side idle timer ends a watch that has been silent for
// longer than that (bookmarks keep a healthy watch talking). Aborting the signal aborts the Watch's
// own AbortController: no watch is ever left running.

import { Watch, type V1Pod } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { ShipError, errorMessage } from '../../errors.js';
import { sleep } from '../../core/sleep.js';
import type { Kube } from './client.js';
import { bodyMessage, credentialsRejected, statusCode } from './errors.js';

export const WATCH_SERVER_TIMEOUT_S = 240;
const WATCH_IDLE_MS = (WATCH_SERVER_TIMEOUT_S + 30) * 1000;
const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 8_000;

export interface WatchPodsOptions {
  namespace: string;
  labelSelector: string;
  signal: AbortSignal;
  /** Called with every pod the selector matches, after the first list and after each change. */
  onChange: (pods: V1Pod[]) => void;
  /** Told about each re-list / re-watch (for debugging output); optional. */
  onReconnect?: (why: string) => void;
  /**
   * Told whether the API server answers: with no argument after a list, a watch that connected or
   * an event; with the error when a list or a watch got no answer (or failed).
   */
  onContact?: (error?: unknown) => void;
}

function toPod(raw: unknown): V1Pod {
  // The Watch hands over parsed JSON; give it the same shape (Date timestamps) the typed API returns.
  return ObjectSerializer.deserialize(raw, 'V1Pod') as V1Pod;
}

type WatchEnd = { kind: 'gone' } | { kind: 'closed' } | { kind: 'error'; error: unknown } | { kind: 'aborted' };

/** List, then watch; keeps going until the signal aborts. Rejects only on errors that retrying cannot fix. */
export async function watchPods(kube: Kube, opts: WatchPodsOptions): Promise<void>;
export async function watchPods(kube: Kube, opts: Omit<WatchPodsOptions, 'onChange'>, onChange: (pods: V1Pod[]) => void): Promise<void>;
export async function watchPods(
  kube: Kube,
  opts: Omit<WatchPodsOptions, 'onChange'> & { onChange?: (pods: V1Pod[]) => void },
  onChangeArg?: (pods: V1Pod[]) => void,
): Promise<void> {
  const { namespace, labelSelector, signal } = opts;
  const onChange = onChangeArg ?? opts.onChange;
  if (!onChange) throw new TypeError('watchPods needs an onChange callback');
  const pods = new Map<string, V1Pod>();
  const emit = () => onChange([...pods.values()]);
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  let backoff = BACKOFF_START_MS;

  while (!signal.aborted) {
    let resourceVersion: string;
    try {
      const list = await kube.core.listNamespacedPod({ namespace, labelSelector });
      pods.clear();
      for (const p of list.items) if (p.metadata?.name) pods.set(p.metadata.name, p);
      resourceVersion = list.metadata?.resourceVersion ?? '';
      opts.onContact?.();
    } catch (e) {
      if (signal.aborted) return;
      opts.onContact?.(e);
      const code = statusCode(e);
      if (code === 401) throw credentialsRejected(kube, bodyMessage(e));
      if (code === 403 || code === 404) {
        throw new ShipError('cluster', `Listing pods in namespace "${namespace}" was refused (HTTP ${code}).`, {
          hint: code === 404 ? `Does the namespace "${namespace}" exist?` : 'The kubeconfig user needs permission to list and watch pods.',
          cause: e,
        });
      }
      opts.onReconnect?.(`list failed: ${errorMessage(e)}`);
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      continue;
    }
    emit();

    // Watch from the list's version; on a clean end re-watch from the last version seen.
    for (;;) {
      const end = await watchOnce(kube, path, { labelSelector, resourceVersion }, signal, {
        onConnected: () => opts.onContact?.(),
        onPod(type, pod) {
          const name = pod.metadata?.name;
          if (!name) return;
          if (type === 'DELETED') pods.delete(name);
          else pods.set(name, pod);
          emit();
        },
        onVersion(rv) {
          resourceVersion = rv;
          backoff = BACKOFF_START_MS;
        },
      });
      if (end.kind === 'aborted' || signal.aborted) return;
      if (end.kind === 'gone') {
        opts.onReconnect?.('watch expired (410 Gone): listing again');
        break;
      }
      if (end.kind === 'error') {
        opts.onContact?.(end.error);
        opts.onReconnect?.(`watch failed: ${errorMessage(end.error)}`);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      } else {
        opts.onReconnect?.('watch ended: watching again');
      }
    }
  }
}

function watchOnce(
  kube: Kube,
  path: string,
  params: { labelSelector: string; resourceVersion: string },
  signal: AbortSignal,
  on: { onConnected(): void; onPod(type: string, pod: V1Pod): void; onVersion(rv: string): void },
): Promise<WatchEnd> {
  return new Promise<WatchEnd>((resolve) => {
    let controller: AbortController | undefined;
    let finished = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (end: WatchEnd) => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      resolve(end);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish({ kind: 'error', error: new Error(`no word from the watch for ${WATCH_IDLE_MS / 1000}s`) }), WATCH_IDLE_MS);
    };
    if (signal.aborted) return resolve({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    touch();

    const query = {
      labelSelector: params.labelSelector,
      resourceVersion: params.resourceVersion || undefined,
      allowWatchBookmarks: true,
      timeoutSeconds: WATCH_SERVER_TIMEOUT_S,
    };
    new Watch(kube.kc)
      .watch(
        path,
        query,
        (type: string, obj: unknown) => {
          if (finished) return;
          touch();
          on.onConnected();
          if (type === 'ERROR') {
            const st = obj as { code?: number; message?: string; reason?: string } | undefined;
            if (st?.code === 410 || st?.reason === 'Expired' || st?.reason === 'Gone') finish({ kind: 'gone' });
            else finish({ kind: 'error', error: new Error(st?.message ?? 'watch error') });
            return;
          }
          const rv = (obj as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') on.onPod(type, toPod(obj));
          if (rv) on.onVersion(rv);
        },
        (err: unknown) => {
          if (signal.aborted) return finish({ kind: 'aborted' });
          if (statusCode(err) === 410) return finish({ kind: 'gone' });
          finish(err ? { kind: 'error', error: err } : { kind: 'closed' });
        },
      )
      .then((c) => {
        controller = c;
        // Watch.watch() resolves after its request got an answer; a failed one has already called done.
        if (finished) c.abort();
        else on.onConnected();
      })
      .catch((e: unknown) => finish({ kind: 'error', error: e }));
  });
}
