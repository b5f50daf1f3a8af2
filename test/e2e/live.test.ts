// Live update in `ship dev` on the real test cluster, with the Spring Boot example (Maven):
// a controller edit and a property edit served without a new image or pod, a dependency added
// (falls back to the rebuild and says why), a compile error (reported, old code keeps serving),
// two replicas both updated, a pod deleted after live updates (its replacement serves the current
// code), --debug (a real JDWP handshake through the forwarded port) and the image's JVM options
// kept in the dev pod's java command. Then Gradle projects (Gradle's `classes`): a Spring Boot app
// (DevTools fetched by Gradle) and a plain JVM app.

import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECONFIG, LOAD, copyProject, deleteNamespace, isPodReady, listPods, newNamespace, kubectl, shipHolding, spawnShip, type JsonEvent, type ShipProcess } from './helpers.js';
import { freePort } from '../support/free-port.js';
import { until } from '../support/until.js';

const CONTROLLER = 'src/main/java/com/example/kubernetesspring/HelloController.java';
const PROPERTIES = 'src/main/resources/application.properties';

/** The example's controller, made to serve a property read at start beside its greeting. */
function controllerSource(greeting: string): string {
  return `package com.example.kubernetesspring;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class HelloController {

	public static final String GREETING = "${greeting}";

	@Value("\${live.suffix:none}")
	private String suffix;

	@GetMapping("/")
	public String hello() {
		return GREETING + " / " + suffix;
	}

}
`;
}

const isDevRun = (e: JsonEvent) => e.type === 'dev-run';
/** The end of a live update that did something: synced, failed to compile, or fell back (not "nothing to sync"). */
const liveEnd = (e: JsonEvent) => e.type === 'live' && ((e.status === 'end' && e.nothing === undefined) || e.status === 'fallback');

/** GET on a new connection (a kept-alive one may still point at the Tomcat before the restart); undefined unless 200. */
function getOnce(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? text : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** What the URL serves: one retry for a connection the forward had not finished setting up. */
async function body(url: string): Promise<string | undefined> {
  return (await getOnce(url)) ?? (await new Promise((r) => setTimeout(r, 500)), await getOnce(url));
}

async function pods(ns: string): Promise<Array<{ name: string; uid: string; restarts: number; image: string; ready: boolean }>> {
  return (await listPods(ns))
    .filter((p) => !p.metadata?.deletionTimestamp)
    .map((p) => ({
      name: p.metadata!.name!,
      uid: p.metadata!.uid!,
      restarts: p.status?.containerStatuses?.[0]?.restartCount ?? 0,
      image: p.spec!.containers[0]!.image!,
      ready: isPodReady(p),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** GET / of one pod through its own `kubectl port-forward`. */
async function podBody(ns: string, pod: string): Promise<string | undefined> {
  const pf = execa('kubectl', ['port-forward', '-n', ns, `pod/${pod}`, ':8080'], { env: { ...process.env, KUBECONFIG }, reject: false });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      pf.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void pf.then(() => reject(new Error(`kubectl port-forward ended: ${out}`)));
    });
    return await body(`http://127.0.0.1:${port}/`);
  } finally {
    pf.kill();
    await pf;
  }
}

/** Sends JDWP's handshake and resolves with what comes back first (the JVM echoes the 14 bytes). */
function jdwpHandshake(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => (s.destroy(), reject(new Error(`no JDWP answer on ${port} (got "${got}")`))), 15_000);
    s.on('connect', () => s.write('JDWP-Handshake'));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.length >= 14) {
        clearTimeout(t);
        s.destroy();
        resolve(got.slice(0, 14));
      }
    });
    s.on('error', (e) => (clearTimeout(t), reject(e)));
  });
}

const imageSteps = (events: JsonEvent[], from: number) => events.slice(from).filter((e) => e.type === 'step' && (e.step === 'image' || e.step === 'dev-image' || e.step === 'build') && e.status === 'done');

/**
 * A `ship dev` session on a copy of the fixture `rel` (Maven unless told, tests skipped, any free port) in a
 * namespace of its own: `prepare` edits the copy first; beforeAll waits for the first deploy,
 * afterAll stops ship and removes the namespace and the copy.
 */
function devSession(rel: string, prefix: string, args: () => Promise<string[]> | string[] = () => [], prepare?: (dir: string) => void, builder: 'maven' | 'gradle' = 'maven') {
  const app = copyProject(rel);
  const s = { dir: app.dir, ns: '', url: '', dev: undefined as unknown as ShipProcess };
  beforeAll(async () => {
    prepare?.(app.dir);
    s.ns = await newNamespace(prefix);
    s.dev = spawnShip(['dev', app.dir, '-n', s.ns, '--builder', builder, '--skip-tests', '--load', LOAD, '--port', '0', ...(await args())]);
    const first = await s.dev.next(isDevRun, { from: 0, timeoutMs: 900_000 });
    expect(first.ok, s.dev.stderr()).toBe(true);
    s.url = String(first.url);
  });
  afterAll(async () => {
    await s.dev?.stop();
    await deleteNamespace(s.ns);
    app.remove();
  });
  return s;
}

describe('ship dev: live update into the running JVM (Spring Boot example, Maven)', () => {
  let debugPort = 0;
  const session = devSession('examples/kubernetes-test-spring', 'live-e2e', async () => ['--debug-port', String((debugPort = await freePort()))], (dir) => {
    writeFileSync(join(dir, CONTROLLER), controllerSource('Hello v1'));
    writeFileSync(join(dir, PROPERTIES), readFileSync(join(dir, PROPERTIES), 'utf8') + 'live.suffix=first\n');
    // JVM options in the image's own java command, which the dev pod keeps.
    writeFileSync(join(dir, 'Dockerfile'), readFileSync(join(dir, 'Dockerfile'), 'utf8').replace('ENTRYPOINT ["java",', 'ENTRYPOINT ["java","-Xss1m","-Dship.e2e.image-option=kept",'));
  });
  let dev: ShipProcess;
  let ns: string;
  let url: string;

  beforeAll(async () => {
    ({ dev, ns, url } = session);
    await dev.next((e) => e.type === 'debug', { from: 0, timeoutMs: 60_000 });
    expect(await body(url + '/')).toBe('Hello v1 / first');
  });

  it('--debug: the forwarded JDWP port completes a real handshake', async () => {
    expect(await jdwpHandshake(debugPort)).toBe('JDWP-Handshake');
    expect(dev.stderr()).toMatch(new RegExp(`attach to localhost:${debugPort}`));
  });

  it('the JVM options of the project image\'s java command are in the dev pod\'s, before ship\'s own', async () => {
    const [pod] = await pods(ns);
    const argv = (await kubectl(['exec', '-n', ns, pod!.name, '--', 'cat', '/proc/1/cmdline'])).stdout.split('\0');
    expect(argv.slice(0, 3)).toEqual(['java', '-Xss1m', '-Dship.e2e.image-option=kept']);
    expect(argv.findIndex((a) => a.startsWith('-agentlib:jdwp'))).toBe(3);
    expect(argv).not.toContain('-jar');
  });

  it('a controller edit is served without a new image and without replacing the pod', async () => {
    const before = await pods(ns);
    expect(before).toHaveLength(1);
    const from = dev.events.length;
    writeFileSync(join(session.dir, CONTROLLER), controllerSource('Hello live 2'));
    const end = await dev.next(liveEnd, { from, timeoutMs: 180_000 });
    expect(end, dev.stderr()).toMatchObject({ status: 'end', ok: true, pods: [before[0]!.name] });
    expect(end.files).toContain('com/example/kubernetesspring/HelloController.class');
    expect(await body(url + '/')).toBe('Hello live 2 / first');
    expect(imageSteps(dev.events, from)).toEqual([]);
    expect(dev.events.slice(from).some(isDevRun)).toBe(false);
    const after = await pods(ns);
    expect(after.map((p) => [p.uid, p.restarts, p.image])).toEqual(before.map((p) => [p.uid, p.restarts, p.image]));
    await until('the live update line', async () => /synced 1 class → spring-pod \(restart \d+\.\d s\) · served \d+\.\d s after save/.test(dev.stderr()), { timeoutMs: 5000 });
  });

  it('an application.properties value read at start: the new value is served', async () => {
    const before = await pods(ns);
    const from = dev.events.length;
    writeFileSync(join(session.dir, PROPERTIES), readFileSync(join(session.dir, PROPERTIES), 'utf8').replace('live.suffix=first', 'live.suffix=second'));
    const end = await dev.next(liveEnd, { from, timeoutMs: 180_000 });
    expect(end, dev.stderr()).toMatchObject({ status: 'end', ok: true, files: ['application.properties'] });
    expect(await body(url + '/')).toBe('Hello live 2 / second');
    expect((await pods(ns)).map((p) => p.uid)).toEqual(before.map((p) => p.uid));
  });

  it('a compile error is reported and the old code keeps serving', async () => {
    const before = await pods(ns);
    const from = dev.events.length;
    writeFileSync(join(session.dir, CONTROLLER), controllerSource('Hello broken').replace('return GREETING', 'return GREETING +'));
    const end = await dev.next(liveEnd, { from, timeoutMs: 180_000 });
    expect(end).toMatchObject({ status: 'end', ok: false, error: 'compile' });
    expect((end.lines as string[]).join('\n')).toMatch(/HelloController\.java/);
    await until('the compile failure line', async () => /compile failed .*the pods keep the last good code/.test(dev.stderr()), { timeoutMs: 5000 });
    expect(await body(url + '/')).toBe('Hello live 2 / second');
    expect((await pods(ns)).map((p) => [p.uid, p.restarts])).toEqual(before.map((p) => [p.uid, p.restarts]));
    // Fixed: the next save goes live again.
    const again = dev.events.length;
    writeFileSync(join(session.dir, CONTROLLER), controllerSource('Hello fixed 3'));
    expect(await dev.next(liveEnd, { from: again, timeoutMs: 180_000 })).toMatchObject({ status: 'end', ok: true });
    expect(await body(url + '/')).toBe('Hello fixed 3 / second');
  });

  it('a dependency added to pom.xml falls back to the full rebuild and says why', async () => {
    const from = dev.events.length;
    const pom = readFileSync(join(session.dir, 'pom.xml'), 'utf8');
    writeFileSync(
      join(session.dir, 'pom.xml'),
      pom.replace('<dependencies>', '<dependencies>\n    <dependency>\n      <groupId>org.apache.commons</groupId>\n      <artifactId>commons-lang3</artifactId>\n    </dependency>'),
    );
    const fallback = await dev.next(liveEnd, { from, timeoutMs: 60_000 });
    expect(fallback).toMatchObject({ status: 'fallback', file: 'pom.xml' });
    expect(String(fallback.reason)).toMatch(/pom\.xml changed \(dependencies or build configuration\)/);
    const run = await dev.next(isDevRun, { from, timeoutMs: 900_000 });
    expect(dev.stderr()).toMatch(/live update not possible: pom\.xml changed .* → full rebuild and redeploy/);
    expect(run.ok, dev.stderr()).toBe(true);
    expect(imageSteps(dev.events, from).map((e) => e.step)).toEqual(['build', 'image', 'dev-image']);
    await until('the rebuilt app', async () => (await body(url + '/')) === 'Hello fixed 3 / second', { timeoutMs: 120_000 });
  });

  it('a pod deleted after live updates: its replacement serves the current code', async () => {
    // A live update into the rebuilt pod, so the image is behind the sources again.
    let from = dev.events.length;
    writeFileSync(join(session.dir, CONTROLLER), controllerSource('Hello after delete 4'));
    expect(await dev.next(liveEnd, { from, timeoutMs: 180_000 })).toMatchObject({ status: 'end', ok: true });
    const [old] = await pods(ns);
    from = dev.events.length;
    await kubectl(['delete', 'pod', '-n', ns, old!.name, '--wait=false']);
    const fallback = await dev.next((e) => e.type === 'live' && e.status === 'fallback', { from, timeoutMs: 60_000 });
    expect(String(fallback.reason)).toMatch(/after 1 live update: the image lacks them/);
    const run = await dev.next(isDevRun, { from, timeoutMs: 900_000 });
    expect(run.ok, dev.stderr()).toBe(true);
    const [now] = await pods(ns);
    expect(now!.uid).not.toBe(old!.uid);
    expect(now!.image).not.toBe(old!.image);
    await until('the replacement serving the current code', async () => (await body(url + '/')) === 'Hello after delete 4 / second', { timeoutMs: 120_000 });
  });
});

describe('ship dev: live update reaches every replica', () => {
  const session = devSession('examples/kubernetes-test-spring', 'live-e2e-rep', () => ['--replicas', '2'], (dir) => writeFileSync(join(dir, CONTROLLER), controllerSource('Replica v1')));

  it('two replicas: both serve the edit, neither is replaced', async () => {
    const { dev, ns, dir } = session;
    const before = await pods(ns);
    expect(before.map((p) => p.name)).toEqual(['spring-pod-1', 'spring-pod-2']);
    // The example's pod has no readiness probe: Ready comes before Tomcat listens, and ship's first
    // answer came from one of the two pods only. So each pod is asked until it answers.
    for (const p of before) await until(`${p.name} serving v1`, async () => (await podBody(ns, p.name)) === 'Replica v1 / none', { timeoutMs: 60_000 });
    const from = dev.events.length;
    writeFileSync(join(dir, CONTROLLER), controllerSource('Replica live 2'));
    const end = await dev.next(liveEnd, { from, timeoutMs: 180_000 });
    expect(end, dev.stderr()).toMatchObject({ status: 'end', ok: true, pods: ['spring-pod-1', 'spring-pod-2'] });
    for (const p of before) expect(await podBody(ns, p.name)).toBe('Replica live 2 / none');
    expect((await pods(ns)).map((p) => [p.uid, p.restarts])).toEqual(before.map((p) => [p.uid, p.restarts]));
    await until('the live update line', async () => /synced 1 class → spring-pod-1, spring-pod-2/.test(dev.stderr()), { timeoutMs: 5000 });
  });
});

describe('ship --debug (one-shot)', () => {
  const app = copyProject('examples/kubernetes-test-spring');
  let ns: string;

  beforeAll(async () => {
    ns = await newNamespace('live-e2e-dbg');
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    app.remove();
  });

  it('the project image plus the JDWP agent: the forwarded port completes a handshake', async () => {
    const port = await freePort();
    const ship = await shipHolding([app.dir, '-n', ns, '--builder', 'maven', '--skip-tests', '--load', LOAD, '--port', '0', '--debug-port', String(port)]);
    try {
      expect(ship.events.some((e) => e.type === 'step' && e.step === 'debug-image' && e.status === 'done')).toBe(true);
      expect(await jdwpHandshake(port)).toBe('JDWP-Handshake');
      expect(await body(ship.url + '/')).toBe('Hello from kubernetes-spring!');
    } finally {
      expect(await ship.stop()).toBe(0);
    }
  });
});

describe('ship dev: a plain JVM app (no Spring Boot) is restarted in its container', () => {
  const MAIN = 'src/main/java/plain/Main.java';
  const session = devSession('test/fixtures/maven-plain', 'live-e2e-plain');

  it('an edit restarts the java process under ship\'s restarter: served, no new image, same pod', async () => {
    const { dev, ns, url, dir } = session;
    await until('the app', async () => (await body(url + '/')) === 'plain v1', { timeoutMs: 60_000 });
    const before = await pods(ns);
    const from = dev.events.length;
    writeFileSync(join(dir, MAIN), readFileSync(join(dir, MAIN), 'utf8').replace('"plain v1"', '"plain v2"'));
    const end = await dev.next(liveEnd, { from, timeoutMs: 180_000 });
    expect(end, dev.stderr()).toMatchObject({ status: 'end', ok: true, files: ['plain/Main.class'] });
    expect(await body(url + '/')).toBe('plain v2');
    expect(imageSteps(dev.events, from)).toEqual([]);
    expect((await pods(ns)).map((p) => [p.uid, p.restarts])).toEqual(before.map((p) => [p.uid, p.restarts]));
    expect(dev.stderr()).toMatch(/restarted by ship's restarter \(a plain JVM app\)/);
  });
});

describe('ship dev: a Gradle project (Spring Boot, thin jar): Gradle\'s classes, DevTools fetched through Gradle', () => {
  const APP = 'src/main/java/demo/App.java';
  const PROPS = 'src/main/resources/application.properties';
  const session = devSession('test/fixtures/gradle-spring', 'live-e2e-gradle', () => [], undefined, 'gradle');
  const edit = (file: string, from: string, to: string) => writeFileSync(join(session.dir, file), readFileSync(join(session.dir, file), 'utf8').replace(from, to));

  it('a controller edit and a property edit are served with no new image and the same pod; the restart is DevTools\'', async () => {
    const { dev, ns, url } = session;
    expect(await body(url + '/')).toBe('gradle-spring v1 / first');
    expect(dev.stderr()).toMatch(/dev image · .*files from build\/classes\/java\/main \+ build\/resources\/main, demo\.App on the classpath, restarted by DevTools 3\.5\.7/);
    const before = await pods(ns);
    let from = dev.events.length;
    edit(APP, '"gradle-spring v1"', '"gradle-spring v2"');
    expect(await dev.next(liveEnd, { from, timeoutMs: 180_000 }), dev.stderr()).toMatchObject({ status: 'end', ok: true, files: ['demo/App.class'] });
    expect(await body(url + '/')).toBe('gradle-spring v2 / first');
    from = dev.events.length;
    edit(PROPS, 'app.suffix=first', 'app.suffix=second');
    expect(await dev.next(liveEnd, { from, timeoutMs: 180_000 }), dev.stderr()).toMatchObject({ status: 'end', ok: true, files: ['application.properties'] });
    expect(await body(url + '/')).toBe('gradle-spring v2 / second');
    expect(imageSteps(dev.events, 0)).toHaveLength(3); // build, image, dev-image of the first deploy only
    expect((await pods(ns)).map((p) => [p.uid, p.restarts, p.image])).toEqual(before.map((p) => [p.uid, p.restarts, p.image]));
  });

  it('a compile error is reported with javac\'s lines and the old code keeps serving', async () => {
    const { dev, url } = session;
    const from = dev.events.length;
    edit(APP, '"gradle-spring v2";', '"gradle-spring v3"');
    const end = await dev.next(liveEnd, { from, timeoutMs: 180_000 });
    expect(end).toMatchObject({ status: 'end', ok: false, error: 'compile' });
    expect((end.lines as string[]).join('\n')).toMatch(/App\.java:\d+: error: ';' expected/);
    expect(await body(url + '/')).toBe('gradle-spring v2 / second');
  });

  it('a build.gradle change falls back to the full rebuild and says why; the rebuilt pod serves the current code', async () => {
    const { dev, url } = session;
    edit(APP, '"gradle-spring v3"', '"gradle-spring v4";');
    const from = dev.events.length;
    expect(await dev.next(liveEnd, { from, timeoutMs: 180_000 })).toMatchObject({ status: 'end', ok: true });
    const next = dev.events.length;
    edit('build.gradle', "implementation 'org.springframework.boot:spring-boot-starter-web:3.5.7'", "implementation 'org.springframework.boot:spring-boot-starter-web:3.5.7'\n    implementation 'org.apache.commons:commons-lang3:3.17.0'");
    const fallback = await dev.next(liveEnd, { from: next, timeoutMs: 60_000 });
    expect(fallback).toMatchObject({ status: 'fallback', file: 'build.gradle' });
    const run = await dev.next(isDevRun, { from: next, timeoutMs: 900_000 });
    expect(run.ok, dev.stderr()).toBe(true);
    expect(imageSteps(dev.events, next).map((e) => e.step)).toEqual(['build', 'image', 'dev-image']);
    await until('the rebuilt app', async () => (await body(url + '/')) === 'gradle-spring v4 / second', { timeoutMs: 120_000 });
  });
});

describe('ship dev: a plain Gradle app: a new resource directory and a class edit go live under ship\'s restarter', () => {
  const session = devSession('test/fixtures/gradle-app', 'live-e2e-gradle-plain', () => [], undefined, 'gradle');

  it('mkdir src/main/resources with a file in it, then a Main.java edit: synced, served, same pod', async () => {
    const { dev, ns, url, dir } = session;
    await until('the app', async () => (await body(url + '/')) === 'hello from gradle-app v1', { timeoutMs: 60_000 });
    const before = await pods(ns);
    let from = dev.events.length;
    // The file is written before ship can have a watch on the new directory.
    mkdirSync(join(dir, 'src/main/resources'));
    writeFileSync(join(dir, 'src/main/resources/greeting.txt'), 'hi');
    expect(await dev.next(liveEnd, { from, timeoutMs: 180_000 }), dev.stderr()).toMatchObject({ status: 'end', ok: true, files: ['greeting.txt'] });
    from = dev.events.length;
    const MAIN = 'src/main/java/gradleapp/Main.java';
    writeFileSync(join(dir, MAIN), readFileSync(join(dir, MAIN), 'utf8').replace('"hello from gradle-app v1"', '"hello from gradle-app v2"'));
    expect(await dev.next(liveEnd, { from, timeoutMs: 180_000 }), dev.stderr()).toMatchObject({ status: 'end', ok: true, files: ['gradleapp/Main.class'] });
    expect(await body(url + '/')).toBe('hello from gradle-app v2');
    expect(imageSteps(dev.events, 0)).toHaveLength(3);
    expect((await pods(ns)).map((p) => [p.uid, p.restarts])).toEqual(before.map((p) => [p.uid, p.restarts]));
    expect(dev.stderr()).toMatch(/restarted by ship's restarter \(a plain JVM app\)/);
    expect(dev.stderr()).not.toMatch(/live update off/);
  });
});
