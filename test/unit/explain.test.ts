import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  explainApply,
  explainBuild,
  explainForward,
  explainImage,
  explainLoad,
  explainManifest,
  explainSmoke,
  explainWait,
  formatExplained,
  heredoc,
  lineDiff,
  shellLine,
} from '../../src/core/explain.js';

const target = { kubeconfig: '/var/lib/ship-cluster/kubeconfig', context: 'ship-local', namespace: 'explain-1' };

describe('explain: the commands a person would type', () => {
  it('quotes for a POSIX shell', () => {
    expect(shellLine(['echo', 'a b', "it's", '%{http_code}\\n', 'x=y'])).toBe(`echo 'a b' 'it'\\''s' '%{http_code}\\n' x=y`);
    const out = execFileSync('bash', ['-c', shellLine(['printf', '%s|', 'a b', "it's", '$HOME'])]).toString();
    expect(out).toBe("a b|it's|$HOME|");
  });

  it('heredocs survive a shell as written', () => {
    const text = 'a: $HOME\nb: `x`\nEOF\n';
    const out = execFileSync('bash', ['-c', heredoc('cat', text)]).toString();
    expect(out).toBe(text);
  });

  it('build, image and the loader of the test cluster', () => {
    expect(explainBuild({ command: ['mvn', ['-B', 'package', '-DskipTests']] }).commands).toEqual(['mvn -B package -DskipTests']);
    expect(explainImage({ ref: 'kubernetes-spring:ship-abc', dockerfile: 'Dockerfile' }).commands).toEqual(['env DOCKER_BUILDKIT=0 docker build -t kubernetes-spring:ship-abc .']);
    expect(explainImage({ ref: 'a:ship-1', generatedDockerfile: 'FROM x\n' }).commands).toEqual(["env DOCKER_BUILDKIT=0 docker build -t a:ship-1 -f - . <<'EOF'\nFROM x\nEOF"]);
    expect(explainLoad({ choice: { kind: 'containerd', socket: '/run/ship-cluster/containerd.sock', namespace: 'k8s.io' }, ref: 'a:ship-1' }).commands).toEqual([
      'docker save a:ship-1 | ctr -a /run/ship-cluster/containerd.sock -n k8s.io images import -',
    ]);
    expect(explainLoad({ choice: { kind: 'kind', cluster: 'dev' }, ref: 'a:ship-1' }).commands).toEqual(['kind load docker-image a:ship-1 --name dev']);
    expect(explainLoad({ choice: { kind: 'shared', name: 'docker-desktop' }, ref: 'a:ship-1' }).commands).toEqual([]);
  });

  it('the manifest: the diff, why the untagged image would have been pulled, and the file to apply', () => {
    const before = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: spring-pod\nspec:\n  containers:\n    - name: spring-container\n      image: kubernetes-spring\n';
    const after = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: spring-pod\n  labels:\n    app.kubernetes.io/managed-by: ship\nspec:\n  containers:\n    - name: spring-container\n      image: kubernetes-spring:ship-abc\n      imagePullPolicy: IfNotPresent\n';
    const e = explainManifest({ sources: [{ file: 'spring-pod.yaml', before, after }], rewrites: [{ file: 'spring-pod.yaml', container: 'spring-container', from: 'kubernetes-spring', to: 'kubernetes-spring:ship-abc' }], outFile: '/tmp/x.yaml', rendered: after });
    expect(e.notes).toContain('  -       image: kubernetes-spring');
    expect(e.notes).toContain('  +       image: kubernetes-spring:ship-abc');
    expect(e.notes).toContain('  +       imagePullPolicy: IfNotPresent');
    expect(e.notes.at(-1)).toContain('imagePullPolicy Always (the default) → IfNotPresent');
    expect(e.notes.at(-1)).toContain('ImagePullBackOff');
    expect(e.commands[0].startsWith("cat > /tmp/x.yaml <<'EOF'\n")).toBe(true);
    // Every line that is not a command is a comment: the block pastes into a shell as it is.
    const lines = formatExplained(e);
    expect(execFileSync('bash', ['-c', lines.join('\n') + '\ncat /tmp/x.yaml'], { env: { PATH: process.env.PATH } }).toString()).toBe(after);
  });

  it('apply, wait, forward, smoke', () => {
    expect(explainApply({ target, file: '/tmp/x.yaml', recreate: [] }).commands).toEqual([
      'kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 apply --server-side --field-manager=ship --force-conflicts -f /tmp/x.yaml',
    ]);
    expect(explainApply({ target, file: 'f', recreate: [{ kind: 'Pod', name: 'p' }] }).commands[0]).toContain('delete pod p --ignore-not-found');
    const w = explainWait({ target, objects: [{ kind: 'Pod', name: 'p' }, { kind: 'Deployment', name: 'd' }, { kind: 'ConfigMap', name: 'c' }], selector: 'app.kubernetes.io/name=a', timeoutSeconds: 300, pods: ['p'] });
    expect(w.commands).toEqual([
      'kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 wait --for=condition=Ready pod/p --timeout=300s',
      'kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 rollout status deployment/d --timeout=300s',
      'kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 get pods -l app.kubernetes.io/name=a',
    ]);
    expect(explainWait({ target, objects: [], selector: 's', timeoutSeconds: 1, pods: [], failed: { pod: 'p', container: 'c' } }).commands.slice(1)).toEqual([
      'kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 describe pod p',
      'kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 logs p -c c --tail=50',
    ]);
    expect(explainForward({ target, pod: 'p', local: 8080, remote: 8080 }).commands).toEqual(['kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 port-forward pod/p 8080:8080 &']);
    expect(explainSmoke({ url: 'http://localhost:8080/' }).commands[0]).toBe("curl -sS --retry 30 --retry-delay 1 --retry-all-errors -o /dev/null -w '%{http_code}\\n' http://localhost:8080/");
  });

  it('lineDiff', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nx\nc\n')).toEqual(['  a', '- b', '+ x', '  c']);
  });
});

describe('explain: a pod without a readiness probe', () => {
  it('waits for the web server\'s "started on port" line before the port-forward, and the wait command runs in a shell', () => {
    const w = explainWait({ target, objects: [{ kind: 'Pod', name: 'spring-pod', noReadinessProbe: 'spring-container' }], selector: 's', timeoutSeconds: 300, pods: ['spring-pod'] });
    expect(w.commands[1]).toBe(
      "timeout 300 sh -c 'until kubectl --kubeconfig /var/lib/ship-cluster/kubeconfig --context ship-local -n explain-1 logs pod/spring-pod -c spring-container | grep -Eq '\\''(Tomcat|Jetty|Netty|Undertow) started on port'\\''; do sleep 1; done'",
    );
    expect(w.notes[0]).toContain('no readiness probe');
    // The quoting holds: with a kubectl on PATH that prints a started line, the loop ends at once.
    const bin = mkdtempSync(join(tmpdir(), 'ship-explain-'));
    try {
      writeFileSync(join(bin, 'kubectl'), "#!/bin/sh\necho 'o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port 8080 (http)'\n", { mode: 0o755 });
      const out = execFileSync('bash', ['-c', `${w.commands[1].replace('timeout 300', 'timeout 5')} && echo ok`], { env: { PATH: `${bin}:${process.env.PATH}` } }).toString();
      expect(out.trim()).toBe('ok');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
