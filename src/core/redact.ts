// Credentials never reach the output. Pure: text in, text out.
//
// Used where ship quotes lines of a kubeconfig or another credential file (a YAML syntax error
// shows the lines around the fault) and, as the last line of defence, on every message, hint and
// detail the CLI prints (error-report.ts).
//
// What counts as a credential: the value of a key whose name ends in token, password/passwd,
// secret, key-data (client-key-data), private-key, api-key/apikey, auth/authorization,
// credential(s) — in YAML (`key: value`), JSON (`"key": "value"`) or env form (`KEY=value`) —,
// a `Bearer …`/`Basic …` value, and the body of a PEM private key. Certificates
// (client-certificate-data, certificate-authority-data) are public and stay readable.

export const REDACTED = '<redacted>';

// A key: optional quote, a name ending in one of the secret words, optional quote, then : or =.
const KEY_VALUE =
  /(["']?)\b([\w.-]*?(?:token|password|passwd|secret|key-data|keydata|private[-_]?key|api[-_]?key|auth|authorization|credentials?))\1(\s*[:=]\s*)(?!\s*$)(.*)$/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/g;
const PEM = /-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]*?(-----END \1-----|$)/g;

/** Redact one line (no newline inside). */
export function redactLine(line: string): string {
  let out = line.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  const m = KEY_VALUE.exec(out);
  if (m) {
    const value = m[4];
    // Keep a trailing JSON/YAML delimiter so the quoted structure still reads right.
    const tail = /(["']?\s*[,}\]]*\s*)$/.exec(value)?.[1] ?? '';
    const lead = /^["']/.test(value) ? value[0] : '';
    const body = value.slice(lead.length, value.length - tail.length);
    // `token:` followed by nothing but a YAML flow/block marker is not a value.
    if (body.length > 0 && !/^[|>][-+]?$/.test(body.trim())) {
      out = out.slice(0, m.index) + m[1] + m[2] + m[1] + m[3] + lead + REDACTED + tail;
    }
  }
  return out;
}

/** Redact every line of a text (an error message quoting a file, a hint, a stack). */
export function redactText(text: string): string {
  const unpem = text.replace(PEM, (_m, kind: string, end: string) => `-----BEGIN ${kind}-----${REDACTED}${end ? `-----END ${kind}-----` : ''}`);
  return unpem
    .split('\n')
    .map((l) => redactLine(l))
    .join('\n');
}

/** Lines `from..to` (1-based, inclusive) of a file, each redacted before it is cut, numbered like `  9 | …`. */
export function quoteLines(source: string, line: number, column: number | undefined, context = 2, maxWidth = 100): string[] {
  const lines = source.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const from = Math.max(1, line - context);
  const to = Math.min(lines.length, line + context);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    let text = redactLine(lines[n - 1] ?? '');
    if (text.length > maxWidth) text = text.slice(0, maxWidth - 1) + '…';
    out.push(`${String(n).padStart(width)} | ${text}`);
    if (n === line && column !== undefined) out.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out;
}
