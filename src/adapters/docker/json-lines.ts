// Reads a Docker progress stream (build, push): newline-delimited JSON objects, until the stream
// ends or the signal aborts it.

import { InterruptedError } from '../../errors.js';
import type { ProgressObject } from '../../core/build-progress.js';

/** Reads newline-delimited JSON progress objects; a line that is not JSON is ignored, never thrown from an event handler. */
export function readJsonLines(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined, onObject: (o: ProgressObject) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buf = '';
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (buf.trim() !== '') parseLine(buf);
      if (signal?.aborted) reject(new InterruptedError());
      else if (err) reject(err);
      else resolve();
    };
    const parseLine = (line: string) => {
      const t = line.trim();
      if (t === '') return;
      try {
        onObject(JSON.parse(t) as ProgressObject);
      } catch {
        // not JSON (a proxy's text?): ignore
      }
    };
    const onAbort = () => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      finish();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        parseLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('error', (e) => finish(e));
    stream.on('end', () => finish());
    stream.on('close', () => finish());
  });
}
