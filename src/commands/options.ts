// Flags + ship.yaml → ShipOptions, for every command that builds and deploys.
import { resolve } from 'node:path';
import { mergeFlags } from '../core/config.js';
import { loadConfig } from '../adapters/config-file.js';
import { toOptions, type RawFlags } from '../core/options.js';
import type { ShipOptions } from '../core/model.js';
import type { CommandIo } from './io.js';

export async function effectiveOptions(dir: string, flags: RawFlags, io: CommandIo, typed?: (key: keyof RawFlags) => boolean): Promise<ShipOptions> {
  const config = await loadConfig(resolve(io.cwd, dir));
  return toOptions(dir, mergeFlags(config, flags, typed), io);
}
