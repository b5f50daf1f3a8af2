// Where live update keeps what it fetches and compiles once (devtools jars, the Gradle init
// script, ship's restarter, the warm Maven's helper): ship's cache, else a temp directory.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDirectory } from '../../core/cache-dir.js';
import { homeDirectory } from '../home.js';

export function liveCacheDir(env: NodeJS.ProcessEnv): string {
  return cacheDirectory(env, env.HOME ?? homeDirectory()) ?? join(tmpdir(), 'ship-cache');
}
