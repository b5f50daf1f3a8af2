// Spring Boot's own terms from logs recorded for real: small Spring Boot 3.5.7 apps built with Maven
// and run with `java -jar` (test/unit/fixtures/spring-logs/README.md says how).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSpringLog, envVarFor, failureDetails, startedPorts } from '../../src/core/spring-log.js';

const log = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/spring-logs', `${name}.log`), 'utf8').split('\n');

describe('startedPorts', () => {
  it.each([
    ['wrong-port-tomcat', 'Tomcat', 19090],
    ['started-jetty', 'Jetty', 19095],
    ['started-undertow', 'Undertow', 19095],
    ['started-netty', 'Netty', 19095],
  ])('%s: %s on %d', (file, server, port) => {
    expect(startedPorts(log(file))).toEqual([expect.objectContaining({ server, port })]);
  });

  it("reads Boot 2's port(s) form, several ports, and ignores the protocol's digits", () => {
    expect(startedPorts(["o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port(s): 8080 (http) 8443 (https) with context path ''"]).map((p) => p.port)).toEqual([8080, 8443]);
    expect(startedPorts(['Jetty started on port(s) 9000 (http/1.1) with context path /']).map((p) => p.port)).toEqual([9000]);
    expect(startedPorts(['Tomcat initialized with port 8080 (http)'])).toEqual([]);
  });

  it('a failed start has no started line', () => {
    expect(startedPorts(log('missing-property'))).toEqual([]);
  });
});

describe('envVarFor (relaxed binding)', () => {
  it.each([
    ['payments.api-url', 'PAYMENTS_APIURL'],
    ['spring.datasource.url', 'SPRING_DATASOURCE_URL'],
    ['my.service[0].other', 'MY_SERVICE_0_OTHER'],
    ['server.port', 'SERVER_PORT'],
  ])('%s → %s', (p, e) => expect(envVarFor(p)).toBe(e));
});

describe('analyzeSpringLog on recorded failures', () => {
  it('a missing property: the placeholder, not the last frame, with the env var and the ConfigMap route', () => {
    const f = analyzeSpringLog(log('missing-property'))!;
    expect(f.cause).toBe('missing-property');
    expect(f.source).toBe('stack-trace');
    expect(f.property).toBe('payments.api-url');
    expect(f.envVar).toBe('PAYMENTS_APIURL');
    expect(f.headline).toBe('the property "payments.api-url" is not set (environment variable PAYMENTS_APIURL)');
    expect(f.rootCause).toEqual({
      exception: 'org.springframework.util.PlaceholderResolutionException',
      message: 'Could not resolve placeholder \'payments.api-url\' in value "${payments.api-url}"',
    });
    expect(f.hint).toContain('PAYMENTS_APIURL');
    expect(f.hint).toContain('configMapRef');
  });

  it('the last 40 lines (what the wait step reads) still hold the root cause', () => {
    expect(analyzeSpringLog(log('missing-property').slice(-40))?.property).toBe('payments.api-url');
  });

  it('a DataSource without URL: the failure analysis Description and Action', () => {
    const f = analyzeSpringLog(log('datasource-url'))!;
    expect(f.source).toBe('failure-analysis');
    expect(f.cause).toBe('datasource');
    expect(f.headline).toBe("Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.");
    expect(f.description).toEqual([
      "Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.",
      '',
      'Reason: Failed to determine a suitable driver class',
    ]);
    expect(f.action?.[0]).toBe('Consider the following:');
    expect(f.action?.[1]).toBe('If you want an embedded database (H2, HSQL or Derby), please put it on the classpath.');
    expect(f.hint).toContain('SPRING_DATASOURCE_URL');
    expect(failureDetails(f)).toContain('Action:');
  });

  it('a missing bean of a type', () => {
    const f = analyzeSpringLog(log('missing-bean'))!;
    expect(f.cause).toBe('missing-bean');
    expect(f.beanType).toBe('com.example.failures.PaymentGateway');
    expect(f.headline).toBe("Parameter 0 of constructor in com.example.failures.CheckoutService required a bean of type 'com.example.failures.PaymentGateway' that could not be found.");
    expect(f.action).toEqual(["Consider defining a bean of type 'com.example.failures.PaymentGateway' in your configuration."]);
  });

  it('port already in use', () => {
    const f = analyzeSpringLog(log('port-in-use'))!;
    expect(f.cause).toBe('port-in-use');
    expect(f.port).toBe(19094);
    expect(f.headline).toBe('Web server failed to start. Port 19094 was already in use.');
    expect(f.action?.join(' ')).toContain("Identify and stop the process that's listening on port 19094");
  });

  it('UnsupportedClassVersionError: the Java versions', () => {
    const f = analyzeSpringLog(log('class-version'))!;
    expect(f.cause).toBe('class-version');
    expect(f.javaVersions).toEqual({ compiledFor: 21, runtime: 17 });
    expect(f.headline).toContain('compiled for Java 21');
    expect(f.hint).toContain('eclipse-temurin:21-jre');
  });

  it('a running app has nothing to report', () => {
    expect(analyzeSpringLog(log('wrong-port-tomcat'))).toBeUndefined();
    expect(analyzeSpringLog(log('started-netty'))).toBeUndefined();
  });

  it('without Spring: the deepest Caused by of a plain trace', () => {
    const f = analyzeSpringLog([
      'Exception in thread "main" java.lang.IllegalStateException: boom',
      '\tat a.B.c(B.java:1)',
      'Caused by: java.io.FileNotFoundException: /config/app.json (No such file or directory)',
      '\tat a.B.d(B.java:2)',
    ])!;
    expect(f.cause).toBe('other');
    expect(f.headline).toBe('FileNotFoundException: /config/app.json (No such file or directory)');
  });
});
