#!/usr/bin/env node
// ship's benchmark: prints figures, asserts nothing (targets are compared by a person, as ratios
// measured in this same run). Usage:
//   node bench/run.mjs            start-up figures (no Docker or cluster needed)
//   node bench/run.mjs --deploy   also ship's own CPU time per deploy run against the test cluster
//     --runs N                    N deploy runs (default 3)
//     --cli PATH                  another build's cli.js (to compare builds in the same conditions)
//   node bench/load.mjs           the load step against the `kind load` path (see bench/README.md)
import { execa } from 'execa';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const cli = resolve(arg('--cli') ?? resolve(repo, 'dist/cli.js'));
console.log(`# ${cli}`);

/** The median of sorted numbers (the mean of the middle two for an even count). */
const median = (xs) => (xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2);

async function wallMs(cmd, args, runs = 15) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await execa(cmd, args, { reject: false });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: median(times), min: times[0], max: times[times.length - 1] };
}

const fmt = (r) => `median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)})`;

console.log('# start-up (15 runs each, wall time)');
const bare = await wallMs(process.execPath, ['-e', '0']);
const help = await wallMs(process.execPath, [cli, '--help']);
const ver = await wallMs(process.execPath, [cli, '--version']);
console.log(`node -e 0        ${fmt(bare)}`);
console.log(`ship --help      ${fmt(help)}   target <= 250 ms   ratio to bare node ${(help.median / bare.median).toFixed(2)}x`);
console.log(`ship --version   ${fmt(ver)}   target <= 250 ms   ratio to bare node ${(ver.median / bare.median).toFixed(2)}x`);

if (process.argv.includes('--deploy')) {
  // ship's own time beyond the external tools it waits on: the CPU time of ship's own process
  // (user + system, children excluded), which ship reports in its --json result event.
  // ship's code cache goes to a directory of this bench's own, empty at the start: run 1 has only
  // the build's seed in dist/ (and writes the cache), the later runs use the cache.
  const cacheHome = mkdtempSync(join(tmpdir(), 'ship-bench-cache-'));
  const removeCache = () => rmSync(cacheHome, { recursive: true, force: true });
  process.once('exit', removeCache);
  process.once('SIGINT', () => process.exit(130));
  const cacheFiles = () => {
    try {
      return readdirSync(join(cacheHome, 'ship')).filter((f) => f.endsWith('.v8cache')).length;
    } catch {
      return 0;
    }
  };
  const env = { ...process.env, KUBECONFIG: process.env.KUBECONFIG ?? '/var/lib/ship-cluster/kubeconfig', CI: 'true', XDG_CACHE_HOME: cacheHome };
  const app = resolve(repo, 'test/fixtures/gradle-app');
  const args = [cli, app, '--json', '--detach', '--port', '0', '--load', 'containerd:/run/ship-cluster/containerd.sock', '--namespace', 'ship-bench'];
  const runs = Number(arg('--runs') ?? 3);
  // A namespace left terminating by an earlier bench would refuse the apply: wait until it is gone.
  await execa('kubectl', ['delete', 'namespace', 'ship-bench', '--ignore-not-found', '--wait=true', '--timeout=120s'], { env, reject: false });
  await execa('kubectl', ['create', 'namespace', 'ship-bench'], { env, reject: false });
  console.log(`\n# ${runs} deploy runs of test/fixtures/gradle-app (the first creates the pod, and builds if the sources changed; later ones are unchanged re-runs)`);
  const cpus = [];
  for (let i = 1; i <= runs; i++) {
    const cache = cacheFiles() > 0 ? 'code cache present' : 'no code cache yet (seed from dist/)';
    const t = process.hrtime.bigint();
    const r = await execa(process.execPath, args, { env, reject: false });
    const wall = Number(process.hrtime.bigint() - t) / 1e6;
    const result = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'result');
    const cpu = result?.selfCpuMs;
    if (r.exitCode !== 0 || cpu === undefined) {
      console.log(`run ${i}: exit ${r.exitCode} · no selfCpuMs · ${result?.error ?? r.stderr.split('\n').slice(-3).join(' ')}`);
      continue;
    }
    if (i > 1) cpus.push(cpu);
    console.log(`run ${i}: exit ${r.exitCode} · wall ${(wall / 1000).toFixed(1)} s · ship's own CPU ${cpu.toFixed(0)} ms (target <= 500 ms) · ${((cpu / wall) * 100).toFixed(1)}% of the wall time · ${cache}`);
  }
  if (cpus.length > 0) {
    cpus.sort((a, b) => a - b);
    console.log(`unchanged re-runs (2..${runs}): median ${median(cpus).toFixed(0)} ms, min ${cpus[0].toFixed(0)}, max ${cpus[cpus.length - 1].toFixed(0)}`);
  }
  await execa('kubectl', ['delete', 'namespace', 'ship-bench', '--wait=false'], { env, reject: false });
}
