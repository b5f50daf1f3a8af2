import type { ShipOptions } from '../core/model.js';
import { execaRunner } from '../adapters/process.js';
import type { Output } from './output.js';
import type { RunContext } from './context.js';

export function newContext(opts: ShipOptions, out: Output, io: { env: NodeJS.ProcessEnv; signal: AbortSignal }): RunContext {
  return { opts, out, signal: io.signal, env: io.env, runner: execaRunner, timings: [], cleanups: [] };
}
