// One small error hierarchy. Everything below the CLI throws a ShipError (or lets an
// unexpected error bubble up, which the CLI reports as an internal error, exit 1).
// Each failure class has its own exit code; README.md documents the table.

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  project: 3, // not a directory, no build file and no Dockerfile, gradlew not executable
  build: 4, // gradle/maven failed, no jar or several jars
  image: 5, // Dockerfile syntax error, failing RUN, image build refused
  docker: 6, // Docker daemon not reachable
  kubeconfig: 7, // no kubeconfig, named context missing, context not local, credentials refused (401)
  cluster: 8, // cluster unreachable, API refused a request
  load: 9, // image could not be loaded into the cluster (no kind nodes, import failed)
  manifest: 10, // malformed YAML, unknown field, no container uses the built image
  apply: 11, // the API server refused the manifest
  pod: 12, // a pod failed and the failure is certain (crash, pull error, config error, unschedulable)
  timeout: 13, // deadline passed before Ready
  forward: 14, // local port busy, port-forward failed
  smoke: 15, // the app never answered below 500 through the forward
  doctor: 16, // `ship doctor` found something ship needs missing
  registry: 17, // push to a registry failed (auth, unreachable)
  busy: 18, // another ship run holds this project (ship dev, or a run that did not finish in time)
  ports: 19, // the app's port (server.port, SERVER_PORT) and the manifest's or the forward's port disagree
  interrupted: 130, // Ctrl-C
} as const;

export type ExitCodeName = keyof typeof ExitCode;

export interface ShipErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Extra lines shown under the message (build output tail, pod events, ...). */
  details?: string[];
}

export class ShipError extends Error {
  readonly code: ExitCodeName;
  readonly hint?: string;
  readonly details: string[];

  constructor(code: ExitCodeName, message: string, options: ShipErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShipError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }

  get exitCode(): number {
    return ExitCode[this.code];
  }
}

/** Thrown when the user interrupts (Ctrl-C) or an AbortSignal fires. */
export class InterruptedError extends ShipError {
  constructor(message = 'Interrupted') {
    super('interrupted', message);
    this.name = 'InterruptedError';
  }
}

export function isShipError(e: unknown): e is ShipError {
  return e instanceof ShipError;
}

/** Rethrow as InterruptedError when the signal was aborted, so a cancelled child does not look like a failure. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError();
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
