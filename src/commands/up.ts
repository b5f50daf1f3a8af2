// `ship [dir]`: deploy the project and keep its port forwarded.

import type { CommandIo } from './io.js';
import type { RawFlags } from '../core/options.js';
import { effectiveOptions } from './options.js';
import { createOutput } from '../pipeline/output.js';
import { newContext } from '../pipeline/new-context.js';
import { up } from '../pipeline/up.js';
import { explainSink } from '../pipeline/explain.js';
import { LiveDev, debugPortFlag } from '../pipeline/live.js';

export async function runUpCommand(dir: string, flags: RawFlags & { debug?: boolean; debugPort?: string }, io: CommandIo, typed?: (key: keyof RawFlags) => boolean): Promise<number> {
  const opts = await effectiveOptions(dir, flags, io, typed);
  // --debug: the project image plus the JDWP agent, its port forwarded beside the app's.
  const debugPort = await debugPortFlag(flags);
  const out = createOutput({ json: opts.json, stdout: io.stdout, stderr: io.stderr });
  const ctx = newContext(opts, out, io);
  if (opts.explain) ctx.explain = explainSink(out);
  const extra = debugPort ? new LiveDev({ live: false, debugPort }).deployOptions() : {};
  // --explain prints between the steps: plain line output, not the list redrawn in place.
  const result = await up(ctx, { interactive: io.isTTY && !opts.ci && !opts.json && !opts.explain }, extra);
  // ship's own CPU time (children excluded): what the benchmark reports as ship's overhead.
  const cpu = process.cpuUsage();
  out.event({ type: 'result', ok: true, exitCode: 0, url: result.forward.url, status: result.smoke?.status, selfCpuMs: (cpu.user + cpu.system) / 1000 });
  return 0;
}
