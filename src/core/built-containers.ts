// The facts the port check needs of each container ship built the image for, read from the
// rendered manifest: env (and what comes from ConfigMaps/Secrets), envFrom, args, ports, probes. Pure.

import type { ContainerFacts, EnvEntry } from './app-port.js';

interface RenderedLike {
  kind: string;
  name: string;
  body: Record<string, unknown>;
  source: { file: string };
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function podSpecOf(o: RenderedLike, templatePaths: Record<string, string[]>): Record<string, unknown> | undefined {
  const path = templatePaths[o.kind];
  if (!path) return undefined;
  let node: unknown = o.body;
  for (const k of [...path, 'spec']) node = obj(node)?.[k];
  return obj(node);
}

function probePort(kind: 'readiness' | 'liveness' | 'startup', p: unknown): ContainerFacts['probes'][number] | undefined {
  const probe = obj(p);
  const http = obj(probe?.httpGet);
  const tcp = obj(probe?.tcpSocket);
  const port = (http ?? tcp)?.port;
  if (typeof port !== 'number' && typeof port !== 'string') return undefined;
  const n = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  return { kind, port: n, path: typeof http?.path === 'string' ? http.path : undefined };
}

/**
 * The facts of each container ship built the image for (`rewritten`: kind, object name, container),
 * as the port check needs them. `templatePaths` is where each kind keeps its pod template.
 */
export function builtContainers(
  objects: RenderedLike[],
  rewritten: Array<{ kind: string; name: string; container: string }>,
  templatePaths: Record<string, string[]>,
): ContainerFacts[] {
  const out: ContainerFacts[] = [];
  for (const o of objects) {
    const spec = podSpecOf(o, templatePaths);
    for (const raw of arr(spec?.containers)) {
      const c = obj(raw);
      const name = typeof c?.name === 'string' ? c.name : '';
      if (!c || !rewritten.some((r) => r.kind === o.kind && r.name === o.name && r.container === name)) continue;
      const env: EnvEntry[] = arr(c.env).flatMap((e) => {
        const x = obj(e);
        if (!x || typeof x.name !== 'string') return [];
        const from = obj(x.valueFrom);
        const ref = from && (obj(from.configMapKeyRef) ? `ConfigMap ${String(obj(from.configMapKeyRef)!.name)}` : obj(from.secretKeyRef) ? `Secret ${String(obj(from.secretKeyRef)!.name)}` : 'a field reference');
        return [{ name: x.name, value: x.value === undefined ? undefined : String(x.value), fromRef: ref || undefined }];
      });
      const envFrom = arr(c.envFrom).flatMap((e) => {
        const x = obj(e);
        const cm = obj(x?.configMapRef);
        const sec = obj(x?.secretRef);
        return cm ? [`ConfigMap ${String(cm.name)}`] : sec ? [`Secret ${String(sec.name)}`] : [];
      });
      const containerPorts = arr(c.ports).flatMap((p) => {
        const x = obj(p);
        return typeof x?.containerPort === 'number' ? [{ port: x.containerPort, name: typeof x.name === 'string' ? x.name : undefined }] : [];
      });
      const probes = [probePort('readiness', c.readinessProbe), probePort('liveness', c.livenessProbe), probePort('startup', c.startupProbe)].filter((p) => p !== undefined);
      out.push({
        file: o.source.file,
        object: `${o.kind.toLowerCase()}/${o.name}`,
        container: name,
        env,
        envFrom,
        args: [...arr(c.command), ...arr(c.args)].map(String),
        containerPorts,
        probes,
      });
    }
  }
  return out;
}
