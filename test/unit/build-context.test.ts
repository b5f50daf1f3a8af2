import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import tarFs from 'tar-fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packContext } from '../../src/adapters/build-context.js';
import { makeIgnoreFilter } from '../../src/core/dockerignore.js';

describe('makeIgnoreFilter (true = sent to Docker)', () => {
  it('nested patterns match relative paths at any depth only where the pattern says so', () => {
    const keep = makeIgnoreFilter('**/secret.txt\nsrc/**/*.tmp\n*.log\n', 'Dockerfile');
    expect(keep('secret.txt')).toBe(false);
    expect(keep('nested/dir/secret.txt')).toBe(false);
    expect(keep('nested/dir/public.txt')).toBe(true);
    expect(keep('src/a/b/c.tmp')).toBe(false);
    expect(keep('src/c.tmp')).toBe(false);
    expect(keep('other/c.tmp')).toBe(true);
    // `*.log` is a root-level pattern in .dockerignore (not like .gitignore).
    expect(keep('app.log')).toBe(false);
    expect(keep('logs/app.log')).toBe(true);
  });

  it('negations bring files back; later lines win', () => {
    const keep = makeIgnoreFilter('*.txt\n!keep.txt\nbuild/*\n!build/libs\nbuild/libs/*.original\n', 'Dockerfile');
    expect(keep('drop.txt')).toBe(false);
    expect(keep('keep.txt')).toBe(true);
    expect(keep('build/classes/A.class')).toBe(false);
    expect(keep('build/libs/app.jar')).toBe(true);
    expect(keep('build/libs/app.jar.original')).toBe(false);
  });

  it('a directory pattern excludes everything under it', () => {
    const keep = makeIgnoreFilter('.git\nnode_modules/\n', 'Dockerfile');
    expect(keep('.git/config')).toBe(false);
    expect(keep('node_modules/x/index.js')).toBe(false);
    expect(keep('src/node_modules_notes.md')).toBe(true);
  });

  it('comments, blank lines, leading ./ and / are handled', () => {
    const keep = makeIgnoreFilter('# a comment\n\n  /root-only.txt  \n./dot.txt\n', 'Dockerfile');
    expect(keep('# a comment')).toBe(true);
    expect(keep('root-only.txt')).toBe(false);
    expect(keep('./root-only.txt')).toBe(false);
    expect(keep('dot.txt')).toBe(false);
  });

  it('the Dockerfile and .dockerignore are always kept, even when listed', () => {
    const keep = makeIgnoreFilter('Dockerfile\n.dockerignore\n*\ndocker/\n', 'docker/Dockerfile.prod');
    expect(keep('docker/Dockerfile.prod')).toBe(true);
    expect(keep('.dockerignore')).toBe(true);
    expect(keep('Dockerfile')).toBe(false); // not the Dockerfile of this build
    expect(keep('anything')).toBe(false);
  });
});

describe('packContext', () => {
  let dir: string;
  let out: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ship-ctx-'));
    out = await mkdtemp(join(tmpdir(), 'ship-ctx-out-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });

  async function put(rel: string, content = rel) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }

  /** Extracts the tar into `out` and lists files (and empty dirs with a trailing /). */
  async function unpack(stream: NodeJS.ReadableStream): Promise<string[]> {
    await new Promise<void>((resolve, reject) => {
      const ex = tarFs.extract(out);
      ex.on('finish', resolve);
      ex.on('error', reject);
      stream.on('error', reject);
      stream.pipe(ex);
    });
    const files: string[] = [];
    async function walk(rel: string) {
      const names = await readdir(rel ? join(out, rel) : out);
      if (rel && names.length === 0) files.push(rel + '/');
      for (const n of names) {
        const r = rel ? `${rel}/${n}` : n;
        if ((await stat(join(out, r))).isDirectory()) await walk(r);
        else files.push(r);
      }
    }
    await walk('');
    return files.sort();
  }

  it('filters by .dockerignore on relative paths, keeps Dockerfile and .dockerignore', async () => {
    await put('Dockerfile', 'FROM x');
    await put('.dockerignore', '**/secret.txt\nsrc/**/*.tmp\nDockerfile\n.dockerignore\nbuild/*\n!build/libs\n');
    await put('nested/dir/secret.txt');
    await put('nested/dir/ok.txt');
    await put('secret.txt');
    await put('src/main/a.tmp');
    await put('src/main/A.java');
    await put('build/classes/A.class');
    await put('build/libs/app.jar', 'JAR');
    const files = await unpack(packContext(dir, { dockerfileName: 'Dockerfile' }));
    expect(files).toEqual(['.dockerignore', 'Dockerfile', 'build/libs/app.jar', 'nested/dir/ok.txt', 'src/main/A.java']);
    expect(await readFile(join(out, 'build/libs/app.jar'), 'utf8')).toBe('JAR');
  });

  it('with a `!` exception, an ignored directory is walked but only the kept file comes back', async () => {
    await put('Dockerfile');
    await put('.dockerignore', 'docs\n!docs/keep/me.md\n');
    await put('docs/a.md');
    await put('docs/other/b.md');
    await put('docs/keep/me.md');
    const files = await unpack(packContext(dir, { dockerfileName: 'Dockerfile' }));
    expect(files).toEqual(['.dockerignore', 'Dockerfile', 'docs/keep/me.md']);
  });

  it('a Dockerfile in an ignored folder is still sent', async () => {
    await put('docker/Dockerfile.prod', 'FROM y');
    await put('docker/notes.txt');
    await put('.dockerignore', 'docker\n');
    await put('app.txt');
    const files = await unpack(packContext(dir, { dockerfileName: 'docker/Dockerfile.prod' }));
    expect(files).toEqual(['.dockerignore', 'app.txt', 'docker/Dockerfile.prod']);
  });

  it('extraFiles are added in memory (and replace a file of the same name) without touching the project', async () => {
    await put('Dockerfile', 'ON DISK');
    await put('app.txt');
    const files = await unpack(packContext(dir, { dockerfileName: 'Dockerfile', extraFiles: { Dockerfile: 'FROM generated' } }));
    expect(files).toEqual(['Dockerfile', 'app.txt']);
    expect(await readFile(join(out, 'Dockerfile'), 'utf8')).toBe('FROM generated');
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toBe('ON DISK');
    expect(await readdir(dir)).toEqual(['Dockerfile', 'app.txt']);
  });

  it('`only` packs just the listed paths plus extra files', async () => {
    await put('build/libs/app.jar', 'JAR');
    await put('src/Main.java');
    await put('.git/config');
    const files = await unpack(
      packContext(dir, { dockerfileName: '.ship.Dockerfile', only: ['build/libs/app.jar'], extraFiles: { '.ship.Dockerfile': 'FROM z' } }),
    );
    expect(files).toEqual(['.ship.Dockerfile', 'build/libs/app.jar']);
  });

  it('a missing `only` path is an error on the stream', async () => {
    await put('x');
    await expect(unpack(packContext(dir, { dockerfileName: 'D', only: ['nope.jar'] }))).rejects.toThrow(/ENOENT/);
  });
});
