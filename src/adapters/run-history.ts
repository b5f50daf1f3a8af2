// The last successful run of each app, as a small JSON file in ship's cache directory
// ($XDG_CACHE_HOME/ship/runs, else ~/.cache/ship/runs). A directory ship cannot write only means
// the next run shows no comparison.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDirectory } from '../core/cache-dir.js';
import { parseRecord, type RunRecord } from '../core/run-history.js';
import { homeDirectory } from './home.js';

export interface RunHistory {
  last(key: string): RunRecord | undefined;
  save(key: string, record: RunRecord): void;
}


export function runHistory(env: NodeJS.ProcessEnv, home: string | undefined = homeDirectory()): RunHistory {
  const base = cacheDirectory(env, home);
  const dir = base ? join(base, 'runs') : undefined;
  return {
    last(key) {
      if (!dir) return undefined;
      try {
        return parseRecord(readFileSync(join(dir, `${key}.json`), 'utf8'));
      } catch {
        return undefined;
      }
    },
    save(key, record) {
      if (!dir) return;
      try {
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${key}.json`);
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(record) + '\n');
        renameSync(tmp, file);
      } catch {
        /* no comparison next time */
      }
    },
  };
}
