// A pause that an abort cuts short, and that leaves nothing on the signal once it is over.
//
// ship dev's signal lives for the whole session: a listener added per pause and never removed
// piles up (one per smoke retry per redeploy) until Node warns
// `MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]` (issue 9 item 5).

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
