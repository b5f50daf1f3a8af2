// The forward against a FAKE API server on 127.0.0.1: it lists/watches pods and speaks the
// port-forward websocket protocol (v4.channel.k8s.io) like the kubelet/containerd do: the 2-byte
// port prefix on channels 0 and 1, data on channel 0, a dial or copy error as text on channel 1,
// and the websocket closed once the app's side of the connection is done.

import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Kube } from '../../src/adapters/kube/client.js';
import { listenLocal, portForwardUrl, startForward, type Forward, type ForwardEvent } from '../../src/adapters/kube/forward.js';
import { choosePod, podState } from '../../src/adapters/kube/forward-pods.js';
import { ShipError } from '../../src/errors.js';
import { forwardStep } from '../../src/tasks/forward.js';
import { memoryOutput } from '../../src/pipeline/output.js';
import type { ShipOptions } from '../../src/core/model.js';
import type { RenderedObject } from '../../src/core/manifest/types.js';
import { freePort, portIsFree } from '../support/free-port.js';
import { raw } from '../support/raw-tcp.js';

const NS = 'shop';
const SELECTOR = 'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=demo';
const REMOTE = 8080;

// ---------------------------------------------------------------------------------------------
// The app behind the fake pods: a real TCP server on 127.0.0.1 (what containerd would dial).

interface App {
  port: number;
  server: HttpServer | Server;
  close(): Promise<void>;
}

const BIG = randomBytes(8 * 1024 * 1024);
const BIG_SHA = createHash('sha256').update(BIG).digest('hex');

async function httpApp(name: string): Promise<App> {
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from ${name}\n`);
    } else if (url.pathname === '/big') {
      res.setHeader('content-length', String(BIG.length));
      res.end(BIG);
    } else if (url.pathname === '/close') {
      // The app drops the connection without an answer.
      req.socket.destroy();
    } else if (url.pathname === '/upload') {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        hash.update(c);
      });
      req.on('end', () => res.end(`${n} ${hash.digest('hex')}`));
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A raw TCP app: `onConn` gets each connection. */
async function tcpApp(onConn: (s: Socket) => void): Promise<App> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    onConn(s);
  });
  const open = new Set<Socket>();
  server.on('connection', (s) => (open.add(s), s.on('close', () => open.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => {
      for (const s of open) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The fake API server.

interface FakePod {
  name: string;
  ready: boolean;
  terminating: boolean;
  created: string;
  /** Port on 127.0.0.1 the fake kubelet dials for this pod. */
  appPort: number;
}

class FakeApi {
  readonly pods = new Map<string, FakePod>();
  readonly forwards: Array<{ pod: string; port: string | null }> = [];
  /** Server-side websockets currently open. */
  readonly sockets = new Set<WebSocket>();
  /** Hook to misbehave on a new port-forward websocket; return true when handled. */
  onForward?: (ws: WebSocket, pod: FakePod) => boolean;
  private readonly watches = new Set<ServerResponse>();
  private rv = 100;
  private server!: HttpServer;
  private wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  });
  port = 0;

  async start(): Promise<void> {
    this.server = createHttpServer((req, res) => this.rest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.destroy();
    for (const ws of this.sockets) ws.terminate();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  kube(): Kube {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'u', namespace: NS }],
      currentContext: 'fake',
    });
    return { kc, context: 'fake', cluster: 'fake', namespace: NS, server: `http://127.0.0.1:${this.port}`, files: [], core: kc.makeApiClient(CoreV1Api) };
  }

  /** The API server ends every open watch (as it does after its watch timeout). */
  endWatches(): void {
    for (const w of this.watches) w.end();
  }

  watchCount(): number {
    return this.watches.size;
  }

  addPod(name: string, appPort: number, ready = true): void {
    const pod: FakePod = { name, ready, terminating: false, created: new Date(Date.now() + this.pods.size * 1000).toISOString(), appPort };
    this.pods.set(name, pod);
    this.event('ADDED', pod);
  }

  setReady(name: string, ready: boolean): void {
    const pod = this.pods.get(name)!;
    pod.ready = ready;
    this.event('MODIFIED', pod);
  }

  deletePod(name: string): void {
    const pod = this.pods.get(name)!;
    this.pods.delete(name);
    this.event('DELETED', pod);
  }

  private json(pod: FakePod) {
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: pod.name, namespace: NS, creationTimestamp: pod.created, resourceVersion: String(++this.rv), ...(pod.terminating ? { deletionTimestamp: pod.created } : {}) },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: pod.ready ? 'True' : 'False' }] },
    };
  }

  private event(type: string, pod: FakePod): void {
    const line = JSON.stringify({ type, object: this.json(pod) }) + '\n';
    for (const w of this.watches) w.write(line);
  }

  private rest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== 'Bearer secret-token') {
      res.statusCode = 401;
      res.end('{}');
      return;
    }
    if (url.pathname === `/api/v1/namespaces/${NS}/pods` && url.searchParams.get('labelSelector') === SELECTOR) {
      res.setHeader('content-type', 'application/json');
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200);
        res.flushHeaders();
        this.watches.add(res);
        res.on('close', () => this.watches.delete(res));
        return;
      }
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(++this.rv) }, items: [...this.pods.values()].map((p) => this.json(p)) }));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ kind: 'Status', message: 'not found' }));
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = new RegExp(`^/api/v1/namespaces/${NS}/pods/([^/]+)/portforward$`).exec(url.pathname);
    const pod = m ? this.pods.get(decodeURIComponent(m[1])) : undefined;
    if (!pod || req.headers.authorization !== 'Bearer secret-token') {
      const body = JSON.stringify({ kind: 'Status', status: 'Failure', message: `pods "${m?.[1]}" not found`, code: 404 });
      socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    this.forwards.push({ pod: pod.name, port: url.searchParams.get('ports') });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.portForward(ws, pod, Number(url.searchParams.get('ports'))));
  }

  /** What the kubelet/containerd do for one port-forward websocket. */
  private portForward(ws: WebSocket, pod: FakePod, port: number): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => {});
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    ws.send(Buffer.concat([Buffer.from([0]), prefix]));
    ws.send(Buffer.concat([Buffer.from([1]), prefix]));
    if (this.onForward?.(ws, pod)) return;
    const app = connect(pod.appPort, '127.0.0.1');
    let failed = false;
    app.on('error', (e: NodeJS.ErrnoException) => {
      failed = true;
      const text = `error forwarding port ${port} to pod ${pod.name}: dial tcp4 127.0.0.1:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`;
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(text)]), () => ws.close());
    });
    // Like io.Copy on the node: stop reading the websocket while the app does not read.
    ws.on('message', (data: Buffer) => {
      if (data[0] !== 0 || app.destroyed) return;
      if (!app.write(data.subarray(1)) && !ws.isPaused) {
        ws.pause();
        app.once('drain', () => ws.resume());
      }
    });
    app.on('data', (chunk: Buffer) => {
      ws.send(Buffer.concat([Buffer.from([0]), chunk]));
    });
    // The app is done sending: the node closes the websocket (the client's data has no way back).
    app.on('end', () => {
      if (!failed) ws.close(1000);
    });
    ws.on('close', () => app.destroy());
  }
}

// ---------------------------------------------------------------------------------------------
// Client helpers

function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------------------------

let api: FakeApi;
let apps: App[];
let forwards: Forward[];
let infos: string[];

beforeEach(async () => {
  api = new FakeApi();
  await api.start();
  apps = [];
  forwards = [];
  infos = [];
});

afterEach(async () => {
  await Promise.all(forwards.map((f) => f.close()));
  await Promise.all(apps.map((a) => a.close()));
  await api.stop();
});

async function app(a: Promise<App>): Promise<App> {
  const x = await a;
  apps.push(x);
  return x;
}

async function forward(extra: Partial<Parameters<typeof startForward>[1]> = {}): Promise<Forward> {
  const f = await startForward(api.kube(), {
    namespace: NS,
    labelSelector: SELECTOR,
    localPort: 0,
    remotePort: REMOTE,
    onInfo: (m) => infos.push(m),
    podWaitMs: 3000,
    ...extra,
  });
  forwards.push(f);
  return f;
}

describe('pod choice (pure)', () => {
  const p = (name: string, created: number, ready = true, terminating = false) => ({ name, created, ready, terminating });
  it('keeps the current pod while usable, else takes the newest usable one', () => {
    const pods = [p('a', 1), p('b', 3), p('c', 2)];
    expect(choosePod(pods, 'a')).toBe('a');
    expect(choosePod(pods, undefined)).toBe('b');
    expect(choosePod([p('a', 1, true, true), p('b', 3, false), p('c', 2)], 'a')).toBe('c');
    expect(choosePod(pods, 'gone', new Set(['b']))).toBe('c');
    expect(choosePod([p('a', 1, false)], 'a')).toBeUndefined();
  });
  it('reads readiness and deletion from typed and raw pods', () => {
    expect(podState({ metadata: { name: 'x', creationTimestamp: new Date(5) }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })).toEqual({ name: 'x', ready: true, terminating: false, created: 5 });
    expect(podState({ metadata: { name: 'x', creationTimestamp: '1970-01-01T00:00:01Z', deletionTimestamp: '1970-01-01T00:00:02Z' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })?.terminating).toBe(true);
    expect(podState({ metadata: { name: 'x' }, status: { phase: 'Pending' } })?.ready).toBe(false);
  });
  it('builds the portforward URL from the server URL', () => {
    expect(portForwardUrl('https://10.0.0.1:6443/', 'ns', 'p-1', 8080)).toBe('wss://10.0.0.1:6443/api/v1/namespaces/ns/pods/p-1/portforward?ports=8080');
    expect(portForwardUrl('http://127.0.0.1:8001/prefix', 'ns', 'p', 80)).toBe('ws://127.0.0.1:8001/prefix/api/v1/namespaces/ns/pods/p/portforward?ports=80');
  });
});

describe('busy local port', () => {
  it('fails naming the port, never renumbers, before talking to the cluster', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const err = await startForward(api.kube(), { namespace: NS, labelSelector: SELECTOR, localPort: port, remotePort: REMOTE }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShipError);
      expect((err as ShipError).code).toBe('forward');
      expect((err as ShipError).message).toBe(`Local port ${port} is already in use`);
      expect((err as ShipError).hint).toContain(`lsof -i :${port}`);
      expect((err as ShipError).hint).toContain('--port 0');
      expect(api.forwards).toHaveLength(0);
      // listenLocal alone, on a second server
      const again = await listenLocal(createServer(), port).catch((e: unknown) => e);
      expect((again as ShipError).message).toContain(String(port));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('binds 127.0.0.1 only and --port 0 picks a free port', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    const f = await forward();
    expect(f.localPort).toBeGreaterThan(0);
    expect(f.url).toBe(`http://127.0.0.1:${f.localPort}`);
    expect(await portIsFree(f.localPort)).toBe(false);
  });
});

describe('forwarding through the fake port-forward websocket', () => {
  it('serves HTTP, asks for the remote port, 200 concurrent requests without a failure', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    const f = await forward();
    expect(f.pod()).toBe('pod-a');
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => get(f.url + '/')));
    const failures = results.filter((r) => r.status === 'rejected' || r.value.status !== 200 || r.value.body.toString() !== 'hello from pod-a\n');
    expect(failures).toHaveLength(0);
    expect(api.forwards.every((x) => x.pod === 'pod-a' && x.port === String(REMOTE))).toBe(true);
    expect(f.stats()).toMatchObject({ connections: 200, failed: 0 });
    await until(() => f.stats().active === 0 && api.sockets.size === 0);
  });

  it('passes a large response intact', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    const f = await forward();
    const r = await get(f.url + '/big', 15_000);
    expect(r.body.length).toBe(BIG.length);
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(BIG_SHA);
  });

  it('the app closing the connection reaches the client as EOF, no hang', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    const f = await forward();
    const started = Date.now();
    const r = await raw(f.localPort, 'GET /close HTTP/1.1\r\nhost: x\r\n\r\n', { timeoutMs: 3000 });
    expect(r.how).toBe('end');
    expect(r.data.length).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    // and a raw app that answers then closes
    const bye = await app(tcpApp((s) => s.once('data', () => s.end('bye\n'))));
    api.addPod('pod-b', bye.port);
    api.deletePod('pod-a');
    await until(() => f.pod() === 'pod-b' || api.pods.size === 1);
    const r2 = await raw(f.localPort, 'hi', { timeoutMs: 3000 });
    expect(r2).toEqual({ data: Buffer.from('bye\n'), how: 'end' });
  });

  it('a client half-close keeps the connection until the answer has arrived', async () => {
    // Answers 300 ms after the request, then closes: a forward that closed the websocket on the
    // client's FIN would lose the answer.
    const slow = await app(
      tcpApp((s) => {
        let got = '';
        s.on('data', (c: Buffer) => {
          got += c.toString();
          if (got.endsWith('\n')) setTimeout(() => s.end(`echo:${got}`), 300);
        });
      }),
    );
    api.addPod('pod-a', slow.port);
    const f = await forward();
    const r = await raw(f.localPort, 'ping\n', { halfClose: true, timeoutMs: 4000 });
    expect(r).toEqual({ data: Buffer.from('echo:ping\n'), how: 'end' });
  });

  it('after a half-close, an app that never closes is cut after the idle time (EOF, no hang)', async () => {
    const silent = await app(tcpApp((s) => s.once('data', () => s.write('partial'))));
    api.addPod('pod-a', silent.port);
    const f = await forward({ bridge: { halfCloseIdleMs: 400 } });
    const r = await raw(f.localPort, 'req', { halfClose: true, timeoutMs: 4000 });
    expect(r).toEqual({ data: Buffer.from('partial'), how: 'end' });
    await until(() => api.sockets.size === 0);
  });

  it('a client that connects and leaves without sending anything releases its websocket at once', async () => {
    const held = await app(tcpApp(() => {})); // an app that never closes by itself
    api.addPod('pod-a', held.port);
    const f = await forward();
    const r = await raw(f.localPort, '', { halfClose: true, timeoutMs: 3000 });
    expect(r).toEqual({ data: Buffer.alloc(0), how: 'end' });
    await until(() => api.sockets.size === 0 && f.stats().active === 0, 2000);
  });

  it('an error on channel 1 resets the client, is logged, and the forward keeps serving', async () => {
    const closedPort = await freePort();
    api.addPod('pod-a', closedPort); // nothing listens: the fake node reports "connection refused"
    const events: ForwardEvent[] = [];
    const f = await forward({ onEvent: (e) => events.push(e) });
    const r = await raw(f.localPort, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', { timeoutMs: 3000 });
    expect(r.how).toBe('ECONNRESET');
    expect(infos.some((m) => m.includes('connection refused'))).toBe(true);
    await until(() => f.stats().failed === 1);
    expect(events.some((e) => e.type === 'connection-error' && e.message.includes('connection refused'))).toBe(true);
    // Still alive: a working app behind the same pod name now answers.
    const a = await app(httpApp('pod-a'));
    api.pods.get('pod-a')!.appPort = a.port;
    expect((await get(f.url + '/')).status).toBe(200);
  });

  it('a websocket that dies mid-response ends the client (no hang, no crash)', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    api.onForward = (ws) => {
      ws.once('message', () => {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc')]), () => ws.terminate());
      });
      return true;
    };
    const f = await forward();
    const r = await raw(f.localPort, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', { timeoutMs: 3000 });
    expect(r.how).not.toBe('hang');
    expect(r.data.toString()).toContain('abc');
    api.onForward = undefined;
    expect((await get(f.url + '/')).status).toBe(200);
  });

  it('a client reset mid-transfer does not crash the forward', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    const f = await forward();
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(f.localPort, '127.0.0.1', () => s.write('GET /big HTTP/1.1\r\nhost: x\r\n\r\n'));
        s.once('data', () => {
          s.resetAndDestroy();
          resolve();
        });
        s.on('error', () => {});
      });
    }
    await until(() => f.stats().active === 0);
    await until(() => api.sockets.size === 0);
    const r = await get(f.url + '/big', 15_000);
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(BIG_SHA);
  });

  it('a 401 from the API server is reported, not retried forever', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    const f = await forward();
    // Reject every upgrade from now on with 401.
    const server = (api as unknown as { server: HttpServer }).server;
    server.removeAllListeners('upgrade');
    server.on('upgrade', (_req, socket: Socket) => socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}'));
    const r = await raw(f.localPort, 'GET / HTTP/1.1\r\n\r\n', { timeoutMs: 3000 });
    expect(r.how).toBe('ECONNRESET');
    expect(infos.some((m) => m.includes('HTTP 401'))).toBe(true);
  });
});

describe('backpressure', () => {
  it('a client that stops reading holds the data upstream, and gets all of it afterwards', async () => {
    const size = 48 * 1024 * 1024;
    const payload = randomBytes(size);
    const sha = createHash('sha256').update(payload).digest('hex');
    const big = await app(tcpApp((s) => s.once('data', () => s.end(payload))));
    api.addPod('pod-a', big.port);
    const f = await forward();
    const s = connect(f.localPort, '127.0.0.1');
    s.on('error', () => {});
    s.pause();
    s.write('go');
    await new Promise((r) => setTimeout(r, 1200));
    // The forward did not swallow the payload: most of it still waits on the server side of the websocket.
    const upstream = [...api.sockets].reduce((n, ws) => n + ws.bufferedAmount, 0);
    expect(upstream).toBeGreaterThan(size / 2);
    const hash = createHash('sha256');
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      s.on('data', (c: Buffer) => {
        n += c.length;
        hash.update(c);
      });
      s.on('end', resolve);
      s.on('error', reject);
      s.resume();
    });
    expect(n).toBe(size);
    expect(hash.digest('hex')).toBe(sha);
  });

  it('an app that reads slowly makes the forward stop reading the client', async () => {
    const size = 48 * 1024 * 1024;
    const payload = randomBytes(size);
    const sha = createHash('sha256').update(payload).digest('hex');
    let appSocket: Socket | undefined;
    const sink = await app(
      tcpApp((s) => {
        appSocket = s;
        s.pause();
        const hash = createHash('sha256');
        let n = 0;
        s.on('data', (c: Buffer) => {
          n += c.length;
          hash.update(c);
          if (n === size) s.end(`${n} ${hash.digest('hex')}`);
        });
      }),
    );
    api.addPod('pod-a', sink.port);
    const f = await forward({ bridge: { highWaterMark: 256 * 1024 } });
    const client = connect(f.localPort, '127.0.0.1');
    client.on('error', () => {});
    const reply: Buffer[] = [];
    client.on('data', (c: Buffer) => reply.push(c));
    const ended = new Promise<void>((r) => client.on('end', r));
    client.write(payload);
    await new Promise((r) => setTimeout(r, 1200));
    // Most of the payload is still in the client's own buffer: the forward paused its socket.
    expect(client.writableLength).toBeGreaterThan(size / 2);
    appSocket!.resume();
    await ended;
    expect(Buffer.concat(reply).toString()).toBe(`${size} ${sha}`);
  });
});

describe('following the pods', () => {
  it('moves to a Ready replacement on the same local port when the pod goes away', async () => {
    const a = await app(httpApp('pod-a'));
    const b = await app(httpApp('pod-b'));
    api.addPod('pod-a', a.port);
    const events: ForwardEvent[] = [];
    const f = await forward({ pod: 'pod-a', onEvent: (e) => events.push(e) });
    expect((await get(f.url)).body.toString()).toBe('hello from pod-a\n');
    const port = f.localPort;

    api.deletePod('pod-a'); // the watch says so; the replacement is not Ready yet
    api.addPod('pod-b', b.port, false);
    const pending = get(f.url, 8000); // waits for a Ready pod instead of failing
    await until(() => infos.includes('forward: pod pod-a is not Ready any more; new connections wait for a Ready pod'));
    api.setReady('pod-b', true);
    const r = await pending;
    expect(r.body.toString()).toBe('hello from pod-b\n');
    expect(f.localPort).toBe(port);
    expect(f.pod()).toBe('pod-b');
    expect(events).toContainEqual({ type: 'retarget', from: 'pod-a', to: 'pod-b' });
    expect(infos.some((m) => m.includes('pod pod-a is gone') && m.includes('pod-b'))).toBe(true);
  });

  it('a watch the server ends is started again, and later events still count', async () => {
    const a = await app(httpApp('pod-a'));
    const b = await app(httpApp('pod-b'));
    api.addPod('pod-a', a.port);
    const f = await forward({ pod: 'pod-a' });
    await until(() => api.watchCount() === 1);
    api.endWatches();
    await until(() => api.watchCount() === 0);
    await until(() => api.watchCount() === 1, 5000);
    api.addPod('pod-b', b.port);
    api.deletePod('pod-a');
    await until(() => f.pod() === 'pod-b', 2000);
    expect((await get(f.url)).body.toString()).toBe('hello from pod-b\n');
  });

  it('a pod that vanished without a watch event (404 on connect) is skipped', async () => {
    const a = await app(httpApp('pod-a'));
    const b = await app(httpApp('pod-b'));
    api.addPod('pod-a', a.port);
    api.addPod('pod-b', b.port);
    const f = await forward({ pod: 'pod-a' });
    // Remove pod-a behind the watch's back: the upgrade now answers 404.
    (api as unknown as { pods: Map<string, FakePod> }).pods.delete('pod-a');
    const r = await get(f.url);
    expect(r.body.toString()).toBe('hello from pod-b\n');
    expect(api.forwards.map((x) => x.pod)).toEqual(['pod-b']);
  });

  it('with no Ready pod at all, start fails with ShipError(forward) naming the selector', async () => {
    api.addPod('pod-a', 1, false);
    const err = await forward({ podWaitMs: 300 }).catch((e: unknown) => e);
    expect((err as ShipError).code).toBe('forward');
    expect((err as ShipError).message).toContain(SELECTOR);
  });
});

describe('close', () => {
  it('frees the port and closes every connection and websocket', async () => {
    const held = await app(tcpApp(() => {})); // keeps connections open
    api.addPod('pod-a', held.port);
    const f = await startForward(api.kube(), { namespace: NS, labelSelector: SELECTOR, localPort: 0, remotePort: REMOTE });
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => new Promise<Socket>((resolve) => {
        const s = connect(f.localPort, '127.0.0.1', () => resolve(s));
        s.on('error', () => {});
      })),
    );
    for (const c of clients) c.write('x');
    await until(() => api.sockets.size === 5);
    const closedClients = Promise.all(clients.map((c) => new Promise((r) => c.once('close', r))));
    await f.close();
    await closedClients;
    await until(() => api.sockets.size === 0);
    expect(await portIsFree(f.localPort)).toBe(true);
    await f.close(); // idempotent
  });

  it('an aborted signal closes the forward', async () => {
    const a = await app(httpApp('pod-a'));
    api.addPod('pod-a', a.port);
    const ac = new AbortController();
    const f = await forward({ signal: ac.signal });
    ac.abort();
    await until(() => !f.stats().active);
    await vi.waitFor(async () => expect(await portIsFree(f.localPort)).toBe(true), { timeout: 2000, interval: 20 });
  });
});

describe('forwardStep', () => {
  it("forwards to the built container's port on the pods of its template, registers close(), follows a replacement", async () => {
    const a = await app(httpApp('pod-a'));
    const b = await app(httpApp('pod-b'));
    api.addPod('pod-a', a.port);
    const labels = { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'demo' };
    const deployment: RenderedObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'demo',
      namespace: NS,
      body: { spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'demo:ship-1', ports: [{ containerPort: 9090 }] }] } } } },
      source: { file: 'k8s/app.yaml', doc: 0 },
    };
    const out = memoryOutput(true);
    const ctx = {
      opts: { port: { local: 0 } } as unknown as ShipOptions,
      out,
      signal: new AbortController().signal,
      cleanups: [] as Array<() => Promise<void> | void>,
    };
    const fakeTask = { title: '', output: '' };
    const forward = await forwardStep(
      ctx,
      {
        kube: api.kube(),
        namespace: NS,
        app: 'demo',
        manifest: { yaml: '', objects: [deployment], rewritten: [{ file: 'k8s/app.yaml', kind: 'Deployment', name: 'demo', container: 'web', from: 'demo', to: 'demo:ship-1' }], otherImages: [] },
        pod: 'pod-a',
      },
      fakeTask,
    );
    try {
      expect(forward).toMatchObject({ remotePort: 9090, pod: 'pod-a' });
      expect(forward.url).toBe(`http://127.0.0.1:${forward.localPort}`);
      expect(fakeTask.title).toBe(`forward · ${forward.url} → pod/pod-a:9090`);
      expect((await get(forward.url)).status).toBe(200);
      expect(api.forwards.at(-1)).toEqual({ pod: 'pod-a', port: '9090' });

      api.deletePod('pod-a');
      api.addPod('pod-b', b.port);
      await until(() => forward.pod === 'pod-b');
      expect((await get(forward.url)).body.toString()).toBe('hello from pod-b\n');
      expect(out.events).toContainEqual({ type: 'forward-retarget', from: 'pod-a', to: 'pod-b' });
      expect(out.lines.some((l) => l.includes('pod pod-a is gone'))).toBe(true);
    } finally {
      expect(ctx.cleanups).toHaveLength(1);
      await ctx.cleanups[0]!();
    }
    expect(await portIsFree(forward.localPort)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 9 item 4: every request through the held forward left the local socket in CLOSE-WAIT and
// its websocket open for ~60 s, so a browser or a load test ran out of fds (EMFILE).

/** Like curl: HTTP/1.1 without `Connection: close` (the app keeps the connection alive), read the
 * whole answer (content-length), then close the connection. */
function curlLike(port: number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => (s.destroy(), reject(new Error('no complete answer in time'))), timeoutMs);
    s.on('error', (e) => (clearTimeout(timer), reject(e)));
    s.on('end', () => (clearTimeout(timer), reject(new Error(`EOF before a complete answer: ${JSON.stringify(buf.toString())}`))));
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buf.subarray(0, head).toString())?.[1] ?? NaN);
      if (buf.length < head + 4 + length) return;
      clearTimeout(timer);
      s.destroy(); // the client is done: close(2), as curl does
      resolve(buf.subarray(head + 4, head + 4 + length).toString());
    });
    s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  });
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('load through the held forward: keep-alive clients (issue 9 item 4)', () => {
  async function keepAliveApp(): Promise<App> {
    const server = createHttpServer({ keepAliveTimeout: 120_000 }, (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-length', '6');
      res.end('hello\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as AddressInfo).port,
      server,
      close: () => (server.closeAllConnections(), new Promise((r) => server.close(() => r()))),
    };
  }

  it('2,000 sequential and 200 concurrent requests: 0 failures, sockets and fds back to baseline within 5 s', async () => {
    const a = await app(keepAliveApp());
    api.addPod('pod-a', a.port);
    const f = await forward();
    const baseline = openFds();

    let failures = 0;
    let peakWebsockets = 0;
    for (let i = 0; i < 2000; i++) {
      const body = await curlLike(f.localPort).catch(() => undefined);
      if (body !== 'hello\n') failures++;
      peakWebsockets = Math.max(peakWebsockets, api.sockets.size);
    }
    const burst = await Promise.allSettled(Array.from({ length: 200 }, () => curlLike(f.localPort, 30_000)));
    failures += burst.filter((r) => r.status === 'rejected' || r.value !== 'hello\n').length;
    expect(failures).toBe(0);
    expect(f.stats()).toMatchObject({ connections: 2200, failed: 0 });
    // Sequential requests never pile up: each websocket is gone before long (bounded, not 2,000).
    expect(peakWebsockets).toBeLessThan(50);
    // Both sides of every connection closed: the bridge's local sockets, the websockets on the
    // (fake) API server, and this process's fds, within 5 s.
    await until(() => f.stats().active === 0 && api.sockets.size === 0 && openFds() <= baseline + 4, 5000).catch(() => {
      throw new Error(`not back to baseline after 5 s: active ${f.stats().active}, websockets ${api.sockets.size}, fds ${openFds()} (baseline ${baseline})`);
    });
  }, 240_000);

  it('a half-closing client of a keep-alive app gets the answer, then EOF after the quiet time (not the 60 s idle time)', async () => {
    const alive = await app(tcpApp((s) => s.once('data', () => s.write('answer'))));
    api.addPod('pod-a', alive.port);
    const f = await forward();
    const started = Date.now();
    const r = await raw(f.localPort, 'req', { halfClose: true, timeoutMs: 10_000 });
    expect(r).toEqual({ data: Buffer.from('answer'), how: 'end' });
    expect(Date.now() - started).toBeLessThan(8000);
    await until(() => api.sockets.size === 0 && f.stats().active === 0, 5000);
  }, 20_000);
});
