// A Pod refused because its namespace's ServiceAccount does not exist yet. kube-controller-manager
// (its serviceaccount controller) creates "default" in every new namespace a moment after the
// namespace; right after an API server restart, or while the controller-manager is down, that
// moment can be long, and the ServiceAccount admission plugin refuses every Pod meanwhile
// (403: `error looking up service account NS/default: serviceaccount "default" not found`). That
// is not an RBAC problem: waiting (bounded) and applying again is the fix. Pure.

/** How long apply waits for the ServiceAccount before saying the controller-manager does not create it. */
export const SERVICE_ACCOUNT_WAIT_MS = 30_000;

/** The ServiceAccount an apply was refused for lacking, or undefined when that is not the refusal. */
export function missingServiceAccount(status: number, message: string): { namespace?: string; name: string } | undefined {
  if (status !== 403 && status !== 500 && status !== 422) return undefined;
  const m = /service ?account "?(?:([a-z0-9-]+)\/)?([a-z0-9.-]+)"?: serviceaccount(?:s)? "([a-z0-9.-]+)" not found/i.exec(message);
  if (m) return { namespace: m[1], name: m[3] ?? m[2]! };
  const plain = /serviceaccounts? "([a-z0-9.-]+)" not found/i.exec(message);
  return plain ? { name: plain[1]! } : undefined;
}
