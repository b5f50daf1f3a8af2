// A Docker engine that goes away in the middle of a streamed answer (issue 9, item 2): a fake
// engine on a unix socket starts the answer, then closes the connection, as a dockerd that is
// stopped does. ship must say the daemon stopped answering (exit 6), not crash with "aborted".

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDocker } from '../../src/adapters/docker/client.js';
import { rejectedShipError } from '../support/ship-error.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let dir: string;
let server: Server;
let sock: string;
let routes: Array<[RegExp, Handler]>;
const seen: string[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ship-fake-docker-'));
  sock = join(dir, 'docker.sock');
  routes = [];
  seen.length = 0;
  server = createServer((req, res) => {
    req.resume();
    const line = `${req.method} ${req.url!.replace(/^\/v[\d.]+/, '')}`;
    seen.push(line);
    const r = routes.find(([re]) => re.test(line));
    if (r) r[1](req, res);
    else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'not found' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
});
afterEach(async () => {
  server.closeAllConnections();
  if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ DOCKER_HOST: `unix://${sock}`, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') });
const context = () => Readable.from([Buffer.alloc(1024)]);
/** Starts a streamed answer, sends these lines, then drops the connection. */
const dropAfter = (lines: object[]): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  for (const l of lines) res.write(JSON.stringify(l) + '\n');
  setTimeout(() => res.socket?.destroy(), 50);
};

describe('Docker engine stopped mid-stream', () => {
  it('a build whose connection drops is the daemon\'s failure (exit 6, named), not an internal error', async () => {
    routes.push([/^POST \/build/, dropAfter([{ stream: 'Step 1/2 : FROM ship.local/busybox:1\n' }, { stream: ' ---> Running in 0123456789ab\n' }])]);
    const docker = createDocker(env());
    const err = await rejectedShipError(docker.buildImage({ context: context(), dockerfile: 'Dockerfile', tags: ['demo:ship-000000000001'], labels: {} }));
    expect(err.code).toBe('docker');
    expect(err.exitCode).toBe(6);
    expect(err.message).toContain(`unix://${sock}`);
    expect(err.message).toMatch(/stopped during the image build: the connection closed \(ECONNRESET\)/);
  });

  it('a RUN step killed by a daemon that is shutting down (137, then no answer) is the daemon\'s failure too', async () => {
    routes.push([/^POST \/build/, (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ stream: 'Step 3/4 : RUN sleep 120\n' }) + '\n');
      res.end(JSON.stringify({ errorDetail: { message: "The command '/bin/sh -c sleep 120' returned a non-zero code: 137" }, error: 'x' }) + '\n');
      server.close(); // the API goes away right after
    }]);
    const err = await rejectedShipError(createDocker(env()).buildImage({ context: context(), dockerfile: 'Dockerfile', tags: ['demo:ship-000000000001'], labels: {} }));
    expect(err.code).toBe('docker');
    expect(err.message).toMatch(/stopped during the image build: it stopped answering after: Docker build failed at step 3: RUN sleep 120/);
  });

  it('the same failure with the daemon still answering stays the build\'s failure (exit 5)', async () => {
    routes.push([/^GET \/_ping/, (_q, res) => res.end('OK')]);
    routes.push([/^POST \/build/, (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errorDetail: { message: "The command '/bin/sh -c java -jar big.jar' returned a non-zero code: 137" }, error: 'x' }) + '\n');
    }]);
    const err = await rejectedShipError(createDocker(env()).buildImage({ context: context(), dockerfile: 'Dockerfile', tags: ['demo:ship-000000000001'], labels: {} }));
    expect(err.code).toBe('image');
  }, 15_000);

  it('the next build removes the stopped intermediate container the dropped build left, and no other', async () => {
    routes.push([/^POST \/build/, dropAfter([{ stream: ' ---> Running in 0123456789ab\n' }])]);
    // Still down when the build ends: the engine cannot tell whether the container is there.
    routes.push([/^GET \/containers\//, (_q, res) => res.socket?.destroy()]);
    const first = createDocker(env());
    await rejectedShipError(first.buildImage({ context: context(), dockerfile: 'Dockerfile', tags: ['demo:ship-000000000001'], labels: {} }));
    expect(readdirSync(join(dir, 'cache/ship/build-containers'), { recursive: true }).some((f) => String(f).endsWith('.json'))).toBe(true);

    // The engine is back; the container is stopped ("Created"); another container is never asked about.
    routes.length = 0;
    const removed: string[] = [];
    routes.push([/^GET \/containers\/0123456789ab\/json/, (_q, res) => res.end(JSON.stringify({ Id: '0123456789ab', State: { Running: false, Status: 'created' } }))]);
    routes.push([/^DELETE \/containers\/0123456789ab/, (q, res) => (removed.push(q.url!), res.writeHead(204), res.end())]);
    routes.push([/^POST \/build/, (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ aux: { ID: 'sha256:' + 'a'.repeat(64) } }) + '\n' + JSON.stringify({ stream: 'Successfully built aaaaaaaaaaaa\n' }) + '\n');
    }]);
    const lines: string[] = [];
    const second = createDocker(env());
    const built = await second.buildImage({ context: context(), dockerfile: 'Dockerfile', tags: ['demo:ship-000000000002'], labels: {}, onLine: (l) => lines.push(l) });
    expect(built.id).toBe('sha256:' + 'a'.repeat(64));
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatch(/\/containers\/0123456789ab\?v=true/);
    expect(lines.join('\n')).toMatch(/removed 1 intermediate container/);
    expect(seen.filter((s) => s.startsWith('DELETE'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'cache/ship/build-containers'), { recursive: true }).some((f) => String(f).endsWith('.json'))).toBe(false);
  });

  it('docker save whose connection drops fails as the daemon\'s failure', async () => {
    routes.push([/^GET \/images\/.*\/get/, (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-tar' });
      res.write(Buffer.alloc(4096));
      setTimeout(() => res.socket?.destroy(), 50);
    }]);
    const docker = createDocker(env());
    const stream = await docker.saveImage('demo:ship-000000000001');
    const err = await rejectedShipError(
      new Promise((resolve, reject) => {
        stream.on('error', reject);
        stream.on('end', resolve);
        stream.resume();
      }),
    );
    expect(err.code).toBe('docker');
    expect(err.message).toMatch(/stopped during docker save demo:ship-000000000001/);
  });

  it('a push whose connection drops fails as the daemon\'s failure', async () => {
    routes.push([/^POST \/images\/.*\/push/, dropAfter([{ status: 'The push refers to repository [localhost:5000/demo]' }])]);
    const docker = createDocker(env());
    const err = await rejectedShipError(docker.pushImage('localhost:5000/demo', 'ship-000000000001'));
    expect(err.code).toBe('docker');
    expect(err.message).toMatch(/stopped during the push/);
  });
});
