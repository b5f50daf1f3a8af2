// Reading a jar (a zip archive) with yauzl: the names it holds and the text of a few entries.
// ship reads the manifest and Spring Boot's layers.idx, and checks a built jar is whole before
// an image made from it is tagged with the sources' hash.

import yauzl from 'yauzl';

export interface JarContents {
  /** Every entry name in the archive. */
  names: Set<string>;
  /** The text of the requested entries that exist. */
  texts: Map<string, string>;
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
