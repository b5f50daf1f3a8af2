// Issue 11 on the real cluster: ports that disagree (before the build, and at run time from the
// app's own log), Spring's failure analysis as the diagnosis, --explain's commands replayed by hand,
// and the Gradle wrapper that cannot download its distribution (services.gradle.org is unreachable
// on ship's machines: a real case, not a simulation).
import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECONFIG, LOAD, SOCKET, cli, copyProject, deleteNamespace, kubectl, newNamespace, shipEnv, shipOnce, type JsonEvent } from './helpers.js';
import { freePort } from '../support/free-port.js';

const PROPS = 'src/main/resources/application.properties';
const JAVA_PKG = 'src/main/java/com/example/kubernetesspring';

function setProperty(dir: string, line: string) {
  const file = join(dir, PROPS);
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^server\.port=.*$/m, line));
}

const steps = (events: JsonEvent[]) => events.filter((e) => e.type === 'step' && e.status === 'start').map((e) => e.step);

describe('ports that disagree', () => {
  let ns: string;
  const app = copyProject('examples/kubernetes-test-spring');
  beforeAll(async () => {
    ns = await newNamespace('explain-port');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('server.port=9090 against containerPort 8080 fails in the check step, before any build, with file:line (exit 19); render too', async () => {
    setProperty(app.dir, 'server.port=9090');
    const r = await shipOnce([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0']);
    expect(r.exitCode, r.stderr).toBe(19);
    expect(steps(r.events)).toEqual(['check']);
    expect(r.stderr).toContain(`${PROPS}:2`);
    expect(r.stderr).toContain('server.port=9090');
    expect(r.stderr).toMatch(/spring-pod\.yaml containerPort .*8080/);
    const render = await execa(process.execPath, [cli, 'render', app.dir, '--tag', 'ship-000000000000'], { env: shipEnv(), reject: false });
    expect(render.exitCode).toBe(19);
    expect(render.stderr).toContain(`${PROPS}:2`);
  });

  it('a port set through a placeholder only warns; the app opens 9090 and ship fails within 15 s of the container starting, naming both ports and the file', async () => {
    setProperty(app.dir, 'server.port=${APP_PORT:9090}');
    const r = await shipOnce([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0']);
    expect(r.exitCode, r.stderr).toBe(19);
    expect(r.stderr).toMatch(/warning: The app probably listens on 9090/);
    const result = r.events.find((e) => e.type === 'result')!;
    expect(result.error).toContain('9090');
    expect(result.error).toContain('8080');
    expect(result.error).toContain(PROPS);
    expect(result.error).toContain('Tomcat started on port 9090');
    const pod = JSON.parse((await kubectl(['get', 'pod', 'spring-pod', '-n', ns, '-o', 'json'])).stdout);
    const started = Date.parse(pod.status.containerStatuses[0].state.running.startedAt);
    const failed = r.events.find((e) => e.type === 'step' && e.status === 'fail')!;
    expect(failed.step).toBe('smoke');
    const failedAt = Date.parse(String(failed.time));
    console.log(`wrong port: failed ${failedAt - started} ms after the container started\n${r.stderr}`);
    expect(failedAt - started).toBeLessThan(15_000);
  });
});

describe("Spring's failure analysis as the diagnosis", () => {
  let ns: string;
  const app = copyProject('examples/kubernetes-test-spring');
  beforeAll(async () => {
    ns = await newNamespace('explain-spring');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('a bean that needs an unset property: the headline names the property and the environment variable', async () => {
    mkdirSync(join(app.dir, JAVA_PKG), { recursive: true });
    writeFileSync(
      join(app.dir, JAVA_PKG, 'PaymentsClient.java'),
      'package com.example.kubernetesspring;\n\nimport org.springframework.beans.factory.annotation.Value;\nimport org.springframework.stereotype.Component;\n\n@Component\npublic class PaymentsClient {\n\tpublic PaymentsClient(@Value("${payments.api-url}") String apiUrl) {\n\t}\n}\n',
    );
    const r = await shipOnce([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0', '--timeout', '3m']);
    expect(r.exitCode, r.stderr).toBe(12);
    const d = r.events.find((e) => e.type === 'diagnosis')!;
    expect(d.message).toMatch(/^Spring Boot did not start: the property "payments\.api-url" is not set \(environment variable PAYMENTS_APIURL\)/);
    expect(d.hint).toContain('configMapRef');
    expect(r.stderr).not.toMatch(/✖ .*common frames omitted/);
  });

  it('spring-boot-starter-jdbc with no datasource URL: APPLICATION FAILED TO START with its Action', async () => {
    const pom = join(app.dir, 'pom.xml');
    writeFileSync(pom, readFileSync(pom, 'utf8').replace('<dependencies>', '<dependencies>\n    <dependency>\n      <groupId>org.springframework.boot</groupId>\n      <artifactId>spring-boot-starter-jdbc</artifactId>\n    </dependency>'));
    // The property is set now: the next failure is the datasource.
    const props = join(app.dir, PROPS);
    writeFileSync(props, readFileSync(props, 'utf8') + 'payments.api-url=http://payments.invalid\n');
    const r = await shipOnce([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', '0', '--timeout', '3m']);
    expect(r.exitCode, r.stderr).toBe(12);
    const d = r.events.find((e) => e.type === 'diagnosis')!;
    expect(d.message).toMatch(/^APPLICATION FAILED TO START: Failed to configure a DataSource: 'url' attribute is not specified/);
    expect(d.details).toContain('Action:');
    expect(d.details).toContain('  If you want an embedded database (H2, HSQL or Derby), please put it on the classpath.');
    expect(r.stderr).toContain('If you want an embedded database (H2, HSQL or Derby), please put it on the classpath.');
  });
});

describe('--explain on the example', () => {
  let ns: string;
  const app = copyProject('examples/kubernetes-test-spring');
  beforeAll(async () => {
    ns = await newNamespace('explain-replay');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('prints after each step the commands that, run in a shell in order, redo the deploy by hand', async () => {
    const port = await freePort();
    const r = await shipOnce([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD, '-n', ns, '--port', String(port), '--explain']);
    expect(r.exitCode, r.stderr).toBe(0);
    const explained = r.events.filter((e) => e.type === 'explain');
    expect(explained.map((e) => e.step)).toEqual(['check', 'tag', 'build', 'image', 'load', 'manifest', 'apply', 'wait', 'forward', 'smoke']);
    const lines = explained.flatMap((e) => e.lines as string[]);
    // The human output holds the same lines.
    for (const l of lines) expect(r.stderr).toContain(l);
    const script = lines.join('\n');
    expect(script).toContain(`ctr -a ${SOCKET} -n k8s.io images import -`);
    expect(script).toMatch(/#\s+-\s+image: kubernetes-spring$/m);
    expect(script).toContain('ImagePullBackOff');
    const ref = /docker build -t (\S+) \./.exec(script)![1];

    // Undo the deploy: no pod, and the image neither in Docker nor in the cluster's containerd.
    await kubectl(['delete', 'pod', 'spring-pod', '-n', ns, '--wait=true']);
    await execa('docker', ['rmi', '-f', ref]);
    await execa('ctr', ['-a', SOCKET, '-n', 'k8s.io', 'images', 'rm', ref], { reject: false });
    // Redo it by hand: the printed lines, as they are, in one shell.
    // The forward runs in the background (&) as printed; the trap stops it however the script ends.
    const replay = await execa('bash', ['-c', `trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nset -e\n${script}`], {
      env: { ...process.env, KUBECONFIG },
      reject: false,
      timeout: 600_000,
      all: true,
    });
    expect(replay.exitCode, replay.all).toBe(0);
    // curl's -w prints the status on a line of its own (the background port-forward prints its own lines too).
    expect(replay.stdout.split('\n')).toContain('200');
    const pod = JSON.parse((await kubectl(['get', 'pod', 'spring-pod', '-n', ns, '-o', 'json'])).stdout);
    expect(pod.spec.containers[0].image).toBe(ref);
    expect(pod.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
  });
});

describe('the Gradle wrapper that cannot download its distribution', () => {
  const app = copyProject('examples/kubernetes-test-spring');
  afterAll(() => app.remove());

  it('ship fails in one line: the version, the host, the ways out (exit 4)', async () => {
    const r = await shipOnce([app.dir, '--load', LOAD, '-n', 'explain-gradle', '--port', '0']);
    expect(r.exitCode, r.stderr).toBe(4);
    const result = r.events.find((e) => e.type === 'result')!;
    expect(result.error).toBe('The Gradle wrapper could not download Gradle 8.14.3 from services.gradle.org: its name does not resolve (https://services.gradle.org/distributions/gradle-8.14.3-bin.zip).');
    expect(result.hint).toContain('--builder maven');
    // The error itself is the one line and its hint (the streamed build output above it is the wrapper's own).
    const error = r.stderr.slice(r.stderr.lastIndexOf('\n✖ '));
    expect(error).toContain('The Gradle wrapper could not download Gradle 8.14.3');
    expect(error).not.toContain('at org.gradle.wrapper');
  });

  it('ship doctor flags it (exit 16)', async () => {
    const r = await execa(process.execPath, [cli, 'doctor', app.dir, '--load', LOAD, '--port', '0', '--json'], { env: shipEnv(), reject: false });
    expect(r.exitCode).toBe(16);
    const doctor = r.stdout.split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'doctor');
    const check = doctor.checks.find((c: { id: string }) => c.id === 'build-distribution');
    expect(check).toMatchObject({ ok: false, required: true });
    expect(check.detail).toContain('Gradle 8.14.3');
    expect(check.detail).toContain('services.gradle.org');
  });
});
