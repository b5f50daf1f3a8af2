// Which app, which cluster, which namespace and which pod a pod-life command (status, logs, exec,
// why, delete) is about: the project directory and ship.yaml name the app, the kubeconfig the
// cluster; `ship logs|exec|why [dir] [pod]` words are split here.

import { isAbsolute, resolve } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { ShipError } from '../errors.js';
import { appSelector } from '../core/app-objects.js';
import { pickPod, sortPods } from '../core/pod-choice.js';
import { projectName } from '../core/project.js';
import { mergeFlags } from '../core/config.js';
import { readConfig } from '../adapters/config-file.js';
import { fileView } from '../adapters/fs-view.js';
import { openKube, type Kube } from '../adapters/kube/client.js';
import { listAppPods, listAppPodsEverywhere, readPodIfAny } from '../adapters/kube/app-pods.js';

export interface TargetFlags {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}

export interface Target {
  projectDir: string;
  app: string;
  selector: string;
  kube: Kube;
  namespace: string;
  /** The namespace came from --namespace or ship.yaml (not the context's default). */
  namespaceExplicit: boolean;
}

/**
 * Resolve the project directory, read ship.yaml for defaults (flags win), name the app and open
 * the kubeconfig (no network yet). The namespace is --namespace, else ship.yaml's, else the
 * context's.
 */
export async function openTarget(dir: string, flags: TargetFlags, io: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Target> {
  const projectDir = isAbsolute(dir) ? dir : resolve(io.cwd, dir);
  if (!fileView(projectDir).isDirectory()) {
    throw new ShipError('project', `${projectDir} is not a directory.`, {
      hint: 'Give the project directory the app was deployed from (default: the current directory).',
    });
  }
  const { config } = await readConfig(projectDir);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  const typed = { ...flags, kubeconfig: flags.kubeconfig ? flags.kubeconfig.split(':').map(abs).join(':') : undefined };
  const merged = mergeFlags({ context: config.context, kubeconfig: config.kubeconfig, namespace: config.namespace }, typed);
  const kube = openKube({ kubeconfig: merged.kubeconfig, context: merged.context, env: io.env });
  const app = projectName(projectDir, fileView(projectDir));
  return {
    projectDir,
    app,
    selector: appSelector(app),
    kube,
    namespace: merged.namespace ?? kube.namespace,
    namespaceExplicit: merged.namespace !== undefined,
  };
}

/**
 * The app's pods in the target namespace. When there are none and the namespace was not given,
 * look in every namespace: a manifest may name its own. Exactly one other namespace → use it
 * (and say so through `onMoved`).
 */
export async function findAppPods(target: Target, onMoved?: (namespace: string) => void): Promise<V1Pod[]> {
  const { kube } = target;
  const pods = await listAppPods(kube, target.namespace, target.selector, target.app);
  if (pods.length > 0 || target.namespaceExplicit) return sortPods(pods);
  const all = await listAppPodsEverywhere(kube, target.selector);
  const namespaces = [...new Set(all.map((p) => p.metadata?.namespace ?? ''))].filter(Boolean);
  if (namespaces.length === 1) {
    target.namespace = namespaces[0];
    onMoved?.(namespaces[0]);
    return sortPods(all);
  }
  if (namespaces.length > 1) {
    throw new ShipError('usage', `"${target.app}" has pods in several namespaces: ${namespaces.join(', ')}.`, {
      hint: `Pick one with --namespace (e.g. -n ${namespaces[0]}).`,
    });
  }
  return [];
}

/** "nothing deployed" as an error for commands that need a pod (logs, exec, why). */
export function noPodsError(target: Target): ShipError {
  return new ShipError('pod', `ship has no pods of "${target.app}" in namespace "${target.namespace}" (context "${target.kube.context}").`, {
    hint: `Deploy it first: ship ${target.projectDir}  (or name a pod: ship logs POD)`,
  });
}

/**
 * The pod a command is about: the one named (exactly, or the single app pod whose name starts
 * with it), else the app's only pod, else its first Ready one.
 */
export async function choosePod(target: Target, name: string | undefined, onMoved?: (namespace: string) => void): Promise<V1Pod> {
  const { kube } = target;
  if (name) {
    const named = await readPodIfAny(kube, name, target.namespace);
    if (named) return named;
    const pods = await findAppPods(target, onMoved);
    const matches = pods.filter((p) => p.metadata?.name?.startsWith(name));
    if (matches.length === 1) return matches[0];
    throw new ShipError('pod', `No pod "${name}" in namespace "${target.namespace}"${matches.length > 1 ? ` (several start with it: ${matches.map((p) => p.metadata?.name).join(', ')})` : ''}.`, {
      hint: pods.length ? `Pods of "${target.app}": ${pods.map((p) => p.metadata?.name).join(', ')}` : `ship status ${target.projectDir} lists what ship deployed.`,
    });
  }
  const pods = await findAppPods(target, onMoved);
  if (pods.length === 0) throw noPodsError(target);
  return pickPod(pods);
}

/**
 * `ship logs|exec|why [dir] [pod]`: with two words they are the directory and the pod; with one,
 * it is the directory when such a directory exists, else the pod name.
 */
export function splitDirAndPod(words: Array<string | undefined>, cwd: string, isDir: (p: string) => boolean = (p) => fileView(p).isDirectory()): { dir: string; pod?: string } {
  const [first, second] = words.filter((w): w is string => w !== undefined && w !== '');
  if (first === undefined) return { dir: '.' };
  if (second !== undefined) return { dir: first, pod: second };
  return isDir(isAbsolute(first) ? first : resolve(cwd, first)) ? { dir: first } : { dir: '.', pod: first };
}
