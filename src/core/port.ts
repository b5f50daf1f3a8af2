// Ports for the forward step, pure: parsing --port and finding the port the built container listens on.

import { ShipError } from '../errors.js';
import { POD_TEMPLATE_PATHS } from './manifest/kinds.js';
import type { RenderedObject, RewrittenContainer } from './manifest/types.js';

export interface PortFlag {
  /** Local port on 127.0.0.1; 0 means "any free port" (the chosen one is printed). */
  local: number;
  /** Port in the pod; undefined means "the container's port from the manifest". */
  remote?: number;
}

export const DEFAULT_PORT = 8080;

const USAGE_HINT = 'Use LOCAL or LOCAL:REMOTE, e.g. --port 8080, --port 18080:8080, or --port 0 for any free port.';

/** `--port 8080`, `--port 18080:8080`, `--port 0` (free local port), `--port 0:9090`. */
export function parsePortFlag(text: string): PortFlag {
  const m = /^\s*(\d{1,5})(?::(\d{1,5}))?\s*$/.exec(text);
  if (!m) throw new ShipError('usage', `--port ${text}: not a port.`, { hint: USAGE_HINT });
  const local = Number(m[1]);
  if (local > 65535) throw new ShipError('usage', `--port ${text}: local port ${local} is above 65535.`, { hint: USAGE_HINT });
  if (m[2] === undefined) return { local };
  const remote = Number(m[2]);
  if (remote < 1 || remote > 65535) {
    throw new ShipError('usage', `--port ${text}: the pod's port must be from 1 to 65535.`, { hint: USAGE_HINT });
  }
  return { local, remote };
}


interface ContainerLike {
  name?: unknown;
  image?: unknown;
  ports?: unknown;
}

function templateField(obj: RenderedObject, keys: string[]): unknown {
  const path = POD_TEMPLATE_PATHS[obj.kind];
  if (!path) return undefined;
  let node: unknown = obj.body;
  for (const key of [...path, ...keys]) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function containersOf(obj: RenderedObject): ContainerLike[] {
  const node = templateField(obj, ['spec', 'containers']);
  return Array.isArray(node) ? (node.filter((c) => c && typeof c === 'object') as ContainerLike[]) : [];
}

function firstPort(c: ContainerLike): number | undefined {
  if (!Array.isArray(c.ports)) return undefined;
  for (const p of c.ports) {
    const n = p && typeof p === 'object' ? (p as { containerPort?: unknown }).containerPort : undefined;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  }
  return undefined;
}

/**
 * The port to forward to: the first containerPort of the container ship rewrote to its own image
 * (matched by object kind, object name and container name), else 8080. When `rewritten` is not
 * given, the first container that declares a port wins.
 */
export function containerPort(objects: RenderedObject[], rewritten?: RewrittenContainer[]): number {
  for (const obj of objects) {
    for (const c of containersOf(obj)) {
      const built = rewritten
        ? rewritten.some((r) => r.kind === obj.kind && r.name === obj.name && r.container === c.name)
        : true;
      if (!built) continue;
      const port = firstPort(c);
      if (port !== undefined) return port;
    }
  }
  return DEFAULT_PORT;
}

/**
 * The label selector of the pods the forward may use: every label of the pod template that runs the
 * built container (so a database Deployment from the same manifests, also labelled by ship, is never
 * picked), else managed-by=ship plus name=<app>.
 */
export function forwardSelector(objects: RenderedObject[], rewritten: RewrittenContainer[], app: string): string {
  for (const obj of objects) {
    if (!rewritten.some((r) => r.kind === obj.kind && r.name === obj.name)) continue;
    const labels = templateField(obj, ['metadata', 'labels']);
    if (!labels || typeof labels !== 'object') continue;
    const pairs = Object.entries(labels as Record<string, unknown>)
      .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      .map(([k, v]) => `${k}=${String(v)}`)
      .sort();
    if (pairs.length) return pairs.join(',');
  }
  return `app.kubernetes.io/managed-by=ship,app.kubernetes.io/name=${app}`;
}
