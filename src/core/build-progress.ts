// Reading a classic-builder build's progress: the output lines, the step being run, the image ID
// and the failure, and the words ship says about a failed or refused build. Pure: the Docker
// adapter feeds it the progress objects it reads.

import { ShipError } from '../errors.js';

/** One progress object of Docker's build (and push) stream. */
export interface ProgressObject {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number };
}

export interface BuildOutcome {
  /** The build failed: the error naming the step, with the last lines of output. */
  error?: ShipError;
  /** The ID the engine reported as aux.ID. */
  id?: string;
  /** The ID older engines only print ("Successfully built …"). */
  idFromText?: string;
  /** The last lines of output. */
  tail: string[];
}

/** Follows one build's progress objects; `onLine` gets each output line as it completes. */
export function buildProgress(onLine?: (line: string) => void): { feed(obj: ProgressObject): void; finish(): BuildOutcome } {
  const tail: string[] = [];
  let partial = '';
  let step: { n: string; instruction: string } | undefined;
  let id: string | undefined;
  let failure: string | undefined;
  const pushLine = (line: string) => {
    const l = line.replace(/\r$/, '');
    if (l.trim() === '') return;
    const m = /^Step (\d+)\/\d+ : (.*)$/.exec(l);
    if (m) step = { n: m[1]!, instruction: m[2]! };
    tail.push(l);
    if (tail.length > 40) tail.shift();
    onLine?.(l);
  };
  return {
    feed(obj) {
      if (obj.stream !== undefined) {
        partial += obj.stream;
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          pushLine(partial.slice(0, nl));
          partial = partial.slice(nl + 1);
        }
      }
      if (obj.aux?.ID) id = obj.aux.ID;
      const err = obj.errorDetail?.message ?? obj.error;
      if (err) failure = String(err);
    },
    finish() {
      if (partial.trim() !== '') pushLine(partial);
      partial = '';
      if (failure !== undefined) return { error: buildFailed(step, failure, tail), tail };
      const fromText = tail.map((l) => /^Successfully built ([0-9a-f]{12,64})$/.exec(l)?.[1]).find(Boolean);
      return { ...(id ? { id } : {}), ...(fromText ? { idFromText: `sha256:${fromText}` } : {}), tail };
    },
  };
}

/** The build finished without any image ID ship could find. */
export function noImageId(tail: string[]): ShipError {
  return new ShipError('image', 'Docker finished the build without reporting an image ID.', { details: tail.slice(-15), hint: 'Run the same docker build by hand to see what happened.' });
}

function buildFailed(step: { n: string; instruction: string } | undefined, message: string, tail: string[]): ShipError {
  const where = step ? `at step ${step.n}: ${step.instruction}: ` : ': ';
  const details = ['Last lines of the Docker build output:', ...tail.slice(-20).map((l) => '  ' + l)];
  return new ShipError('image', `Docker build failed ${where}${message.trim()}`, { details, hint: buildHint(message, step?.instruction) });
}

export function buildRefused(message: string, cause: unknown): ShipError {
  const parse = /dockerfile parse error/i.test(message);
  return new ShipError('image', parse ? `Docker build failed: the Dockerfile has an error: ${message}` : `Docker refused the build: ${message}`, {
    hint: parse ? 'Fix the Dockerfile at the line named (instructions are FROM, RUN, COPY, ENTRYPOINT, …).' : buildHint(message, undefined),
    cause,
  });
}

function buildHint(message: string, instruction: string | undefined): string {
  const from = instruction && /^FROM\s+(\S+)/i.exec(instruction)?.[1];
  if (from || /pull access denied|manifest unknown|not found: manifest|registry-1\.docker\.io|no such host|i\/o timeout/i.test(message)) {
    const image = from ?? 'the base image';
    return `${image} is not in the engine's image store and could not be pulled. Build or load it locally first (docker images lists what exists; docker load -i FILE), or change the FROM line.`;
  }
  if (/returned a non-zero code/i.test(message)) return 'A RUN command in the Dockerfile failed; its output is above. Run the command in the base image by hand to reproduce it.';
  if (/more than one source file/i.test(message)) {
    return 'The COPY source matches several files (a jar pattern such as build/libs/*.jar also matches -sources, -javadoc or -plain jars): copy the app\'s jar by its name, or remove the Dockerfile and let ship generate one (it picks the runnable jar).';
  }
  if (/COPY failed|ADD failed|not found in build context|no source files/i.test(message)) {
    return 'The file is not in the build context: check that the build produced it (the jar under build/libs or target) and that .dockerignore does not exclude it.';
  }
  return 'See the build output above; running the same `docker build` by hand shows the whole log.';
}

