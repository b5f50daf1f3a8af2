// Where ship keeps its own files (the code cache, run locks): `$XDG_CACHE_HOME/ship` when that is
// absolute, as the XDG spec asks, else `~/.cache/ship`; undefined without a home. Pure: the
// environment and the home directory are passed in.

import { isAbsolute, join } from 'node:path';

export function cacheDirectory(env: NodeJS.ProcessEnv, home: string | undefined): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'ship');
  return home && isAbsolute(home) ? join(home, '.cache', 'ship') : undefined;
}
