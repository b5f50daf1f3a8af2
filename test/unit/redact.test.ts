// Item 3 of issue 9: a kubeconfig with a YAML syntax error must not print its credentials,
// neither in the human error nor in the --json result event.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openKube } from '../../src/adapters/kube/client.js';
import { quoteLines, redactLine, redactText, REDACTED } from '../../src/core/redact.js';
import { formatInternalError, formatShipError } from '../../src/error-report.js';
import { ShipError } from '../../src/errors.js';

const SECRETS = ['abcdef.0123456789abcdef', 's3cr3tPW', 'hunter2hunter2'];

// Broken at line 12 (a flow sequence never closed), with the credentials just above the fault.
const BROKEN = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
  name: local
users:
- name: admin
  user:
    token: abcdef.0123456789abcdef
    password: hunter2hunter2
   token: s3cr3tPW
contexts: [ {name: x
`;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function kubeconfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ship-redact-'));
  dirs.push(dir);
  const file = join(dir, 'config');
  writeFileSync(file, text);
  return file;
}

function loadError(text: string): ShipError {
  try {
    openKube({ kubeconfig: kubeconfig(text), env: {} });
  } catch (e) {
    return e as ShipError;
  }
  throw new Error('the kubeconfig loaded');
}

function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describe('redaction (pure)', () => {
  it('redacts the values of credential keys in YAML, JSON and env form, keeps the rest', () => {
    expect(redactLine('    token: abcdef.0123456789abcdef')).toBe(`    token: ${REDACTED}`);
    expect(redactLine(' 9 |   password: hunter2hunter2')).toBe(` 9 |   password: ${REDACTED}`);
    expect(redactLine('    client-key-data: LS0tLS1CRUdJTiBSU0E=')).toBe(`    client-key-data: ${REDACTED}`);
    expect(redactLine('{"id-token": "eyJhbGciOi", "refresh-token": "r1"}')).not.toMatch(/eyJhbGciOi|r1"/);
    expect(redactLine('"auth": "dXNlcjpwYXNz",')).toBe(`"auth": "${REDACTED}",`);
    expect(redactLine('API_KEY=abc123')).toBe(`API_KEY=${REDACTED}`);
    expect(redactLine('    client-secret: xyz')).toBe(`    client-secret: ${REDACTED}`);
    expect(redactLine('Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload')).not.toContain('eyJhbGciOiJSUzI1NiJ9');
    // Public or structural lines stay as they are.
    for (const keep of ['    client-certificate-data: LS0tLS1CRUdJTiBDRVJU', '    server: https://127.0.0.1:6443', '    tokenFile: /var/run/token', '  token:', '- name: admin'])
      expect(redactLine(keep)).toBe(keep);
    expect(redactText('a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nb')).toBe(
      `a\n-----BEGIN RSA PRIVATE KEY-----${REDACTED}-----END RSA PRIVATE KEY-----\nb`,
    );
  });

  it('quotes lines redacted before they are cut, with a caret under the fault', () => {
    const q = quoteLines('a: 1\ntoken: s3cr3tPW\nb: [\n', 3, 4, 2, 12);
    expect(q).toEqual(['1 | a: 1', `2 | token: <red…`, '3 | b: [', '  |    ^']);
  });
});

describe('a kubeconfig with a syntax error (openKube, the real loading path)', () => {
  it('names the file and the position but quotes no credential', () => {
    const e = loadError(BROKEN);
    expect(e).toBeInstanceOf(ShipError);
    expect(e.code).toBe('kubeconfig');
    const all = [e.message, e.hint ?? '', ...e.details].join('\n');
    expect(all).toMatch(/line 13, column 4/);
    expect(all).toContain(`token: ${REDACTED}`);
    expect(all).toContain(`password: ${REDACTED}`);
    expectNoSecret(all);
    // The library's own message (with the raw lines) is not kept as the cause either.
    expectNoSecret(String((e as { cause?: unknown }).cause ?? ''));
  });

  it('the CLI output and the --json result event hold no credential', () => {
    const out = formatShipError(loadError(BROKEN), true);
    expect(out.exitCode).toBe(7);
    expectNoSecret(out.stderr);
    expectNoSecret(out.stdout ?? '');
    const result = JSON.parse(out.stdout ?? '{}');
    expect(result).toMatchObject({ type: 'result', ok: false, exitCode: 7, code: 'kubeconfig' });
    expect(result.details.join('\n')).toContain(`token: ${REDACTED}`);
  });

  it('the CLI redacts a credential quoted by any error, ShipError or internal', () => {
    const quoted = `bad indentation (11:4)\n\n  9 |     token: abcdef.0123456789abcdef\n 10 |     password: hunter2hunter2\n 11 |    token: s3cr3tPW`;
    const ship = formatShipError(new ShipError('cluster', quoted, { hint: 'token: s3cr3tPW', details: [quoted] }), true);
    const internal = formatInternalError(new Error(quoted), true, 1);
    for (const o of [ship, internal]) {
      expectNoSecret(o.stderr);
      expectNoSecret(o.stdout ?? '');
    }
  });
});
