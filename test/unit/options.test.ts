import { describe, expect, it } from 'vitest';
import { parseDuration, parsePort, toOptions } from '../../src/core/options.js';
import { ExitCode, ShipError } from '../../src/errors.js';

const io = { cwd: '/home/u/work', env: {}, isTTY: true };

describe('flags to options', () => {
  it('resolves the project dir and defaults', () => {
    const o = toOptions(undefined, {}, io);
    expect(o.projectDir).toBe('/home/u/work');
    expect(o.timeoutMs).toBe(300_000);
    expect(o.port).toEqual({ local: 8080, remote: undefined });
    expect(o.hold).toBe(true);
    expect(o.ci).toBe(false);
  });
  it('CI=true means CI mode, which does not hold the forward', () => {
    const o = toOptions('app', {}, { ...io, env: { CI: 'true' } });
    expect(o.ci).toBe(true);
    expect(o.hold).toBe(false);
    expect(o.projectDir).toBe('/home/u/work/app');
  });
  it('parses durations and ports', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('120')).toBe(120_000);
    expect(parsePort('18080:8080')).toEqual({ local: 18080, remote: 8080 });
    expect(parsePort('0')).toEqual({ local: 0, remote: undefined });
  });
  it('rejects bad values with a usage error and a hint', () => {
    for (const bad of [() => parseDuration('soon'), () => parsePort('80800'), () => parsePort('a:b'), () => toOptions('.', { builder: 'ant' }, io), () => toOptions('.', { replicas: '0' }, io)]) {
      try {
        bad();
        expect.unreachable('should have thrown');
      } catch (e) {
        expect(e).toBeInstanceOf(ShipError);
        expect((e as ShipError).exitCode).toBe(ExitCode.usage);
        expect((e as ShipError).hint).toBeTruthy();
      }
    }
  });
});

describe('exit codes', () => {
  it('are distinct per failure class', () => {
    const codes = Object.values(ExitCode).filter((c) => c !== 0);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
