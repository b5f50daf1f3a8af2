// Port-forward from 127.0.0.1:LOCAL to the app's pod, in-process: one local server for the run (the
// port never moves), one websocket per connection (forward-bridge.ts), pod followed by label.
// Why not `kubectl port-forward` or client-node's PortForward: no kubectl to install or supervise,
// every failure seen per connection — evidence and limits in bench/README.md, "Port-forward design".

import { createServer, type Server, type Socket } from 'node:net';
import type { RequestOptions } from 'node:https';
import { WebSocket, type ClientOptions } from 'ws';
import { InterruptedError, ShipError, errorMessage } from '../../errors.js';
import { sleep } from '../../core/sleep.js';
import type { Kube } from './client.js';
import { bridge, holdMessages, PORT_FORWARD_PROTOCOL, type BridgeOptions, type HeldMessages } from './forward-bridge.js';
import { PodTracker } from './forward-pods.js';

export type ForwardEvent =
  | { type: 'listening'; localPort: number; remotePort: number; pod: string }
  | { type: 'retarget'; from: string; to: string }
  | { type: 'connection-error'; pod?: string; message: string };

export interface ForwardStats {
  /** Connections accepted. */
  connections: number;
  /** Connections open right now. */
  active: number;
  /** Connections that ended on an error from the node, the websocket or an unusable pod. */
  failed: number;
  /** Connections the client reset (ECONNRESET/EPIPE); not counted as failed. */
  clientResets: number;
}

export interface Forward {
  localPort: number;
  remotePort: number;
  /** http://127.0.0.1:LOCAL */
  url: string;
  /** The pod new connections go to. */
  pod(): string;
  stats(): ForwardStats;
  /** Releases the server, every socket and websocket, the pod watch. Idempotent. */
  close(): Promise<void>;
  /** Notable events (pod switch, connection errors); assign to listen. */
  onEvent?: (e: ForwardEvent) => void;
}

export interface StartForwardOptions {
  namespace: string;
  /** Pods of the app, e.g. app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=demo */
  labelSelector: string;
  /** Start with this pod (it must be Ready). */
  pod?: string;
  /** 0 = pick a free port. */
  localPort: number;
  remotePort: number;
  signal?: AbortSignal;
  onInfo?: (message: string) => void;
  onEvent?: (e: ForwardEvent) => void;
  /** How long a new connection (and start) waits for a Ready pod (default 60 s). */
  podWaitMs?: number;
  /** Passed to the per-connection bridge (tests make these small). */
  bridge?: Pick<BridgeOptions, 'highWaterMark' | 'halfCloseIdleMs'>;
}

/** Fails now, with the forward's own error, when the local port is taken (checked before a build). */
export async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  await listenLocal(server, port);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Listen on 127.0.0.1 only; a busy port is an error naming it, never a silent renumbering. */
export async function listenLocal(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') {
        reject(
          new ShipError('forward', `Local port ${port} is already in use`, {
            hint: `Stop what uses it (e.g. \`lsof -i :${port}\` / \`ss -ltnp\`), or pick another with --port 18080:8080, or --port 0 for a free one`,
            cause: e,
          }),
        );
      } else if (e.code === 'EACCES') {
        reject(
          new ShipError('forward', `Local port ${port} needs extra privileges to open`, {
            hint: 'Use a port above 1023, e.g. --port 18080:8080, or --port 0 for a free one',
            cause: e,
          }),
        );
      } else {
        reject(new ShipError('forward', `Cannot listen on 127.0.0.1:${port}: ${e.message}`, { hint: 'Try --port 0 for a free port.', cause: e }));
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: '127.0.0.1', port, exclusive: true });
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new ShipError('forward', 'The local forward server has no TCP address.');
  return addr.port;
}

interface ConnectFailure extends Error {
  status?: number;
}

/** The websocket URL of a pod's port-forward endpoint, from the cluster's server URL. */
export function portForwardUrl(server: string, namespace: string, pod: string, port: number): string {
  const base = server.replace(/\/+$/, '').replace(/^http/, 'ws');
  return `${base}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`;
}

export async function startForward(kube: Kube, opts: StartForwardOptions): Promise<Forward> {
  const info = opts.onInfo ?? (() => {});
  const podWaitMs = opts.podWaitMs ?? 60_000;
  const sockets = new Set<Socket>();
  const websockets = new Set<WebSocket>();
  const stats: ForwardStats = { connections: 0, active: 0, failed: 0, clientResets: 0 };
  let closed = false;
  let closing: Promise<void> | undefined;
  const closeCtl = new AbortController();

  // Own the local port first: a busy port fails before anything talks to the cluster.
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const localPort = await listenLocal(server, opts.localPort);

  let forward: Forward | undefined;
  const emit = (e: ForwardEvent) => {
    opts.onEvent?.(e);
    forward?.onEvent?.(e);
  };

  const tracker = new PodTracker(kube, {
    namespace: opts.namespace,
    labelSelector: opts.labelSelector,
    initial: opts.pod,
    onInfo: info,
    onSwitch: (from, to) => {
      if (!from) return; // the first choice, not a switch
      info(`forward: pod ${from} is gone; 127.0.0.1:${localPort} now goes to ${to}`);
      emit({ type: 'retarget', from, to });
    },
  });

  // Auth/TLS options for the websocket, refreshed now and then (exec plugins hand out short-lived tokens).
  // One shared promise, so a burst of connections shares one agent (and its TLS session cache).
  let wsOptions: { at: number; value: Promise<ClientOptions> } | undefined;
  const websocketOptions = (): Promise<ClientOptions> => {
    if (wsOptions && Date.now() - wsOptions.at < 60_000) return wsOptions.value;
    const o: RequestOptions = {};
    const value = kube.kc.applyToHTTPSOptions(o).then(() => o as ClientOptions);
    value.catch(() => (wsOptions = undefined));
    wsOptions = { at: Date.now(), value };
    return value;
  };

  const connect = async (pod: string): Promise<{ ws: WebSocket; held: HeldMessages }> => {
    const url = portForwardUrl(kube.server, opts.namespace, pod, opts.remotePort);
    const ws = new WebSocket(url, [PORT_FORWARD_PROTOCOL], { ...(await websocketOptions()), handshakeTimeout: 15_000, perMessageDeflate: false });
    websockets.add(ws);
    ws.once('close', () => websockets.delete(ws));
    const held = holdMessages(ws);
    if (closed) ws.terminate();
    return await new Promise<{ ws: WebSocket; held: HeldMessages }>((resolve, reject) => {
      const fail = (message: string, status?: number) => {
        const err: ConnectFailure = new Error(message);
        err.status = status;
        ws.removeAllListeners('open');
        ws.on('error', () => {});
        ws.terminate();
        websockets.delete(ws);
        reject(err);
      };
      ws.once('open', () => {
        ws.removeAllListeners('unexpected-response');
        resolve({ ws, held });
      });
      ws.once('error', (e) => fail(e.message));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body.length < 2000 ? (body += c) : undefined));
        res.on('error', () => {});
        res.on('end', () => {
          let message = body.trim();
          try {
            message = (JSON.parse(body) as { message?: string }).message ?? message;
          } catch {
            /* not a Status */
          }
          fail(`HTTP ${res.statusCode}${message ? ': ' + message : ''}`, res.statusCode);
        });
      });
    });
  };

  const handle = async (socket: Socket) => {
    stats.connections++;
    stats.active++;
    sockets.add(socket);
    socket.setNoDelay(true);
    let clientGone = false;
    const onEarlyError = (e: NodeJS.ErrnoException) => {
      clientGone = true;
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') stats.clientResets++;
    };
    socket.on('error', onEarlyError);
    socket.once('close', () => {
      clientGone = true;
      sockets.delete(socket);
      stats.active--;
    });

    const deadline = Date.now() + podWaitMs;
    let lastError = '';
    let ws: WebSocket | undefined;
    let held: HeldMessages | undefined;
    let pod: string | undefined;
    for (let attempt = 0; !ws && !clientGone && !closed; attempt++) {
      pod = await tracker.pick(deadline, closeCtl.signal);
      if (!pod) break;
      try {
        ({ ws, held } = await connect(pod));
      } catch (e) {
        const err = e as ConnectFailure;
        lastError = `pod ${pod}: ${errorMessage(e)}`;
        if (err.status === 401 || err.status === 403) break; // retrying does not help
        tracker.markBad(pod);
        if (Date.now() >= deadline) break;
        await sleep(Math.min(200 * 2 ** attempt, 2000));
      }
    }
    if (!ws) {
      if (!clientGone && !closed) {
        stats.failed++;
        const message = lastError || `no Ready pod matches ${opts.labelSelector} in namespace ${opts.namespace}`;
        info(`forward: connection dropped, ${message}`);
        emit({ type: 'connection-error', pod, message });
      }
      if (!socket.destroyed) socket.resetAndDestroy();
      return;
    }
    if (clientGone || closed) {
      ws.terminate();
      return;
    }
    socket.off('error', onEarlyError);
    socket.on('error', () => {}); // the bridge handles it; never let it escape
    const result = await bridge(socket, ws, { ...opts.bridge, held, log: (m) => info(`forward (${pod}): ${m}`) });
    if (result.end === 'local-error' && (result.error === 'ECONNRESET' || result.error === 'EPIPE')) stats.clientResets++;
    if (result.end === 'remote-error' || result.end === 'websocket-error') {
      stats.failed++;
      emit({ type: 'connection-error', pod, message: result.error ?? result.end });
    }
  };

  server.on('connection', (socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    handle(socket).catch((e) => {
      info(`forward: ${errorMessage(e)}`);
      if (!socket.destroyed) socket.destroy();
    });
  });
  server.on('error', (e) => info(`forward: local server error: ${e.message}`));

  const close = (): Promise<void> => {
    if (closing) return closing;
    closed = true;
    closeCtl.abort();
    tracker.close();
    opts.signal?.removeEventListener('abort', onAbort);
    closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      for (const ws of websockets) ws.terminate();
    });
    return closing;
  };
  const onAbort = () => void close();

  try {
    await tracker.start();
  } catch (e) {
    await close();
    throw new ShipError('forward', `Cannot list the app's pods (${opts.labelSelector}) in namespace ${opts.namespace}: ${errorMessage(e)}`, {
      hint: `Check access with: kubectl -n ${opts.namespace} get pods -l ${opts.labelSelector}`,
      cause: e,
    });
  }
  const first = await tracker.pick(Date.now() + podWaitMs, opts.signal);
  if (!first) {
    await close();
    if (opts.signal?.aborted) throw new InterruptedError();
    throw new ShipError('forward', `No Ready pod matches ${opts.labelSelector} in namespace ${opts.namespace}`, {
      hint: `Check the pods with: kubectl -n ${opts.namespace} get pods -l ${opts.labelSelector}`,
    });
  }
  if (opts.signal?.aborted) {
    await close();
    throw new InterruptedError();
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  forward = {
    localPort,
    remotePort: opts.remotePort,
    url: `http://127.0.0.1:${localPort}`,
    pod: () => tracker.current() ?? first,
    stats: () => ({ ...stats }),
    close,
  };
  emit({ type: 'listening', localPort, remotePort: opts.remotePort, pod: first });
  return forward;
}
