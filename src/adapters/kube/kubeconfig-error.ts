// A kubeconfig that cannot be parsed, described without leaking what it holds.
//
// client-node parses with js-yaml, whose error message quotes the lines around the fault as they
// are — `token: …`, `password: …`, `client-key-data: …` included — and ship used to print that
// message (and put it in the --json result). Here the message is rebuilt from the parser's reason
// and position, and the quoted lines are ship's own, each redacted before it is shown. The
// original error is not kept as the cause, since its message holds the raw lines.

import { errorMessage } from '../../errors.js';
import { quoteLines, redactText } from '../../core/redact.js';

interface YamlMark {
  line: number; // 0-based
  column: number; // 0-based
  buffer?: string;
}

export function describeKubeconfigError(e: unknown): { message: string; details: string[] } {
  const err = e as { reason?: unknown; mark?: YamlMark };
  if (err && typeof err.reason === 'string' && err.mark && typeof err.mark.line === 'number') {
    const line = err.mark.line + 1;
    const column = err.mark.column + 1;
    const details = typeof err.mark.buffer === 'string' ? quoteLines(err.mark.buffer, line, column) : [];
    return { message: `${redactText(err.reason)} at line ${line}, column ${column}`, details };
  }
  return { message: redactText(errorMessage(e)), details: [] };
}
