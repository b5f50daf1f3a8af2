// Build failures in the build tool's own terms: a Gradle or Maven wrapper that cannot download its
// distribution, and a Maven repository that cannot be reached while resolving dependencies — one
// line with the version, the host and the ways out, instead of a Java stack trace.
// Also where each wrapper keeps the distribution it downloaded, so `ship doctor` can tell whether
// the first build will need the network. Pure: the caller reads the files and asks the network.

import { createHash } from 'node:crypto';

export interface WrapperDistribution {
  tool: 'gradle' | 'maven';
  /** The wrapper script: ./gradlew or ./mvnw. */
  wrapper: string;
  /** The properties file, relative to the project. */
  propertiesFile: string;
  url: string;
  host: string;
  /** "8.14.3", when the URL names it. */
  version?: string;
  /**
   * Where a finished download lives, relative to the tool's home (GRADLE_USER_HOME or ~/.m2):
   * a directory that holds the unpacked distribution (and, for Gradle, a `<zip>.ok` marker).
   */
  cacheDir: string;
  /** Gradle: the marker file (relative to the home) written once the download was unpacked. */
  okMarker?: string;
}

/** Java .properties: key=value / key: value, `\:` and `\=` unescaped. Enough for wrapper files. */
function properties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:]?\s*(.*)$/.exec(line);
    if (m) out[m[1].replace(/\\(.)/g, '$1')] = m[2].replace(/\\(.)/g, '$1');
  }
  return out;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Gradle's wrapper: distributionUrl in gradle/wrapper/gradle-wrapper.properties; it unpacks into
 * <distributionBase>/<distributionPath>/<zip name>/<hash>/ where the hash is the MD5 of the URL in
 * base 36 (Gradle's PathAssembler), with `<zip>.ok` next to the unpacked folder once it finished.
 */
export function gradleWrapperDistribution(propertiesText: string): WrapperDistribution | undefined {
  const p = properties(propertiesText);
  const url = p.distributionUrl;
  if (!url) return undefined;
  const zip = url.split('/').at(-1) ?? 'gradle.zip';
  const name = zip.replace(/\.zip$/, '');
  const hash = BigInt('0x' + createHash('md5').update(url).digest('hex')).toString(36);
  const base = (p.distributionPath ?? 'wrapper/dists').replace(/\/$/, '');
  return {
    tool: 'gradle',
    wrapper: './gradlew',
    propertiesFile: 'gradle/wrapper/gradle-wrapper.properties',
    url,
    host: hostOf(url),
    version: /gradle-([\w.-]+?)-(?:bin|all)\.zip$/.exec(zip)?.[1],
    cacheDir: `${base}/${name}/${hash}`,
    okMarker: `${base}/${name}/${hash}/${zip}.ok`,
  };
}

/**
 * Maven's wrapper: distributionUrl in .mvn/wrapper/maven-wrapper.properties; it unpacks under
 * ~/.m2/wrapper/dists/<zip name>/ (the hash below that depends on the wrapper's version, so any
 * unpacked distribution under the name counts).
 */
export function mavenWrapperDistribution(propertiesText: string): WrapperDistribution | undefined {
  const p = properties(propertiesText);
  const url = p.distributionUrl;
  if (!url) return undefined;
  const zip = url.split('/').at(-1) ?? 'maven.zip';
  return {
    tool: 'maven',
    wrapper: './mvnw',
    propertiesFile: '.mvn/wrapper/maven-wrapper.properties',
    url,
    host: hostOf(url),
    version: /apache-maven-([\w.-]+?)-bin\.zip$/.exec(zip)?.[1],
    cacheDir: `wrapper/dists/${zip.replace(/\.zip$/, '')}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading a failed build's output

export interface BuildToolFailure {
  kind: 'wrapper-download' | 'repository-unreachable';
  tool: 'gradle' | 'maven';
  /** The one line: what could not be downloaded, from where, and why. */
  message: string;
  hint: string;
  host?: string;
  version?: string;
}

export interface BuildFacts {
  /** The command that ran: "./gradlew" or "./mvnw", "mvn", "gradle". */
  command: string;
  hasPom: boolean;
  /** A `gradle` on PATH (Debian's is 4.4: too old for Spring Boot 3). */
  gradleOnPath?: boolean;
  /** The wrapper's distribution, when the project has one. */
  distribution?: WrapperDistribution;
}

const NETWORK_ERROR = /UnknownHostException|ConnectException|Connection refused|connect timed out|SocketTimeoutException|No route to host|Network is unreachable|Unknown host|Could not resolve host|Failed to fetch|Temporary failure in name resolution|Name or service not known|PKIX path building failed|SSLHandshakeException|Server returned HTTP response code: 40[37]|transfer failed/i;

function why(text: string): string {
  if (/UnknownHostException|Unknown host|Could not resolve host|Temporary failure in name resolution|Name or service not known/i.test(text)) return 'its name does not resolve';
  if (/Connection refused/i.test(text)) return 'the connection was refused';
  if (/timed out|SocketTimeoutException/i.test(text)) return 'the connection timed out';
  if (/No route to host|Network is unreachable/i.test(text)) return 'there is no route to it';
  if (/PKIX|SSLHandshake/i.test(text)) return 'its TLS certificate is not trusted (a proxy that re-signs traffic?)';
  if (/response code: 407/i.test(text)) return 'a proxy asks for credentials';
  if (/response code: 403/i.test(text)) return 'access was refused (403)';
  return 'it could not be reached';
}

/**
 * What a failed build's output says, when the failure is the build tool's network and not the
 * project: undefined otherwise (the build's own errors are shown as they are).
 */
export function analyzeBuildOutput(lines: string[], facts: BuildFacts): BuildToolFailure | undefined {
  const text = lines.join('\n');
  const d = facts.distribution;
  // Gradle's wrapper prints "Downloading <url>" and then the JVM's exception; Maven's only-script
  // wrapper says "wget: Failed to fetch <url>" or curl's error, the jar wrapper an exception.
  const downloading = /Downloading (https?:\/\/\S+)/.exec(text)?.[1] ?? /Failed to fetch (https?:\/\/\S+)/.exec(text)?.[1];
  const wrapperRan = facts.command === './gradlew' || facts.command === './mvnw';
  const wrapperFailed =
    wrapperRan &&
    NETWORK_ERROR.test(text) &&
    (/org\.gradle\.wrapper\.|org\.apache\.maven\.wrapper\.|Failed to fetch|Error: Failed to (download|fetch)|distributionUrl/i.test(text) || (downloading !== undefined && d !== undefined && downloading === d.url));
  if (wrapperFailed) {
    const tool = facts.command === './gradlew' ? 'gradle' : 'maven';
    const url = d?.url ?? downloading ?? 'its distribution URL';
    const host = d?.host ?? (downloading ? hostOf(downloading) : 'its host');
    const name = tool === 'gradle' ? 'Gradle' : 'Maven';
    const version = d?.version ?? (downloading ? (tool === 'gradle' ? /gradle-([\w.-]+?)-(?:bin|all)\.zip/ : /apache-maven-([\w.-]+?)-bin\.zip/).exec(downloading)?.[1] : undefined);
    const ways =
      tool === 'gradle'
        ? [
            `a proxy (JAVA_TOOL_OPTIONS="-Dhttps.proxyHost=… -Dhttps.proxyPort=…")`,
            `a distributionUrl in ${d?.propertiesFile ?? 'gradle/wrapper/gradle-wrapper.properties'} that this machine can reach (a mirror)`,
            `a Gradle ${version ?? ''} installed here with --builder gradle${facts.gradleOnPath ? ' (the gradle on PATH is used then; it must be new enough for the project)' : ' (none is on PATH)'}`.replace('  ', ' '),
            ...(facts.hasPom ? ['--builder maven (the project has a pom.xml)'] : []),
          ]
        : [
            'a proxy (MAVEN_OPTS / JAVA_TOOL_OPTIONS with -Dhttps.proxyHost=…)',
            `a distributionUrl in ${d?.propertiesFile ?? '.mvn/wrapper/maven-wrapper.properties'} that this machine can reach`,
            '--builder maven with a local mvn (remove or bypass the wrapper)',
          ];
    return {
      kind: 'wrapper-download',
      tool,
      host,
      version,
      message: `The ${name} wrapper could not download ${name}${version ? ` ${version}` : ''} from ${host}: ${why(text)} (${url}).`,
      hint: `Ways out: ${ways.join('; or ')}.`,
    };
  }
  // Maven resolving the project's dependencies or plugins.
  const transfer = /Could not transfer artifact (\S+) from\/to (\S+) \((https?:\/\/[^)]+)\)/.exec(text) ?? /Could not resolve dependencies for project[^:]*:.*?from\/to (\S+) \((https?:\/\/[^)]+)\)/.exec(text);
  const offline = /Cannot access (\S+) \((https?:\/\/[^)]+)\) in offline mode and the artifact (\S+) has not been downloaded from it before/.exec(text);
  if (offline) {
    return {
      kind: 'repository-unreachable',
      tool: 'maven',
      host: hostOf(offline[2]),
      message: `Maven runs offline and ${offline[3]} is not in the local repository yet.`,
      hint: 'Build once without -o (offline) so Maven downloads it, or put it into ~/.m2/repository.',
    };
  }
  if (transfer && NETWORK_ERROR.test(text)) {
    const [artifact, repoId, url] = transfer.length === 4 ? [transfer[1], transfer[2], transfer[3]] : [undefined, transfer[1], transfer[2]];
    const host = hostOf(url);
    // Maven prints the JVM's reason last: "…: Connect to 127.0.0.1:9 failed: Connection refused".
    return {
      kind: 'repository-unreachable',
      tool: 'maven',
      host,
      message: `Maven could not download ${artifact ?? "the project's dependencies"} from the repository "${repoId}" at ${host}: ${why(text)} (${url}).`,
      hint: `The repository (set in the pom's <repositories> or a <mirror> in ~/.m2/settings.xml) must be reachable from this machine: fix the URL or the network, configure a proxy in ~/.m2/settings.xml, or build offline (mvn -o) once every dependency is in ~/.m2/repository.`,
    };
  }
  return undefined;
}
