// The port a Spring Boot app will listen on, read where Spring reads it, and whether the manifest
// and the forward agree with it — known before any build.
//
// Spring's order, highest first: command-line arguments (--server.port=N in the container's args),
// the SERVER_PORT environment variable, profile files (application-<profile>.properties/.yml, the
// later of several active profiles winning), then application.properties/.yml; in one location a
// .properties file wins over a .yml one, and in a multi-document .yml a later document wins over an
// earlier one (documents with spring.config.activate.on-profile count only for those profiles).
// Nothing set means 8080. Pure: the caller reads the files (adapters/app-config.ts).

import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';

export interface ConfigFile {
  /** Path shown to the user, relative to the project (src/main/resources/application.yml). */
  path: string;
  text: string;
}

/** A container's env entry as written in the manifest. */
export interface EnvEntry {
  name: string;
  value?: string;
  /** From a ConfigMap, Secret or field: unknown before the pod runs. */
  fromRef?: string;
}

export interface ContainerFacts {
  /** Where the container is written: "k8s/pod.yaml" (or "<generated>"). */
  file: string;
  object: string;
  container: string;
  env: EnvEntry[];
  /** envFrom sources ("configMap app-config"): any of them may set SERVER_PORT or SPRING_PROFILES_ACTIVE. */
  envFrom: string[];
  args: string[];
  containerPorts: Array<{ port: number; name?: string }>;
  /** httpGet/tcpSocket ports of the probes, resolved from named ports where possible. */
  probes: Array<{ kind: 'readiness' | 'liveness' | 'startup'; port: number | string; path?: string }>;
}

export interface PortSource {
  /** What sets it, as the user reads it: "src/main/resources/application.properties:2", "env SERVER_PORT in k8s/pod.yaml". */
  where: string;
  file?: string;
  line?: number;
  /** The setting as written: "server.port=9090". */
  text: string;
}

export interface AppPort {
  /** undefined when the setting cannot be known (a placeholder without default, a ConfigMap). */
  port?: number;
  /** The port is exactly what the app will use (no placeholder, no ConfigMap that might override it). */
  certain: boolean;
  source: PortSource;
  /** Why it is uncertain, in plain words. */
  doubt?: string;
  /** management.server.port when set: actuator probes may target it. */
  management?: { port?: number; source: PortSource };
}

interface Setting {
  value: string;
  source: PortSource;
}

// ---------------------------------------------------------------------------------------------
// Reading the files

/** key → value with its 1-based line, from a .properties file (last one wins; \ continuations joined). */
export function readProperties(path: string, text: string, keys: string[]): Map<string, Setting> {
  const out = new Map<string, Setting>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+/, '');
    const first = i;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i].replace(/^\s+/, '');
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line) ?? /^((?:\\.|[^=:\s\\])+)$/.exec(line);
    if (!m) continue;
    const key = m[1].replace(/\\(.)/g, '$1');
    if (!keys.includes(key)) continue;
    const value = (m[2] ?? '').trim();
    out.set(key, { value, source: { where: `${path}:${first + 1}`, file: path, line: first + 1, text: `${key}=${value}` } });
  }
  return out;
}

function scalarAt(node: unknown, path: string[]): { value: string; node: YamlNode } | undefined {
  // Spring accepts "server: {port: 1}" and "server.port: 1" alike.
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (key === undefined) continue;
    const keyParts = key.split('.');
    if (keyParts.length > path.length || keyParts.some((k, i) => k !== path[i])) continue;
    const rest = path.slice(keyParts.length);
    if (rest.length === 0) {
      if (isScalar(pair.value) && pair.value.value !== null && typeof pair.value.value !== 'object') return { value: String(pair.value.value), node: pair.value as YamlNode };
      if (isSeq(pair.value)) return { value: pair.value.items.map((n) => (isScalar(n) ? String(n.value) : '')).join(','), node: pair.value as YamlNode };
      continue;
    }
    const deeper = scalarAt(pair.value, rest);
    if (deeper) return deeper;
  }
  return undefined;
}

/** The documents of a .yml file with the keys asked for and the profiles each document is for. */
export function readYamlDocuments(path: string, text: string, keys: string[]): Array<{ onProfile?: string; settings: Map<string, Setting> }> {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const out: Array<{ onProfile?: string; settings: Map<string, Setting> }> = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) continue;
    const settings = new Map<string, Setting>();
    for (const key of keys) {
      const found = scalarAt(doc.contents, key.split('.'));
      if (!found) continue;
      const line = found.node.range ? lineCounter.linePos(found.node.range[0]).line : undefined;
      settings.set(key, { value: found.value, source: { where: line ? `${path}:${line}` : path, file: path, line, text: `${key}: ${found.value}` } });
    }
    const onProfile = scalarAt(doc.contents, ['spring', 'config', 'activate', 'on-profile'])?.value ?? scalarAt(doc.contents, ['spring', 'profiles'])?.value;
    out.push({ onProfile, settings });
  }
  return out;
}

const KEYS = ['server.port', 'management.server.port', 'spring.profiles.active'];

/** Whether a document marked for `expr` ("prod", "prod | staging", "!dev", "a,b") applies to these profiles. */
function profileMatches(expr: string, active: string[]): boolean {
  return expr.split(/[,|]/).some((p) => {
    const t = p.trim();
    if (!t) return false;
    if (t.startsWith('!')) return !active.includes(t.slice(1).trim());
    return t.split('&').every((x) => active.includes(x.trim()));
  });
}

function profilesOf(value: string | undefined): string[] {
  return (value ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

/** Settings of one file name stem ("application" or "application-prod"), .properties over .yml, later documents over earlier. */
function settingsOf(files: ConfigFile[], stem: string, active: string[]): Map<string, Setting> {
  const merged = new Map<string, Setting>();
  const find = (ext: string) => files.find((f) => f.path.replace(/^.*\//, '') === `${stem}.${ext}`);
  for (const ext of ['yaml', 'yml']) {
    const f = find(ext);
    if (!f) continue;
    for (const doc of readYamlDocuments(f.path, f.text, KEYS)) {
      if (doc.onProfile && !profileMatches(doc.onProfile, active)) continue;
      for (const [k, v] of doc.settings) merged.set(k, v);
    }
  }
  const props = find('properties');
  if (props) {
    // Multi-document .properties (#--- with spring.config.activate.on-profile) are rare: read the first document.
    const firstDoc = props.text.split(/^#---\s*$/m)[0];
    for (const [k, v] of readProperties(props.path, firstDoc, KEYS)) merged.set(k, v);
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// The app's port

/** "${PORT:9090}" → {placeholder: PORT, fallback: 9090}; "9090" → {port: 9090}. */
function parsePortValue(value: string): { port?: number; placeholder?: string; fallback?: number } {
  const v = value.trim().replace(/^["']|["']$/g, '');
  if (/^\d+$/.test(v)) return { port: Number(v) };
  const m = /^\$\{([^}:]+)(?::(\d*))?\}$/.exec(v);
  if (m) return { placeholder: m[1], fallback: m[2] ? Number(m[2]) : undefined };
  return {};
}

function envValue(c: ContainerFacts, name: string): EnvEntry | undefined {
  return [...c.env].reverse().find((e) => e.name === name);
}

/**
 * The port the app will listen on, given its config files (application*.properties/.yml from
 * src/main/resources) and the container that runs it.
 */
export function resolveAppPort(files: ConfigFile[], container: ContainerFacts): AppPort {
  const where = container.file;
  // Active profiles: SPRING_PROFILES_ACTIVE in the manifest, else spring.profiles.active in application.*.
  const profileEnv = envValue(container, 'SPRING_PROFILES_ACTIVE');
  const base = settingsOf(files, 'application', []);
  const active = profilesOf(profileEnv?.value ?? base.get('spring.profiles.active')?.value);
  const doubts: string[] = [];
  if (profileEnv?.fromRef) doubts.push(`SPRING_PROFILES_ACTIVE comes from ${profileEnv.fromRef}, so the active profiles are not known`);

  // Lowest first, so the last one found wins.
  let found: Setting | undefined;
  let management: Setting | undefined;
  const layers = [settingsOf(files, 'application', active), ...active.map((p) => settingsOf(files, `application-${p}`, active))];
  for (const layer of layers) {
    found = layer.get('server.port') ?? found;
    management = layer.get('management.server.port') ?? management;
  }
  const serverPortEnv = envValue(container, 'SERVER_PORT');
  if (serverPortEnv) {
    const text = serverPortEnv.fromRef ? `SERVER_PORT from ${serverPortEnv.fromRef}` : `SERVER_PORT=${serverPortEnv.value ?? ''}`;
    found = { value: serverPortEnv.fromRef ? '${SERVER_PORT}' : (serverPortEnv.value ?? ''), source: { where: `env SERVER_PORT of container "${container.container}" in ${where}`, file: where, text } };
    if (serverPortEnv.fromRef) doubts.push(`SERVER_PORT comes from ${serverPortEnv.fromRef}`);
  }
  const arg = [...container.args].reverse().find((a) => /^--server\.port=/.test(a));
  if (arg) found = { value: arg.slice('--server.port='.length), source: { where: `args of container "${container.container}" in ${where}`, file: where, text: arg } };
  if (!serverPortEnv && !arg && container.envFrom.length) doubts.push(`${container.envFrom.join(', ')} may set SERVER_PORT`);

  const management$ = management ? { port: parsePortValue(management.value).port, source: management.source } : undefined;
  if (!found) {
    return { port: 8080, certain: doubts.length === 0, source: { where: "Spring Boot's default (no server.port set)", text: 'server.port unset' }, doubt: doubts.join('; ') || undefined, management: management$ };
  }
  const v = parsePortValue(found.value);
  if (v.port !== undefined && v.port !== 0) return { port: v.port, certain: doubts.length === 0, source: found.source, doubt: doubts.join('; ') || undefined, management: management$ };
  if (v.port === 0) doubts.push('server.port=0 picks a random port at start-up');
  else if (v.placeholder) {
    const env = envValue(container, v.placeholder);
    if (env?.value !== undefined && /^\d+$/.test(env.value)) {
      return { port: Number(env.value), certain: doubts.length === 0, source: { ...found.source, text: `${found.source.text} (${v.placeholder}=${env.value} in ${where})` }, doubt: doubts.join('; ') || undefined, management: management$ };
    }
    doubts.push(`it is the placeholder \${${v.placeholder}}${v.fallback !== undefined ? ` (default ${v.fallback})` : ''}, set when the app starts`);
    return { port: v.fallback, certain: false, source: found.source, doubt: doubts.join('; '), management: management$ };
  } else doubts.push(`"${found.value}" is not a port number`);
  return { port: undefined, certain: false, source: found.source, doubt: doubts.join('; '), management: management$ };
}

// ---------------------------------------------------------------------------------------------
// Agreement

export interface PortMismatch {
  /** What disagrees with the app: "containerPort", "readiness probe", "the forward (--port 8080:9090)". */
  what: string;
  /** Its port. */
  port: number | string;
  /** Where that is written. */
  where: string;
  /** A wrong forward target or probe is certain to fail; a wrong containerPort alone is misleading but not fatal. */
  fatal: boolean;
}

export interface PortCheck {
  app: AppPort;
  mismatches: PortMismatch[];
  /** The run cannot work: the app's port is certain and a fatal mismatch exists. */
  error: boolean;
  /** One line for the user, when something disagrees. */
  message?: string;
  hint?: string;
}

/**
 * Compares the app's port with the container's ports, its probes and the forward's target
 * (`forwardRemote`: --port's remote part; undefined = the containerPort, as the forward step picks).
 */
export function checkPorts(app: AppPort, container: ContainerFacts, forwardRemote?: number): PortCheck {
  const mismatches: PortMismatch[] = [];
  const declared = container.containerPorts[0]?.port;
  const target = forwardRemote ?? declared ?? 8080;
  const named = (p: number | string) => (typeof p === 'string' ? container.containerPorts.find((c) => c.name === p)?.port : p);
  if (app.port !== undefined) {
    if (forwardRemote !== undefined && forwardRemote !== app.port) {
      mismatches.push({ what: `the forward's target (--port …:${forwardRemote})`, port: forwardRemote, where: 'the command line', fatal: true });
    }
    if (declared !== undefined && declared !== app.port && !container.containerPorts.some((c) => c.port === app.port)) {
      mismatches.push({ what: `containerPort${forwardRemote === undefined ? " (the forward's target)" : ''}`, port: declared, where: container.file, fatal: forwardRemote === undefined });
    }
    if (declared === undefined && forwardRemote === undefined && target !== app.port) {
      mismatches.push({ what: "the forward's target (no containerPort, so 8080)", port: target, where: container.file, fatal: true });
    }
    for (const p of container.probes) {
      const port = named(p.port);
      if (port === undefined) continue;
      const expected = p.path?.startsWith('/actuator') && app.management?.port !== undefined ? app.management.port : app.port;
      if (port !== expected) mismatches.push({ what: `${p.kind} probe${p.path ? ` (${p.path})` : ''}`, port: p.port, where: container.file, fatal: true });
    }
  }
  if (!mismatches.length) return { app, mismatches, error: false };
  const error = app.certain && mismatches.some((m) => m.fatal);
  const list = mismatches.map((m) => `${m.what} is ${m.port}${m.where === container.file ? '' : ` (${m.where})`}`).join(', ');
  const setBy = `${app.source.where} (${app.source.text})`;
  const message = app.certain
    ? `The app listens on ${app.port}, set by ${setBy}, but in ${container.file} ${list}.`
    : `The app probably listens on ${app.port} (${setBy}; ${app.doubt}), but in ${container.file} ${list}.`;
  const hint =
    container.file === '<generated>'
      ? `ship generated the Pod with containerPort ${declared ?? target}: give it the app's port with --port ${declared ?? target}:${app.port}, or set server.port to ${declared ?? target}.`
      : `Make them agree: set containerPort${container.probes.length ? ' and the probe ports' : ''} of container "${container.container}" to ${app.port}, or server.port to ${declared ?? target}${forwardRemote !== undefined ? `, or forward to it with --port LOCAL:${app.port}` : ''}.`;
  return { app, mismatches, error, message, hint };
}

// ---------------------------------------------------------------------------------------------
// The port the app actually opened (from its log), against the forward's target

export interface OpenedPortMismatch {
  message: string;
  hint: string;
  opened: number[];
  target: number;
}

/**
 * When the app's log says its web server started, but not on the port ship forwards to: the
 * certain reason the forward is refused. `started` comes from spring-log's startedPorts.
 */
export function openedPortMismatch(
  started: Array<{ server: string; port: number }>,
  target: { port: number; what: string },
  app?: AppPort,
): OpenedPortMismatch | undefined {
  if (!started.length || started.some((s) => s.port === target.port)) return undefined;
  const opened = [...new Set(started.map((s) => s.port))];
  const servers = started.map((s) => `${s.server} started on port ${s.port}`).join(', ');
  const setBy = app?.source && app.port === opened[0] && app.source.file ? ` (${app.source.where}: ${app.source.text})` : '';
  return {
    opened,
    target: target.port,
    message: `The app listens on ${opened.join(', ')}, not on ${target.port}: its log says "${servers}"${setBy}, but ship forwards to ${target.port} (${target.what}).`,
    hint: `Make them agree: set the container's port (containerPort, probes) to ${opened[0]}, or server.port to ${target.port}${app?.source.file ? ` in ${app.source.file}` : ''}; or forward to it with --port LOCAL:${opened[0]}.`,
  };
}

/**
 * Said once when the user's manifest has no readiness probe on a container of an app with Actuator:
 * the pod is Ready as soon as the JVM starts, before Spring listens.
 */
export function readinessAdvice(container: ContainerFacts, actuator: boolean, port: number): string | undefined {
  if (!actuator || container.file === '<generated>' || container.probes.some((p) => p.kind === 'readiness')) return undefined;
  return (
    `${container.file}: container "${container.container}" has no readiness probe, so its pod is Ready before the app listens (the smoke check covers that here). ` +
    `The app has Actuator: add readinessProbe: {httpGet: {path: /actuator/health/readiness, port: ${port}}} (ship init writes it).`
  );
}
