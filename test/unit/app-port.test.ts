import { describe, expect, it } from 'vitest';
import { checkPorts, readProperties, readYamlDocuments, resolveAppPort, type ConfigFile, type ContainerFacts } from '../../src/core/app-port.js';
import { builtContainers } from '../../src/core/built-containers.js';
import { POD_TEMPLATE_PATHS } from '../../src/core/manifest/kinds.js';

const R = 'src/main/resources';
const props = (name: string, text: string): ConfigFile => ({ path: `${R}/${name}`, text });
function container(over: Partial<ContainerFacts> = {}): ContainerFacts {
  return { file: 'spring-pod.yaml', object: 'pod/spring-pod', container: 'app', env: [], envFrom: [], args: [], containerPorts: [{ port: 8080 }], probes: [], ...over };
}

describe('reading the files', () => {
  it('.properties: key=value, key: value, key value, comments, continuation lines, line numbers', () => {
    const m = readProperties('a.properties', '# c\nspring.application.name=x\nserver.port : 9090\n! other\nmanagement.server.port \\\n  9091\n', ['server.port', 'management.server.port']);
    expect(m.get('server.port')).toMatchObject({ value: '9090', source: { where: 'a.properties:3', line: 3 } });
    expect(m.get('management.server.port')).toMatchObject({ value: '9091', source: { line: 5 } });
  });

  it('.yml: nested and dotted keys, line numbers, documents per profile', () => {
    const docs = readYamlDocuments('application.yml', 'spring:\n  application:\n    name: x\nserver:\n  port: 9090\n---\nspring:\n  config:\n    activate:\n      on-profile: prod\nserver.port: 8081\n', ['server.port']);
    expect(docs[0].settings.get('server.port')).toMatchObject({ value: '9090', source: { where: 'application.yml:5' } });
    expect(docs[1]).toMatchObject({ onProfile: 'prod' });
    expect(docs[1].settings.get('server.port')?.source.where).toBe('application.yml:11');
  });
});

describe('resolveAppPort', () => {
  it('nothing set: 8080, Spring Boot\'s default', () => {
    expect(resolveAppPort([props('application.properties', 'spring.application.name=x\n')], container())).toMatchObject({ port: 8080, certain: true });
  });

  it('application.properties, with file:line', () => {
    const p = resolveAppPort([props('application.properties', 'spring.application.name=x\nserver.port=9090\n')], container());
    expect(p).toMatchObject({ port: 9090, certain: true, source: { where: `${R}/application.properties:2`, text: 'server.port=9090' } });
  });

  it('application.yml', () => {
    expect(resolveAppPort([props('application.yml', 'server:\n  port: 7070\n')], container())).toMatchObject({ port: 7070, source: { where: `${R}/application.yml:2` } });
  });

  it('.properties wins over .yml in the same place', () => {
    expect(resolveAppPort([props('application.yml', 'server:\n  port: 7070\n'), props('application.properties', 'server.port=7071\n')], container()).port).toBe(7071);
  });

  it('a profile file activated by SPRING_PROFILES_ACTIVE in the manifest wins; the later profile wins', () => {
    const files = [props('application.properties', 'server.port=9090\n'), props('application-prod.yml', 'server:\n  port: 8000\n'), props('application-k8s.properties', 'server.port=8001\n')];
    expect(resolveAppPort(files, container({ env: [{ name: 'SPRING_PROFILES_ACTIVE', value: 'prod' }] }))).toMatchObject({ port: 8000, source: { where: `${R}/application-prod.yml:2` } });
    expect(resolveAppPort(files, container({ env: [{ name: 'SPRING_PROFILES_ACTIVE', value: 'prod,k8s' }] })).port).toBe(8001);
    expect(resolveAppPort(files, container()).port).toBe(9090);
  });

  it('spring.profiles.active in application.properties activates a profile file', () => {
    const files = [props('application.properties', 'spring.profiles.active=prod\n'), props('application-prod.properties', 'server.port=8000\n')];
    expect(resolveAppPort(files, container()).port).toBe(8000);
  });

  it('a multi-document application.yml: the document for the active profile', () => {
    const files = [props('application.yml', 'server:\n  port: 9090\n---\nspring:\n  config:\n    activate:\n      on-profile: prod\nserver:\n  port: 8000\n')];
    expect(resolveAppPort(files, container()).port).toBe(9090);
    expect(resolveAppPort(files, container({ env: [{ name: 'SPRING_PROFILES_ACTIVE', value: 'prod' }] }))).toMatchObject({ port: 8000, source: { where: `${R}/application.yml:9` } });
  });

  it('SERVER_PORT in the env beats the files; --server.port in args beats both', () => {
    const files = [props('application.properties', 'server.port=9090\n')];
    expect(resolveAppPort(files, container({ env: [{ name: 'SERVER_PORT', value: '7000' }] }))).toMatchObject({ port: 7000, certain: true, source: { text: 'SERVER_PORT=7000' } });
    expect(resolveAppPort(files, container({ env: [{ name: 'SERVER_PORT', value: '7000' }], args: ['--server.port=7001'] })).port).toBe(7001);
  });

  it('uncertain: a placeholder, SERVER_PORT or the profiles from a ConfigMap, envFrom, server.port=0', () => {
    const placeholder = resolveAppPort([props('application.properties', 'server.port=${APP_PORT:9090}\n')], container());
    expect(placeholder).toMatchObject({ port: 9090, certain: false });
    expect(placeholder.doubt).toContain('${APP_PORT}');
    expect(resolveAppPort([props('application.properties', 'server.port=${APP_PORT:9090}\n')], container({ env: [{ name: 'APP_PORT', value: '8080' }] }))).toMatchObject({ port: 8080, certain: true });
    expect(resolveAppPort([], container({ env: [{ name: 'SERVER_PORT', fromRef: 'ConfigMap app' }] }))).toMatchObject({ port: undefined, certain: false });
    expect(resolveAppPort([props('application.properties', 'server.port=9090\n')], container({ envFrom: ['ConfigMap app'] }))).toMatchObject({ port: 9090, certain: false });
    expect(resolveAppPort([props('application.properties', 'server.port=0\n')], container())).toMatchObject({ port: undefined, certain: false });
  });
});

describe('checkPorts', () => {
  const files = [props('application.properties', 'spring.application.name=x\nserver.port=9090\n')];

  it('a certain mismatch with the containerPort the forward targets is an error naming file:line and the fix', () => {
    const c = container();
    const r = checkPorts(resolveAppPort(files, c), c);
    expect(r.error).toBe(true);
    expect(r.message).toBe(`The app listens on 9090, set by ${R}/application.properties:2 (server.port=9090), but in spring-pod.yaml containerPort (the forward's target) is 8080.`);
    expect(r.hint).toContain('to 9090');
  });

  it('probes count, named ports resolve, actuator probes may use management.server.port', () => {
    const c = container({ containerPorts: [{ port: 9090, name: 'http' }], probes: [{ kind: 'readiness', port: 'http', path: '/actuator/health/readiness' }, { kind: 'liveness', port: 8080, path: '/' }] });
    const r = checkPorts(resolveAppPort(files, c), c);
    expect(r.mismatches.map((m) => m.what)).toEqual(['liveness probe (/)']);
    const mgmt = [props('application.properties', 'server.port=9090\nmanagement.server.port=9091\n')];
    const c2 = container({ containerPorts: [{ port: 9090 }], probes: [{ kind: 'readiness', port: 9091, path: '/actuator/health/readiness' }] });
    expect(checkPorts(resolveAppPort(mgmt, c2), c2).mismatches).toEqual([]);
  });

  it('--port LOCAL:REMOTE is the forward target; a containerPort that disagrees only warns then', () => {
    const c = container();
    const ok = checkPorts(resolveAppPort(files, c), c, 9090);
    expect(ok.error).toBe(false);
    expect(ok.mismatches).toEqual([expect.objectContaining({ what: 'containerPort', fatal: false })]);
    expect(checkPorts(resolveAppPort([], c), c, 9090).error).toBe(true);
  });

  it('an uncertain port that disagrees is a warning, not an error', () => {
    const c = container();
    const r = checkPorts(resolveAppPort([props('application.properties', 'server.port=${APP_PORT:9090}\n')], c), c);
    expect(r.error).toBe(false);
    expect(r.message).toMatch(/^The app probably listens on 9090/);
  });

  it('a generated Pod: the way out is --port LOCAL:APP', () => {
    const c = container({ file: '<generated>' });
    expect(checkPorts(resolveAppPort(files, c), c).hint).toBe('ship generated the Pod with containerPort 8080: give it the app\'s port with --port 8080:9090, or set server.port to 8080.');
  });

  it('agreeing ports: nothing to say', () => {
    const c = container({ containerPorts: [{ port: 9090 }] });
    expect(checkPorts(resolveAppPort(files, c), c)).toMatchObject({ error: false, mismatches: [] });
  });
});

describe('builtContainers', () => {
  it('reads env, envFrom, args, ports and probes of the rewritten container only', () => {
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                image: 'x:ship-1',
                args: ['--server.port=9000'],
                env: [{ name: 'SERVER_PORT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'port' } } }, { name: 'A', value: 1 }],
                envFrom: [{ configMapRef: { name: 'cfg' } }],
                ports: [{ containerPort: 9000, name: 'http' }],
                readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
                livenessProbe: { tcpSocket: { port: '9000' } },
              },
              { name: 'sidecar', image: 'busybox', ports: [{ containerPort: 1 }] },
            ],
          },
        },
      },
    };
    const facts = builtContainers([{ kind: 'Deployment', name: 'web', body, source: { file: 'k8s/app.yaml' } }], [{ kind: 'Deployment', name: 'web', container: 'app' }], POD_TEMPLATE_PATHS);
    expect(facts).toEqual([
      {
        file: 'k8s/app.yaml',
        object: 'deployment/web',
        container: 'app',
        env: [{ name: 'SERVER_PORT', value: undefined, fromRef: 'ConfigMap cfg' }, { name: 'A', value: '1', fromRef: undefined }],
        envFrom: ['ConfigMap cfg'],
        args: ['--server.port=9000'],
        containerPorts: [{ port: 9000, name: 'http' }],
        probes: [{ kind: 'readiness', port: 'http', path: '/ready' }, { kind: 'liveness', port: 9000, path: undefined }],
      },
    ]);
  });
});
