#!/usr/bin/env node
// Benchmark of the load step: ship's kind loader (docker save streamed straight into `ctr images
// import -` inside the node) against the `kind load docker-image` way (docker save to a temp file,
// copy the file into the node, `ctr images import` the file), on the same ~300 MB image, in the
// same run, each time into a fresh kind-like node (ship.local/kind-node-lite, real containerd).
// Prints figures; asserts nothing. Targets: ship's wall time <= 0.8x the kind path, ship's peak
// RSS during the load < 150 MB (measured in a child process that does only the load).
//
// usage: node bench/load.mjs [--runs N] [--image REF]
//   --image  the image to load (default: eclipse-temurin:17-jre, built by test/images/build.sh)
// Needs a running Docker engine and root (debootstrap for the node image on first use).
import { execa } from 'execa';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const repo = resolve(import.meta.dirname, '..');
const outDir = join(repo, 'node_modules/.cache/ship-bench-load');

// ---------------------------------------------------------------------------------------------
// Child mode: one load with ship's loader, then report wall time and peak RSS.
if (process.argv[2] === '--child') {
  const [, , , cluster, ref, id] = process.argv;
  const { createDocker } = await import(pathToFileURL(join(outDir, 'adapters/docker.js')).href);
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
const full = `docker.io/${ref}`;

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

async function present() {
  const r = await sh('docker', ['exec', node, 'ctr', '-n', 'k8s.io', 'images', 'ls', '-q'], { reject: false });
  return r.stdout.split('\n').includes(full);
}

async function shipRun(id) {
  await freshNode();
  await settle();
  const t = process.hrtime.bigint();
  const r = await sh(process.execPath, [join(repo, 'bench/load.mjs'), '--child', cluster, ref, id]);
  const total = Number(process.hrtime.bigint() - t) / 1e6;
  const child = JSON.parse(r.stdout.trim().split('\n').pop());
  if (child.result.action !== 'loaded' || !(await present())) throw new Error('ship load did not load: ' + r.stdout);
  if (process.env.SHIP_BENCH_VERBOSE) console.log('  ship: ' + child.marks.join(' | '));
  return { ms: child.ms, totalMs: total, maxRssMb: child.maxRssKb / 1024, startRssMb: child.rssBeforeKb / 1024 };
}

async function kindRepeat() {
  const dir = await mkdtemp(join(tmpdir(), 'ship-bench-kind-'));
  const tar = join(dir, 'image.tar');
  try {
    const t = process.hrtime.bigint();
    await sh('docker', ['save', '-o', tar, ref]);
    await sh('docker', ['cp', tar, `${node}:/image.tar`]);
    await sh('docker', ['exec', node, 'ctr', '-n', 'k8s.io', 'images', 'import', '--digests', '--snapshotter=overlayfs', '/image.tar']);
    await sh('docker', ['exec', node, 'rm', '-f', '/image.tar']);
    return Number(process.hrtime.bigint() - t) / 1e6;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function shipRepeat(id) {
  const r = await sh(process.execPath, [join(repo, 'bench/load.mjs'), '--child', cluster, ref, id]);
  const child = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ms: child.ms, action: child.result.action };
}

async function kindRun() {
  await freshNode();
  await settle();
  const dir = await mkdtemp(join(tmpdir(), 'ship-bench-kind-'));
  const tar = join(dir, 'image.tar');
  try {
    const t = process.hrtime.bigint();
    await sh('docker', ['save', '-o', tar, ref]);
    const tSaved = process.hrtime.bigint();
    await sh('docker', ['cp', tar, `${node}:/image.tar`]);
    const tCopied = process.hrtime.bigint();
    await sh('docker', ['exec', node, 'ctr', '-n', 'k8s.io', 'images', 'import', '--digests', '--snapshotter=overlayfs', '/image.tar']);
    await sh('docker', ['exec', node, 'rm', '-f', '/image.tar']);
    const end = process.hrtime.bigint();
    if (!(await present())) throw new Error('kind path did not load');
    const size = (await stat(tar)).size;
    return {
      ms: Number(end - t) / 1e6,
      saveMs: Number(tSaved - t) / 1e6,
      copyMs: Number(tCopied - tSaved) / 1e6,
      importMs: Number(end - tCopied) / 1e6,
      tarMb: size / 1e6,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  console.log('# load step benchmark (bench/load.mjs)');
  await sh('bash', [join(repo, 'test/docker/kind-node/build.sh')]);
  if (source === 'eclipse-temurin:17-jre') await sh('bash', [join(repo, 'test/images/build.sh'), 'temurin']);
  // ship's sources as JavaScript for the child (tsc emits even if another file has a type error)
  await sh('npx', ['tsc', '-p', join(repo, 'tsconfig.json'), '--outDir', outDir, '--sourceMap', 'false'], { cwd: repo, reject: false });
  await stat(join(outDir, 'adapters/loaders/index.js'));
  await sh('docker', ['tag', source, ref]);
  const id = (await sh('docker', ['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim();
  const sizeMb = Number((await sh('docker', ['image', 'inspect', '-f', '{{.Size}}', ref])).stdout.trim()) / 1e6;
  const cpus = (await import('node:os')).cpus().length;
  console.log(`image ${source} (${sizeMb.toFixed(0)} MB), ${runs} run(s) each, alternating, fresh node each time, ${cpus} CPUs`);

  const ship = [];
  const kind = [];
  try {
    for (let i = 0; i < runs; i++) {
      // alternate which goes first so page-cache warmth does not favour one side
      if (i % 2 === 0) {
        kind.push(await kindRun());
        ship.push(await shipRun(id));
      } else {
        ship.push(await shipRun(id));
        kind.push(await kindRun());
      }
      const k = kind[kind.length - 1];
      const s = ship[ship.length - 1];
      console.log(
        `run ${i + 1}: kind path ${sec(k.ms)} (save ${sec(k.saveMs)}, cp ${sec(k.copyMs)}, import ${sec(k.importMs)}, tar ${k.tarMb.toFixed(0)} MB) · ` +
          `ship ${sec(s.ms)} (child process total ${sec(s.totalMs)}), peak RSS ${s.maxRssMb.toFixed(0)} MB (at start ${s.startRssMb.toFixed(0)} MB)`,
      );
    }
    // The everyday case: the same image again (nothing changed since the last deploy). `kind load`
    // saves, copies and imports it again; ship asks the node and skips.
    await settle();
    const kAgain = await kindRepeat();
    await settle();
    const sAgain = await shipRepeat(id);
    console.log(`repeat load (image already on the node): kind path ${sec(kAgain)} · ship ${sec(sAgain.ms)} (${sAgain.action})`);
  } finally {
    await sh('docker', ['rm', '-f', '-v', node], { reject: false });
    await sh('docker', ['rmi', ref], { reject: false });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const kMs = median(kind.map((k) => k.ms));
  const sMs = median(ship.map((s) => s.ms));
  const peak = Math.max(...ship.map((s) => s.maxRssMb));
  console.log('');
  console.log(`kind path (save to file, docker cp, ctr import)  median ${sec(kMs)}`);
  console.log(`ship kind loader (streamed, no temp file)       median ${sec(sMs)}`);
  console.log(`ratio ship/kind ${(sMs / kMs).toFixed(2)}x (target <= 0.80x) · ship peak RSS ${peak.toFixed(0)} MB (target < 150 MB)`);
}

await main();
