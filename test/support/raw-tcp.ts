// A raw TCP client for the forward tests (unit and e2e): what arrived, and how the connection ended.
import { connect } from 'node:net';

/**
 * Connects to 127.0.0.1:port, sends `send` (then half-closes with halfClose), and resolves with
 * everything received and how the connection ended ('end', an error code, or 'hang' after timeoutMs).
 */
export function raw(
  port: number,
  send: Buffer | string,
  opts: { halfClose?: boolean; timeoutMs?: number } = {},
): Promise<{ data: Buffer; how: string }> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (how: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), how });
    };
    const timer = setTimeout(() => finish('hang'), opts.timeoutMs ?? 5000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => finish('end'));
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    s.on('connect', () => (opts.halfClose ? s.end(send) : s.write(send)));
  });
}
