// What a run shares across its steps: the cross-cutting part only — options, output, the abort
// signal, cleanups (StepEnv, src/tasks/types.ts), the clients, and the step timings. What a step
// makes is its return value, handed to the next step by the composition (up.ts), never stored here.

import type { StepTiming } from '../core/model.js';
import type { Kube } from '../adapters/kube/client.js';
import type { DockerApi } from '../adapters/docker/api.js';
import type { ProcessRunner } from '../adapters/process.js';
import type { StepEnv } from '../tasks/types.js';
import type { ExplainSink } from './explain.js';

export interface RunContext extends StepEnv {
  /** The cluster connection, opened by the check step (or handed in); kept across ship dev's runs. */
  kube?: Kube;
  /** The Docker API, opened by the check step (minikube's docker-env may point it elsewhere). */
  docker?: DockerApi;
  /** The process runner (execa); tests hand in a fake. */
  runner: ProcessRunner;
  /** The current run's steps, as they ended (each run of steps starts a new list). */
  timings: StepTiming[];
  /** --explain: where each step's commands go (the composition says them after each step). */
  explain?: ExplainSink;
}
