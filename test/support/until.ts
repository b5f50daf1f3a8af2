// Polling for the docker and e2e tests, which watch real processes, clusters and servers (the unit
// tests use vi.waitFor or a fake clock instead).

/**
 * Calls check every everyMs until it returns a truthy value, and returns that value; after
 * timeoutMs an error names what was awaited. An error thrown by check ends the wait at once
 * (wrap the check in `.catch(() => undefined)` when a failure only means "not yet").
 */
export async function until<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(opts.everyMs ?? 500);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
