import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withSpringFailure } from '../../src/core/spring-diagnosis.js';
import { readinessAdvice } from '../../src/core/app-port.js';

const log = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/spring-logs', `${name}.log`), 'utf8').split('\n');
const crash = (logs: string[]) => ({
  reason: 'CrashLoopBackOff',
  container: 'app',
  message: `Container "app" exited with code 1. It has crashed 2 times; the kubelet now waits before each restart (CrashLoopBackOff). Its last log line: "${logs.filter((l) => l.trim()).at(-1)}"`,
  hint: "The app's own output says why: kubectl -n x logs p -c app --previous",
  details: ['Exit code: 1', 'Last log lines of container "app":', ...logs.slice(-3).map((l) => '  ' + l)],
});

describe('withSpringFailure', () => {
  it('missing property: the headline names the property and the env var, not "23 common frames omitted"', () => {
    const logs = log('missing-property').slice(-40);
    const d = withSpringFailure(crash(logs), logs);
    expect(d.message).toBe('Spring Boot did not start: the property "payments.api-url" is not set (environment variable PAYMENTS_APIURL). Container "app" exited with code 1. It has crashed 2 times; the kubelet now waits before each restart (CrashLoopBackOff).');
    expect(d.message).not.toContain('common frames omitted');
    expect(d.hint).toContain('PAYMENTS_APIURL');
    expect(d.details[0]).toBe('Root cause: org.springframework.util.PlaceholderResolutionException: Could not resolve placeholder \'payments.api-url\' in value "${payments.api-url}"');
    expect(d.details).toContain('Exit code: 1');
  });

  it('APPLICATION FAILED TO START: Description and Action', () => {
    const logs = log('datasource-url');
    const d = withSpringFailure(crash(logs), logs);
    expect(d.message).toMatch(/^APPLICATION FAILED TO START: Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured\. Container "app"/);
    expect(d.details.slice(0, 4)).toEqual(['Description:', "  Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.", '  ', '  Reason: Failed to determine a suitable driver class']);
    expect(d.details).toContain('Action:');
    expect(d.details).toContain('  If you want an embedded database (H2, HSQL or Derby), please put it on the classpath.');
  });

  it("a missing bean: Spring's Action in the hint", () => {
    const logs = log('missing-bean');
    expect(withSpringFailure(crash(logs), logs).hint).toContain("Spring says: Consider defining a bean of type 'com.example.failures.PaymentGateway' in your configuration.");
  });

  it('nothing Spring reported: unchanged', () => {
    const d = crash(['hello', 'bye']);
    expect(withSpringFailure(d, ['hello', 'bye'])).toBe(d);
    expect(withSpringFailure(d, undefined)).toBe(d);
  });
});

describe('readinessAdvice', () => {
  const c = { file: 'spring-pod.yaml', object: 'pod/p', container: 'app', env: [], envFrom: [], args: [], containerPorts: [{ port: 8080 }], probes: [] };
  it('once, for a manifest of the user without a readiness probe, when the app has Actuator', () => {
    expect(readinessAdvice(c, true, 8080)).toContain('/actuator/health/readiness');
    expect(readinessAdvice(c, false, 8080)).toBeUndefined();
    expect(readinessAdvice({ ...c, file: '<generated>' }, true, 8080)).toBeUndefined();
    expect(readinessAdvice({ ...c, probes: [{ kind: 'readiness' as const, port: 8080 }] }, true, 8080)).toBeUndefined();
  });
});
