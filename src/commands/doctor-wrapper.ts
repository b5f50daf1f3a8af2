// `ship doctor`: the build tool's distribution. A Gradle or Maven wrapper downloads its
// distribution on the first build; when it is not cached and its host cannot be reached, the
// build will fail — say so now, with the same ways out the build step gives.

import { analyzeBuildOutput } from '../core/build-tool.js';
import { hostUnreachable, wrapperState } from '../adapters/wrapper-dist.js';

/** The shape of a doctor check (commands/doctor.ts's Check). */
export interface WrapperCheckResult {
  id: string;
  title: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

export interface WrapperProbes {
  state: typeof wrapperState;
  unreachable: typeof hostUnreachable;
}

const real: WrapperProbes = { state: wrapperState, unreachable: hostUnreachable };

/** undefined when the build command is not a wrapper (or it has no distribution file). */
export async function wrapperCheck(
  project: { dir: string; buildCommand?: [string, string[]] },
  facts: { hasPom: boolean; gradleOnPath: boolean },
  env: NodeJS.ProcessEnv,
  probes: WrapperProbes = real,
): Promise<WrapperCheckResult | undefined> {
  const command = project.buildCommand?.[0];
  if (command !== './gradlew' && command !== './mvnw') return undefined;
  const state = probes.state(project.dir, command, env);
  if (!state) return undefined;
  const d = state.distribution;
  const name = `${d.tool === 'gradle' ? 'Gradle' : 'Maven'}${d.version ? ` ${d.version}` : ''}`;
  const base = { id: 'build-distribution', title: 'Build tool download', required: true };
  if (state.cached) return { ...base, ok: true, detail: `${name} for ${d.wrapper} is already downloaded (${state.cachePath})` };
  const why = await probes.unreachable(d.url);
  if (!why) return { ...base, ok: true, detail: `${name} is not downloaded yet; ${d.wrapper} will fetch it from ${d.host} on the first build (${d.host} answers)` };
  // The same words the build step uses when the download fails.
  const f = analyzeBuildOutput([`Downloading ${d.url}`, `java.net.UnknownHostException: ${d.host}`], { command, hasPom: facts.hasPom, gradleOnPath: facts.gradleOnPath, distribution: d });
  return {
    ...base,
    ok: false,
    detail: `${d.wrapper} needs ${name} from ${d.url}, which is not downloaded (${state.cachePath}) and cannot be: ${why}`,
    fix: f?.hint,
  };
}
