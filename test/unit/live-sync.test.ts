import { mkdtemp, mkdir, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import type { V1Pod } from '@kubernetes/client-node';
import { tarOf } from '../../src/adapters/live/tar.js';
import { extractCommand, removeCommand } from '../../src/adapters/live/pod-sync.js';
import { OutputSnapshotter } from '../../src/adapters/live/output-snapshot.js';
import { splitTimestamp } from '../../src/adapters/live/restart-watch.js';
import { livePods } from '../../src/adapters/live/app-pods.js';
import { compileCommand, devFactsCommand, parseClasspath, quickMavenEnv } from '../../src/adapters/live/maven.js';
import { podsChanged } from '../../src/tasks/live.js';
import { diffOutput } from '../../src/core/live-plan.js';

async function entries(stream: Readable): Promise<Array<{ name: string; mode: number; type: string; body: string }>> {
  const out: Array<{ name: string; mode: number; type: string; body: string }> = [];
  const ex = extract();
  ex.on('entry', (h, s, next) => {
    let body = '';
    s.on("data", (d: unknown) => (body += String(d)));
    s.on('end', () => {
      out.push({ name: h.name, mode: h.mode ?? 0, type: h.type ?? 'file', body });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
    stream.pipe(ex as unknown as NodeJS.WritableStream);
  });
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ship-live-'));
  await mkdir(join(dir, 'com/ex'), { recursive: true });
  await writeFile(join(dir, 'com/ex/A.class'), 'AAAA');
  await writeFile(join(dir, 'com/ex/B.class'), 'BB');
  await writeFile(join(dir, 'application.properties'), 'greeting=hi\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the tar of changed files', () => {
  it('holds exactly the changed files, in order, writable by any user, then the trigger', async () => {
    const tar = tarOf([
      { name: 'com/ex/B.class', from: join(dir, 'com/ex/B.class') },
      { name: 'application.properties', from: join(dir, 'application.properties') },
      { name: '.ship-restart', from: Buffer.from('123\n') },
    ]);
    const got = await entries(tar);
    expect(got.map((e) => [e.name, e.body])).toEqual([
      ['com/ex/B.class', 'BB'],
      ['application.properties', 'greeting=hi\n'],
      ['.ship-restart', '123\n'],
    ]);
    expect(got.every((e) => e.mode === 0o666 && e.type === 'file')).toBe(true);
  });

  it('directories for the dev image context, and no path outside the archive', async () => {
    const got = await entries(tarOf([{ name: 'ship-dev', from: 'directory' }, { name: 'ship-dev/lib/x.jar', from: Buffer.from('x'), mode: 0o644 }]));
    expect(got.map((e) => [e.name.replace(/\/$/, ''), e.type, e.mode])).toEqual([
      ['ship-dev', 'directory', 0o777],
      ['ship-dev/lib/x.jar', 'file', 0o644],
    ]);
    await expect(entries(tarOf([{ name: '../etc/passwd', from: Buffer.from('x') }]))).rejects.toThrow(/not a relative path/);
    await expect(entries(tarOf([{ name: '/abs', from: Buffer.from('x') }]))).rejects.toThrow(/not a relative path/);
  });

  it('commands in the container are argument lists, file names never pass through a shell', () => {
    expect(extractCommand('/ship-dev/classes')).toEqual(['tar', '-x', '-m', '-f', '-', '-C', '/ship-dev/classes']);
    expect(removeCommand('/ship-dev/classes', ['com/ex/Old $(rm -rf).class'])).toEqual(['rm', '-f', '--', '/ship-dev/classes/com/ex/Old $(rm -rf).class']);
  });
});

describe('OutputSnapshotter', () => {
  it('sees changed, new and removed files by content', async () => {
    const snap = new OutputSnapshotter([dir]);
    const before = await snap.snapshot();
    expect([...before.keys()].sort()).toEqual(['application.properties', 'com/ex/A.class', 'com/ex/B.class']);
    await writeFile(join(dir, 'com/ex/B.class'), 'B2');
    await utimes(join(dir, 'com/ex/B.class'), new Date(), new Date(Date.now() + 5000));
    await writeFile(join(dir, 'com/ex/C.class'), 'C');
    await rm(join(dir, 'application.properties'));
    // Rewritten with the same bytes (javac recompiling an unchanged class): not a change.
    await writeFile(join(dir, 'com/ex/A.class'), 'AAAA');
    const after = await snap.snapshot();
    expect(diffOutput(before, after)).toEqual({ changed: ['com/ex/B.class', 'com/ex/C.class'], removed: ['application.properties'] });
  });
  it('a missing directory is empty', async () => {
    expect((await new OutputSnapshotter([join(dir, 'nope')]).snapshot()).size).toBe(0);
  });
  it("Gradle's output directories are merged as the pod's one classes directory; a path in two is taken from the first", async () => {
    const classes = join(dir, 'build/classes/java/main');
    const resources = join(dir, 'build/resources/main');
    await mkdir(join(classes, 'app'), { recursive: true });
    await mkdir(join(resources, 'app'), { recursive: true });
    await writeFile(join(classes, 'app/Main.class'), 'M1');
    await writeFile(join(resources, 'app.properties'), 'greeting=hi');
    await writeFile(join(resources, 'app/Main.class'), 'stale copy');
    const snap = new OutputSnapshotter([classes, resources]);
    const before = await snap.snapshot();
    expect([...before.keys()].sort()).toEqual(['app.properties', 'app/Main.class']);
    expect(snap.locate('app/Main.class')).toBe(join(classes, 'app/Main.class'));
    expect(snap.locate('app.properties')).toBe(join(resources, 'app.properties'));
    await writeFile(join(resources, 'app.properties'), 'greeting=hello');
    await utimes(join(resources, 'app.properties'), new Date(), new Date(Date.now() + 5000));
    await rm(join(classes, 'app/Main.class'));
    const after = await snap.snapshot();
    // The class is gone from the first directory: the pod now gets the second directory's copy.
    expect(diffOutput(before, after)).toEqual({ changed: ['app.properties', 'app/Main.class'], removed: [] });
    expect(snap.locate('app/Main.class')).toBe(join(resources, 'app/Main.class'));
    expect(() => snap.locate('nope.class')).toThrow(/no output directory/);
  });
});

describe('log timestamps', () => {
  it('splits the kubelet timestamp from the line', () => {
    expect(splitTimestamp('2026-11-30T04:16:48.218123456Z Started App in 1.2 seconds')).toEqual({ at: Date.parse('2026-11-30T04:16:48.218Z'), text: 'Started App in 1.2 seconds' });
    expect(splitTimestamp('no time here')).toBeUndefined();
  });
});

function pod(name: string, uid: string, opts: { ready?: boolean; image?: string; deleting?: boolean } = {}): V1Pod {
  return {
    metadata: { name, uid, ...(opts.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { containers: [{ name: 'side', image: 'busybox' }, { name: 'app', image: opts.image ?? 'demo:ship-dev-1' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }], containerStatuses: [{ name: 'app', restartCount: 2 } as never] },
  };
}

describe('the pods a live update goes into', () => {
  it('Ready, not terminating pods running the dev image, with that container', () => {
    const pods = [pod('b', '2'), pod('a', '1'), pod('c', '3', { ready: false }), pod('d', '4', { deleting: true }), pod('e', '5', { image: 'other:1' })];
    expect(livePods(pods, 'demo:ship-dev-1')).toEqual([
      { name: 'a', uid: '1', container: 'app', restarts: 2 },
      { name: 'b', uid: '2', container: 'app', restarts: 2 },
    ]);
  });
  it('a replaced pod or a new one means the image must be rebuilt', () => {
    const a = { name: 'a', uid: '1', container: 'app', restarts: 0 };
    const b = { name: 'b', uid: '2', container: 'app', restarts: 0 };
    expect(podsChanged([a, b], [a, b])).toBeUndefined();
    expect(podsChanged([a, b], [a])).toBe('pod b was replaced or is not Ready');
    expect(podsChanged([a], [a, { ...b, name: 'a-new' }])).toBe('pod a-new is new');
    expect(podsChanged([a, b], [a, { ...b, restarts: 1 }])).toBe('the container of pod b restarted');
  });
});

describe('Maven commands (data)', () => {
  const p = { dir: '/p', mvn: './mvnw' };
  it('compile offline and quiet; the facts in one run', () => {
    expect(compileCommand(p)).toEqual(['./mvnw', ['-B', '-o', '-q', 'compile']]);
    const [, args] = devFactsCommand(p, '/t/cp', '/t/out');
    expect(args).toContain('dependency:build-classpath');
    expect(args).toContain('-Dmdep.includeScope=runtime');
    expect(args).toContain('-Dmdep.outputFile=/t/cp');
    expect(args).toContain('-Dexpression=project.build.outputDirectory');
    expect(args).toContain('-Doutput=/t/out');
  });
  it('classpath file, and MAVEN_OPTS with the user\'s own flags last', () => {
    expect(parseClasspath('/a.jar:/b.jar\n')).toEqual(['/a.jar', '/b.jar']);
    expect(parseClasspath('')).toEqual([]);
    expect(quickMavenEnv({ MAVEN_OPTS: '-Xmx1g' }).MAVEN_OPTS).toBe('-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx1g');
    expect(quickMavenEnv({}).MAVEN_OPTS).toBe('-XX:TieredStopAtLevel=1 -XX:+UseSerialGC');
  });
});

describe('compile errors from Maven output', () => {
  it('keeps the compiler lines, drops Maven advice', async () => {
    const { errorLines } = await import('../../src/adapters/live/maven.js');
    expect(
      errorLines([
        '[INFO] building',
        '[ERROR] COMPILATION ERROR : ',
        '[ERROR] /p/src/main/java/A.java:[13,34] illegal start of expression',
        '[ERROR] ',
        '[ERROR] -> [Help 1]',
        '[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/MojoFailureException',
        '[ERROR] Re-run Maven using the -X switch to enable full debug logging.',
      ]),
    ).toEqual(['[ERROR] COMPILATION ERROR : ', '[ERROR] /p/src/main/java/A.java:[13,34] illegal start of expression']);
  });
});
