// The Docker adapter: the ONLY place ship talks to a Docker engine (dockerode 5).
// A narrow interface (DockerApi) the steps and loaders use, and the real implementation.
// Where the engine is: DOCKER_HOST (unix:// or tcp://), DOCKER_TLS_VERIFY and DOCKER_CERT_PATH —
// what `minikube docker-env` prints — taken from the env handed in, never from process.env.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import Docker from 'dockerode';
import { InterruptedError, ShipError, errorMessage } from '../errors.js';

export interface DockerVersion {
  version: string;
  apiVersion: string;
  /** Where the engine was reached, e.g. unix:///var/run/docker.sock or tcp://192.168.49.2:2376. */
  host: string;
  storageDriver?: string;
  /** The engine stores images in containerd (the "containerd image store"). */
  containerdStore?: boolean;
  os?: string;
  architecture?: string;
}

export interface BuildRequest {
  /** The build context as a tar stream. */
  context: NodeJS.ReadableStream;
  /** Path of the Dockerfile inside the tar. */
  dockerfile: string;
  tags: string[];
  labels: Record<string, string>;
  buildArgs?: Record<string, string>;
  signal?: AbortSignal;
  /** Each line of build output as it arrives ("Step 2/5 : COPY …", RUN output). */
  onLine?: (line: string) => void;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  size: number;
  os: string;
  architecture: string;
  variant?: string;
  labels: Record<string, string>;
  /** diffIDs of the layers, bottom first (RootFS.Layers). */
  layers?: string[];
}

export interface ContainerInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

/** One progress object of Docker's push stream. */
export interface PushEvent {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

export interface DockerApi {
  /** Version and storage facts; throws ShipError('docker') when the engine does not answer. */
  ping(): Promise<DockerVersion>;
  /** Classic-builder build; a failed build throws ShipError('image') naming the step. */
  buildImage(req: BuildRequest): Promise<{ id: string }>;
  /** undefined when the image does not exist. */
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  tagImage(ref: string, repository: string, tag: string): Promise<void>;
  /**
   * `docker save` as a stream. `platform` ("linux/amd64") is sent when the engine's API supports it
   * (1.48+), which avoids "content digest not found" with the containerd image store.
   */
  saveImage(ref: string, opts?: { platform?: string; signal?: AbortSignal }): Promise<NodeJS.ReadableStream>;
  /** All containers (running or not) carrying every given label (value '' = any value). */
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /**
   * Runs cmd in a running container. stdin, when given, is streamed over the hijacked connection
   * and half-closed at its end (so `cat`, `ctr images import -` see EOF); it is destroyed if the
   * command exits before reading it all. stdout/stderr are demultiplexed.
   */
  exec(containerId: string, cmd: string[], opts?: { stdin?: NodeJS.ReadableStream; signal?: AbortSignal; maxOutputBytes?: number }): Promise<ExecResult>;
  /**
   * Pushes repository:tag and resolves with the manifest digest the registry reported. An error
   * reported inside the progress stream (the HTTP call itself succeeds) throws ShipError('registry')
   * carrying Docker's words.
   */
  pushImage(repository: string, tag: string, opts?: { auth?: RegistryAuth; signal?: AbortSignal; onEvent?: (e: PushEvent) => void }): Promise<{ digest?: string }>;
}

// ---------------------------------------------------------------------------------------------
// Where the engine is

export interface DockerEndpoint {
  /** Human form for messages: unix:///var/run/docker.sock, tcp://host:2376. */
  address: string;
  socketPath?: string;
  protocol?: 'http' | 'https';
  host?: string;
  port?: number;
  /** TLS material directory (DOCKER_CERT_PATH or ~/.docker) when TLS is on. */
  certPath?: string;
  tlsVerify?: boolean;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** Pure: reads DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH from the env handed in. */
export function dockerEndpoint(env: NodeJS.ProcessEnv): DockerEndpoint {
  const raw = (env.DOCKER_HOST ?? '').trim();
  if (raw === '') return { address: `unix://${DEFAULT_SOCKET}`, socketPath: DEFAULT_SOCKET };
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length) || DEFAULT_SOCKET;
    return { address: `unix://${socketPath}`, socketPath };
  }
  if (raw.startsWith('/')) return { address: `unix://${raw}`, socketPath: raw };
  const m = /^(tcp|http|https):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(raw);
  if (!m) {
    throw new ShipError('docker', `DOCKER_HOST=${raw} is not an address ship can use.`, {
      hint: 'Use unix:///path/to/docker.sock or tcp://HOST:PORT (ssh:// and Docker CLI contexts are not supported); unset DOCKER_HOST for the local engine.',
    });
  }
  const tlsVerify = truthy(env.DOCKER_TLS_VERIFY);
  const tls = tlsVerify || truthy(env.DOCKER_TLS) || m[1] === 'https';
  const port = m[3] ? Number(m[3]) : tls ? 2376 : 2375;
  const host = m[2]!;
  const certPath = tls ? env.DOCKER_CERT_PATH || (env.HOME ? join(env.HOME, '.docker') : undefined) : undefined;
  return {
    address: `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`,
    protocol: tls ? 'https' : 'http',
    host,
    port,
    ...(certPath ? { certPath } : {}),
    ...(tls ? { tlsVerify } : {}),
  };
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function modemOptions(ep: DockerEndpoint): Docker.DockerOptions {
  if (ep.socketPath) return { socketPath: ep.socketPath };
  const opts: Docker.DockerOptions = { protocol: ep.protocol, host: ep.host, port: ep.port };
  if (ep.protocol === 'https' && ep.certPath) {
    const read = (f: string) => {
      try {
        return readFileSync(join(ep.certPath!, f));
      } catch (e) {
        throw new ShipError('docker', `Cannot read the Docker TLS file ${join(ep.certPath!, f)}: ${errorMessage(e)}`, {
          hint: 'Point DOCKER_CERT_PATH at the folder with ca.pem, cert.pem and key.pem (eval $(minikube docker-env) sets it).',
        });
      }
    };
    opts.cert = read('cert.pem');
    opts.key = read('key.pem');
    if (ep.tlsVerify) opts.ca = read('ca.pem');
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Errors

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'ENOTFOUND']);

function errnoOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function unreachableError(ep: DockerEndpoint, e: unknown): ShipError {
  const code = errnoOf(e);
  let hint: string;
  if (code === 'EACCES' || code === 'EPERM') {
    hint = `You may not use ${ep.socketPath ?? ep.address}: run ship as a user in the "docker" group (sudo usermod -aG docker $USER, then log in again), or as root.`;
  } else if (ep.socketPath) {
    hint =
      'Start Docker: `sudo systemctl start docker` (Linux with systemd), start Docker Desktop (macOS/Windows), or run `sudo dockerd &`. ' +
      'If your engine listens elsewhere, set DOCKER_HOST (e.g. eval $(minikube docker-env)).';
  } else {
    hint = `Check that the engine at ${ep.address} is running and reachable (for minikube: minikube start, then eval $(minikube docker-env)); unset DOCKER_HOST to use the local engine.`;
  }
  return new ShipError('docker', `The Docker daemon is not reachable at ${ep.address}${code ? ` (${code})` : ''}.`, { hint, cause: e });
}

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const name = (e as { name?: string } | undefined)?.name;
  return name === 'AbortError' || errnoOf(e) === 'ABORT_ERR';
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Docker's own message from a dockerode error: "(HTTP code 404) no such image - …" → the part after the dash. */
function engineMessage(e: unknown): string {
  const json = (e as { json?: { message?: string } } | undefined)?.json;
  if (json && typeof json.message === 'string') return json.message;
  const msg = errorMessage(e).trim();
  const m = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(msg);
  return (m ? m[1]! : msg).trim();
}

// ---------------------------------------------------------------------------------------------
// The real implementation

export function createDocker(env: NodeJS.ProcessEnv): DockerApi {
  const ep = dockerEndpoint(env);
  let client: Docker | undefined;
  const docker = () => (client ??= new Docker(modemOptions(ep)));
  let apiVersion: string | undefined;

  /** Runs one API call; a connection failure becomes ShipError('docker'), an abort InterruptedError. */
  async function call<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ShipError) throw e;
      if (isAbort(e, signal)) throw new InterruptedError();
      if (statusOf(e) === undefined && UNREACHABLE.has(errnoOf(e) ?? '')) throw unreachableError(ep, e);
      throw e;
    }
  }

  async function engineApiVersion(): Promise<string> {
    if (!apiVersion) apiVersion = (await api.ping()).apiVersion;
    return apiVersion;
  }

  const api: DockerApi = {
    async ping() {
      const v = await call(() => docker().version());
      const info = (await call(() => docker().info())) as { Driver?: string; DriverStatus?: Array<[string, string]> };
      apiVersion = v.ApiVersion;
      const driverType = info.DriverStatus?.find(([k]) => k === 'driver-type')?.[1] ?? '';
      return {
        version: v.Version,
        apiVersion: v.ApiVersion,
        host: ep.address,
        ...(info.Driver ? { storageDriver: info.Driver } : {}),
        containerdStore: driverType.includes('containerd.snapshotter'),
        os: v.Os,
        architecture: v.Arch,
      };
    },

    async buildImage(req) {
      if (req.signal?.aborted) throw new InterruptedError();
      // A context that cannot be read (a file vanished, permissions) fails the upload: say so,
      // rather than mistaking its ENOENT for an unreachable daemon.
      let contextError: unknown;
      req.context.on('error', (e) => (contextError ??= e));
      let stream: NodeJS.ReadableStream;
      try {
        stream = await call(
          () =>
            docker().buildImage(req.context, {
              t: req.tags,
              dockerfile: req.dockerfile,
              labels: req.labels,
              ...(req.buildArgs && Object.keys(req.buildArgs).length > 0 ? { buildargs: req.buildArgs } : {}),
              rm: true,
              forcerm: true,
              ...(req.signal ? { abortSignal: req.signal } : {}),
            } as unknown as Docker.ImageBuildOptions),
          req.signal,
        );
      } catch (e) {
        if (contextError !== undefined && !req.signal?.aborted) {
          throw new ShipError('image', `Could not read the build context: ${errorMessage(contextError)}`, {
            hint: 'Check that the files in the project can be read (and that the build is not still writing them).',
            cause: contextError,
          });
        }
        if (e instanceof ShipError) throw e;
        // Refused before any step ran: Dockerfile parse errors (HTTP 400), unknown options.
        throw buildRefused(engineMessage(e), e);
      }
      return followBuild(stream, req, async (tag) => (await api.inspectImage(tag))?.id);
    },

    async inspectImage(ref) {
      try {
        const i = await call(() => docker().getImage(ref).inspect());
        return {
          id: i.Id,
          repoTags: i.RepoTags ?? [],
          size: i.Size,
          os: i.Os,
          architecture: i.Architecture,
          ...((i as { Variant?: string }).Variant ? { variant: (i as { Variant?: string }).Variant } : {}),
          labels: (i.Config?.Labels as Record<string, string> | null) ?? {},
          layers: i.RootFS?.Layers ?? [],
        };
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw e;
      }
    },

    async tagImage(ref, repository, tag) {
      try {
        await call(() => docker().getImage(ref).tag({ repo: repository, tag }));
      } catch (e) {
        if (e instanceof ShipError) throw e;
        throw new ShipError('image', `Could not tag ${ref} as ${repository}:${tag}: ${engineMessage(e)}`, { cause: e });
      }
    },

    async saveImage(ref, opts = {}) {
      const platform = opts.platform && versionAtLeast(await engineApiVersion(), 1, 48) ? platformJson(opts.platform) : undefined;
      const modem = docker().modem as unknown as {
        dial(o: object, cb: (err: unknown, data: NodeJS.ReadableStream) => void): void;
      };
      try {
        return await call(
          () =>
            new Promise<NodeJS.ReadableStream>((resolve, reject) =>
              modem.dial(
                {
                  path: `/images/${encodeURIComponent(ref)}/get?`,
                  method: 'GET',
                  isStream: true,
                  abortSignal: opts.signal,
                  statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
                  options: platform ? { platform } : {},
                },
                (err, data) => (err ? reject(err) : resolve(data)),
              ),
            ),
          opts.signal,
        );
      } catch (e) {
        if (e instanceof ShipError) throw e;
        throw new ShipError('load', `docker save ${ref} failed: ${engineMessage(e)}`, { cause: e });
      }
    },

    async listContainers(labels) {
      const filters = { label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)) };
      const list = await call(() => docker().listContainers({ all: true, filters }));
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
        labels: c.Labels ?? {},
        running: c.State === 'running',
      }));
    },

    async exec(containerId, cmd, opts = {}) {
      return call(() => runExec(docker(), containerId, cmd, opts), opts.signal);
    },

    async pushImage(repository, tag, opts = {}) {
      const ref = `${repository}:${tag}`;
      const stream = await call(
        () =>
          docker()
            .getImage(repository)
            .push({ tag, ...(opts.auth ? { authconfig: opts.auth } : {}), ...(opts.signal ? { abortSignal: opts.signal } : {}) } as Docker.ImagePushOptions),
        opts.signal,
      ).catch((e: unknown) => {
        if (e instanceof ShipError) throw e;
        if (statusOf(e) === 404) throw new ShipError('registry', `Docker has no image ${ref} to push.`, { hint: `docker image ls ${repository}`, cause: e });
        throw new ShipError('registry', `Pushing ${ref} failed: ${engineMessage(e)}`, { cause: e });
      });
      let failure: string | undefined;
      let digest: string | undefined;
      await readJsonLines(stream as NodeJS.ReadableStream, opts.signal, (obj) => {
        const e = obj as PushEvent;
        const err = e.errorDetail?.message ?? e.error;
        if (err) failure ??= String(err);
        if (e.aux?.Digest) digest = e.aux.Digest;
        opts.onEvent?.(e);
      });
      if (failure !== undefined) {
        throw new ShipError('registry', `Pushing ${ref} failed: ${failure}`, {
          hint: /denied|unauthorized|authentication/i.test(failure)
            ? 'Log in to the registry (docker login HOST) or check that you may push to this repository.'
            : 'Check that the registry is running and reachable from the Docker engine (a plain-HTTP registry must be listed in the engine\'s "insecure-registries").',
        });
      }
      return digest ? { digest } : {};
    },
  };
  return api;
}

// ---------------------------------------------------------------------------------------------
// Build progress

interface ProgressObject {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number };
}

/** Reads newline-delimited JSON progress objects; a line that is not JSON is ignored, never thrown from an event handler. */
function readJsonLines(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined, onObject: (o: ProgressObject) => void): Promise<void> {
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

async function followBuild(stream: NodeJS.ReadableStream, req: BuildRequest, idOf: (tag: string) => Promise<string | undefined>): Promise<{ id: string }> {
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
    req.onLine?.(l);
  };
  await readJsonLines(stream, req.signal, (obj) => {
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
  });
  if (partial.trim() !== '') pushLine(partial);
  if (failure !== undefined) throw buildFailed(step, failure, tail);
  // The classic builder reports the ID as aux.ID on recent engines; older ones only print it.
  const fromText = tail.map((l) => /^Successfully built ([0-9a-f]{12,64})$/.exec(l)?.[1]).find(Boolean);
  id ??= req.tags[0] ? await idOf(req.tags[0]) : undefined;
  id ??= fromText ? `sha256:${fromText}` : undefined;
  if (!id) throw new ShipError('image', 'Docker finished the build without reporting an image ID.', { details: tail.slice(-15), hint: 'Run the same docker build by hand to see what happened.' });
  return { id };
}

function buildFailed(step: { n: string; instruction: string } | undefined, message: string, tail: string[]): ShipError {
  const where = step ? `at step ${step.n}: ${step.instruction}: ` : ': ';
  const details = ['Last lines of the Docker build output:', ...tail.slice(-20).map((l) => '  ' + l)];
  return new ShipError('image', `Docker build failed ${where}${message.trim()}`, { details, hint: buildHint(message, step?.instruction) });
}

function buildRefused(message: string, cause: unknown): ShipError {
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

// ---------------------------------------------------------------------------------------------
// Exec with streamed stdin

async function runExec(
  docker: Docker,
  containerId: string,
  cmd: string[],
  opts: { stdin?: NodeJS.ReadableStream; signal?: AbortSignal; maxOutputBytes?: number },
): Promise<ExecResult> {
  const { stdin, signal } = opts;
  if (signal?.aborted) throw new InterruptedError();
  const max = opts.maxOutputBytes ?? 16 * 1024 * 1024;
  const container = docker.getContainer(containerId);
  const exec = await container
    .exec({ Cmd: cmd, AttachStdin: stdin !== undefined, AttachStdout: true, AttachStderr: true, Tty: false })
    .catch((e: unknown) => {
      const s = statusOf(e);
      if (s === 404 || s === 409) throw new ShipError('load', `Cannot run ${cmd[0]} in container ${containerId}: ${engineMessage(e)}`, { cause: e });
      throw e;
    });
  // hijack: the engine upgrades the HTTP connection to a raw stream: stdin goes up it, and
  // stdout/stderr come down multiplexed (8-byte frame headers).
  const sock = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: false } as Docker.ExecStartOptions)) as unknown as Duplex;

  const out = collector(max);
  const err = collector(max);
  const stdoutPipe = new PassThrough();
  const stderrPipe = new PassThrough();
  stdoutPipe.on('data', out.add);
  stderrPipe.on('data', err.add);
  docker.modem.demuxStream(sock, stdoutPipe, stderrPipe);

  let stdinDone = stdin === undefined;
  let writeError: unknown;
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (e) reject(e);
      else resolve();
    };
    const onAbort = () => {
      sock.destroy();
      settle(new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // The engine may close while stdin is still being written (the command exited early):
    // that EPIPE is not the command's failure, its exit code tells.
    sock.on('error', (e) => {
      writeError = e;
      settle();
    });
    sock.on('end', () => settle());
    sock.on('close', () => settle());
    if (stdin) {
      stdin.on('error', (e) => {
        sock.destroy();
        settle(new ShipError('load', `Reading the input for ${cmd.join(' ')} failed: ${errorMessage(e)}`, { cause: e }));
      });
      stdin.on('end', () => (stdinDone = true));
      // pipe() ends the socket's writable side at EOF: a TCP/unix half-close, which the engine
      // turns into EOF on the command's stdin while the output keeps coming back.
      stdin.pipe(sock);
    } else {
      sock.end();
    }
  });
  if (stdin && !stdinDone) {
    stdin.unpipe(sock);
    (stdin as unknown as { destroy?: () => void }).destroy?.();
  }

  // The exit code is recorded a moment after the stream closes.
  let exitCode: number | null = null;
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) {
      exitCode = info.ExitCode;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (exitCode === null) {
    throw new ShipError('load', `${cmd.join(' ')} in container ${containerId} did not report an exit code.`, {
      details: [err.text().slice(-2000)],
      ...(writeError ? { cause: writeError } : {}),
    });
  }
  return { exitCode, stdout: out.text(), stderr: err.text() };
}

function collector(max: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = 0;
  return {
    add: (c: Buffer) => {
      if (size + c.length <= max) {
        chunks.push(c);
        size += c.length;
      } else dropped += c.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8') + (dropped ? `\n[… ${dropped} more bytes not kept]` : ''),
  };
}

// ---------------------------------------------------------------------------------------------

export function versionAtLeast(v: string, major: number, minor: number): boolean {
  const [a, b] = v.split('.').map((x) => Number(x));
  if (a === undefined || Number.isNaN(a)) return false;
  return a > major || (a === major && (b ?? 0) >= minor);
}

/** "linux/arm64/v8" → the OCI platform object the API expects (sent JSON-encoded). */
export function platformJson(p: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = p.split('/');
  return { os: os || 'linux', architecture: architecture || 'amd64', ...(variant ? { variant } : {}) };
}
