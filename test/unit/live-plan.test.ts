import { describe, expect, it } from 'vitest';
import {
  DEV_CLASSES,
  TRIGGER_FILE,
  debugDockerfile,
  describeFiles,
  devCommand,
  devDockerfile,
  diffOutput,
  libNames,
  planChanges,
  readRestartLine,
  restartBlocker,
  syncLine,
} from '../../src/core/live-plan.js';

const facts = { dockerfile: 'Dockerfile', manifests: [] as string[] };

describe('planChanges: which saves go live, which rebuild and why', () => {
  it('Java sources and resources of the main source set go live', () => {
    expect(planChanges(['src/main/java/com/example/HelloController.java', 'src/main/resources/application.properties'], facts)).toEqual({
      kind: 'live',
      sources: ['src/main/java/com/example/HelloController.java', 'src/main/resources/application.properties'],
    });
    expect(planChanges(['src/main/kotlin/App.kt'], facts).kind).toBe('live');
  });

  it('a new source directory (mkdir src/main/resources) is not a reason to rebuild; its files go live', () => {
    expect(planChanges(['src/main/resources'], facts)).toEqual({ kind: 'none', why: 'only a source directory appeared or went' });
    expect(planChanges(['src/main', 'src'], facts).kind).toBe('none');
    expect(planChanges(['src/main/resources', 'src/main/resources/greeting.txt'], facts)).toEqual({ kind: 'live', sources: ['src/main/resources/greeting.txt'] });
    expect(planChanges(['src/main/java/com/example/newpkg'], facts).kind).toBe('live');
  });

  it('a dependency or build file change falls back to the rebuild, naming the file', () => {
    for (const f of ['pom.xml', 'build.gradle', 'build.gradle.kts', 'settings.gradle', '.mvn/wrapper/maven-wrapper.properties', 'gradle/libs.versions.toml', 'ship.yaml']) {
      const p = planChanges(['src/main/java/A.java', f], facts);
      expect(p).toMatchObject({ kind: 'fallback', file: f });
      expect((p as { reason: string }).reason).toMatch(/changed/);
    }
    expect((planChanges(['pom.xml'], facts) as { reason: string }).reason).toBe('pom.xml changed (dependencies or build configuration): the image is rebuilt');
  });

  it('a Dockerfile or .dockerignore change falls back', () => {
    expect(planChanges(['Dockerfile'], facts)).toMatchObject({ kind: 'fallback', file: 'Dockerfile', reason: 'Dockerfile changed: the image is rebuilt from it' });
    expect(planChanges(['docker/Dockerfile'], { dockerfile: 'docker/Dockerfile', manifests: [] })).toMatchObject({ kind: 'fallback', file: 'docker/Dockerfile' });
    expect(planChanges(['.dockerignore'], facts).kind).toBe('fallback');
  });

  it('a manifest change falls back: default directories, root YAML, --manifest paths', () => {
    expect(planChanges(['k8s/pod.yaml'], facts)).toMatchObject({ kind: 'fallback', reason: 'manifest k8s/pod.yaml changed: it is applied again' });
    expect(planChanges(['spring-pod.yaml'], facts)).toMatchObject({ kind: 'fallback', file: 'spring-pod.yaml' });
    expect(planChanges(['ops/app/deploy.yml'], { manifests: ['ops/app'] })).toMatchObject({ kind: 'fallback', file: 'ops/app/deploy.yml' });
  });

  it('test sources change nothing in the pod', () => {
    expect(planChanges(['src/test/java/AppTests.java'], facts)).toEqual({ kind: 'none', why: 'only test sources changed: nothing in the pod depends on them' });
  });

  it('any other file may be in the image: rebuild', () => {
    expect(planChanges(['README.md'], facts)).toMatchObject({ kind: 'fallback', file: 'README.md' });
    expect(planChanges(['src/main/webapp/index.jsp'], facts)).toMatchObject({ kind: 'fallback', file: 'src/main/webapp/index.jsp' });
  });

  it('one file that needs the rebuild decides for the batch, whatever its position', () => {
    expect(planChanges(['src/main/java/A.java', 'src/main/resources/x.txt', 'pom.xml'], facts).kind).toBe('fallback');
  });
});

describe('diffOutput and restartBlocker', () => {
  const before = new Map([
    ['com/ex/A.class', '1'],
    ['com/ex/B.class', '2'],
    ['application.properties', '3'],
  ]);
  it('lists new and changed files, and removed ones', () => {
    const after = new Map([
      ['com/ex/A.class', '1'],
      ['com/ex/B.class', '9'],
      ['com/ex/C.class', '4'],
    ]);
    expect(diffOutput(before, after)).toEqual({ changed: ['com/ex/B.class', 'com/ex/C.class'], removed: ['application.properties'] });
    expect(diffOutput(before, new Map(before))).toEqual({ changed: [], removed: [] });
  });
  it('changes the restart classloader cannot take', () => {
    expect(restartBlocker({ changed: ['com/ex/A.class', 'META-INF/spring-devtools.properties'], removed: [] })?.file).toBe('META-INF/spring-devtools.properties');
    expect(restartBlocker({ changed: ['module-info.class'], removed: [] })?.reason).toMatch(/once per JVM/);
    expect(restartBlocker({ changed: [], removed: ['META-INF/versions/17/a/B.class'] })?.file).toBe('META-INF/versions/17/a/B.class');
    expect(restartBlocker({ changed: ['com/ex/A.class', 'application.properties', 'META-INF/spring.factories'], removed: ['com/ex/Old.class'] })).toBeUndefined();
  });
});

describe('the dev image', () => {
  it('starts the main class on the exploded classpath with DevTools restarting on the trigger file', () => {
    const cmd = devCommand({ mainClass: 'com.example.App' });
    expect(cmd[0]).toBe('java');
    expect(cmd.slice(-3)).toEqual(['-cp', `${DEV_CLASSES}:/ship-dev/lib/*`, 'com.example.App']);
    expect(cmd).toContain(`-Dspring.devtools.restart.trigger-file=${TRIGGER_FILE}`);
    expect(cmd).toContain('-Dspring.devtools.livereload.enabled=false');
    expect(cmd.some((a) => a.startsWith('-agentlib:jdwp'))).toBe(false);
  });
  it('--debug adds the JDWP agent, suspend=n, on the given port', () => {
    expect(devCommand({ mainClass: 'A', debugPort: 5005 })).toContain('-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005');
  });
  it('the Dockerfile builds on the project image and replaces the entrypoint (and its CMD)', () => {
    const text = devDockerfile({ baseRef: 'demo:ship-abc', mainClass: 'com.example.App', libs: [] });
    expect(text).toMatch(/^FROM demo:ship-abc$/m);
    expect(text).toMatch(/^COPY ship-dev\/ \/ship-dev\/$/m);
    expect(JSON.parse(/^ENTRYPOINT (.*)$/m.exec(text)![1]!)).toEqual(devCommand({ mainClass: 'com.example.App' }));
    expect(text).toMatch(/^CMD \[\]$/m);
    expect(() => devDockerfile({ baseRef: 'x', mainClass: 'a b"; rm', libs: [] })).toThrow(/not a Java class name/);
  });
  it('a plain JVM app runs under ship\'s restarter, which restarts its java process on the trigger file', () => {
    const cmd = devCommand({ mainClass: 'plain.Main', restarter: true, debugPort: 5005 });
    expect(cmd.slice(0, 5)).toEqual(['java', '-cp', '/ship-dev/launcher', 'ShipRestart', `${DEV_CLASSES}/${TRIGGER_FILE}`]);
    expect(cmd.slice(5)).toEqual(['java', '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005', '-cp', `${DEV_CLASSES}:/ship-dev/lib/*`, 'plain.Main']);
    expect(cmd.some((a) => a.includes('devtools'))).toBe(false);
    expect(readRestartLine('ship-restart: started plain.Main (pid 54)')).toEqual({ kind: 'started', seconds: 0 });
  });
  it('one-shot --debug keeps the image and adds the agent to JAVA_TOOL_OPTIONS', () => {
    expect(debugDockerfile('demo:ship-abc', 5005)).toMatch(/^ENV JAVA_TOOL_OPTIONS="-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=\*:5005 \$\{JAVA_TOOL_OPTIONS\}"$/m);
  });
  it('dependency jars keep their order and get unique names', () => {
    expect(libNames(['/m2/a/x-1.jar', '/m2/b/y-2.jar', '/other/x-1.jar'])).toEqual(['x-1.jar', 'y-2.jar', 'x-1-2.jar']);
  });
});

describe('the restart in the log', () => {
  it('Spring Boot started line ends it; failures end it badly', () => {
    expect(readRestartLine('2026-11-30T04:16:48.218Z  INFO 1 --- [demo] [  restartedMain] c.e.k.App : Started KubernetesSpringApplication in 2.127 seconds (process running for 29.612)')).toEqual({ kind: 'started', seconds: 2.127 });
    expect(readRestartLine('APPLICATION FAILED TO START')).toEqual({ kind: 'failed', message: 'APPLICATION FAILED TO START' });
    expect(readRestartLine('ERROR 1 --- [restartedMain] o.s.boot.SpringApplication : Application run failed')?.kind).toBe('failed');
    expect(readRestartLine('Tomcat started on port 8080 (http) with context path \'/\'')).toBeUndefined();
  });
});

describe('output', () => {
  it('one line per live update', () => {
    expect(syncLine(['a/B.class', 'a/C.class'], ['spring-pod'], { restartMs: 1100, totalMs: 3240 })).toBe('synced 2 classes → spring-pod (restart 1.1 s) · served 3.2 s after save');
    expect(syncLine(['application.properties'], ['p-1', 'p-2'], { restartMs: 900, totalMs: 4000 })).toBe('synced 1 resource → p-1, p-2 (restart 0.9 s) · served 4.0 s after save');
    expect(describeFiles(['a/B.class', 'x.properties', 'y.html'])).toBe('1 class and 2 resources');
    expect(syncLine(['a.txt'], ['a', 'b', 'c'], { restartMs: 0, totalMs: 0 })).toMatch(/→ 3 pods/);
  });
});
