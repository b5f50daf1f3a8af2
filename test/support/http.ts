// HTTP GET for the docker and e2e tests: status and body, or an error when nothing answers in time.

export async function get(url: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, body: await r.text() };
}
