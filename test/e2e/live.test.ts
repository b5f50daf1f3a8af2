// Live update in `ship dev` on the real test cluster, with the Spring Boot example (Maven):
// a controller edit and a property edit served without a new image or pod, a dependency added
// (falls back to the rebuild and says why), a compile error (reported, old code keeps serving),
// two replicas both updated, a pod deleted after live updates (its replacement serves the current
// code), and --debug (a real JDWP handshake through the forwarded port).

import { execa, type ResultPromise } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD, cli, copyProject, deleteNamespace, kubectl, newNamespace, onJsonEvents, shipEnv, shipHolding, type JsonEvent } from './helpers.js';
import { freePort } from '../support/free-port.js';

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

/** A `ship dev` child whose JSON events are awaited as they arrive. */
class DevRun {
  readonly events: JsonEvent[] = [];
  private stderrText = '';
  private exitCode: number | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly child: ResultPromise;
  private readonly done: Promise<number>;

  constructor(args: string[]) {
    this.child = execa(process.execPath, [cli, 'dev', ...args, '--json'], { env: shipEnv(), reject: false, timeout: 1_500_000 });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderrText += d.toString()));
    onJsonEvents(this.child.stdout, (e) => {
      this.events.push(e);
      this.poke();
    });
    this.done = this.child.then((r) => {
      this.exitCode = r.exitCode ?? -1;
      this.poke();
      return this.exitCode;
    });
  }

  private poke() {
    for (const w of [...this.waiters]) w();
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The first event from index `from` on that matches; rejects when ship exits or time runs out. */
  waitFor(match: (e: JsonEvent) => boolean, from: number, timeoutMs: number, what: string): Promise<JsonEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.slice(from).find(match);
        if (hit) return finish(() => resolve(hit));
        if (this.exitCode !== undefined) return finish(() => reject(new Error(`ship dev exited ${this.exitCode} while waiting for ${what}\n${this.stderrText.slice(-4000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs / 1000} s\n${this.stderrText.slice(-4000)}`))), timeoutMs);
      const finish = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<number> {
    if (this.exitCode === undefined) this.child.kill('SIGINT');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    const code = await this.done;
    clearTimeout(t);
    return code;
  }
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
  const r = await kubectl(['get', 'pods', '-n', ns, '-l', 'app.kubernetes.io/managed-by=ship', '-o', 'json']);
  return (JSON.parse(r.stdout).items as any[])
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => ({
      name: p.metadata.name,
      uid: p.metadata.uid,
      restarts: p.status.containerStatuses?.[0]?.restartCount ?? 0,
      image: p.spec.containers[0].image,
      ready: Boolean(p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** GET / of one pod through its own `kubectl port-forward`. */
async function podBody(ns: string, pod: string): Promise<string | undefined> {
  const pf = execa('kubectl', ['port-forward', '-n', ns, `pod/${pod}`, ':8080'], { env: { ...process.env, KUBECONFIG: '/var/lib/ship-cluster/kubeconfig' }, reject: false });
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

async function eventually<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const imageSteps = (events: JsonEvent[], from: number) => events.slice(from).filter((e) => e.type === 'step' && (e.step === 'image' || e.step === 'dev-image' || e.step === 'build') && e.status === 'done');

describe('ship dev: live update into the running JVM (Spring Boot example, Maven)', () => {
  const app = copyProject('examples/kubernetes-test-spring');
  let ns: string;
  let dev: DevRun;
  let url: string;
  let debugPort: number;

  beforeAll(async () => {
    writeFileSync(join(app.dir, CONTROLLER), controllerSource('Hello v1'));
    writeFileSync(join(app.dir, PROPERTIES), readFileSync(join(app.dir, PROPERTIES), 'utf8') + 'live.suffix=first\n');
    ns = await newNamespace('live-e2e');
    debugPort = await freePort();
    dev = new DevRun([app.dir, '-n', ns, '--builder', 'maven', '--skip-tests', '--load', LOAD, '--port', '0', '--debug-port', String(debugPort)]);
    const first = await dev.waitFor(isDevRun, 0, 900_000, 'the first deploy');
    expect(first.ok, dev.stderr).toBe(true);
    url = String(first.url);
    await dev.waitFor((e) => e.type === 'debug', 0, 60_000, 'the debug forward');
    expect(await body(url + '/')).toBe('Hello v1 / first');
  });

  afterAll(async () => {
    await dev?.stop();
    await deleteNamespace(ns);
    app.remove();
  });

  it('--debug: the forwarded JDWP port completes a real handshake', async () => {
    expect(await jdwpHandshake(debugPort)).toBe('JDWP-Handshake');
    expect(dev.stderr).toMatch(new RegExp(`attach to localhost:${debugPort}`));
  });

  it('a controller edit is served without a new image and without replacing the pod', async () => {
    const before = await pods(ns);
    expect(before).toHaveLength(1);
    const from = dev.events.length;
    writeFileSync(join(app.dir, CONTROLLER), controllerSource('Hello live 2'));
    const end = await dev.waitFor(liveEnd, from, 180_000, 'the live update');
    expect(end, dev.stderr).toMatchObject({ status: 'end', ok: true, pods: [before[0]!.name] });
    expect(end.files).toContain('com/example/kubernetesspring/HelloController.class');
    expect(await body(url + '/')).toBe('Hello live 2 / first');
    expect(imageSteps(dev.events, from)).toEqual([]);
    expect(dev.events.slice(from).some(isDevRun)).toBe(false);
    const after = await pods(ns);
    expect(after.map((p) => [p.uid, p.restarts, p.image])).toEqual(before.map((p) => [p.uid, p.restarts, p.image]));
    await eventually('the live update line', async () => (/synced 1 class → spring-pod \(restart \d+\.\d s\) · served \d+\.\d s after save/.test(dev.stderr) ? true : undefined), 5000);
  });

  it('an application.properties value read at start: the new value is served', async () => {
    const before = await pods(ns);
    const from = dev.events.length;
    writeFileSync(join(app.dir, PROPERTIES), readFileSync(join(app.dir, PROPERTIES), 'utf8').replace('live.suffix=first', 'live.suffix=second'));
    const end = await dev.waitFor(liveEnd, from, 180_000, 'the live update');
    expect(end, dev.stderr).toMatchObject({ status: 'end', ok: true, files: ['application.properties'] });
    expect(await body(url + '/')).toBe('Hello live 2 / second');
    expect((await pods(ns)).map((p) => p.uid)).toEqual(before.map((p) => p.uid));
  });

  it('a compile error is reported and the old code keeps serving', async () => {
    const before = await pods(ns);
    const from = dev.events.length;
    writeFileSync(join(app.dir, CONTROLLER), controllerSource('Hello broken').replace('return GREETING', 'return GREETING +'));
    const end = await dev.waitFor(liveEnd, from, 180_000, 'the failed compile');
    expect(end).toMatchObject({ status: 'end', ok: false, error: 'compile' });
    expect((end.lines as string[]).join('\n')).toMatch(/HelloController\.java/);
    await eventually('the compile failure line', async () => (/compile failed .*the pods keep the last good code/.test(dev.stderr) ? true : undefined), 5000);
    expect(await body(url + '/')).toBe('Hello live 2 / second');
    expect((await pods(ns)).map((p) => [p.uid, p.restarts])).toEqual(before.map((p) => [p.uid, p.restarts]));
    // Fixed: the next save goes live again.
    const again = dev.events.length;
    writeFileSync(join(app.dir, CONTROLLER), controllerSource('Hello fixed 3'));
    expect(await dev.waitFor(liveEnd, again, 180_000, 'the live update after the fix')).toMatchObject({ status: 'end', ok: true });
    expect(await body(url + '/')).toBe('Hello fixed 3 / second');
  });

  it('a dependency added to pom.xml falls back to the full rebuild and says why', async () => {
    const from = dev.events.length;
    const pom = readFileSync(join(app.dir, 'pom.xml'), 'utf8');
    writeFileSync(
      join(app.dir, 'pom.xml'),
      pom.replace('<dependencies>', '<dependencies>\n    <dependency>\n      <groupId>org.apache.commons</groupId>\n      <artifactId>commons-lang3</artifactId>\n    </dependency>'),
    );
    const fallback = await dev.waitFor(liveEnd, from, 60_000, 'the fallback');
    expect(fallback).toMatchObject({ status: 'fallback', file: 'pom.xml' });
    expect(String(fallback.reason)).toMatch(/pom\.xml changed \(dependencies or build configuration\)/);
    const run = await dev.waitFor(isDevRun, from, 900_000, 'the rebuild');
    expect(dev.stderr).toMatch(/live update not possible: pom\.xml changed .* → full rebuild and redeploy/);
    expect(run.ok, dev.stderr).toBe(true);
    expect(imageSteps(dev.events, from).map((e) => e.step)).toEqual(['build', 'image', 'dev-image']);
    await eventually('the rebuilt app', async () => ((await body(url + '/')) === 'Hello fixed 3 / second' ? true : undefined), 120_000);
  });

  it('a pod deleted after live updates: its replacement serves the current code', async () => {
    // A live update into the rebuilt pod, so the image is behind the sources again.
    let from = dev.events.length;
    writeFileSync(join(app.dir, CONTROLLER), controllerSource('Hello after delete 4'));
    expect(await dev.waitFor(liveEnd, from, 180_000, 'the live update')).toMatchObject({ status: 'end', ok: true });
    const [old] = await pods(ns);
    from = dev.events.length;
    await kubectl(['delete', 'pod', '-n', ns, old!.name, '--wait=false']);
    const fallback = await dev.waitFor((e) => e.type === 'live' && e.status === 'fallback', from, 60_000, 'the replaced-pod fallback');
    expect(String(fallback.reason)).toMatch(/after 1 live update: the image lacks them/);
    const run = await dev.waitFor(isDevRun, from, 900_000, 'the redeploy');
    expect(run.ok, dev.stderr).toBe(true);
    const [now] = await pods(ns);
    expect(now!.uid).not.toBe(old!.uid);
    expect(now!.image).not.toBe(old!.image);
    await eventually('the replacement serving the current code', async () => ((await body(url + '/')) === 'Hello after delete 4 / second' ? true : undefined), 120_000);
  });
});

describe('ship dev: live update reaches every replica', () => {
  const app = copyProject('examples/kubernetes-test-spring');
  let ns: string;
  let dev: DevRun;

  beforeAll(async () => {
    writeFileSync(join(app.dir, CONTROLLER), controllerSource('Replica v1'));
    ns = await newNamespace('live-e2e-rep');
    dev = new DevRun([app.dir, '-n', ns, '--builder', 'maven', '--skip-tests', '--load', LOAD, '--port', '0', '--replicas', '2']);
    const first = await dev.waitFor(isDevRun, 0, 900_000, 'the first deploy');
    expect(first.ok, dev.stderr).toBe(true);
  });

  afterAll(async () => {
    await dev?.stop();
    await deleteNamespace(ns);
    app.remove();
  });

  it('two replicas: both serve the edit, neither is replaced', async () => {
    const before = await pods(ns);
    expect(before.map((p) => p.name)).toEqual(['spring-pod-1', 'spring-pod-2']);
    for (const p of before) expect(await podBody(ns, p.name)).toBe('Replica v1 / none');
    const from = dev.events.length;
    writeFileSync(join(app.dir, CONTROLLER), controllerSource('Replica live 2'));
    const end = await dev.waitFor(liveEnd, from, 180_000, 'the live update');
    expect(end, dev.stderr).toMatchObject({ status: 'end', ok: true, pods: ['spring-pod-1', 'spring-pod-2'] });
    for (const p of before) expect(await podBody(ns, p.name)).toBe('Replica live 2 / none');
    expect((await pods(ns)).map((p) => [p.uid, p.restarts])).toEqual(before.map((p) => [p.uid, p.restarts]));
    await eventually('the live update line', async () => (/synced 1 class → spring-pod-1, spring-pod-2/.test(dev.stderr) ? true : undefined), 5000);
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
