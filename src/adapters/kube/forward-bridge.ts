// One local TCP connection <-> one port-forward websocket (subprotocol v4.channel.k8s.io).
//
// Wire format, per websocket binary message: byte 0 is the channel, the rest is payload.
// Channel 0 carries the data in both directions, channel 1 carries error text from the node
// (e.g. "connection refused" when nothing listens on the pod's port). The first message the
// server sends on each channel starts with the forwarded port as 2 bytes (little endian), which
// is not data. The client only ever sends on channel 0; v4 has no way to half-close a channel.
//
// What this file does that client-node's PortForward does not (see the design note in forward.ts):
// - the app closes its connection -> the websocket closes -> the local socket is ended (EOF), so
//   the client never hangs;
// - the client closes (FIN) after it has had an answer -> the websocket is closed at once and the
//   local socket ended: both sides of the connection close when either ends. (The usual HTTP/1.1
//   client - curl, a browser, a load tester - reads a keep-alive answer and then closes; the app
//   keeps its side open, so waiting for the app held the local socket in CLOSE-WAIT and the
//   websocket ESTABLISHED for the whole idle time: one leaked pair per request, EMFILE after a
//   few hundred requests. Issue 9 item 4.)
// - a client half-close (FIN) before any answer keeps the websocket open until the answer has
//   arrived (v4 cannot pass the FIN on to the app): up to `halfCloseIdleMs` for the first byte,
//   then until the app closes or has been quiet for `answerQuietMs`;
// - error text on channel 1 -> logged, local socket reset (the client sees an error, not a hang);
// - websocket 'error' -> local socket destroyed; local socket 'error' (ECONNRESET...) -> websocket
//   closed, never an unhandled error;
// - backpressure both ways: the local socket is paused while the websocket has more than
//   `highWaterMark` bytes queued, and the websocket is paused while the local socket's write buffer
//   is full.

import type { Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';

export const DATA_CHANNEL = 0;
export const ERROR_CHANNEL = 1;
export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

/**
 * Holds the websocket's messages until the bridge takes over. The server sends its port prefixes
 * right after the handshake, often in the same TCP segment as the 101 answer, so they are emitted
 * before any code awaiting 'open' runs: attach this before the websocket opens.
 */
export interface HeldMessages {
  /** Detach and hand over what arrived so far. */
  take(): Array<[RawData, boolean]>;
}

export function holdMessages(ws: WebSocket): HeldMessages {
  const held: Array<[RawData, boolean]> = [];
  const onMessage = (data: RawData, isBinary: boolean) => void held.push([data, isBinary]);
  ws.on('message', onMessage);
  return {
    take() {
      ws.off('message', onMessage);
      return held.splice(0);
    },
  };
}

export interface BridgeOptions {
  /** Messages that arrived before the bridge started (from holdMessages). */
  held?: HeldMessages;
  /** Called with a plain-words line when something notable happens (an error from the node). */
  log?: (message: string) => void;
  /** Pause the local socket while more than this many bytes wait in the websocket (default 1 MiB). */
  highWaterMark?: number;
  /** After the client half-closes before any answer, give up when the app sends nothing for this long (default 60 s). */
  halfCloseIdleMs?: number;
  /** After the client half-closed and the answer has started, end when the app is quiet this long (default 2 s). */
  answerQuietMs?: number;
}

export interface BridgeResult {
  /** Bytes from the client to the app, and back. */
  bytesUp: number;
  bytesDown: number;
  /** How the connection ended. */
  end: 'remote-closed' | 'local-closed' | 'remote-error' | 'websocket-error' | 'local-error' | 'half-close-idle';
  /** Error text from channel 1, the websocket or the local socket. */
  error?: string;
}

/** Encode one client->app chunk as a channel-0 message. */
export function dataFrame(chunk: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(chunk.length + 1);
  frame[0] = DATA_CHANNEL;
  chunk.copy(frame, 1);
  return frame;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Pipe an open websocket and a local socket into each other until both are done.
 * The socket may be paused when handed in; it is resumed here. Never rejects.
 */
export function bridge(socket: Socket, ws: WebSocket, opts: BridgeOptions = {}): Promise<BridgeResult> {
  const highWaterMark = opts.highWaterMark ?? 1024 * 1024;
  const lowWaterMark = Math.floor(highWaterMark / 4);
  const halfCloseIdleMs = opts.halfCloseIdleMs ?? 60_000;
  const answerQuietMs = opts.answerQuietMs ?? 2_000;
  const log = opts.log ?? (() => {});

  const result: BridgeResult = { bytesUp: 0, bytesDown: 0, end: 'remote-closed' };
  let ended = false; // result.end decided
  const settle = (end: BridgeResult['end'], error?: string) => {
    if (ended) return;
    ended = true;
    result.end = end;
    if (error !== undefined) result.error = error;
  };

  /** Channels whose first message (with the 2-byte port prefix) has not arrived yet. */
  const needPrefix = new Set([DATA_CHANNEL, ERROR_CHANNEL]);
  let errorText = '';
  let localPausedForWs = false;
  let wsPausedForLocal = false;
  let idleTimer: NodeJS.Timeout | undefined;
  let localEnded = false;

  return new Promise<BridgeResult>((resolve) => {
    let wsDone = ws.readyState === WebSocket.CLOSED;
    let socketDone = socket.destroyed;
    const finish = () => {
      if (!wsDone || !socketDone) return;
      clearTimeout(idleTimer);
      socket.off('data', onSocketData);
      ws.off('message', onMessage);
      resolve(result);
    };

    const closeWs = () => {
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000);
        // A peer that never answers the close frame must not keep the connection alive.
        setTimeout(() => ws.terminate(), 2000).unref();
      } else if (ws.readyState === WebSocket.CONNECTING) {
        ws.terminate();
      }
    };

    // After the client's FIN: the first byte of the answer may take a while (halfCloseIdleMs), then
    // an app that keeps the connection alive is only waited for while it keeps sending.
    const armIdle = () => {
      if (!localEnded) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () => {
          settle('half-close-idle');
          closeWs();
          if (!socket.destroyed) socket.end();
        },
        result.bytesDown > 0 ? Math.min(answerQuietMs, halfCloseIdleMs) : halfCloseIdleMs,
      );
      idleTimer.unref();
    };

    // --- websocket -> local socket
    function onMessage(data: RawData, isBinary: boolean) {
      let buf = toBuffer(data);
      if (!isBinary || buf.length === 0) return;
      const channel = buf[0];
      buf = buf.subarray(1);
      if (needPrefix.has(channel)) {
        needPrefix.delete(channel);
        buf = buf.subarray(2);
      }
      if (buf.length === 0) return;
      if (channel === DATA_CHANNEL) {
        if (socket.destroyed || socket.writableEnded) return;
        result.bytesDown += buf.length;
        armIdle();
        if (!socket.write(buf) && !wsPausedForLocal) {
          wsPausedForLocal = true;
          ws.pause();
          socket.once('drain', () => {
            wsPausedForLocal = false;
            ws.resume();
          });
        }
      } else if (channel === ERROR_CHANNEL) {
        errorText += buf.toString('utf8');
        settle('remote-error', errorText);
        log(`port-forward error from the node: ${errorText.trim()}`);
        // The client sees a reset instead of a clean EOF: the answer is not complete.
        if (!socket.destroyed) socket.resetAndDestroy();
        closeWs();
      }
    }
    for (const [data, isBinary] of opts.held?.take() ?? []) onMessage(data, isBinary);
    ws.on('message', onMessage);

    ws.on('close', () => {
      wsDone = true;
      if (localPausedForWs && !socket.destroyed) socket.resume();
      settle('remote-closed');
      // Flush what the app sent, then EOF.
      if (!socket.destroyed) {
        if (result.end === 'remote-closed' || result.end === 'half-close-idle') socket.end();
        else socket.destroy();
      }
      finish();
    });
    ws.on('error', (e: Error) => {
      settle('websocket-error', e.message);
      log(`port-forward websocket error: ${e.message}`);
      if (!socket.destroyed) socket.destroy();
      // ws emits 'close' after 'error'.
    });

    // --- local socket -> websocket
    function onSocketData(chunk: Buffer) {
      if (ws.readyState !== WebSocket.OPEN) return;
      result.bytesUp += chunk.length;
      ws.send(dataFrame(chunk), { binary: true }, (err) => {
        if (err) return; // the 'error'/'close' handlers deal with it
        if (localPausedForWs && ws.bufferedAmount <= lowWaterMark) {
          localPausedForWs = false;
          if (!socket.destroyed) socket.resume();
        }
      });
      if (ws.bufferedAmount > highWaterMark && !localPausedForWs) {
        localPausedForWs = true;
        socket.pause();
      }
    }
    socket.on('data', onSocketData);

    socket.on('end', () => {
      localEnded = true;
      if (result.bytesUp === 0 || result.bytesDown > 0) {
        // The client left without asking anything (a browser's spare preconnect), or after it had
        // its answer (curl, a browser, a load tester closing a keep-alive connection): nothing to
        // wait for. Close the websocket and our side of the local socket now.
        settle('local-closed');
        closeWs();
        if (!socket.destroyed) socket.end();
        return;
      }
      // Half-close: the request is complete, the answer may still come. Keep the websocket.
      armIdle();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      settle('local-error', e.code ?? e.message);
      closeWs();
    });
    socket.on('close', () => {
      socketDone = true;
      settle('local-closed');
      if (wsPausedForLocal) {
        wsPausedForLocal = false;
        ws.resume();
      }
      closeWs();
      finish();
    });

    socket.resume();
    if (socketDone) closeWs();
    finish();
  });
}
