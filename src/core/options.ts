// Turning raw flag values into ShipOptions. Pure: the CLI hands in cwd and env.

import { isAbsolute, resolve } from 'node:path';
import { ShipError } from '../errors.js';
import { parsePortFlag } from './port.js';
import type { BuilderName, ShipOptions } from './model.js';
import { MIN_WAIT_TIMEOUT_TEXT, waitTimeoutProblem } from './wait-timeout.js';

export interface RawFlags {
  builder?: string;
  skipTests?: boolean;
  dockerfile?: string;
  tag?: string;
  context?: string;
  kubeconfig?: string;
  load?: string;
  allowContext?: string[];
  registry?: string;
  manifest?: string[];
  kustomize?: string;
  helm?: string;
  values?: string[];
  set?: string[];
  namespace?: string;
  timeout?: string;
  port?: string;
  smokePath?: string;
  smoke?: boolean;
  ci?: boolean;
  json?: boolean;
  detach?: boolean;
  replicas?: string;
  explain?: boolean;
}

/** "90s", "5m", "1h", "1500ms", or a bare number of seconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new ShipError('usage', `${flag} ${text}: not a duration.`, { hint: 'Use a number with a unit: 90s, 5m, 1h.' });
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  if (ms <= 0) throw new ShipError('usage', `${flag} must be more than zero.`, { hint: 'For example --timeout 5m.' });
  return ms;
}

/** --timeout of the wait: a duration no shorter than the wait can ever succeed in (wait-timeout.ts). */
function waitTimeout(text: string): number {
  const ms = parseDuration(text);
  const problem = waitTimeoutProblem(ms);
  if (problem) throw new ShipError('usage', `--timeout ${text} ${problem}.`, { hint: `Use at least ${MIN_WAIT_TIMEOUT_TEXT}, e.g. --timeout 90s or --timeout 5m.` });
  return ms;
}

/** --port LOCAL[:REMOTE]; the one parser lives with the forward's port logic. */
export const parsePort = parsePortFlag;

const BUILDERS: BuilderName[] = ['gradle', 'maven', 'none'];

export function toOptions(dir: string | undefined, flags: RawFlags, io: { cwd: string; env: NodeJS.ProcessEnv; isTTY: boolean }): ShipOptions {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  if (flags.builder !== undefined && !BUILDERS.includes(flags.builder as BuilderName)) {
    throw new ShipError('usage', `--builder ${flags.builder}: unknown builder.`, { hint: 'Use --builder gradle, maven or none.' });
  }
  let replicas: number | undefined;
  if (flags.replicas !== undefined) {
    replicas = Number(flags.replicas);
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 100) {
      throw new ShipError('usage', `--replicas ${flags.replicas}: must be a whole number from 1 to 100.`, { hint: 'For example --replicas 3.' });
    }
  }
  const ci = flags.ci ?? (io.env.CI === 'true' || io.env.CI === '1');
  const helmOnly = [flags.values?.length ? '-f/--values' : '', flags.set?.length ? '--set' : ''].filter(Boolean);
  if (flags.helm === undefined && helmOnly.length) {
    throw new ShipError('usage', `${helmOnly.join(' and ')} only go with --helm CHART.`, { hint: 'Add --helm CHART (a local chart directory), or drop them.' });
  }
  const exclusive = [flags.helm !== undefined ? '--helm' : '', flags.kustomize !== undefined ? '--kustomize' : '', flags.manifest?.length ? '--manifest' : ''].filter(Boolean);
  if (exclusive.length > 1) {
    throw new ShipError('usage', `${exclusive.join(' and ')} cannot be combined: ship deploys one of them.`, {
      hint: 'Give one: --manifest FILE|DIR, --kustomize DIR or --helm CHART.',
    });
  }
  return {
    projectDir: abs(dir ?? '.'),
    builder: flags.builder as BuilderName | undefined,
    skipTests: flags.skipTests ?? false,
    dockerfile: flags.dockerfile ? abs(flags.dockerfile) : undefined,
    tag: flags.tag,
    context: flags.context,
    kubeconfig: flags.kubeconfig ? flags.kubeconfig.split(':').map(abs).join(':') : undefined,
    load: flags.load,
    allowContexts: flags.allowContext ?? [],
    registry: flags.registry,
    manifests: (flags.manifest ?? []).map(abs),
    ...(flags.kustomize !== undefined ? { kustomize: abs(flags.kustomize) } : {}),
    ...(flags.helm !== undefined ? { helm: { chart: abs(flags.helm), values: (flags.values ?? []).map(abs), set: flags.set ?? [] } } : {}),
    namespace: flags.namespace,
    timeoutMs: waitTimeout(flags.timeout ?? '5m'),
    port: parsePort(flags.port ?? '8080'),
    smokePath: flags.smokePath ?? '/',
    smoke: flags.smoke ?? true,
    hold: !(flags.detach ?? false) && !ci,
    ci,
    json: flags.json ?? false,
    replicas,
    explain: flags.explain ?? false,
  };
}
