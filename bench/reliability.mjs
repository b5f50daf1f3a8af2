#!/usr/bin/env node
// The reliability figures of issue 9, measured on this machine (printed; nothing asserted here —
// the e2e tests assert the bounds):
//   manifests  peak memory (max RSS, /usr/bin/time -f %M) of `ship render … --manifest FILE` for
//              1 MiB, 4 MiB and 5 MiB (over the 4 MiB limit: refused, exit 10) of ConfigMaps
//   forward    the held forward under `prlimit --nofile=1024:1024`: requests until the first
//              failure, fds and RSS every 500 requests, 200 concurrent, fds back to baseline
//              (test/e2e/forward-load.test.ts with SHIP_FWD_REQUESTS, default 5000 here)
//   soak       `ship dev` over SHIP_SOAK_EDITS edits (default 20): per-edit time, RSS, fds, and
//              ship's images of the app in Docker and on the node (test/e2e/soak.test.ts)
// The forward and soak parts use the shared Docker engine and test cluster: they take the e2e lock.
//
//   npm run build && node bench/reliability.mjs [manifests] [forward] [soak]   (default: all three)

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'dist/cli.js');
const parts = process.argv.slice(2).length ? process.argv.slice(2) : ['manifests', 'forward', 'soak'];
const MiB = 1024 * 1024;

function manifests() {
  const dir = mkdtempSync(join(tmpdir(), 'ship-bench-rel-'));
  try {
    const app = join(dir, 'busybox-app');
    cpSync(join(repo, 'test/fixtures/busybox-app'), app, { recursive: true });
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: busybox-app\nspec:\n  containers:\n    - name: app\n      image: busybox-app\n';
    const filler = 'x'.repeat(900);
    console.log('manifest size   documents  exit  peak RSS   time');
    for (const size of [1 * MiB, 4 * MiB - 64 * 1024, 5 * MiB]) {
      const docs = [pod];
      let bytes = pod.length;
      for (let i = 0; bytes < size; i++) {
        const d = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  v: "${filler}"\n`;
        docs.push(d);
        bytes += d.length + 4;
      }
      const file = join(dir, `m-${size}.yaml`);
      writeFileSync(file, docs.join('---\n'));
      const t0 = Date.now();
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, 'render', app, '--tag', 't1', '--manifest', file], { encoding: 'utf8', maxBuffer: 64 * MiB });
      const kb = Number(r.stderr.trim().split('\n').at(-1));
      console.log(`${(bytes / MiB).toFixed(2).padStart(5)} MiB       ${String(docs.length).padEnd(10)} ${String(r.status).padEnd(5)} ${(kb / 1024).toFixed(0).padStart(4)} MB    ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one e2e test file under the shared lock and prints the lines it logs with its figures. */
function e2e(file, env, pick) {
  const r = spawnSync('flock', ['/tmp/ship-e2e.lock', 'npx', 'vitest', 'run', '--project', 'e2e', file], {
    cwd: repo,
    env: { ...process.env, ...env, FORCE_COLOR: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
  });
  const out = r.stdout + r.stderr;
  const lines = out.split('\n').filter(pick);
  console.log(lines.length ? lines.join('\n') : out.slice(-3000));
  console.log(`(${file}: ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status})`})`);
}

const machine = () => {
  const cpus = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim().split(' ').slice(0, 3).join(' ');
  return `${cpus} CPUs, load ${load}, node ${process.version}`;
};

console.log(`# ship reliability figures · ${new Date().toISOString()} · ${machine()}`);
if (parts.includes('manifests')) {
  console.log('\n## peak memory of ship render by manifest size');
  manifests();
}
if (parts.includes('forward')) {
  console.log('\n## the held forward under nofile=1024');
  e2e('test/e2e/forward-load.test.ts', { SHIP_FWD_REQUESTS: process.env.SHIP_FWD_REQUESTS ?? '5000' }, (l) => l.startsWith('forward under'));
}
if (parts.includes('soak')) {
  console.log('\n## ship dev soak (per edit)');
  let on = false;
  e2e('test/e2e/soak.test.ts', { SHIP_SOAK_EDITS: process.env.SHIP_SOAK_EDITS ?? '20' }, (l) => {
    if (l.startsWith('edit  ms')) on = true;
    else if (on && !/^\d/.test(l)) on = false;
    return on;
  });
}
