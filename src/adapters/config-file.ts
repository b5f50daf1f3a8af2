// Reading the project's ship.yaml (or ship.yml); what it may say is src/core/config.ts.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShipError, errorMessage } from '../errors.js';
import { CONFIG_FILES, parseConfig, type ShipConfig } from '../core/config.js';

export interface LoadedConfig {
  /** Absolute path of the file, or undefined when the project has none. */
  file?: string;
  config: ShipConfig;
}

/** Read and validate the project's ship.yaml; an absent file gives an empty config. */
export async function loadConfig(projectDir: string): Promise<ShipConfig> {
  return (await readConfig(projectDir)).config;
}

/** Like loadConfig, and also says which file was read. */
export async function readConfig(projectDir: string): Promise<LoadedConfig> {
  for (const name of CONFIG_FILES) {
    const file = join(projectDir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new ShipError('usage', `${name}: cannot be read: ${errorMessage(e)}`, { hint: `Check the permissions of ${file}.`, cause: e });
    }
    return { file, config: parseConfig(text, { projectDir, file }) };
  }
  return { config: {} };
}
