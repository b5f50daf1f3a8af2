#!/usr/bin/env node
// Benchmark of the load step: ship's kind loader (docker save streamed straight into `ctr images
// import -` inside the node, leaving out layers the node already holds) against what `kind load
// docker-image` does (docker save -o a temp file, then the file on the stdin of `docker exec -i
// NODE ctr images import -`), in the same run, each time into a fresh kind-like node
// (ship.local/kind-node-lite, real containerd). Two cases:
//   first load  — a ~300 MB image into an empty node;
//   new build   — the node already holds the ~300 MB base (an earlier deploy), and the image is a
//                 new build on it: the base plus a ~20 MB application layer (what a code change gives).
// Prints figures; asserts nothing. Targets: ship's wall time <= 0.8x the kind path, ship's peak
// RSS during the load < 150 MB (measured in a child process that does only the load).
//
// usage: node bench/load.mjs [--runs N] [--image REF]
//   --image  the base image (default: eclipse-temurin:17-jre, built by test/images/build.sh)
// Needs a running Docker engine and root (debootstrap for the node image on first use).
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const repo = resolve(import.meta.dirname, '..');
const outDir = join(repo, 'node_modules/.cache/ship-bench-load');

// ---------------------------------------------------------------------------------------------
// Child mode: one load with ship's loader, then report wall time and peak RSS.
if (process.argv[2] === '--child') {
  const [, , , cluster, ref, id] = process.argv;
  const { createDocker } = await import(pathToFileURL(join(outDir, 'adapters/docker/client.js')).href);
  const { createLoader } = await import(pathToFileURL(join(outDir, 'adapters/loaders/index.js')).href);
  const { execaRunner } = await import(pathToFileURL(join(outDir, 'adapters/process.js')).href);
  const docker = createDocker(process.env);
  const loader = createLoader({ kind: 'kind', cluster }, { docker, runner: execaRunner, env: process.env });
  const rssBefore = process.resourceUsage().maxRSS;
  const t = process.hrtime.bigint();
  const marks = [];
  const result = await loader.load({ ref, id }, { onInfo: (m) => marks.push(`${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)}s ${m}`) });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  process.stdout.write(JSON.stringify({ ms, marks, maxRssKb: process.resourceUsage().maxRSS, rssBeforeKb: rssBefore, result }) + '\n');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt('--runs', '3'));
const source = opt('--image', 'eclipse-temurin:17-jre');
const suffix = Date.now().toString(36);
const cluster = `shipbench-${suffix}`;
const node = `${cluster}-control-plane`;
const ref = `ship-bench/load:${suffix}`;
const appRef = `ship-bench/app:${suffix}`;

const sh = (cmd, argv, o = {}) => execa(cmd, argv, { maxBuffer: 1e9, ...o });
const sec = (ms) => (ms / 1000).toFixed(1) + ' s';

async function freshNode() {
  await sh('docker', ['rm', '-f', '-v', node], { reject: false });
  await sh('docker', [
    'run', '-d', '--name', node,
    '--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
    '-v', '/var/lib/containerd',
    '--label', `io.x-k8s.kind.cluster=${cluster}`, '--label', 'io.x-k8s.kind.role=control-plane',
    'ship.local/kind-node-lite:1',
  ]);
  for (let i = 0; i < 100; i++) {
    if ((await sh('docker', ['exec', node, 'ctr', 'version'], { reject: false })).exitCode === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('containerd in the bench node did not answer');
}

/** Let the previous run's writes (and the removed node's volume) reach the disk before timing. */
async function settle() {
  await sh('sync', []);
  await new Promise((r) => setTimeout(r, 2000));
  await sh('sync', []);
}

async function present(image) {
  const r = await sh('docker', ['exec', node, 'ctr', '-n', 'k8s.io', 'images', 'ls', '-q'], { reject: false });
  return r.stdout.split('\n').includes(`docker.io/${image}`);
}

/** `kind load docker-image`'s own steps: docker save -o a temp file, then the file on ctr's stdin. */
async function kindLoad(image, dir) {
  const tar = join(dir, 'image.tar');
  const t = process.hrtime.bigint();
  await sh('docker', ['save', '-o', tar, image]);
  const tSaved = process.hrtime.bigint();
  await sh('docker', ['exec', '-i', node, 'ctr', '--namespace=k8s.io', 'images', 'import', '--all-platforms', '--digests', '--snapshotter=overlayfs', '-'], { inputFile: tar });
  const end = process.hrtime.bigint();
  return { ms: Number(end - t) / 1e6, saveMs: Number(tSaved - t) / 1e6, importMs: Number(end - tSaved) / 1e6, tarMb: (await stat(tar)).size / 1e6 };
}

/** A fresh node; for the new-build case it already holds the base, loaded (untimed) the kind way. */
async function prepareNode(withBase) {
  await freshNode();
  if (withBase) {
    const dir = await mkdtemp(join(tmpdir(), 'ship-bench-base-'));
    try {
      await kindLoad(ref, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  await settle();
}

async function shipRun(image, id, withBase) {
  await prepareNode(withBase);
  const t = process.hrtime.bigint();
  const r = await sh(process.execPath, [join(repo, 'bench/load.mjs'), '--child', cluster, image, id]);
  const total = Number(process.hrtime.bigint() - t) / 1e6;
  const child = JSON.parse(r.stdout.trim().split('\n').pop());
  if (child.result.action !== 'loaded' || !(await present(image))) throw new Error('ship load did not load: ' + r.stdout);
  if (process.env.SHIP_BENCH_VERBOSE) console.log('  ship: ' + child.marks.join(' | '));
  return { ms: child.ms, totalMs: total, maxRssMb: child.maxRssKb / 1024, startRssMb: child.rssBeforeKb / 1024, detail: child.result.detail };
}

async function shipRepeat(image, id) {
  const r = await sh(process.execPath, [join(repo, 'bench/load.mjs'), '--child', cluster, image, id]);
  const child = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ms: child.ms, action: child.result.action };
}

async function kindRun(image, withBase) {
  await prepareNode(withBase);
  const dir = await mkdtemp(join(tmpdir(), 'ship-bench-kind-'));
  try {
    const r = await kindLoad(image, dir);
    if (!(await present(image))) throw new Error('kind path did not load');
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  console.log('# load step benchmark (bench/load.mjs)');
  await sh('bash', [join(repo, 'test/docker/kind-node/build.sh')]);
  if (source === 'eclipse-temurin:17-jre') await sh('bash', [join(repo, 'test/images/build.sh'), 'temurin']);
  // ship's sources as JavaScript for the child (tsc emits even if another file has a type error;
  // tsconfig.json itself only type-checks, hence --noEmit false; a fresh directory so a failed
  // compile cannot leave an older build in use)
  await rm(outDir, { recursive: true, force: true });
  await sh('npx', ['tsc', '-p', join(repo, 'tsconfig.json'), '--noEmit', 'false', '--outDir', outDir, '--sourceMap', 'false'], { cwd: repo, reject: false });
  await stat(join(outDir, 'adapters/loaders/index.js'));
  await sh('docker', ['tag', source, ref]);
  const id = (await sh('docker', ['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim();
  const sizeMb = Number((await sh('docker', ['image', 'inspect', '-f', '{{.Size}}', ref])).stdout.trim()) / 1e6;
  // The new build: the base plus a 20 MB application layer (random bytes, so nothing compresses or dedupes).
  const work = await mkdtemp(join(tmpdir(), 'ship-bench-app-'));
  await writeFile(join(work, 'app.jar'), randomBytes(20 * 1024 * 1024));
  await writeFile(join(work, 'Dockerfile'), `FROM ${ref}\nCOPY app.jar /app/app.jar\n`);
  await sh('docker', ['build', '-q', '-t', appRef, work], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  await rm(work, { recursive: true, force: true });
  const appId = (await sh('docker', ['image', 'inspect', '-f', '{{.Id}}', appRef])).stdout.trim();
  const cpus = (await import('node:os')).cpus().length;
  console.log(`image ${source} (${sizeMb.toFixed(0)} MB) and a new build on it (+20 MB layer), ${runs} run(s) of each case and path, alternating, fresh node each time, ${cpus} CPUs`);

  const cases = [
    { name: 'first load (empty node)', image: ref, id, withBase: false, ship: [], kind: [] },
    { name: 'new build (node holds the base)', image: appRef, id: appId, withBase: true, ship: [], kind: [] },
  ];
  try {
    for (const c of cases) {
      console.log(`\n## ${c.name}`);
      for (let i = 0; i < runs; i++) {
        // alternate which goes first so page-cache warmth does not favour one side
        if (i % 2 === 0) {
          c.kind.push(await kindRun(c.image, c.withBase));
          c.ship.push(await shipRun(c.image, c.id, c.withBase));
        } else {
          c.ship.push(await shipRun(c.image, c.id, c.withBase));
          c.kind.push(await kindRun(c.image, c.withBase));
        }
        const k = c.kind[c.kind.length - 1];
        const s = c.ship[c.ship.length - 1];
        console.log(
          `run ${i + 1}: kind path ${sec(k.ms)} (save ${sec(k.saveMs)}, import ${sec(k.importMs)}, tar ${k.tarMb.toFixed(0)} MB) · ` +
            `ship ${sec(s.ms)} (child process total ${sec(s.totalMs)}), peak RSS ${s.maxRssMb.toFixed(0)} MB (at start ${s.startRssMb.toFixed(0)} MB) · ${s.detail}`,
        );
      }
    }
    // The same image again: ship asks the node and skips (kind load also skips a node whose CRI
    // already has the image ID, after a crictl call per node).
    await settle();
    const sAgain = await shipRepeat(appRef, appId);
    console.log(`\nrepeat load (image already on the node): ship ${sec(sAgain.ms)} (${sAgain.action})`);
  } finally {
    await sh('docker', ['rm', '-f', '-v', node], { reject: false });
    await sh('docker', ['rmi', appRef, ref], { reject: false });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  console.log('');
  for (const c of cases) {
    const kMs = median(c.kind.map((k) => k.ms));
    const sMs = median(c.ship.map((s) => s.ms));
    const peak = Math.max(...c.ship.map((s) => s.maxRssMb));
    console.log(`${c.name}: kind path median ${sec(kMs)} · ship median ${sec(sMs)} · ratio ship/kind ${(sMs / kMs).toFixed(2)}x (target <= 0.80x) · ship peak RSS ${peak.toFixed(0)} MB (target < 150 MB)`);
  }
}

await main();
