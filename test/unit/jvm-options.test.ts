// The project image's JVM options go into the dev pod (jvm-options.ts), after `java` and before ship's own.
import { describe, expect, it } from 'vitest';
import { jvmOptionsOf } from '../../src/core/jvm-options.js';
import { devCommand, devDockerfile, DEV_CLASSES } from '../../src/core/live-plan.js';
import { buildDevImage, type DevImageInput } from '../../src/adapters/live/dev-image.js';
import type { ImageInfo } from '../../src/adapters/docker/api.js';

const opts = (entrypoint: string[] | null, cmd: string[] | null = null) => jvmOptionsOf(entrypoint, cmd).options;

describe('jvmOptionsOf: the options of the image\'s own java command', () => {
  it('keeps -X, -XX, -D and agents of an exec-form entrypoint, up to -jar', () => {
    expect(jvmOptionsOf(['java', '-Xmx512m', '-Dfoo=bar', '-XX:+UseG1GC', '-jar', '/app.jar'], null)).toEqual({ options: ['-Xmx512m', '-Dfoo=bar', '-XX:+UseG1GC'] });
    expect(opts(['/opt/java/openjdk/bin/java', '-javaagent:/otel/agent.jar', '-Xss1m', '-jar', '/app.jar', '--server.port=9090', '-Dnot=mine'])).toEqual(['-javaagent:/otel/agent.jar', '-Xss1m']);
    expect(opts(['java', '-jar', '/app/app.jar'])).toEqual([]);
  });

  it('reads Entrypoint then Cmd, as Docker runs them', () => {
    expect(opts(['java'], ['-Xmx1g', '-jar', 'app.jar'])).toEqual(['-Xmx1g']);
    expect(opts(['java', '-Xms64m'], ['-cp', '/app', 'com.example.Main', '-Xmx9g'])).toEqual(['-Xms64m']);
    expect(opts(null, ['java', '-Dx=1', 'com.example.Main'])).toEqual(['-Dx=1']);
  });

  it('two-token options keep their value; the --opt=value spelling is one token', () => {
    expect(opts(['java', '--add-opens', 'java.base/java.lang=ALL-UNNAMED', '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED', '--enable-preview', '--add-modules', 'jdk.incubator.vector', '-jar', 'a.jar'])).toEqual([
      '--add-opens', 'java.base/java.lang=ALL-UNNAMED', '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED', '--enable-preview', '--add-modules', 'jdk.incubator.vector',
    ]);
    // A value that looks like a class name is not taken for the main class.
    expect(opts(['java', '--add-reads', 'my.module=ALL-UNNAMED', '-ea', 'com.example.Main'])).toEqual(['--add-reads', 'my.module=ALL-UNNAMED', '-ea']);
  });

  it('drops the class path and module path (the dev pod has its own), options after them still count', () => {
    expect(opts(['java', '-cp', '/app/classes:/app/libs/*', '-Xmx256m', 'com.example.Main'])).toEqual(['-Xmx256m']);
    expect(opts(['java', '-classpath', 'a.jar', '--class-path=b.jar', '-Dz=1', 'Main'])).toEqual(['-Dz=1']);
    expect(opts(['java', '-Xmx1g', '-p', '/app/mods', '--module-path=/mods', '-m', 'app/com.example.Main', '-Dafter=1'])).toEqual(['-Xmx1g']);
    expect(opts(['java', '-Xmx1g', '--module=app/com.example.Main'])).toEqual(['-Xmx1g']);
    expect(opts(['java', '--upgrade-module-path', '/u', '-Xint', '--module', 'app'])).toEqual(['-Xint']);
  });

  it('drops the image\'s JDWP agent (ship adds its own with --debug), CDS archives, Spring AOT and launcher-only flags', () => {
    expect(opts(['java', '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:8000', '-Xdebug', '-Xrunjdwp:transport=dt_socket', '-agentlib:hprof', '-jar', 'a.jar'])).toEqual(['-agentlib:hprof']);
    expect(opts(['java', '-XX:SharedArchiveFile=app.jsa', '-Xshare:auto', '-XX:+AutoCreateSharedArchive', '-XX:ArchiveClassesAtExit=x.jsa', '-XX:+UseZGC', '-jar', 'a.jar'])).toEqual(['-XX:+UseZGC']);
    expect(opts(['java', '-Dspring.aot.enabled=true', '-Dspring.profiles.active=k8s', '-jar', 'a.jar'])).toEqual(['-Dspring.profiles.active=k8s']);
    expect(opts(['java', '-showversion', '-version', '--dry-run', '-jar', 'a.jar'])).toEqual(['-showversion']);
  });

  it('sees through an init process in front of java', () => {
    expect(opts(['/sbin/tini', '--', 'java', '-Xmx1g', '-jar', 'a.jar'])).toEqual(['-Xmx1g']);
    expect(opts(['dumb-init', '--rewrite', '15:2', '-c', 'java', '-Dq=1', 'Main'])).toEqual(['-Dq=1']);
    expect(opts(['tini', '-s', '-g'], ['java', '-Xss2m', '-jar', 'a.jar'])).toEqual(['-Xss2m']);
  });

  it('a shell command or an entrypoint script: nothing carried, and the reason to say', () => {
    const shell = jvmOptionsOf(['/bin/sh', '-c', 'java $JAVA_OPTS -jar app.jar'], null);
    expect(shell.options).toEqual([]);
    expect(shell.note).toMatch(/^the project image starts the app with a shell command \(\/bin\/sh -c java \$JAVA_OPTS -jar app\.jar\); .* not carried into the dev pod — put them in JAVA_TOOL_OPTIONS/);
    const script = jvmOptionsOf(['/docker-entrypoint.sh'], ['app']);
    expect(script.options).toEqual([]);
    expect(script.note).toMatch(/through \/docker-entrypoint\.sh, not java directly; .*JAVA_TOOL_OPTIONS/);
    expect(jvmOptionsOf(['tini', '--', 'bash', '-c', 'exec java -jar a.jar'], null).note).toMatch(/shell command \(bash -c exec java/);
    expect(jvmOptionsOf(['sh', '-c', 'x'.repeat(200)], null).note).toContain('…');
  });

  it('an argument file: the options before it, and a note for the ones in it', () => {
    const r = jvmOptionsOf(['java', '-Xmx1g', '@/app/jvm.args', '-jar', 'a.jar'], null);
    expect(r.options).toEqual(['-Xmx1g']);
    expect(r.note).toMatch(/reads arguments from \/app\/jvm\.args/);
    // Jib's layout: the class path from one file, the main class from another.
    expect(jvmOptionsOf(['java', '-Xss1m', '-cp', '@/app/jib-classpath-file', '@/app/jib-main-class-file'], null).options).toEqual(['-Xss1m']);
  });

  it('no command at all: nothing to carry, nothing to say', () => {
    expect(jvmOptionsOf(null, null)).toEqual({ options: [] });
    expect(jvmOptionsOf([], [])).toEqual({ options: [] });
  });
});

describe('the dev command and Dockerfile with the image\'s options', () => {
  const jvmOptions = ['-Xmx512m', '-Dfoo=bar', '--add-opens', 'java.base/java.lang=ALL-UNNAMED'];

  it('DevTools: right after java, before JDWP and ship\'s -D properties (the last equal -D wins)', () => {
    const cmd = devCommand({ mainClass: 'com.example.App', debugPort: 5005, jvmOptions });
    expect(cmd.slice(0, 5)).toEqual(['java', ...jvmOptions]);
    expect(cmd[5]).toMatch(/^-agentlib:jdwp=/);
    expect(cmd.indexOf('-Dspring.devtools.add-properties=false')).toBeGreaterThan(4);
    expect(cmd.slice(-3)).toEqual(['-cp', `${DEV_CLASSES}:/ship-dev/lib/*`, 'com.example.App']);
  });

  it('restarter: the app\'s java gets them, the restarter\'s own JVM does not', () => {
    const cmd = devCommand({ mainClass: 'plain.Main', restarter: true, jvmOptions });
    expect(cmd.slice(0, 6)).toEqual(['java', '-cp', '/ship-dev/launcher', 'ShipRestart', `${DEV_CLASSES}/.ship-restart`, 'java']);
    expect(cmd.slice(6)).toEqual([...jvmOptions, '-cp', `${DEV_CLASSES}:/ship-dev/lib/*`, 'plain.Main']);
  });

  it('the Dockerfile\'s ENTRYPOINT holds them as JSON (no shell, no variable expansion)', () => {
    const odd = ['-Dgreeting=hello "world" $HOME', '-Dmulti=a\nb'];
    const text = devDockerfile({ baseRef: 'demo:ship-abc', mainClass: 'com.example.App', libs: [], jvmOptions: odd });
    const line = /^ENTRYPOINT (.*)$/m.exec(text)![1]!;
    expect(JSON.parse(line).slice(1, 3)).toEqual(odd);
    expect(text.split('\n').filter((l) => l.startsWith('ENTRYPOINT'))).toHaveLength(1);
  });
});

describe('buildDevImage reads the base image\'s command', () => {
  function fakeDocker(base: Partial<ImageInfo>) {
    const asked: string[] = [];
    const docker: DevImageInput['docker'] = {
      async inspectImage(ref) {
        asked.push(ref);
        // The base, and an existing dev image for whatever tag is asked (so nothing is built).
        return { id: ref === 'demo:ship-abc' ? 'sha256:base' : 'sha256:dev', repoTags: [ref], size: 1, os: 'linux', architecture: 'amd64', labels: {}, ...(ref === 'demo:ship-abc' ? base : {}) };
      },
      async buildImage() {
        throw new Error('not expected');
      },
    };
    return { docker, asked };
  }
  const input = (docker: DevImageInput['docker']): DevImageInput => ({
    docker,
    base: { ref: 'demo:ship-abc', id: 'sha256:base', repository: 'demo' },
    locate: (path) => `/nowhere/${path}`,
    classes: new Map([['A.class', 'd1']]),
    jars: [],
    mainClass: 'A',
    app: 'demo',
  });

  it('its options change the dev image tag; a shell entrypoint gives the note', async () => {
    const plain = await buildDevImage(input(fakeDocker({ entrypoint: ['java', '-jar', '/app.jar'] }).docker));
    const withOpts = await buildDevImage(input(fakeDocker({ entrypoint: ['java', '-Xmx512m', '-jar', '/app.jar'] }).docker));
    expect(plain.tag).toMatch(/^ship-dev-[0-9a-f]{12}$/);
    expect(withOpts.tag).not.toBe(plain.tag);
    expect(plain.jvmOptionsNote).toBeUndefined();
    const shell = fakeDocker({ entrypoint: ['/bin/sh', '-c', 'java $JAVA_OPTS -jar /app.jar'] });
    const r = await buildDevImage(input(shell.docker));
    expect(r.tag).toBe(plain.tag);
    expect(r.jvmOptionsNote).toMatch(/shell command/);
    expect(shell.asked[0]).toBe('demo:ship-abc');
  });
});
