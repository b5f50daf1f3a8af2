// The app's port against the manifest and the forward: before the build (the check step reads
// server.port where Spring reads it and fails on a certain mismatch, exit 19), and while the smoke
// check is refused (the app's log says which port its web server opened).

import { ShipError } from '../errors.js';
import { checkPorts, openedPortMismatch, readinessAdvice, resolveAppPort, type AppPort, type PortCheck } from '../core/app-port.js';
import { builtContainers } from '../core/built-containers.js';
import { startedPorts } from '../core/spring-log.js';
import { POD_TEMPLATE_PATHS } from '../core/manifest/kinds.js';
import { readAppConfig } from '../adapters/app-config.js';
import { findManifests } from '../adapters/manifest-files.js';
import { listImages } from '../core/manifest/parse.js';
import { imageNameFor } from '../core/tag.js';
import { basename } from 'node:path';
import { planManifest } from './manifest.js';
import type { Output } from '../core/model.js';

/** The image name the manifests use for the app (as the tag step picks it): what marks the built container. */
export async function repositoryFor(project: { dir: string; name: string }, manifests: string[]): Promise<string> {
  return imageNameFor({ manifestImages: listImages(await findManifests(project.dir, manifests)), rootProjectName: project.name, dirName: basename(project.dir) });
}

export interface PortFacts {
  /** The app's port per container ship builds the image for (usually one). */
  checks: PortCheck[];
  /** What the forward step will target, and what says so. */
  target: { port: number; what: string };
  /** The built container the forward reaches (for reading its log). */
  container?: string;
}

/** Advice already given on an output: ship dev runs the check on every deploy, the advice is said once a session. */
const advised = new WeakMap<object, Set<string>>();

function sayOnce(out: object, text: string): boolean {
  const said = advised.get(out) ?? new Set<string>();
  advised.set(out, said);
  if (said.has(text)) return false;
  said.add(text);
  return true;
}

/**
 * Reads the config files and the manifest as it will be applied (the tag does not matter for
 * ports), compares, and throws ShipError('ports') on a certain mismatch; warns on an uncertain
 * one, and once about a missing readiness probe when the app has Actuator.
 */
export async function checkAppPorts(
  input: { projectDir: string; manifests: string[]; project: { name: string; actuator: boolean }; repository: string; namespace?: string; replicas?: number; portRemote?: number },
  out: Pick<Output, 'warn' | 'event'>,
): Promise<PortFacts> {
  const manifest = await planManifest({
    projectDir: input.projectDir,
    manifests: input.manifests,
    project: input.project,
    image: { repository: input.repository, tag: 'ship-port-check' },
    namespace: input.namespace,
    replicas: input.replicas,
    port: input.portRemote,
  });
  const files = readAppConfig(input.projectDir);
  const containers = builtContainers(manifest.objects, manifest.rewritten, POD_TEMPLATE_PATHS);
  const checks = containers.map((c) => checkPorts(resolveAppPort(files, c), c, input.portRemote));
  const first = containers[0];
  const declared = first?.containerPorts[0]?.port;
  const target =
    input.portRemote !== undefined
      ? { port: input.portRemote, what: `--port …:${input.portRemote}` }
      : declared !== undefined
        ? { port: declared, what: `containerPort in ${first!.file}` }
        : { port: 8080, what: 'the default, no containerPort' };
  for (const c of checks) {
    if (!c.message) continue;
    out.event({ type: 'ports', ok: !c.error, certain: c.app.certain, app: c.app.port, source: c.app.source.where, mismatches: c.mismatches, message: c.message });
    if (c.error) throw new ShipError('ports', c.message, { hint: c.hint });
    out.warn(`${c.message} ${c.hint ?? ''}`.trim());
  }
  if (first && checks[0]?.app.port !== undefined) {
    const advice = readinessAdvice(first, input.project.actuator, checks[0].app.port);
    if (advice && sayOnce(out, advice)) out.warn(advice);
  }
  return { checks, target, container: first?.container };
}

/**
 * A check for the smoke step: when the app's log says its web server started on other ports than
 * the forward's target, the refusals will never end — fail now with both ports. `logs` reads the
 * container's last lines.
 */
export function openedPortGuard(facts: PortFacts, logs: () => Promise<string[]>, minIntervalMs = 1000, now: () => number = Date.now): () => Promise<void> {
  let last = -Infinity;
  const app: AppPort | undefined = facts.checks[0]?.app;
  return async () => {
    if (now() - last < minIntervalMs) return;
    last = now();
    const lines = await logs().catch(() => [] as string[]);
    const mismatch = openedPortMismatch(startedPorts(lines), facts.target, app);
    if (mismatch) throw new ShipError('ports', mismatch.message, { hint: mismatch.hint });
  };
}
