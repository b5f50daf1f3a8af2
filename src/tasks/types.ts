// What every step may use besides its own inputs: the cross-cutting part of a run. Steps take
// their inputs as parameters and return what they made; only these are shared.

import type { Output, ShipOptions } from '../core/model.js';

export interface StepEnv {
  opts: ShipOptions;
  out: Output;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Stops registered by steps (the forward's close); run on success, failure and Ctrl-C. */
  cleanups: Array<() => Promise<void> | void>;
}

/** A step's line on screen while it runs (its listr2 task): title, latest output line, skip. */
export interface StepUi {
  title: string;
  output: string;
  /** The step found nothing to do: show (and record) it as skipped with this text. */
  skip(message?: string): void;
}

/** For steps that never skip themselves. */
export type StepLine = Pick<StepUi, 'title' | 'output'>;
