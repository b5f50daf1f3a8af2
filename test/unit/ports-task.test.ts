import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAppPorts, openedPortGuard } from '../../src/tasks/ports.js';
import { memoryOutput } from '../../src/pipeline/output.js';
import { ShipError } from '../../src/errors.js';

const example = join(import.meta.dirname, '../../examples/kubernetes-test-spring');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(serverPort: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ship-ports-'));
  dirs.push(dir);
  cpSync(example, dir, { recursive: true, filter: (s) => !/\/(build|target)(\/|$)/.test(s.slice(example.length)) });
  const props = join(dir, 'src/main/resources/application.properties');
  writeFileSync(props, readFileSync(props, 'utf8').replace(/^server\.port=.*$/m, serverPort));
  return dir;
}
const input = (dir: string, portRemote?: number) => ({ projectDir: dir, manifests: [], project: { name: 'kubernetes-spring', actuator: true }, repository: 'kubernetes-spring', portRemote });

describe('checkAppPorts on the example', () => {
  it('server.port=9090 against spring-pod.yaml\'s containerPort 8080: exit 19 naming file:line', async () => {
    const out = memoryOutput(true);
    const e = await checkAppPorts(input(project('server.port=9090')), out).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ShipError);
    expect((e as ShipError).exitCode).toBe(19);
    expect((e as ShipError).message).toBe("The app listens on 9090, set by src/main/resources/application.properties:2 (server.port=9090), but in spring-pod.yaml containerPort (the forward's target) is 8080.");
  });

  it('agreeing: the readiness advice once (spring-pod.yaml has no probe, the app has Actuator)', async () => {
    const out = memoryOutput();
    const facts = await checkAppPorts(input(project('server.port=8080')), out);
    expect(facts.target).toEqual({ port: 8080, what: 'containerPort in spring-pod.yaml' });
    expect(out.lines.filter((l) => l.includes('no readiness probe'))).toHaveLength(1);
    // ship dev checks again on every deploy, on the same output: the advice is not repeated.
    const dir = project('server.port=8080');
    await checkAppPorts(input(dir), out);
    await checkAppPorts(input(dir), out);
    expect(out.lines.filter((l) => l.includes('no readiness probe'))).toHaveLength(1);
    // A new session (a new output) hears it again.
    const next = memoryOutput();
    await checkAppPorts(input(dir), next);
    expect(next.lines.filter((l) => l.includes('no readiness probe'))).toHaveLength(1);
  });

  it('a placeholder only warns', async () => {
    const out = memoryOutput();
    await checkAppPorts(input(project('server.port=${APP_PORT:9090}')), out);
    expect(out.lines[0]).toMatch(/^warning: The app probably listens on 9090/);
  });

  it('--port 18080:9090 agrees with server.port=9090 (containerPort 8080 only warns)', async () => {
    const out = memoryOutput();
    const facts = await checkAppPorts(input(project('server.port=9090'), 9090), out);
    expect(facts.target.port).toBe(9090);
  });
});

describe('openedPortGuard', () => {
  const recorded = readFileSync(join(import.meta.dirname, 'fixtures/spring-logs/wrong-port-tomcat.log'), 'utf8').split('\n');
  const facts = { checks: [], target: { port: 8080, what: 'containerPort in spring-pod.yaml' }, container: 'app' };

  it('the recorded Tomcat log on 19090 while ship forwards to 8080: exit 19 with both ports', async () => {
    const e = (await openedPortGuard(facts, async () => recorded)().catch((x: unknown) => x)) as ShipError;
    expect(e.exitCode).toBe(19);
    expect(e.message).toBe('The app listens on 19090, not on 8080: its log says "Tomcat started on port 19090", but ship forwards to 8080 (containerPort in spring-pod.yaml).');
  });

  it('not started yet, or started on the target: nothing; the log is read at most once a second', async () => {
    let reads = 0;
    let t = 0;
    const guard = openedPortGuard({ ...facts, target: { port: 19090, what: 'x' } }, async () => (reads++, recorded), 1000, () => t);
    await guard();
    await guard();
    t = 1500;
    await guard();
    expect(reads).toBe(2);
    await openedPortGuard(facts, async () => recorded.slice(0, 5))();
  });
});
