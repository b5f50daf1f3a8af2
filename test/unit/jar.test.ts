import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { readJar } from '../../src/adapters/jar.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A real jar made by the JDK's jar tool, with a Main-Class. */
function makeJar(): { dir: string; jar: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ship-jar-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'classes/BOOT-INF'), { recursive: true });
  writeFileSync(join(dir, 'classes/BOOT-INF/layers.idx'), '- "dependencies":\n  - "BOOT-INF/lib/"\n- "application":\n  - "BOOT-INF/classes/"\n');
  writeFileSync(join(dir, 'classes/Hello.txt'), 'x'.repeat(10_000));
  const jar = join(dir, 'app.jar');
  execFileSync('jar', ['--create', '--file', jar, '--main-class', 'demo.Main', '-C', join(dir, 'classes'), '.']);
  return { dir, jar };
}

describe('readJar', () => {
  it('lists the entries and reads the manifest and layers.idx of a real jar', async () => {
    const { jar } = makeJar();
    const c = await readJar(jar, ['META-INF/MANIFEST.MF', 'BOOT-INF/layers.idx']);
    expect(c.names.has('Hello.txt')).toBe(true);
    expect(c.texts.get('META-INF/MANIFEST.MF')).toMatch(/^Main-Class: demo\.Main/m);
    expect(c.texts.get('BOOT-INF/layers.idx')).toContain('"application"');
  });

  it('rejects a truncated jar (a build cut short) and a file that is no zip at all', async () => {
    const { dir, jar } = makeJar();
    const whole = readFileSync(jar);
    const cut = join(dir, 'cut.jar');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(readJar(cut, ['META-INF/MANIFEST.MF'])).rejects.toThrow();
    const text = join(dir, 'text.jar');
    writeFileSync(text, 'not a jar at all, 22 b');
    await expect(readJar(text, ['META-INF/MANIFEST.MF'])).rejects.toThrow();
  });
});
