// A `ship dev` session of 20 edits (issue 9, item 5), on the tiny busybox-app (its image builds in
// about a second): ship's images of the app in Docker and on the node stay bounded (it keeps the
// newest 3 and the one the pod runs), the ship process's RSS and open fds stay bounded, and its
// output has no warning (such as MaxListenersExceededWarning). Before the fix every edit added one
// image to each store. Prints the per-edit figures (quoted in bench/README.md).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyProject, deleteNamespace, LOAD, newNamespace, spawnShip, waitForCluster, type ShipProcess } from './helpers.js';
import { appOf, dockerImagesOf, nodeImagesOf, procStats, removeAppImages } from './faults.js';
import { get } from '../support/http.js';
import { until } from '../support/until.js';

const EDITS = Number(process.env.SHIP_SOAK_EDITS ?? 20);
let ns = '';
let dev: ShipProcess | undefined;
const app = copyProject('test/fixtures/busybox-app', 'ship-soak-');
const name = appOf(app.dir);

beforeAll(async () => {
  await waitForCluster(20 * 60_000);
  ns = await newNamespace('e2e-soak');
});

afterAll(async () => {
  if (dev?.running) await dev.stop();
  await deleteNamespace(ns);
  await removeAppImages(name);
  app.remove();
});

interface Sample {
  edit: number;
  rssMb: number;
  fds: number;
  docker: number;
  node: number;
  ms: number;
}

describe(`ship dev over ${EDITS} edits`, () => {
  it('keeps images, RSS and fds bounded and prints no warning', async () => {
    dev = spawnShip(['dev', app.dir, '--load', LOAD, '-n', ns, '--port', '0'], { timeoutMs: 1_800_000 });
    const summary = await dev.next((e) => e.type === 'summary', { timeoutMs: 300_000 });
    const url = summary.url as string;
    const pid = dev.child.pid!;
    const samples: Sample[] = [];
    const sample = async (edit: number, ms: number) => {
      const s = { edit, ...procStats(pid), docker: (await dockerImagesOf(name)).length, node: (await nodeImagesOf(name)).length, ms };
      samples.push(s);
      return s;
    };
    // Figures are taken once ship has pruned after the deploy (a ship without pruning: 15 s later).
    const pruned = (from: number) => dev!.next((e) => e.type === 'prune', { from, timeoutMs: 15_000 }).catch(() => undefined);
    await pruned(0);
    await sample(0, 0);

    for (let n = 1; n <= EDITS; n++) {
      const from = dev.events.length;
      const t0 = Date.now();
      writeFileSync(join(app.dir, 'www/index.html'), `hello from busybox-app v${n + 1}\n`);
      const run = await dev.next((e) => e.type === 'dev-run', { from, timeoutMs: 300_000 });
      expect(run.ok, JSON.stringify(run)).toBe(true);
      await pruned(from);
      const ms = Date.now() - t0;
      const body = await until('the new page', async () => {
        const r = await get(url, 5_000).catch(() => undefined);
        return r?.body.includes(`v${n + 1}`) ? r.body : undefined;
      }, { timeoutMs: 30_000, everyMs: 200 });
      expect(body.trim()).toBe(`hello from busybox-app v${n + 1}`);
      const s = await sample(n, ms);
      // Bounded images: the newest 3, plus one a pod that is going away may still run.
      expect(s.docker, `Docker images after edit ${n}`).toBeLessThanOrEqual(4);
      expect(s.node, `node images after edit ${n}`).toBeLessThanOrEqual(4);
    }

    console.log(['edit  ms     rssMB  fds  docker node', ...samples.map((s) => `${String(s.edit).padEnd(5)} ${String(s.ms).padEnd(6)} ${String(s.rssMb).padEnd(6)} ${String(s.fds).padEnd(4)} ${String(s.docker).padEnd(6)} ${s.node}`)].join('\n'));
    // RSS and fds level off: the last quarter no higher than the first quarter after warm-up, give or take.
    const warm = samples.slice(2, 2 + Math.ceil(EDITS / 4));
    const last = samples.slice(-Math.ceil(EDITS / 4));
    const max = (xs: number[]) => Math.max(...xs);
    expect(max(last.map((s) => s.rssMb))).toBeLessThanOrEqual(max(warm.map((s) => s.rssMb)) + 40);
    expect(max(last.map((s) => s.fds))).toBeLessThanOrEqual(max(warm.map((s) => s.fds)) + 8);
    expect(dev.stderr()).not.toMatch(/warning|MaxListeners/i);
    expect(await dev.stop()).toBe(0);
  });
});
