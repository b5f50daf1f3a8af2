// Failure diagnosis: from a pod's status, its events (and, when asked for, its logs) to one plain
// sentence about what is wrong, and whether the outcome is already certain.
//
// Pure: no I/O, no clock unless `now` is left out. Used by the wait step (fail as soon as a failure
// is certain instead of waiting out the deadline) and later by `ship status` / `ship why`.
//
// When a failure counts as certain (documented rules, tested in test/unit/diagnose.test.ts):
// - Image pulls: ImagePullBackOff, or ErrImagePull whose message says the image or registry does
//   not exist ("not found", "pull access denied", "no such host", ...; a network timeout waits for
//   the back-off).
//   ErrImageNeverPull and InvalidImageName at once.
// - Crashes: the container exited with a non-zero code (or with 0 while restartPolicy is Always)
//   and either the pod will not restart it (restartPolicy Never, or pod phase Failed), or it has
//   crashed twice in a row: CrashLoopBackOff (the kubelet restarts the first crash at once and only
//   backs off from the second one), a terminated state after at least one restart, or two or more
//   restarts whose last exit was a failure. A single crash followed by a restart is not certain:
//   apps that start before a dependency is up often crash once and then come up.
// - CreateContainerConfigError / CreateContainerError / RunContainerError once the kubelet has
//   reported it for CONFIG_ERROR_SETTLE_MS (the wait step starts after apply has finished, so an
//   object that is still missing a few seconds later is not going to arrive).
// - Unschedulable at once, unless a pod of the same app is still terminating (its resources may
//   free up) or the reason is a PersistentVolumeClaim still being bound.
// - A readiness probe only when the container is running, started, not ready, and has been failing
//   for longer than max(60 s, 3 × failureThreshold × periodSeconds) — 120 s instead of 60 s when
//   the app does not answer at all (connection refused, timeout), as a slow JVM may still be
//   starting. Never before the container started.
// - Pod phase Failed (Evicted, DeadlineExceeded, a crash under restartPolicy Never) always.

import { parseImageRef, shortRef, type ImageRef } from './image-ref.js';
export { parseImageRef, type ImageRef };
import type { CoreV1Event, V1Container, V1ContainerStatus, V1Pod, V1Probe } from '@kubernetes/client-node';

export interface DiagnoseInput {
  pod: V1Pod;
  events: CoreV1Event[];
  /** Image refs ship built in this run, e.g. 'kubernetes-spring:ship-abc'. */
  builtImages?: string[];
  /** Image ref → whether the node has it (asked from the node's runtime by the loader), when known. */
  nodeHasImage?: Record<string, boolean>;
  /** Container name → its last log lines (fetched by the caller when a diagnosis asks for them). */
  logs?: Record<string, string[]>;
  /** Pods of the same app that are being deleted; while there are some, Unschedulable may clear up. */
  terminatingPeers?: number;
  now?: number;
}

export interface Diagnosis {
  /** The outcome is certain: stop waiting now. */
  certain: boolean;
  /** Short machine-friendly reason, e.g. 'ImagePullBackOff', 'CrashLoopBackOff', 'Unschedulable'. */
  reason: string;
  pod: string;
  container?: string;
  /** Plain words, one or two sentences. */
  message: string;
  hint?: string;
  /** Extra lines (already formatted, no trailing newline). */
  details: string[];
  /** The caller should fetch this container's last log lines and diagnose again with them. */
  needsLogs?: { container: string; previous: boolean };
}

/** How long a CreateContainerConfigError (etc.) must persist before it counts as certain. */
export const CONFIG_ERROR_SETTLE_MS = 5_000;
/** How long a volume that cannot be mounted because its source is missing must persist. */
export const MOUNT_ERROR_SETTLE_MS = 15_000;
/** How long a readiness probe must fail at least before its failure counts as certain. */
export const READINESS_MIN_FAILING_MS = 60_000;
/** The same when the app does not answer the probe at all (connection refused, timeout): it may still be starting. */
export const READINESS_SILENT_MIN_FAILING_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// Small helpers

type Time = Date | string | undefined | null;

/** Timestamps are Date objects from client-node and strings in recorded JSON: accept both. */
export function timeMs(t: Time): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

function eventLast(e: CoreV1Event): number {
  return (
    timeMs(e.series?.lastObservedTime as Time) ??
    timeMs(e.lastTimestamp as Time) ??
    timeMs(e.eventTime as Time) ??
    timeMs(e.firstTimestamp as Time) ??
    timeMs(e.metadata?.creationTimestamp as Time) ??
    0
  );
}

function eventFirst(e: CoreV1Event): number {
  return timeMs(e.firstTimestamp as Time) ?? timeMs(e.eventTime as Time) ?? eventLast(e);
}

function eventCount(e: CoreV1Event): number {
  return e.series?.count ?? e.count ?? 1;
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

function clip(s: string, max = 240): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** kubectl-like short duration: 45s, 3m20s, 2h5m, 3d. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The container name an event is about ("spec.containers{app}" → "app"). */
function eventContainer(e: CoreV1Event): string | undefined {
  const m = /\{([^}]+)\}/.exec(e.involvedObject?.fieldPath ?? '');
  return m?.[1];
}

// ---------------------------------------------------------------------------------------------
// Image references



/** One spelling per image: docker.io/library/x:latest → x:latest; no tag → :latest. */
export const normalizeImageRef = shortRef;

/** The pull policy Kubernetes picks when the manifest names none. */
export function defaultPullPolicy(ref: string): 'Always' | 'IfNotPresent' {
  const p = parseImageRef(ref);
  if (p.digest) return 'IfNotPresent';
  return p.tag === undefined || p.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function sameImage(a: string, b: string): boolean {
  return normalizeImageRef(a) === normalizeImageRef(b);
}

function lookupImage<T>(map: Record<string, T> | undefined, ref: string): T | undefined {
  if (!map) return undefined;
  if (ref in map) return map[ref];
  for (const [k, v] of Object.entries(map)) if (sameImage(k, ref)) return v;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The engine

interface Ctx {
  input: DiagnoseInput;
  pod: V1Pod;
  name: string;
  now: number;
  events: CoreV1Event[];
}

interface Slot {
  spec?: V1Container;
  status: V1ContainerStatus;
  init: boolean;
}

export function diagnosePod(input: DiagnoseInput): Diagnosis | undefined {
  const pod = input.pod;
  const ctx: Ctx = {
    input,
    pod,
    name: pod.metadata?.name ?? '(unnamed pod)',
    now: input.now ?? Date.now(),
    events: [...input.events].sort((a, b) => eventLast(a) - eventLast(b)),
  };
  if (pod.metadata?.deletionTimestamp) return undefined;

  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return completed(ctx);
  if (phase === 'Failed') return failedPod(ctx);

  const unschedulable = unschedulableDiagnosis(ctx);
  if (unschedulable) return unschedulable;

  const candidates: Diagnosis[] = [];
  for (const slot of containerSlots(pod)) {
    const d = containerDiagnosis(ctx, slot);
    if (d) candidates.push(d);
  }
  const certain = candidates.find((d) => d.certain);
  if (certain) return certain;

  const probe = readinessDiagnosis(ctx);
  if (probe?.certain) return probe;

  const fromEvents = podEventDiagnosis(ctx);
  if (fromEvents?.certain) return fromEvents;

  return candidates[0] ?? probe ?? fromEvents;
}

function containerSlots(pod: V1Pod): Slot[] {
  const slots: Slot[] = [];
  const specOf = (list: V1Container[] | undefined, name: string) => list?.find((c) => c.name === name);
  for (const status of pod.status?.initContainerStatuses ?? []) {
    slots.push({ status, init: true, spec: specOf(pod.spec?.initContainers, status.name) });
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    slots.push({ status, init: false, spec: specOf(pod.spec?.containers, status.name) });
  }
  return slots;
}

function containerLabel(slot: Slot): string {
  return `${slot.init ? 'init container' : 'container'} "${slot.status.name}"`;
}

function containerDiagnosis(ctx: Ctx, slot: Slot): Diagnosis | undefined {
  const st = slot.status;
  const waiting = st.state?.waiting;
  switch (waiting?.reason) {
    case 'ErrImagePull':
    case 'ImagePullBackOff':
      return imagePullDiagnosis(ctx, slot, waiting.reason, waiting.message);
    case 'ErrImageNeverPull':
      return imageNeverPull(ctx, slot, waiting.message);
    case 'InvalidImageName':
      return invalidImageName(ctx, slot, waiting.message);
    case 'CreateContainerConfigError':
    case 'CreateContainerError':
    case 'RunContainerError':
      return configError(ctx, slot, waiting.reason, waiting.message);
    case 'CrashLoopBackOff':
      return crashDiagnosis(ctx, slot);
  }
  const term = st.state?.terminated;
  if (term) {
    // A finished init container or a container that exited 0 under Never/OnFailure is not a failure.
    const policy = ctx.pod.spec?.restartPolicy ?? 'Always';
    if (term.exitCode === 0 && (slot.init || policy !== 'Always')) return undefined;
    return crashDiagnosis(ctx, slot);
  }
  const last = st.lastState?.terminated;
  // A container that restarted before but is running and ready now is not what blocks the pod.
  if (st.ready) return undefined;
  if (st.restartCount > 0 && last && (last.exitCode !== 0 || !slot.init)) return crashDiagnosis(ctx, slot);
  return undefined;
}

// --- image pulls ---------------------------------------------------------------------------

// containerd prefixes every resolution error with "failed to resolve reference", network timeouts
// included, so that phrase alone is not decisive; what follows it is.
const DEFINITE_PULL_FAILURE =
  /not found|pull access denied|no such host|manifest unknown|name unknown|repository does not exist|insufficient_scope|unauthorized|authorization failed|server misbehaving|no such image/i;

function pullProblem(message: string): string {
  if (/no such host|server misbehaving|failed to do request: Head/i.test(message) && /lookup /i.test(message)) {
    const host = /lookup ([^\s:]+)/.exec(message)?.[1];
    return host ? `the registry host "${host}" cannot be resolved` : 'the registry host cannot be resolved';
  }
  if (/pull access denied|insufficient_scope|unauthorized|authorization failed|repository does not exist/i.test(message))
    return 'the registry refused it (the repository does not exist there or needs credentials)';
  if (/not found|manifest unknown|name unknown/i.test(message)) return 'the registry has no such image';
  if (/i\/o timeout|connection refused|network is unreachable|dial tcp|TLS handshake timeout/i.test(message))
    return 'no registry can be reached from the node';
  return 'the kubelet could not pull it';
}

function imagePullDiagnosis(ctx: Ctx, slot: Slot, reason: string, rawMessage: string | undefined): Diagnosis {
  const image = slot.spec?.image ?? slot.status.image;
  const kubeletMsg = oneLine(rawMessage);
  // The ImagePullBackOff message only says "Back-off pulling image"; the ErrImagePull reason is in the Failed events.
  const pullEvents = ctx.events.filter(
    (e) => e.reason === 'Failed' && (!eventContainer(e) || eventContainer(e) === slot.status.name) && /pull|image/i.test(e.message ?? ''),
  );
  const eventMsg = oneLine(pullEvents.filter((e) => !/^Error: (ErrImagePull|ImagePullBackOff)$/.test(e.message ?? '')).at(-1)?.message);
  const why = eventMsg || kubeletMsg;
  const certain = reason === 'ImagePullBackOff' || DEFINITE_PULL_FAILURE.test(why);

  const parsed = parseImageRef(image);
  const policy = slot.spec?.imagePullPolicy ?? defaultPullPolicy(image);
  const defaultPolicy = defaultPullPolicy(image);
  const latest = !parsed.digest && (parsed.tag === undefined || parsed.tag === 'latest');
  const built = (ctx.input.builtImages ?? []).some((b) => sameImage(b, image));
  const onNode = lookupImage(ctx.input.nodeHasImage, image);

  const details: string[] = [
    `Image: ${image}${parsed.registry ? '' : `  (the kubelet looks for docker.io/${parsed.repository.includes('/') ? '' : 'library/'}${parsed.repository}:${parsed.tag ?? 'latest'})`}`,
    `Container: ${slot.status.name}${slot.init ? ' (init)' : ''}`,
    `Pull policy: ${policy}${policy === defaultPolicy ? ` (the default for ${latest ? 'an image with no tag or :latest' : 'a tagged image'})` : ''}`,
    `On the node: ${onNode === undefined ? 'unknown' : onNode ? 'yes' : 'no'}`,
    `Built by ship: ${built ? 'yes' : 'no'}`,
  ];
  if (why) details.push(`Kubelet: ${clip(why, 400)}`);

  const sentences: string[] = [`The image "${image}" of ${containerLabel(slot)} cannot be pulled: ${pullProblem(why)}.`];
  let hint: string;
  if (built && policy === 'Always' && onNode === true) {
    sentences.push('The node has the image, but imagePullPolicy Always makes the kubelet pull it from a registry anyway.');
    hint = 'Set imagePullPolicy: IfNotPresent on this container (ship does so for the containers it rewrites).';
  } else if (built) {
    sentences.push(
      onNode === false
        ? 'ship built this image, but it is not on the node: the image loader did not put it there.'
        : 'ship built this image, but the kubelet did not find it on the node, so the loader did not put it where the kubelet looks.',
    );
    hint = 'Check the load step above (with --load none ship loads nothing); `ship doctor` shows which loader ship picked for this cluster.';
  } else {
    sentences.push("ship did not build this image and no registry the node can reach has it — the manifest's image is left as written.");
    hint = latest
      ? `Without a tag (or with :latest) Kubernetes defaults imagePullPolicy to Always, so the kubelet pulls "${image}" from a registry even when the node has it. If this is your app's image, name it after the project (ship then builds, loads and tags it); otherwise give it a tag and imagePullPolicy: IfNotPresent and load it onto the node yourself.`
      : 'Load the image onto the node yourself, change the manifest to an image the node has, or let ship build it (use the project name as the image name).';
  }
  if (latest && !built) details.push(`"${image}" has no tag or is :latest, so its default pull policy is Always: the kubelet always asks a registry.`);
  return {
    certain,
    reason,
    pod: ctx.name,
    container: slot.status.name,
    message: sentences.join(' '),
    hint,
    details,
  };
}

function imageNeverPull(ctx: Ctx, slot: Slot, raw: string | undefined): Diagnosis {
  const image = slot.spec?.image ?? slot.status.image;
  const built = (ctx.input.builtImages ?? []).some((b) => sameImage(b, image));
  return {
    certain: true,
    reason: 'ErrImageNeverPull',
    pod: ctx.name,
    container: slot.status.name,
    message: `The image "${image}" of ${containerLabel(slot)} is not on the node, and imagePullPolicy Never forbids pulling it.`,
    hint: built
      ? 'ship built this image but the loader did not put it on the node: check the load step, or set imagePullPolicy: IfNotPresent.'
      : 'Load the image onto the node (or build it with ship), or set imagePullPolicy: IfNotPresent so the kubelet may pull it.',
    details: [`Image: ${image}`, ...(raw ? [`Kubelet: ${oneLine(raw)}`] : [])],
  };
}

function invalidImageName(ctx: Ctx, slot: Slot, raw: string | undefined): Diagnosis {
  const image = slot.spec?.image ?? slot.status.image;
  return {
    certain: true,
    reason: 'InvalidImageName',
    pod: ctx.name,
    container: slot.status.name,
    message: `The image name "${image}" of ${containerLabel(slot)} is not a valid image reference.`,
    hint: 'Image names are lower case, [registry/]repository[:tag][@sha256:digest], with no spaces.',
    details: raw ? [`Kubelet: ${oneLine(raw)}`] : [],
  };
}

// --- container config -------------------------------------------------------------------------

function configError(ctx: Ctx, slot: Slot, reason: string, raw: string | undefined): Diagnosis {
  const msg = oneLine(raw);
  const events = ctx.events.filter(
    (e) => e.reason === 'Failed' && (!eventContainer(e) || eventContainer(e) === slot.status.name) && !/pull/i.test(e.message ?? ''),
  );
  const since = events.length ? Math.min(...events.map(eventFirst)) : undefined;
  const certain = since === undefined || ctx.now - since >= CONFIG_ERROR_SETTLE_MS || events.some((e) => eventCount(e) > 1);
  const label = containerLabel(slot);
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  let message: string;
  let hint: string | undefined;
  let m: RegExpExecArray | null;
  if ((m = /(configmap|secret) "([^"]+)" not found/i.exec(msg))) {
    const kind = m[1].toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
    message = `${cap(label)} cannot start: the ${kind} "${m[2]}" it refers to does not exist in namespace "${ns}".`;
    hint = `Create it (kubectl -n ${ns} create ${kind.toLowerCase()}${kind === 'Secret' ? ' generic' : ''} ${m[2]} --from-literal=KEY=VALUE) or add it to your manifests; mark the reference optional: true if the app can run without it.`;
  } else if ((m = /couldn't find key (\S+) in (ConfigMap|Secret) ([^/\s]+)\/(\S+)/i.exec(msg))) {
    message = `${cap(label)} cannot start: the ${m[2]} "${m[4]}" has no key "${m[1]}".`;
    hint = `Add the key to the ${m[2]} (kubectl -n ${m[3]} get ${m[2].toLowerCase()} ${m[4]} -o yaml shows its keys) or fix the key name in the manifest.`;
  } else if (/runAsNonRoot/i.test(msg)) {
    message = `${cap(label)} cannot start: securityContext.runAsNonRoot is set but the image runs as root.`;
    hint = 'Add USER <uid> to the Dockerfile or set securityContext.runAsUser to a non-zero uid.';
  } else if (/executable file not found|no such file or directory/i.test(msg)) {
    message = `${cap(label)} cannot start: its command does not exist in the image.`;
    hint = "Check the manifest's command/args and the Dockerfile's ENTRYPOINT.";
  } else {
    message = `${cap(label)} cannot be ${reason === 'RunContainerError' ? 'started' : 'created'} (${reason}).`;
    hint = 'The kubelet message below says why.';
  }
  return {
    certain,
    reason,
    pod: ctx.name,
    container: slot.status.name,
    message,
    hint,
    details: msg ? [`Kubelet: ${clip(msg, 400)}`] : [],
  };
}

// --- crashes ----------------------------------------------------------------------------------

const EXIT_MEANING: Record<number, string> = {
  1: 'the app reported an error',
  126: 'the command is not executable',
  127: 'the command was not found',
  128: 'the container could not start',
  130: 'interrupted (SIGINT)',
  134: 'aborted (SIGABRT)',
  137: 'killed (SIGKILL: out of memory, a failed liveness probe, or a stop)',
  139: 'segmentation fault (SIGSEGV)',
  143: 'terminated (SIGTERM)',
};

function crashDiagnosis(ctx: Ctx, slot: Slot): Diagnosis | undefined {
  const st = slot.status;
  const waiting = st.state?.waiting;
  const current = st.state?.terminated;
  const last = current ?? st.lastState?.terminated;
  const policy = ctx.pod.spec?.restartPolicy ?? 'Always';
  const backoff = waiting?.reason === 'CrashLoopBackOff';
  if (!last && !backoff) return undefined;
  const exitCode = last?.exitCode;
  const failed = exitCode === undefined || exitCode !== 0 || (policy === 'Always' && !slot.init);
  if (!failed) return undefined;

  const willRestart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0) || (slot.init && policy !== 'Never');
  const certain =
    backoff ||
    (current !== undefined && (!willRestart || st.restartCount >= 1)) ||
    (st.restartCount >= 2 && exitCode !== 0);

  const oom = last?.reason === 'OOMKilled';
  const label = containerLabel(slot);
  const limit = slot.spec?.resources?.limits?.memory;
  const livenessKill = ctx.events
    .filter((e) => (!eventContainer(e) || eventContainer(e) === st.name) && /(Liveness|Startup) probe failed|failed (liveness|startup) probe/i.test(e.message ?? ''))
    .at(-1);

  const sentences: string[] = [];
  const codeText = exitCode === undefined ? 'crashed' : `exited with code ${exitCode}${last?.reason && last.reason !== 'Error' ? ` (${last.reason})` : ''}`;
  if (oom) {
    sentences.push(`${cap(label)} was killed because it ran out of memory${limit ? ` (its limit is ${String(limit)})` : ' (no memory limit is set, so the node ran short)'}.`);
  } else {
    sentences.push(`${cap(label)} ${codeText}${exitCode !== undefined && EXIT_MEANING[exitCode] && exitCode !== 1 ? ` — ${EXIT_MEANING[exitCode]}` : ''}.`);
  }
  // In back-off or terminated, the last run is a crash too: restarts + 1 crashes so far.
  if (backoff) sentences.push(`It has crashed ${plural(st.restartCount + 1, 'time')}; the kubelet now waits before each restart (CrashLoopBackOff).`);
  else if (!willRestart) sentences.push(`restartPolicy ${policy} does not restart it.`);
  else if (current && st.restartCount > 0) sentences.push(`It has crashed ${plural(st.restartCount + 1, 'time')} in a row.`);
  else if (st.restartCount > 0) sentences.push(`It was restarted ${plural(st.restartCount, 'time')}.`);

  const previous = !current && st.restartCount > 0;
  const logs = ctx.input.logs?.[st.name];
  const lastLine = logs?.filter((l) => l.trim() !== '').at(-1);
  if (lastLine !== undefined) sentences.push(`Its last log line: "${clip(lastLine.trim(), 200)}"`);
  else if (logs) sentences.push('It wrote no log lines.');

  const details: string[] = [];
  if (exitCode !== undefined) details.push(`Exit code: ${exitCode}${EXIT_MEANING[exitCode] ? ` (${EXIT_MEANING[exitCode]})` : ''}${last?.reason ? `, reason ${last.reason}` : ''}`);
  if (last?.message) details.push(`Termination message: ${clip(oneLine(last.message), 400)}`);
  if (limit) details.push(`Memory limit: ${String(limit)}`);
  if (livenessKill) details.push(`Kubelet: ${clip(oneLine(livenessKill.message), 300)}`);
  if (logs && logs.length) {
    details.push(`Last log lines of ${label}${previous ? ' (the run that crashed)' : ''}:`);
    for (const l of logs.slice(-25)) details.push('  ' + l);
  }

  let hint: string;
  const logCmd = `kubectl -n ${ctx.pod.metadata?.namespace ?? 'default'} logs ${ctx.name} -c ${st.name}${previous ? ' --previous' : ''}`;
  if (oom) {
    hint = `Raise resources.limits.memory${limit ? ` (now ${String(limit)})` : ''} or lower the JVM heap (e.g. JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75).`;
  } else if (livenessKill && (exitCode === 137 || exitCode === 143)) {
    hint = 'The liveness probe killed it: give the app more time (initialDelaySeconds, or a startupProbe) or fix the probe path/port.';
  } else if (exitCode === 127 || exitCode === 126 || exitCode === 128 || last?.reason === 'StartError' || last?.reason === 'ContainerCannotRun') {
    hint = "Check the manifest's command/args and the Dockerfile's ENTRYPOINT; the termination message says what failed.";
  } else {
    hint = `The app's own output says why: ${logCmd}`;
  }
  return {
    certain,
    reason: oom ? 'OOMKilled' : backoff ? 'CrashLoopBackOff' : (last?.reason ?? 'Error'),
    pod: ctx.name,
    container: st.name,
    message: sentences.join(' '),
    hint,
    details,
    needsLogs: { container: st.name, previous },
  };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// --- scheduling ---------------------------------------------------------------------------------

function requestsOf(pod: V1Pod): string {
  const parts: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? c.resources?.limits;
    if (!req) continue;
    const items = Object.entries(req).map(([k, v]) => `${k} ${String(v)}`);
    if (items.length) parts.push(`${c.name}: ${items.join(', ')}`);
  }
  return parts.join('; ');
}

function unschedulableDiagnosis(ctx: Ctx): Diagnosis | undefined {
  const cond = ctx.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (!cond || cond.status !== 'False' || cond.reason !== 'Unschedulable') return undefined;
  const event = ctx.events.filter((e) => e.reason === 'FailedScheduling').at(-1);
  const full = oneLine(cond.message || event?.message);
  // The scheduler appends what preemption (and, since 1.34, dynamic resource allocation) tried:
  // "... 1 Insufficient cpu. no new claims to deallocate, preemption: 0/1 nodes ...". Keep the why.
  let short = full.replace(/\s*preemption:.*$/i, '').replace(/\s*no new claims to deallocate,?\s*$/i, '').trim();
  if (short && !/[.!]$/.test(short)) short += '.';
  const requests = requestsOf(ctx.pod);
  const pvcPending = /unbound immediate PersistentVolumeClaims|waiting for.*volume|persistentvolumeclaim.*not found/i.test(full);
  const certain = !pvcPending && (ctx.input.terminatingPeers ?? 0) === 0;

  let hint: string;
  if (/Insufficient [\w/-]/i.test(full)) {
    const what = [...new Set([...full.matchAll(/Insufficient ([\w./-]*[\w/-])/gi)].map((m) => m[1]))];
    hint = `Lower resources.requests (${what.join(', ')}) in the manifest: the node does not have that much free.`;
  } else if (/untolerated taint|had taint/i.test(full)) {
    hint = 'The node has a taint the pod does not tolerate: remove the taint (kubectl taint nodes NODE KEY-) or add a toleration.';
  } else if (/node affinity|node selector|didn't match/i.test(full)) {
    hint = "No node matches the pod's nodeSelector / affinity: fix them or label the node (kubectl label node NODE KEY=VALUE).";
  } else if (pvcPending) {
    hint = 'A PersistentVolumeClaim is not bound: check `kubectl get pvc` and that the cluster has a default StorageClass.';
  } else {
    hint = 'The scheduler message says why no node fits.';
  }
  const details = [`Scheduler: ${full || '(no message)'}`];
  if (requests) details.push(`Requests: ${requests}`);
  if (!certain && (ctx.input.terminatingPeers ?? 0) > 0) details.push('An older pod of this app is still terminating; its resources may free up.');
  return {
    certain,
    reason: 'Unschedulable',
    pod: ctx.name,
    message: `Pod "${ctx.name}" cannot be scheduled: ${short || 'no node fits it'}${requests ? ` It requests ${requests}.` : ''}`,
    hint,
    details,
  };
}

// --- readiness probes --------------------------------------------------------------------------

export function describeProbe(p: V1Probe | undefined): string {
  if (!p) return 'probe';
  if (p.httpGet) return `HTTP GET ${p.httpGet.scheme === 'HTTPS' ? 'https' : 'http'}://:${String(p.httpGet.port)}${p.httpGet.path ?? '/'}`;
  if (p.tcpSocket) return `TCP port ${String(p.tcpSocket.port)}`;
  if (p.grpc) return `gRPC port ${p.grpc.port}`;
  if (p.exec) return `exec ${JSON.stringify(p.exec.command ?? [])}`;
  return 'probe';
}

function readinessDiagnosis(ctx: Ctx): Diagnosis | undefined {
  for (const st of ctx.pod.status?.containerStatuses ?? []) {
    const running = st.state?.running;
    if (!running || st.ready) continue;
    const spec = ctx.pod.spec?.containers?.find((c) => c.name === st.name);
    const probe = spec?.readinessProbe;
    const startedAt = timeMs(running.startedAt as Time) ?? 0;
    const failures = ctx.events.filter(
      (e) =>
        e.reason === 'Unhealthy' &&
        /^Readiness probe (failed|errored)/i.test(e.message ?? '') &&
        (!eventContainer(e) || eventContainer(e) === st.name) &&
        eventLast(e) >= startedAt - 1000,
    );
    if (!failures.length) continue;
    const first = Math.max(startedAt, Math.min(...failures.map(eventFirst)));
    const failingFor = ctx.now - first;
    const period = (probe?.periodSeconds ?? 10) * 1000;
    const threshold = probe?.failureThreshold ?? 3;
    const lastMsg = oneLine(failures.at(-1)!.message).replace(/^Readiness probe (failed|errored):\s*/i, '');
    // An app that does not answer at all may still be starting (a JVM on a busy laptop): give it
    // longer than one that answers with an error.
    const silent = /connection refused|timeout|deadline exceeded|no route|connection reset/i.test(lastMsg);
    const limit = Math.max(silent ? READINESS_SILENT_MIN_FAILING_MS : READINESS_MIN_FAILING_MS, 3 * threshold * period);
    const started = st.started !== false;
    const certain = started && failingFor > limit;
    const count = failures.reduce((n, e) => n + eventCount(e), 0);
    const what = describeProbe(probe);
    let hint: string;
    if (/connection refused/i.test(lastMsg)) hint = `Nothing listens on the probe's port: check that the app listens on ${probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? 'that port'} (server.port) on all interfaces.`;
    else if (/statuscode: 404/i.test(lastMsg)) hint = 'The probe path does not exist: for /actuator/health/readiness add spring-boot-starter-actuator (probes are on by default on Kubernetes), or change the path.';
    else if (/statuscode: 503/i.test(lastMsg)) hint = 'The app answers but reports itself not ready: its logs say which health indicator is down.';
    else if (/timeout|deadline exceeded/i.test(lastMsg)) hint = 'The app does not answer within timeoutSeconds (default 1 s): raise timeoutSeconds or check the app is not stuck.';
    else hint = 'Check the probe against the app: its port, path and what the app answers there.';
    return {
      certain,
      reason: 'ReadinessProbeFailed',
      pod: ctx.name,
      container: st.name,
      message: `Container "${st.name}" is running but its readiness probe (${what}) has failed for ${humanDuration(failingFor)}: ${clip(lastMsg, 200)}`,
      hint,
      details: [
        `Probe: ${what}, period ${period / 1000}s, failureThreshold ${threshold}${probe?.initialDelaySeconds ? `, initialDelaySeconds ${probe.initialDelaySeconds}` : ''}`,
        `Failures: ${count}, the last: ${clip(lastMsg, 300)}`,
      ],
      needsLogs: certain ? { container: st.name, previous: false } : undefined,
    };
  }
  return undefined;
}

// --- pod-level --------------------------------------------------------------------------------------

function completed(ctx: Ctx): Diagnosis | undefined {
  if (ctx.pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job')) return undefined;
  return {
    certain: true,
    reason: 'Completed',
    pod: ctx.name,
    message: `Pod "${ctx.name}" ran to completion (every container exited with code 0), so it will never be Ready.`,
    hint: 'A server must keep running: check that the app does not exit after start-up (restartPolicy Never/OnFailure keeps it from being restarted).',
    details: [],
  };
}

function failedPod(ctx: Ctx): Diagnosis {
  const st = ctx.pod.status!;
  const reason = st.reason;
  if (reason === 'Evicted') {
    return {
      certain: true,
      reason: 'Evicted',
      pod: ctx.name,
      message: `Pod "${ctx.name}" was evicted: ${oneLine(st.message) || 'the node ran short of a resource'}.`,
      hint: 'The node ran out of memory or disk: free some up, or lower the pod\'s usage and set resources.requests/limits.',
      details: [],
    };
  }
  for (const slot of containerSlots(ctx.pod)) {
    const d = containerDiagnosis(ctx, slot);
    if (d) return { ...d, certain: true };
  }
  return {
    certain: true,
    reason: reason || 'Failed',
    pod: ctx.name,
    message: `Pod "${ctx.name}" failed${reason ? ` (${reason})` : ''}${st.message ? `: ${oneLine(st.message)}` : '.'}`,
    hint: 'The events below say what happened; the pod will not be restarted.',
    details: [],
  };
}

const POD_EVENT_REASONS = new Set(['FailedMount', 'FailedAttachVolume', 'FailedCreatePodSandBox', 'FailedScheduling', 'FailedCreatePodContainer', 'FailedSync', 'NetworkNotReady', 'FailedKillPod']);

function podEventDiagnosis(ctx: Ctx): Diagnosis | undefined {
  const warnings = ctx.events.filter((e) => e.type === 'Warning' && POD_EVENT_REASONS.has(e.reason ?? ''));
  const e = warnings.at(-1);
  if (!e) return undefined;
  const msg = oneLine(e.message);
  const sameReason = warnings.filter((w) => w.reason === e.reason);
  const since = Math.min(...sameReason.map(eventFirst));
  let message = `Pod "${ctx.name}" is stuck: ${clip(msg, 300)}`;
  let hint: string | undefined;
  let certain = false;
  const missing = /(configmap|secret|persistentvolumeclaim) "([^"]+)" not found/i.exec(msg);
  if (e.reason === 'FailedMount' && missing) {
    const kind = { configmap: 'ConfigMap', secret: 'Secret', persistentvolumeclaim: 'PersistentVolumeClaim' }[missing[1].toLowerCase()]!;
    message = `Pod "${ctx.name}" cannot start: the ${kind} "${missing[2]}" that a volume refers to does not exist.`;
    hint = `Create the ${kind} or add it to your manifests; a ConfigMap/Secret volume can be marked optional: true.`;
    certain = ctx.now - since >= MOUNT_ERROR_SETTLE_MS;
  } else if (e.reason === 'FailedCreatePodSandBox') {
    hint = "The node's container runtime or network plugin (CNI) could not set the pod up: check the node.";
  } else if (/persistentvolumeclaim/i.test(msg)) {
    hint = 'Check the claim with `kubectl get pvc` and that the cluster has a default StorageClass.';
  }
  return {
    certain,
    reason: e.reason ?? 'Warning',
    pod: ctx.name,
    message,
    hint,
    details: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Presentation helpers shared with `ship status`

/** kubectl describe's Events table: TYPE REASON AGE FROM MESSAGE, oldest first, the last `limit`. */
export function formatEvents(events: CoreV1Event[], now: number = Date.now(), limit = 15): string[] {
  if (!events.length) return [];
  const sorted = [...events].sort((a, b) => eventLast(a) - eventLast(b)).slice(-limit);
  const rows = sorted.map((e) => {
    const count = eventCount(e);
    const age = humanDuration(now - eventLast(e)) + (count > 1 ? ` (x${count} over ${humanDuration(now - eventFirst(e))})` : '');
    const from = e.source?.component || e.reportingComponent || '';
    return [e.type ?? '', e.reason ?? '', age, from, clip(oneLine(e.message), 300)];
  });
  const header = ['TYPE', 'REASON', 'AGE', 'FROM', 'MESSAGE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export interface PodSummary {
  name: string;
  /** Ready containers / containers, e.g. '1/1'. */
  ready: string;
  /** kubectl's STATUS column. */
  status: string;
  restarts: number;
  ageMs: number;
}

/** What `kubectl get pods` shows for a pod (its STATUS column logic). */
export function podSummary(pod: V1Pod, now: number = Date.now()): PodSummary {
  const status = pod.status ?? {};
  let reason: string = status.reason || status.phase || 'Pending';
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initSpecs = pod.spec?.initContainers ?? [];
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let total = (pod.spec?.containers?.length ?? 0) + sidecars.size;
  let readyCount = 0;
  let restarts = 0;
  let initializing = false;

  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount;
    if (sidecars.has(c.name)) {
      if (c.started && c.ready) readyCount++;
      if (c.started) continue;
    }
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length || initStatuses.length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount;
      const wait = c.state?.waiting;
      const term = c.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  if (total === 0) total = status.containerStatuses?.length ?? 0;
  const created = timeMs(pod.metadata?.creationTimestamp as Time);
  return {
    name: pod.metadata?.name ?? '',
    ready: `${readyCount}/${total}`,
    status: reason,
    restarts,
    ageMs: created === undefined ? 0 : Math.max(0, now - created),
  };
}

/** Whether the pod counts as Ready (condition Ready True). */
export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A pod of a Job that finished successfully: counts as done for the wait. */
export function isCompletedJobPod(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' && (pod.metadata?.ownerReferences?.some((o) => o.kind === 'Job') ?? false);
}
