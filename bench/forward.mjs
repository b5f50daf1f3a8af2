#!/usr/bin/env node
// Load test of the port-forward designs against the test cluster, on the same Deployment of the
// gradle fixture app (image gradle-app:fwdtest, loaded by test/e2e/forward.test.ts):
//   A  ship's in-process forward (src/adapters/kube/forward.ts)
//   B  `kubectl port-forward deploy/fwdtest` as a child process (what a supervisor would run)
//   C  client-node 1.4's PortForward as documented (net server -> portForward(ns, pod, [port], s, null, s))
// For each: 200 concurrent GET /, GET /big?mb=50 (sha256 against /big.sha256), GET /close (EOF or
// hang), a half-closed request, 20 client resets then a GET, and deleting the pod (does the same
// local port answer again, and after how long).
//
//   node bench/forward.mjs            (KUBECONFIG defaults to the test cluster's)
//   DESIGNS=A node bench/forward.mjs  (only some of A, B, C)

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const KUBECONFIG = process.env.KUBECONFIG ?? '/var/lib/ship-cluster/kubeconfig';
const env = { ...process.env, KUBECONFIG };
const SELECTOR = 'app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=fwdtest';
const clusterKubectl = (() => {
  const dir = '/var/cache/ship-cluster';
  const k8s = existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('k8s-v')).sort().at(-1) : undefined;
  return k8s && existsSync(join(dir, k8s, 'bin/kubectl')) ? join(dir, k8s, 'bin/kubectl') : 'kubectl';
})();
const kubectl = (args, input) => execFileSync(clusterKubectl, args, { env, input, encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- compile ship to a temp dir inside the repo (so node_modules resolves); the bench imports the real forward
mkdirSync(join(repo, 'node_modules/.cache'), { recursive: true });
const out = mkdtempSync(join(repo, 'node_modules/.cache/ship-bench-'));
try {
  execFileSync(join(repo, 'node_modules/.bin/tsc'), ['-p', join(repo, 'tsconfig.json'), '--noEmit', 'false', '--outDir', out, '--noEmitOnError', 'false'], { stdio: 'ignore' });
} catch {
  /* other files may not compile yet; the forward's files are emitted anyway */
}
const { startForward } = await import(join(out, 'adapters/kube/forward.js'));
const { openKube } = await import(join(out, 'adapters/kube/client.js'));
const { PortForward } = await import('@kubernetes/client-node');

// --- the app
const ns = `fwdbench-${Math.random().toString(36).slice(2, 7)}`;
const labels = { 'app.kubernetes.io/managed-by': 'ship', 'app.kubernetes.io/name': 'fwdtest' };
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'fwdtest', namespace: ns, labels },
  spec: {
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: 'app',
            image: 'gradle-app:fwdtest',
            imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    },
  },
};

function readyPods() {
  const list = JSON.parse(kubectl(['-n', ns, 'get', 'pods', '-l', SELECTOR, '-o', 'json']));
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.metadata.name);
}
async function waitReady(not) {
  for (let i = 0; i < 360; i++) {
    const pods = readyPods().filter((p) => p !== not);
    if (pods.length) return pods[0];
    await sleep(500);
  }
  throw new Error('no Ready pod');
}

// --- clients
function get(url, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let text = '';
      res.on('data', (c) => {
        bytes += c.length;
        hash.update(c);
        if (text.length < 200) text += c.toString('latin1');
      });
      res.on('end', () => resolve({ status: res.statusCode, bytes, sha: hash.digest('hex'), text }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
function raw(port, text, halfClose, timeoutMs = 10_000) {
  const started = Date.now();
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let data = '';
    let done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data, how, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish('hang'), timeoutMs);
    s.on('data', (c) => (data += c));
    s.on('end', () => finish('EOF'));
    s.on('error', (e) => finish(e.code ?? e.message));
    s.on('connect', () => (halfClose ? s.end(text) : s.write(text)));
  });
}
async function resets(port, n) {
  for (let i = 0; i < n; i++) {
    await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET /big?mb=20 HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.once('data', () => (s.resetAndDestroy(), resolve()));
      s.on('error', () => resolve());
      setTimeout(resolve, 5000);
    });
  }
}

async function suite(name, start) {
  const row = { design: name };
  let crashed;
  const onCrash = (e) => (crashed = e);
  process.on('uncaughtException', onCrash);
  const fwd = await start();
  try {
    let t = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => get(fwd.url + '/', 30_000)));
    row['200 GET / failures'] = results.filter((r) => r.status === 'rejected' || r.value.status !== 200).length;
    row['200 GET / ms'] = Date.now() - t;

    const lat = [];
    for (let i = 0; i < 30; i++) {
      const t0 = Date.now();
      await get(fwd.url + '/', 10_000).catch(() => undefined);
      lat.push(Date.now() - t0);
    }
    lat.sort((a, b) => a - b);
    row['1 GET / p50 ms'] = lat[15];

    const expected = await get(fwd.url + '/big.sha256?mb=50').catch(() => ({ text: '?' }));
    t = Date.now();
    const big = await get(fwd.url + '/big?mb=50', 120_000).catch((e) => ({ bytes: 0, sha: String(e.message) }));
    row['50MB sha ok'] = big.sha === expected.text.trim();
    row['50MB MiB/s'] = big.bytes ? Math.round((big.bytes / 1048576 / (Date.now() - t)) * 1000 * 10) / 10 : 0;

    const close = await raw(fwd.port, 'GET /close HTTP/1.1\r\nHost: x\r\n\r\n', false);
    row['/close'] = `${close.how} ${close.ms}ms`;
    const half = await raw(fwd.port, 'GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', true);
    row['half-close'] = `${half.how}${half.data.includes('slept 300 ms') ? ' +answer' : ' NO answer'} ${half.ms}ms`;

    await resets(fwd.port, 20);
    const after = await get(fwd.url + '/', 10_000).catch((e) => ({ status: e.message }));
    row['20 resets then GET'] = crashed ? `crash: ${crashed.message}` : after.status;

    const old = await fwd.pod();
    const deletedAt = Date.now();
    kubectl(['-n', ns, 'delete', 'pod', old, '--wait=false']);
    let back = 'never (60s)';
    while (Date.now() - deletedAt < 60_000) {
      const r = await get(fwd.url + '/', 5000).catch(() => undefined);
      if (r?.status === 200 && Date.now() - deletedAt > 1000 && !readyPods().includes(old)) {
        back = `${Date.now() - deletedAt}ms`;
        break;
      }
      await sleep(250);
    }
    row['pod deleted -> same port answers'] = back;
    await waitReady(old);
  } finally {
    await fwd.close();
    process.off('uncaughtException', onCrash);
  }
  console.error(row);
  return row;
}

const designs = (process.env.DESIGNS ?? 'ABC').toUpperCase();
const kube = openKube({ kubeconfig: KUBECONFIG, env: {} });
const rows = [];
try {
  kubectl(['create', 'namespace', ns]);
  for (let i = 0; i < 50; i++) {
    try {
      kubectl(['-n', ns, 'get', 'serviceaccount', 'default']);
      break;
    } catch {
      await sleep(200);
    }
  }
  kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
  await waitReady();

  if (designs.includes('A')) rows.push(
    await suite('A in-process (ship)', async () => {
      const f = await startForward(kube, { namespace: ns, labelSelector: SELECTOR, localPort: 0, remotePort: 8080, podWaitMs: 60_000 });
      return { url: f.url, port: f.localPort, pod: async () => readyPods()[0], close: () => f.close() };
    }),
  );

  if (designs.includes('B')) rows.push(
    await suite('B kubectl port-forward', async () => {
      const child = spawn(clusterKubectl, ['-n', ns, 'port-forward', 'deploy/fwdtest', ':8080'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const port = await new Promise((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(buf);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', (code) => reject(new Error(`kubectl exited ${code}: ${stderr}`)));
      });
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        pod: async () => readyPods()[0],
        close: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
          if (/lost connection|error/i.test(stderr)) console.error(`kubectl stderr (tail): ${stderr.split('\n').slice(-3).join(' | ')}`);
        },
      };
    }),
  );

  if (designs.includes('C')) rows.push(
    await suite('C client-node PortForward', async () => {
      const pod = readyPods()[0];
      const pf = new PortForward(kube.kc);
      const sockets = new Set();
      const server = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        pf.portForward(ns, pod, [8080], s, null, s).catch(() => s.destroy());
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const port = server.address().port;
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        pod: async () => pod,
        close: async () => {
          for (const s of sockets) s.destroy();
          await new Promise((r) => server.close(r));
        },
      };
    }),
  );
} finally {
  try {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  } catch {
    /* ignore */
  }
  rmSync(out, { recursive: true, force: true });
}
console.table(rows);
process.exit(0);
