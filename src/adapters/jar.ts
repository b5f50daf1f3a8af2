// Reading a jar (a zip archive) with yauzl: the names it holds and the text of a few entries
// (META-INF/MANIFEST.MF, Spring Boot's BOOT-INF/layers.idx). What the entries mean is
// src/core/dockerfile.ts (jarInfo). A jar that is not a whole zip (a build cut short, or two
// builds writing the same file) is refused here, before an image is made of it.

import yauzl from 'yauzl';
import { jarInfo, type JarInfo } from '../core/dockerfile.js';

export interface JarContents {
  /** Every entry name in the archive. */
  names: Set<string>;
  /** The text of the requested entries that exist. */
  texts: Map<string, string>;
}

const MANIFEST = 'META-INF/MANIFEST.MF';
const LAYERS_IDX = 'BOOT-INF/layers.idx';

export async function isLayeredJar(jarPath: string): Promise<boolean> {
  return (await readJarInfo(jarPath)).layered;
}

export async function readJarInfo(jarPath: string): Promise<JarInfo> {
  const { texts } = await readJar(jarPath, [MANIFEST, LAYERS_IDX]);
  return jarInfo({ layersIdx: texts.get(LAYERS_IDX), manifest: texts.get(MANIFEST) ?? '' });
}

/**
 * Why the jar cannot be run with `java -jar`, or undefined when it can: a whole zip whose
 * manifest names a Main-Class.
 */
export async function jarProblem(jarPath: string): Promise<string | undefined> {
  let contents: JarContents;
  try {
    contents = await readJar(jarPath, [MANIFEST]);
  } catch (e) {
    return `it is not a whole jar (${e instanceof Error ? e.message : String(e)})`;
  }
  const manifest = contents.texts.get(MANIFEST);
  if (manifest === undefined) return `it has no ${MANIFEST}`;
  if (!/^Main-Class:\s*\S/m.test(manifest)) return `its ${MANIFEST} names no Main-Class`;
  return undefined;
}

/** Opens the archive, lists it, and reads the named entries as UTF-8; rejects when it is not a whole zip. */
export function readJar(path: string, wanted: string[]): Promise<JarContents> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open the archive'));
      const names = new Set<string>();
      const texts = new Map<string, string>();
      const fail = (e: unknown) => {
        zip.close();
        reject(e);
      };
      zip.on('error', fail);
      zip.on('end', () => resolve({ names, texts }));
      zip.on('entry', (entry: yauzl.Entry) => {
        names.add(entry.fileName);
        if (!wanted.includes(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return fail(e ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', fail);
          stream.on('end', () => {
            texts.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
