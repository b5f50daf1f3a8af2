// --explain for a run: after each step, the commands a person would have typed for it (core/explain.ts
// makes them from the step's results), printed as the human output and sent as `explain` events.
// The composition (up.ts) calls `say` after each step; without --explain nothing is made.

import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import {
  explainApply,
  explainBuild,
  explainCheck,
  explainForward,
  explainImage,
  explainLoad,
  explainManifest,
  explainSmoke,
  explainTag,
  explainWait,
  formatExplained,
  type Explained,
  type KubectlTarget,
  type ManifestRewrite,
} from '../core/explain.js';
import type { LoaderChoice } from '../core/cluster-detect.js';
import type { RenderedManifest } from '../core/manifest/types.js';
import { GENERATED_FILE } from '../core/manifest/pod.js';
import { findManifests } from '../adapters/manifest-files.js';
import { generateDockerfile } from '../core/dockerfile.js';
import { readJarInfo } from '../adapters/jar.js';
import { podSelector } from '../core/wait-plan.js';
import { builtContainers } from '../core/built-containers.js';
import { POD_TEMPLATE_PATHS } from '../core/manifest/kinds.js';
import type { Output } from './output.js';

export interface ExplainSink {
  /** Prints the step's commands and notes and sends them as an `explain` event. */
  say(e: Explained): void;
}

export function explainSink(out: Pick<Output, 'info' | 'event'>): ExplainSink {
  return {
    say(e) {
      const lines = formatExplained(e);
      if (!lines.length) return;
      for (const l of lines) out.info(l);
      out.event({ type: 'explain', step: e.step, lines, commands: e.commands, notes: e.notes });
    },
  };
}

/** kubectl's flags for the cluster ship used: the context, and the kubeconfig unless it is the default one. */
export function kubectlTarget(kube: { context: string; files: string[] }, namespace: string, home?: string): KubectlTarget {
  const defaultFile = home ? join(home, '.kube', 'config') : undefined;
  const kubeconfig = kube.files.length === 1 && kube.files[0] !== defaultFile ? kube.files[0] : kube.files.length > 1 ? kube.files.join(':') : undefined;
  return { kubeconfig, context: kube.context, namespace };
}

export { explainCheck, explainTag, explainBuild, explainLoad, explainForward, explainSmoke, explainApply };

/** The image step: the project's Dockerfile, or the one ship generated in memory (made again here from the jar). */
export async function explainImageStep(f: { projectDir: string; ref: string; dockerfile?: string; jar?: string; port?: number; skipped?: string }): Promise<Explained> {
  if (f.dockerfile) {
    const rel = relative(f.projectDir, f.dockerfile);
    const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    return explainImage({ ref: f.ref, dockerfile: inside ? rel.split(sep).join('/') : f.dockerfile, skipped: f.skipped });
  }
  if (!f.jar) return explainImage({ ref: f.ref, skipped: f.skipped });
  const jar = await readJarInfo(f.jar);
  const jarName = relative(f.projectDir, f.jar).split(sep).join('/');
  const text = generateDockerfile({ jarName, port: f.port ?? 8080, layered: jar.layered, layers: jar.layers, ...(jar.springBootVersion ? { springBootVersion: jar.springBootVersion } : {}) });
  return explainImage({ ref: f.ref, generatedDockerfile: text, skipped: f.skipped });
}

/** The file the manifest step's commands write the applied YAML to. */
export function manifestOutFile(app: string): string {
  return join(tmpdir(), `ship-explain-${basename(app)}.yaml`);
}

/** The manifest step: each source as written against what ship applies, why, and the file to apply. */
export async function explainManifestStep(f: { projectDir: string; manifests: string[]; app: string; rendered: RenderedManifest }): Promise<Explained> {
  const sources = await findManifests(f.projectDir, f.manifests);
  const before = sources.length ? (await Promise.all(sources.map(async (s) => s.text ?? (await readFile(s.file, 'utf8'))))).join('---\n') : '';
  const label = sources.length ? sources.map((s) => relative(f.projectDir, s.file) || s.file).join(', ') : `${GENERATED_FILE} (no manifest in the project: ship generated this Pod)`;
  const policies = policiesBefore(sources.map((s) => s.text));
  const rewrites: ManifestRewrite[] = f.rendered.rewritten.map((r) => ({ file: r.file, container: r.container, from: r.from, to: r.to, policyBefore: policies.get(`${r.name}/${r.container}`) }));
  // The applied YAML opens with a document marker the source may not have: not a change worth showing.
  const after = before.startsWith('---') ? f.rendered.yaml : f.rendered.yaml.replace(/^---\n/, '');
  return explainManifest({ sources: [{ file: label, before, after }], rewrites, outFile: manifestOutFile(f.app), rendered: f.rendered.yaml });
}

/** imagePullPolicy as written, by "object/container" (a rough read of the YAML is enough for the note). */
function policiesBefore(texts: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const text of texts) {
    let object = '';
    let container = '';
    for (const line of text.split('\n')) {
      const name = /^ {2}name:\s*(\S+)/.exec(line);
      if (name) object = name[1];
      const c = /^\s*-\s+name:\s*(\S+)/.exec(line);
      if (c) container = c[1];
      const p = /^\s*imagePullPolicy:\s*(\S+)/.exec(line);
      if (p && object && container) out.set(`${object}/${container}`, p[1]);
    }
  }
  return out;
}

export function explainApplyStep(f: { target: KubectlTarget; app: string; objects: Array<{ kind: string; name: string; result: string }> }): Explained {
  return explainApply({ target: f.target, file: manifestOutFile(f.app), recreate: f.objects.filter((o) => o.result === 'recreated') });
}

export function explainWaitStep(f: { target: KubectlTarget; rendered: RenderedManifest; app: string; timeoutMs: number; pods: string[]; failed?: { pod: string; container?: string } }): Explained {
  return explainWait({
    target: f.target,
    objects: f.rendered.objects
      .filter((o) => f.rendered.rewritten.some((r) => r.kind === o.kind && r.name === o.name))
      .map((o) => ({ kind: o.kind, name: o.name, noReadinessProbe: withoutReadinessProbe(o, f.rendered.rewritten) })),
    selector: podSelector(f.rendered.objects, f.app),
    timeoutSeconds: Math.ceil(f.timeoutMs / 1000),
    pods: f.pods,
    failed: f.failed,
  });
}

/** The built container of an object when it has no readiness probe. */
function withoutReadinessProbe(o: RenderedManifest['objects'][number], rewritten: RenderedManifest['rewritten']): string | undefined {
  const c = builtContainers([o], rewritten, POD_TEMPLATE_PATHS)[0];
  return c && !c.probes.some((p) => p.kind === 'readiness') ? c.container : undefined;
}

export function explainLoadStep(f: { choice: LoaderChoice; ref: string; pushedRef?: string }): Explained {
  return explainLoad(f);
}
