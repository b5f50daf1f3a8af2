// An app with its database on the two-node test cluster: spring-db (JPA) reaches PostgreSQL as
// jdbc:postgresql://postgres:5432/ships through cluster DNS and kube-proxy. PostgreSQL runs on the
// first node, the app is pinned to the second, whose containerd only has the image because ship's
// containerd loader put it on every node. ship waits for both, forwards the app, and its smoke
// check reads from the database; ship status lists both; ship delete removes both.

import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_ALL, SOCKET, SOCKET_NODE2, cli, copyProject, deleteNamespace, kubectl, newNamespace, parseEvents, shipEnv, shipHolding, stepStatus } from './helpers.js';

const POSTGRES = 'ship.local/postgres:15';
let ns = '';
const app = copyProject('test/fixtures/spring-db');

function ship(args: string[]) {
  return execa(process.execPath, [cli, ...args], { env: shipEnv(), reject: false, timeout: 180_000 });
}

beforeAll(async () => {
  // the database image is not ship's to load: the test puts it on both nodes
  for (const socket of [SOCKET, SOCKET_NODE2]) {
    await execa('bash', ['-c', `docker save ${POSTGRES} | ctr -a ${socket} -n k8s.io images import - >/dev/null`]);
  }
  ns = await newNamespace('e2e-db');
});
afterAll(async () => {
  await deleteNamespace(ns);
  app.remove();
});

describe('spring-db with PostgreSQL', () => {
  it('is served through DNS across the two nodes, listed by status, removed by delete', async () => {
    const held = await shipHolding([app.dir, '--builder', 'maven', '--skip-tests', '--load', LOAD_ALL, '-n', ns, '--port', '0', '--smoke-path', '/greetings']);
    let tag = '';
    try {
      // ship's own smoke check read from the database (--smoke-path /greetings)
      expect(stepStatus(held.events, 'smoke'), held.stderr()).toBe('done');
      const r = await fetch(held.url + '/greetings', { signal: AbortSignal.timeout(30_000) });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { greetings: string[]; database: string; server: string };
      expect(body.greetings).toContain('Hello from PostgreSQL');
      expect(body.database).toBe('jdbc:postgresql://postgres:5432/ships');
      expect(body.server).toMatch(/^PostgreSQL 15\./);

      const pods = JSON.parse((await kubectl(['get', 'pods', '-n', ns, '-o', 'json'])).stdout).items;
      const nodeOf = (prefix: string) => pods.find((p: any) => p.metadata.name.startsWith(prefix))?.spec.nodeName;
      expect(nodeOf('spring-db-')).toBe('ship-node2');
      expect(nodeOf('postgres-')).toBe('ship-node');
      const appPod = pods.find((p: any) => p.metadata.name.startsWith('spring-db-'));
      tag = appPod.spec.containers[0].image;
      expect(tag).toMatch(/^spring-db:ship-[0-9a-f]{12}$/);
      // the second node's own containerd holds the image ship built
      const onNode2 = await execa('ctr', ['-a', SOCKET_NODE2, '-n', 'k8s.io', 'images', 'ls', '-q']);
      expect(onNode2.stdout.split('\n')).toContain(`docker.io/library/${tag}`);

      const status = await ship(['status', app.dir, '-n', ns, '--json']);
      expect(status.exitCode, status.stderr).toBe(0);
      const ev = parseEvents(status.stdout).find((e) => e.type === 'status') as unknown as { pods: Array<{ name: string; podReady: boolean }> };
      const names = ev.pods.map((p) => p.name);
      expect(names.some((n) => n.startsWith('spring-db-'))).toBe(true);
      expect(names.some((n) => n.startsWith('postgres-'))).toBe(true);
      expect(ev.pods.every((p) => p.podReady)).toBe(true);
    } finally {
      expect(await held.stop()).toBe(0);
    }

    const del = await ship(['delete', app.dir, '-n', ns, '--json']);
    expect(del.exitCode, del.stderr).toBe(0);
    const result = parseEvents(del.stdout).find((e) => e.type === 'result') as unknown as { deleted: Array<{ kind: string; name: string }> };
    expect(result.deleted.map((o) => `${o.kind}/${o.name}`).sort()).toEqual(
      ['Deployment/postgres', 'Deployment/spring-db', 'Secret/postgres-credentials', 'Service/postgres', 'Service/spring-db'].sort(),
    );
    const left = (await kubectl(['get', 'all', '-n', ns, '-o', 'name'])).stdout.trim();
    expect(left).toBe('');
  });
});
