// Driving code that runs on vitest's fake clock (vi.useFakeTimers()) to its end.
import { vi } from 'vitest';

/**
 * Moves the fake clock on in steps of stepMs until the promise settles (or limitMs have passed on
 * the fake clock), then returns it: for code whose end depends on its own timers (polls, settle
 * periods, deadlines).
 */
export async function settleOnFakeClock<T>(p: Promise<T>, limitMs = 60_000, stepMs = 10): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  for (let t = 0; !settled && t < limitMs; t += stepMs) await vi.advanceTimersByTimeAsync(stepMs);
  return p;
}
