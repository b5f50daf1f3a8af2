// `--explain`: what each step did, as the commands a person would have typed for this very run —
// the manual flow Kubernetes tutorials teach (build, docker build, load into the cluster, edit the
// YAML's image and pull policy, kubectl apply, wait, port-forward, curl). Pasted into a shell in
// order, the commands redo the deploy by hand; everything that is not a command is a `#` comment.
// Pure: facts in, lines out.

import type { LoaderChoice } from './cluster-detect.js';

export interface Explained {
  step: string;
  /** Shell commands, in order; a heredoc is one entry with newlines. */
  commands: string[];
  /** Why, and what ship did that a command does not show (printed as # comments). */
  notes: string[];
}

/** How kubectl reaches the same cluster ship used. */
export interface KubectlTarget {
  kubeconfig?: string;
  context?: string;
  namespace: string;
}

const SAFE = /^[\w@%+=:,./-]+$/;

/** One word for a POSIX shell. */
export function shq(word: string): string {
  return word !== '' && SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(words: string[]): string {
  return words.map(shq).join(' ');
}

function kubectl(t: KubectlTarget, args: string[]): string {
  return shellLine(['kubectl', ...(t.kubeconfig ? ['--kubeconfig', t.kubeconfig] : []), ...(t.context ? ['--context', t.context] : []), '-n', t.namespace, ...args]);
}

/** A heredoc that writes `text` to `file` (quoted delimiter: nothing in it is expanded). */
export function heredoc(head: string, text: string): string {
  let tag = 'EOF';
  while (text.split('\n').includes(tag)) tag += '_';
  return `${head} <<'${tag}'\n${text.endsWith('\n') ? text : text + '\n'}${tag}`;
}

// ---------------------------------------------------------------------------------------------
// The steps

export function explainCheck(f: { projectDir: string; target: KubectlTarget }): Explained {
  return {
    step: 'check',
    commands: [shellLine(['cd', f.projectDir]), 'docker version --format "{{.Server.Version}}"', kubectl(f.target, ['get', 'nodes'])],
    notes: ['Docker answers, and the cluster too (ship also checks the local port is free and the loader can reach the nodes).'],
  };
}

export function explainTag(f: { ref: string; reused: boolean }): Explained {
  return {
    step: 'tag',
    commands: [],
    notes: [
      `The image is ${f.ref}: the tag is derived from the sources, the Dockerfile and the base image, never latest, so the cluster can tell a new build from the last one.`,
      ...(f.reused ? ['Docker already has an image for exactly these sources: the build and docker build below are what made it (ship skipped them).'] : []),
    ],
  };
}

export function explainBuild(f: { command: [string, string[]]; skipped?: string }): Explained {
  return {
    step: 'build',
    commands: [shellLine([f.command[0], ...f.command[1]])],
    notes: f.skipped ? [`ship skipped it: ${f.skipped}.`] : [],
  };
}

export function explainImage(f: { ref: string; dockerfile?: string; generatedDockerfile?: string; skipped?: string }): Explained {
  const base = ['env', 'DOCKER_BUILDKIT=0', 'docker', 'build', '-t', f.ref];
  const commands = f.generatedDockerfile
    ? [heredoc(`${shellLine([...base, '-f', '-'])} .`, f.generatedDockerfile)]
    : [shellLine([...base, ...(f.dockerfile && f.dockerfile !== 'Dockerfile' ? ['-f', f.dockerfile] : []), '.'])];
  return {
    step: 'image',
    commands,
    notes: [
      'The classic builder, with .dockerignore honoured.',
      ...(f.generatedDockerfile ? ['The project has no Dockerfile: ship generated this one in memory (it is never written into the project).'] : []),
      ...(f.skipped ? [`ship skipped it: ${f.skipped}.`] : []),
    ],
  };
}

export function explainLoad(f: { choice: LoaderChoice; ref: string; pushedRef?: string }): Explained {
  const c = f.choice;
  const ref = f.ref;
  switch (c.kind) {
    case 'kind':
      return { step: 'load', commands: [shellLine(['kind', 'load', 'docker-image', ref, '--name', c.cluster])], notes: ['ship streams the image into each node\'s containerd and skips layers the node already has.'] };
    case 'k3d':
      return { step: 'load', commands: [shellLine(['k3d', 'image', 'import', ref, '-c', c.cluster])], notes: [] };
    case 'minikube':
      return { step: 'load', commands: [shellLine(['minikube', '-p', c.profile, 'image', 'load', ref])], notes: [] };
    case 'containerd':
      return {
        step: 'load',
        commands: [`${shellLine(['docker', 'save', ref])} | ${shellLine(['ctr', '-a', c.socket, '-n', 'k8s.io', 'images', 'import', '-'])}`],
        notes: [`The cluster's containerd (${c.socket}, namespace k8s.io) is where the kubelet looks for images.`],
      };
    case 'registry': {
      const pushed = f.pushedRef ?? ref;
      return { step: 'load', commands: [shellLine(['docker', 'tag', ref, pushed]), shellLine(['docker', 'push', pushed])], notes: ['The cluster pulls the pushed name.'] };
    }
    case 'shared':
      return { step: 'load', commands: [], notes: ['The cluster runs on this Docker daemon: it already has the image, nothing to load.'] };
    case 'none':
      return { step: 'load', commands: [], notes: ['--load none: nothing is loaded; the cluster must already have the image.'] };
  }
}

export interface ManifestRewrite {
  file: string;
  container: string;
  from: string;
  to: string;
  /** imagePullPolicy before ship's rewrite (undefined: none written, Kubernetes picks). */
  policyBefore?: string;
}

/** The pull policy Kubernetes picks when the manifest names none: Always for no tag or :latest. */
function defaultPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.split('/').at(-1) ?? image;
  const tag = last.includes(':') ? last.split(':').at(-1) : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function explainManifest(f: { sources: Array<{ file: string; before: string; after: string }>; rewrites: ManifestRewrite[]; outFile: string; rendered: string }): Explained {
  const notes: string[] = [];
  for (const s of f.sources) {
    notes.push(`${s.file}, as ship rewrote it (- removed, + added):`);
    for (const l of lineDiff(s.before, s.after)) notes.push(`  ${l}`);
  }
  for (const r of f.rewrites) {
    const policy = r.policyBefore ?? defaultPolicy(r.from);
    const why =
      policy === 'Always'
        ? `"${r.from}"${r.policyBefore ? ' has imagePullPolicy Always' : ' has no tag (or :latest), so Kubernetes defaults imagePullPolicy to Always'}: the kubelet would pull it from a registry (docker.io/library/${r.from.split(':')[0]}) instead of using the image on the node, and the pod would be stuck in ImagePullBackOff.`
        : `"${r.from}" is not the image ship just built.`;
    notes.push(`Container "${r.container}": image ${r.from} → ${r.to}, imagePullPolicy ${policy}${r.policyBefore ? '' : ' (the default)'} → IfNotPresent. Why: ${why}`);
  }
  if (!f.rewrites.length) notes.push('No container uses the image ship built: nothing rewritten.');
  return { step: 'manifest', commands: [heredoc(`cat > ${shq(f.outFile)}`, f.rendered)], notes };
}

export function explainApply(f: { target: KubectlTarget; file: string; recreate: Array<{ kind: string; name: string }> }): Explained {
  return {
    step: 'apply',
    commands: [
      ...f.recreate.map((o) => kubectl(f.target, ['delete', o.kind.toLowerCase(), o.name, '--ignore-not-found'])),
      kubectl(f.target, ['apply', '--server-side', '--field-manager=ship', '--force-conflicts', '-f', f.file]),
    ],
    notes: f.recreate.length ? ['A Pod cannot change its spec in place: ship deleted and recreated it.'] : [],
  };
}

/** Spring Boot's web servers say when they listen (spring-log.ts reads the same lines). */
const STARTED_LINE = '(Tomcat|Jetty|Netty|Undertow) started on port';

export function explainWait(f: {
  target: KubectlTarget;
  objects: Array<{ kind: string; name: string; /** Its built container has no readiness probe: Ready comes before the app listens. */ noReadinessProbe?: string }>;
  selector: string;
  timeoutSeconds: number;
  pods: string[];
  failed?: { pod: string; container?: string };
}): Explained {
  const commands: string[] = [];
  const notes: string[] = [];
  for (const o of f.objects) {
    const ref = `${o.kind.toLowerCase()}/${o.name}`;
    if (o.kind === 'Pod') commands.push(kubectl(f.target, ['wait', '--for=condition=Ready', ref, `--timeout=${f.timeoutSeconds}s`]));
    else if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) commands.push(kubectl(f.target, ['rollout', 'status', ref, `--timeout=${f.timeoutSeconds}s`]));
    else continue;
    if (o.noReadinessProbe && !f.failed) {
      // kubectl port-forward gives up at the first refused connection: wait for the web server first.
      const logs = kubectl(f.target, ['logs', ref, '-c', o.noReadinessProbe]);
      commands.push(`timeout ${f.timeoutSeconds} sh -c ${shq(`until ${logs} | grep -Eq '${STARTED_LINE}'; do sleep 1; done`)}`);
      notes.push(`${ref} has no readiness probe, so it is Ready before the app listens, and kubectl port-forward gives up at the first refused connection: wait for the web server's "started on port" line first (ship's smoke check retries instead).`);
    }
  }
  commands.push(kubectl(f.target, ['get', 'pods', '-l', f.selector]));
  if (f.failed) {
    commands.push(kubectl(f.target, ['describe', 'pod', f.failed.pod]));
    commands.push(kubectl(f.target, ['logs', f.failed.pod, ...(f.failed.container ? ['-c', f.failed.container] : []), '--tail=50']));
  }
  return {
    step: 'wait',
    commands,
    notes: [
      ...notes,
      f.failed
        ? 'ship stopped waiting as soon as the failure was certain; describe and logs show what it read.'
        : `Ready: ${f.pods.join(', ') || 'nothing to wait for'}. ship watches instead of polling, and stops at once when a failure is certain (describe / logs say why).`,
    ],
  };
}

export function explainForward(f: { target: KubectlTarget; pod: string; local: number; remote: number }): Explained {
  return {
    step: 'forward',
    commands: [`${kubectl(f.target, ['port-forward', `pod/${f.pod}`, `${f.local}:${f.remote}`])} &`],
    notes: ["In the background (&); `kill %1` stops it. ship's forward also follows the app to a replacement pod."],
  };
}

export function explainSmoke(f: { url: string }): Explained {
  return {
    step: 'smoke',
    commands: [shellLine(['curl', '-sS', '--retry', '30', '--retry-delay', '1', '--retry-all-errors', '-o', '/dev/null', '-w', '%{http_code}\\n', f.url])],
    notes: ['The first answer below 500 counts.'],
  };
}

/** The lines to print after a step: notes as # comments, then the commands. */
export function formatExplained(e: Explained): string[] {
  return [...e.notes.flatMap((n) => n.split('\n').map((l) => `# ${l}`.trimEnd())), ...e.commands.flatMap((c) => c.split('\n'))];
}

// ---------------------------------------------------------------------------------------------
// A line diff (small files: LCS is enough)

export function lineDiff(before: string, after: string): string[] {
  const a = before.replace(/\n$/, '').split('\n');
  const b = after.replace(/\n$/, '').split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}
