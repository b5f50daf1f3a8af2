// The output sink every step writes through (its type is in src/core/model.ts). Human text goes to
// `human` (stderr when --json is on, stdout otherwise); machine events go to `events` as one JSON
// object per line. Nothing below the CLI writes to the console directly.

import type { Writable } from 'node:stream';
import type { Output, ShipEvent } from '../core/model.js';

export type { Output, ShipEvent } from '../core/model.js';

export function createOutput(opts: { json: boolean; stdout: Writable; stderr: Writable }): Output {
  const human = opts.json ? opts.stderr : opts.stdout;
  return {
    human,
    json: opts.json,
    info(message) {
      human.write(message + '\n');
    },
    warn(message) {
      human.write('warning: ' + message + '\n');
    },
    event(e) {
      if (opts.json) opts.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');
    },
  };
}

/** An output that records everything, for tests. */
export function memoryOutput(json = false): Output & { lines: string[]; events: ShipEvent[] } {
  const lines: string[] = [];
  const events: ShipEvent[] = [];
  const chunks: string[] = [];
  const human = {
    write(chunk: string | Uint8Array) {
      chunks.push(String(chunk));
      return true;
    },
  } as unknown as Writable;
  return {
    lines,
    events,
    human,
    json,
    info: (m) => void lines.push(m),
    warn: (m) => void lines.push('warning: ' + m),
    event: (e) => void events.push(e),
  };
}
