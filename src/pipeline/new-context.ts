import type { Output } from './output.js';
import type { ShipContext, ShipOptions } from './context.js';

export function newContext(opts: ShipOptions, out: Output, io: { env: NodeJS.ProcessEnv; signal: AbortSignal }): ShipContext {
  return { opts, out, signal: io.signal, env: io.env, timings: [], cleanups: [] };
}
