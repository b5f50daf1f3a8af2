#!/usr/bin/env node
// Edit → new text served, on the Spring Boot example (Maven), three ways in the same run:
//   live      `ship dev` with live update (compile, sync into the pod, DevTools restart)
//   no-live   `ship dev --no-live` (rebuild the image, redeploy)
//   one-shot  `ship` run again after each edit (--detach)
// Each edit rewrites the controller's greeting; the clock starts at the write and stops at the
// first GET / through ship's forward that returns the new text. Prints every edit, the medians,
// the split (live: compile, sync, restart, first answer; the others: ship's step durations) and the
// ratios. Prints figures, asserts nothing. Needs the test cluster and Docker; hold the e2e lock:
//   flock /tmp/ship-e2e.lock node bench/live.mjs [--edits N] [--only live,no-live,one-shot,maven] [--app gradle]
// (maven, not in the default set: the compile alone as a process, four ways; needs no cluster:
//   node bench/live.mjs --only maven)
// --app gradle: the same three paths on test/fixtures/gradle-spring (a Spring Boot thin jar built by
// the machine's Gradle 4.4.1), with the Gradle daemon on as in a default Gradle project; the daemon
// lives in a Gradle user home of the bench's own, stopped (gradle --stop) at the end.
import { execa } from 'execa';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const cli = resolve(repo, 'dist/cli.js');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const EDITS = Number(arg('--edits') ?? 5);
const ONLY = (arg('--only') ?? 'live,no-live,one-shot').split(',');
const KUBECONFIG = process.env.KUBECONFIG ?? '/var/lib/ship-cluster/kubeconfig';
const LOAD = 'containerd:/run/ship-cluster/containerd.sock';
const GRADLE = arg('--app') === 'gradle';
const APP = GRADLE
  ? { src: 'test/fixtures/gradle-spring', builder: 'gradle', controller: 'src/main/java/demo/App.java', first: 'gradle-spring v1 / first', suffix: ' / first' }
  : { src: 'examples/kubernetes-test-spring', builder: 'maven', controller: 'src/main/java/com/example/kubernetesspring/HelloController.java', first: 'Hello from kubernetes-spring!', suffix: '' };
const CONTROLLER = APP.controller;
const env = { ...process.env, KUBECONFIG, FORCE_COLOR: '0' };
delete env.CI;
const gradleHome = GRADLE ? mkdtempSync(join(tmpdir(), 'live-bench-gradle-home-')) : undefined;
if (gradleHome) env.GRADLE_USER_HOME = gradleHome;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (ms) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);

function copyApp() {
  const dir = mkdtempSync(join(tmpdir(), 'live-bench-'));
  const src = join(repo, APP.src);
  cpSync(src, dir, { recursive: true, filter: (p) => !/\/(build|target|\.gradle)(\/|$)/.test(p.slice(src.length)) });
  // The fixture turns the daemon off for the tests; a Gradle project has it on by default.
  if (GRADLE) writeFileSync(join(dir, 'gradle.properties'), 'org.gradle.daemon=true\n');
  return dir;
}

function setGreeting(dir, text) {
  const file = join(dir, CONTROLLER);
  const src = readFileSync(file, 'utf8').replace(/GREETING = ".*";/, `GREETING = "${text}";`);
  writeFileSync(file, src);
}

async function text(url) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return r.status === 200 ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Polls every 50 ms until url serves `want`; ms from `since`. */
async function servedAfter(url, want, since, timeoutMs = 600_000) {
  for (;;) {
    if ((await text(url)) === want) return Date.now() - since;
    if (Date.now() - since > timeoutMs) throw new Error(`${url} never served "${want}"`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kubectl(args) {
  return execa('kubectl', args, { env, reject: false });
}

async function namespace(name) {
  const ns = `${name}-${Math.random().toString(36).slice(2, 7)}`;
  await kubectl(['create', 'namespace', ns]);
  for (let i = 0; i < 50; i++) {
    if ((await kubectl(['get', 'serviceaccount', 'default', '-n', ns])).exitCode === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return ns;
}

/** ship's --json events, collected as they arrive. */
function jsonEvents(child) {
  const events = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) events.push(JSON.parse(line));
    }
  });
  return events;
}

/** `ship dev` with its JSON events; resolves the first deploy's URL. */
function startDev(dir, ns, extra) {
  const child = execa(process.execPath, [cli, 'dev', dir, '-n', ns, '--builder', APP.builder, '--skip-tests', '--load', LOAD, '--port', '0', '--json', ...extra], { env, extendEnv: false, reject: false });
  const events = jsonEvents(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const until = async (match, from) => {
    for (;;) {
      const e = events.slice(from).find(match);
      if (e) return e;
      if (child.exitCode !== null) throw new Error(`ship dev exited:\n${stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, events, until, stderr: () => stderr };
}

const stepMs = (events, from, step) => events.slice(from).filter((e) => e.type === 'step' && e.step === step && e.status !== 'start').reduce((a, e) => a + (e.durationMs ?? 0), 0);
const STEPS = ['check', 'tag', 'build', 'image', 'dev-image', 'load', 'manifest', 'apply', 'wait', 'smoke'];

async function benchDev(mode) {
  const dir = copyApp();
  const ns = await namespace(`live-bench-${mode}`);
  const dev = startDev(dir, ns, mode === 'live' ? [] : ['--no-live']);
  const results = [];
  try {
    const first = await dev.until((e) => e.type === 'dev-run', 0);
    if (!first.ok) throw new Error(`first deploy failed: ${dev.stderr().slice(-3000)}`);
    const url = `${first.url.replace(/\/$/, '')}/`;
    console.log(`  ${mode}: first deploy done (${url})`);
    // A developer reads the output before the first edit; the warm Maven finishes starting meanwhile.
    await new Promise((r) => setTimeout(r, 5000));
    for (let i = 1; i <= EDITS; i++) {
      const want = `${mode} edit ${i} ${Date.now()}`;
      const from = dev.events.length;
      const t0 = Date.now();
      setGreeting(dir, want);
      const ms = await servedAfter(url, want + APP.suffix, t0);
      // The event that ends this edit's work (a live update, or a redeploy).
      const end = await dev.until((e) => (e.type === 'live' && (e.status === 'end' || e.status === 'fallback')) || e.type === 'dev-run', from);
      const r = { ms };
      if (end.type === 'live' && end.status === 'end') Object.assign(r, { compile: end.compileMs, sync: end.syncMs, restart: end.restartMs, answer: end.answerMs, reported: end.totalMs });
      else for (const s of STEPS) r[s] = stepMs(dev.events, from, s);
      if (end.type === 'live' && end.status === 'fallback') r.fallback = end.reason;
      results.push(r);
      console.log(`  ${mode} edit ${i}: served after ${sec(ms)}${r.compile !== undefined ? ` (compile ${sec(r.compile)}, sync ${sec(r.sync)}, restart ${sec(r.restart)}, first answer ${sec(r.answer)})` : ` (build ${sec(r.build)}, image ${sec(r.image)}, load ${sec(r.load)}, apply ${sec(r.apply)}, wait ${sec(r.wait)}, smoke ${sec(r.smoke)})`}${r.fallback ? ` FALLBACK: ${r.fallback}` : ''}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    dev.child.kill('SIGINT');
    await dev.child;
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function benchOneShot() {
  const dir = copyApp();
  const ns = await namespace('live-bench-once');
  const results = [];
  const port = 18000 + Math.floor(Math.random() * 2000);
  try {
    // ship holds the forward; it is stopped once the new text was served.
    const run = (want) => {
      const child = execa(process.execPath, [cli, dir, '-n', ns, '--builder', APP.builder, '--skip-tests', '--load', LOAD, '--port', String(port), '--json'], { env, extendEnv: false, reject: false });
      return { child, events: jsonEvents(child), want };
    };
    const first = run('first');
    await servedAfter(`http://127.0.0.1:${port}/`, APP.first, Date.now());
    first.child.kill('SIGINT');
    await first.child;
    console.log('  one-shot: first deploy done');
    for (let i = 1; i <= EDITS; i++) {
      const want = `one-shot edit ${i} ${Date.now()}`;
      const t0 = Date.now();
      setGreeting(dir, want);
      const r = run(want);
      const ms = await servedAfter(`http://127.0.0.1:${port}/`, want + APP.suffix, t0);
      r.child.kill('SIGINT');
      await r.child;
      const res = { ms };
      for (const s of STEPS) res[s] = stepMs(r.events, 0, s);
      results.push(res);
      console.log(`  one-shot edit ${i}: served after ${sec(ms)} (build ${sec(res.build)}, image ${sec(res.image)}, load ${sec(res.load)}, apply ${sec(res.apply)}, wait ${sec(res.wait)}, smoke ${sec(res.smoke)})`);
    }
  } finally {
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** Maven alone, as a process (what the warm Maven of live update saves): one edit then the command, N times. */
async function benchMaven() {
  const dir = copyApp();
  const variants = [
    ['mvn -B -q compile', '', ['-B', '-q', 'compile']],
    ['mvn -B -o -q compile', '', ['-B', '-o', '-q', 'compile']],
    ['mvn -B -o -q compile, C1 + SerialGC', '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC', ['-B', '-o', '-q', 'compile']],
    ['mvn -B -o -q process-classes, C1 + SerialGC', '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC', ['-B', '-o', '-q', 'process-classes']],
  ];
  try {
    await execa('mvn', ['-B', '-q', 'compile'], { cwd: dir, env });
    for (const [name, opts, args] of variants) {
      const ms = [];
      for (let i = 0; i < EDITS; i++) {
        setGreeting(dir, `maven ${i} ${Date.now()}`);
        const t = Date.now();
        await execa('mvn', args, { cwd: dir, env: { ...env, MAVEN_OPTS: opts } });
        ms.push(Date.now() - t);
      }
      console.log(`  ${name.padEnd(46)} median ${sec(median(ms))}   (${ms.map((m) => (m / 1000).toFixed(2)).join(', ')})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`# ${APP.src} (${APP.builder}): edit → new text served, ${EDITS} edits each, ${new Date().toISOString()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
if (ONLY.includes('maven') && !GRADLE) {
  console.log('## Maven compile of one changed controller, as a process (the live runs below use the warm Maven: their compile figure)');
  await benchMaven();
}
const all = {};
for (const mode of ONLY.filter((m) => m !== 'maven')) {
  console.log(`## ${mode}`);
  all[mode] = mode === 'one-shot' ? await benchOneShot() : await benchDev(mode);
}
console.log('\n# medians');
for (const [mode, rs] of Object.entries(all)) {
  const m = (k) => median(rs.map((r) => r[k]).filter((v) => v !== undefined));
  const split =
    mode === 'live'
      ? `compile ${sec(m('compile'))} · sync ${sec(m('sync'))} · restart ${sec(m('restart'))} · first answer ${sec(m('answer'))}`
      : STEPS.filter((s) => m(s) > 0).map((s) => `${s} ${sec(m(s))}`).join(' · ');
  console.log(`${mode.padEnd(9)} ${sec(m('ms')).padStart(8)}   (all: ${rs.map((r) => (r.ms / 1000).toFixed(1)).join(', ')})   ${split}`);
}
if (all.live && all['one-shot']) {
  const live = median(all.live.map((r) => r.ms));
  const once = median(all['one-shot'].map((r) => r.ms));
  console.log(`\nlive / one-shot = ${(live / once).toFixed(3)} (target ≤ 0.25); live ${sec(live)} (target ≤ 5 s)`);
}
if (all.live && all['no-live']) console.log(`live / no-live = ${(median(all.live.map((r) => r.ms)) / median(all['no-live'].map((r) => r.ms))).toFixed(3)}`);
console.log(`load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
if (gradleHome) {
  await execa('gradle', ['--stop'], { env, reject: false });
  rmSync(gradleHome, { recursive: true, force: true });
}
