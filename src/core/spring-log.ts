// Reading a Spring Boot app's own log the way a Spring developer would: Spring Boot's failure
// analysis (the APPLICATION FAILED TO START block, its Description and Action), else the root cause
// of the stack trace (the deepest "Caused by:"), and the port the embedded web server started on.
//
// Pure: lines in, facts out. Tested on logs recorded from real Spring Boot 3.5 apps
// (test/unit/fixtures/spring-logs/).

export type WebServer = 'Tomcat' | 'Jetty' | 'Netty' | 'Undertow';

export interface StartedPort {
  server: WebServer;
  port: number;
  /** 0-based index of the log line. */
  line: number;
}

/**
 * "Tomcat started on port 8080 (http) with context path '/'" (Boot 3), "Tomcat started on port(s):
 * 8080 (http) …" (Boot 2), "Jetty started on port 8080 (http/1.1) …", "Netty started on port 8080
 * (http)", "Undertow started on port 8080 (http) …". Several ports on one line ("8080 (http) 8443
 * (https)") each count; a management server on its own port gives a second line.
 */
const STARTED = /\b(Tomcat|Jetty|Netty|Undertow) started on port(?:\(s\))?:?\s+((?:\d+(?:\s*\([^)]*\))?[\s,]*)+)/;

export function startedPorts(lines: string[]): StartedPort[] {
  const out: StartedPort[] = [];
  lines.forEach((text, line) => {
    const m = STARTED.exec(text);
    if (!m) return;
    for (const n of m[2].matchAll(/(\d+)/g)) {
      const port = Number(n[1]);
      // "(http/1.1)" holds digits too: only numbers outside parentheses are ports.
      const before = m[2].slice(0, n.index);
      if ((before.match(/\(/g)?.length ?? 0) > (before.match(/\)/g)?.length ?? 0)) continue;
      if (port >= 1 && port <= 65535) out.push({ server: m[1] as WebServer, port, line });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Failure analysis

export type SpringCause = 'missing-property' | 'port-in-use' | 'datasource' | 'missing-bean' | 'class-version' | 'other';

export interface SpringFailure {
  /** What the log holds: Spring Boot's own failure analysis, or only a stack trace. */
  source: 'failure-analysis' | 'stack-trace';
  /** The one line to lead with. */
  headline: string;
  /** The failure analysis's Description and Action (lines, trimmed), when the log holds the block. */
  description?: string[];
  action?: string[];
  /** The deepest "Caused by:" (or the only exception) and its message. */
  rootCause?: { exception: string; message: string };
  cause: SpringCause;
  /** missing-property: the property and the environment variable that sets it (relaxed binding). */
  property?: string;
  envVar?: string;
  /** port-in-use: the port. */
  port?: number;
  /** missing-bean: the type no bean has. */
  beanType?: string;
  /** class-version: the Java versions involved (class file major − 44). */
  javaVersions?: { compiledFor: number; runtime: number };
  /** A plain-words way out; undefined when the failure analysis's Action says it all. */
  hint?: string;
}

/** Spring Boot's log line prefix (2026-11-30T04:13:38.003Z ERROR 1 --- [app] [main] logger : …), any log pattern with a level. */
const LOG_LINE = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/;
const EXCEPTION_LINE = /^(?:Exception in thread "[^"]*"\s+)?((?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable|Failure)[\w$]*)(?::\s*(.*))?$/;
const CAUSED_BY = /^Caused by:\s+((?:[a-zA-Z_$][\w$]*\.)*[A-Z][\w$]*)(?::\s*(.*))?$/;
const FRAME = /^\s+(at |\.\.\. \d+ (common frames|more))/;

/** Spring Boot's canonical environment variable for a property: dots → _, dashes dropped, [n] → _n_, upper case. */
export function envVarFor(property: string): string {
  return property
    .replace(/\[(\w+)\]/g, '_$1_')
    .replace(/\./g, '_')
    .replace(/-/g, '')
    .replace(/_+/g, '_')
    .replace(/_$/, '')
    .toUpperCase();
}

/** The Description and Action of the last APPLICATION FAILED TO START block. */
function failureAnalysis(lines: string[]): { description: string[]; action: string[] } | undefined {
  let start = -1;
  lines.forEach((l, i) => {
    if (l.trim() === 'APPLICATION FAILED TO START') start = i;
  });
  if (start < 0) return undefined;
  const description: string[] = [];
  const action: string[] = [];
  let into: string[] | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    if (LOG_LINE.test(raw)) break;
    if (/^\*+$/.test(t)) continue;
    if (t === 'Description:') into = description;
    else if (t === 'Action:') into = action;
    else if (into && (t || into.length)) into.push(t);
  }
  const trim = (a: string[]) => {
    while (a.length && !a.at(-1)) a.pop();
    return a;
  };
  if (!description.length && !action.length) return undefined;
  return { description: trim(description), action: trim(action) };
}

/** The deepest "Caused by:" of the last stack trace, else the exception a trace starts with, with message lines joined. */
function rootCause(lines: string[]): { exception: string; message: string } | undefined {
  let found: { exception: string; message: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    // A top-level exception starts a new trace; each "Caused by:" goes one level deeper.
    const m = CAUSED_BY.exec(line) ?? EXCEPTION_LINE.exec(line);
    if (!m) continue;
    // A message can run over several lines before the first frame.
    const message = [m[2] ?? ''];
    for (let j = i + 1; j < lines.length && lines[j].trim() && !FRAME.test(lines[j]) && !CAUSED_BY.test(lines[j]) && !LOG_LINE.test(lines[j]); j++) {
      message.push(lines[j].trim());
    }
    found = { exception: m[1], message: message.join(' ').trim() };
  }
  return found;
}

const simpleName = (cls: string) => cls.split('.').at(-1) ?? cls;

/**
 * What the app's log says about why it did not start; undefined when it holds no failure Spring
 * would report (no failure analysis, no exception).
 */
export function analyzeSpringLog(lines: string[]): SpringFailure | undefined {
  const analysis = failureAnalysis(lines);
  const cause = rootCause(lines);
  if (!analysis && !cause) return undefined;
  const text = [...(analysis?.description ?? []), cause?.message ?? ''].join('\n');
  const failure: SpringFailure = {
    source: analysis ? 'failure-analysis' : 'stack-trace',
    headline: '',
    description: analysis?.description,
    action: analysis?.action,
    rootCause: cause,
    cause: 'other',
  };
  let m: RegExpExecArray | null;
  if ((m = /Could not resolve placeholder '([^']+)'/.exec(text))) {
    failure.cause = 'missing-property';
    failure.property = m[1].split(':')[0];
  } else if (analysis && (m = /^\s*Property:\s*(\S+)/m.exec(text))) {
    failure.cause = 'missing-property';
    failure.property = m[1];
  } else if ((m = /Port (\d+) was already in use|Address already in use.*?:(\d+)/i.exec(text))) {
    failure.cause = 'port-in-use';
    failure.port = Number(m[1] ?? m[2]);
  } else if (/Failed to configure a DataSource/i.test(text)) {
    failure.cause = 'datasource';
  } else if ((m = /required a bean of type '([^']+)' that could not be found|No qualifying bean of type '([^']+)'/.exec(text))) {
    failure.cause = 'missing-bean';
    failure.beanType = m[1] ?? m[2];
  } else if (cause?.exception.endsWith('UnsupportedClassVersionError') || /UnsupportedClassVersionError/.test(lines.join('\n'))) {
    failure.cause = 'class-version';
    const versions = /class file version (\d+)(?:\.\d+)?\).*?up to (\d+)/.exec(lines.join(' '));
    if (versions) failure.javaVersions = { compiledFor: Number(versions[1]) - 44, runtime: Number(versions[2]) - 44 };
  } else if (/Communications link failure|Connection to \S+ refused|Connection refused|UnknownHostException/i.test(text) && /jdbc|hikari|postgres|mysql|mariadb|datasource/i.test(lines.join('\n'))) {
    failure.cause = 'datasource';
  }
  if (failure.property) failure.envVar = envVarFor(failure.property);
  failure.headline = headline(failure);
  failure.hint = hintFor(failure);
  return failure;
}

function headline(f: SpringFailure): string {
  switch (f.cause) {
    case 'missing-property':
      return `the property "${f.property}" is not set (environment variable ${f.envVar})`;
    case 'class-version':
      return f.javaVersions
        ? `the app was compiled for Java ${f.javaVersions.compiledFor}, but the image's Java is ${f.javaVersions.runtime} (UnsupportedClassVersionError)`
        : "the app was compiled for a newer Java than the image's (UnsupportedClassVersionError)";
  }
  if (f.description?.length) return f.description[0];
  const c = f.rootCause!;
  return `${simpleName(c.exception)}${c.message ? `: ${c.message}` : ''}`;
}

function hintFor(f: SpringFailure): string | undefined {
  switch (f.cause) {
    case 'missing-property':
      return (
        `Set ${f.property}: add the environment variable ${f.envVar} to the container (env: [{name: ${f.envVar}, value: "…"}]), ` +
        `or keep it in a ConfigMap (kubectl create configmap NAME --from-literal=${f.envVar}=… and envFrom: [{configMapRef: {name: NAME}}]), ` +
        `or give it a value (or a default, \${${f.property}:default}) in application.properties.`
      );
    case 'port-in-use':
      return `Something else in the pod's network already listens on ${f.port ?? 'that port'}: another container of the pod (a sidecar), or hostNetwork: true sharing the node's ports. Change server.port (SERVER_PORT) or move the other process.`;
    case 'datasource':
      return f.source === 'failure-analysis'
        ? 'Give the app a database it can reach from the pod: SPRING_DATASOURCE_URL (with SPRING_DATASOURCE_USERNAME / SPRING_DATASOURCE_PASSWORD) in the container env, or an embedded database (H2) on the classpath; without a database, drop spring-boot-starter-jdbc / -data-jpa. localhost inside the pod is the pod itself.'
        : 'The database in spring.datasource.url cannot be reached from the pod: localhost inside the pod is the pod itself; point SPRING_DATASOURCE_URL at a Service the cluster can resolve.';
    case 'missing-bean':
      return `No bean of type ${f.beanType} exists: add a @Component/@Bean that provides it, or check that its package is under the @SpringBootApplication class and that no @Profile / @Conditional… leaves it out in this environment.`;
    case 'class-version':
      return f.javaVersions
        ? `Use a base image with Java ${f.javaVersions.compiledFor} or newer (e.g. FROM eclipse-temurin:${f.javaVersions.compiledFor}-jre), or build for Java ${f.javaVersions.runtime} (java.version / toolchain ${f.javaVersions.runtime}).`
        : "Use a base image whose Java is at least the build's target, or lower the build's target (java.version / toolchain).";
  }
  return undefined;
}

/** The lines a diagnosis shows for a failure: Spring's Description and Action, else the root cause. */
export function failureDetails(f: SpringFailure): string[] {
  const out: string[] = [];
  if (f.description?.length) out.push('Description:', ...f.description.map((l) => '  ' + l));
  if (f.action?.length) out.push('Action:', ...f.action.map((l) => '  ' + l));
  if (!out.length && f.rootCause) out.push(`Root cause: ${f.rootCause.exception}${f.rootCause.message ? `: ${f.rootCause.message}` : ''}`);
  return out;
}
