// How a failed command is shown: the human lines (stderr) and the --json result event (stdout).
// cli.ts's one top-level catch writes what this returns. Every string that comes from an error
// passes through redactText, so a credential quoted by a library's message (a kubeconfig line, an
// Authorization header) never reaches the terminal, a CI log or the JSON result.

import { redactText } from './core/redact.js';

export interface ShipErrorLike {
  message: string;
  code: string;
  exitCode: number;
  hint?: string;
  details: string[];
}

export interface ErrorReport {
  stderr: string;
  /** The --json result event (one line), when --json was given. */
  stdout?: string;
  exitCode: number;
}

export function formatShipError(e: ShipErrorLike, json: boolean): ErrorReport {
  const message = redactText(e.message);
  const hint = e.hint === undefined ? undefined : redactText(e.hint);
  const details = e.details.map((d) => redactText(d));
  let stderr = `\n✖ ${message}\n`;
  for (const d of details) stderr += `  ${d}\n`;
  if (hint) stderr += `  hint: ${hint}\n`;
  const stdout = json ? JSON.stringify({ type: 'result', ok: false, exitCode: e.exitCode, code: e.code, error: message, hint, details }) + '\n' : undefined;
  return { stderr, stdout, exitCode: e.exitCode };
}

export function formatInternalError(e: unknown, json: boolean, exitCode: number): ErrorReport {
  const text = redactText(e instanceof Error ? (e.stack ?? e.message) : String(e));
  const stderr = `\n✖ internal error: ${text}\n  hint: this is a bug in ship; please report it with the output above.\n`;
  const stdout = json ? JSON.stringify({ type: 'result', ok: false, exitCode, error: redactText(String(e)) }) + '\n' : undefined;
  return { stderr, stdout, exitCode };
}
