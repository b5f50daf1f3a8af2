// Reading a jar: its zip central directory and two small entries (BOOT-INF/layers.idx and
// META-INF/MANIFEST.MF), with no library: a zip's central directory is a flat table. What the
// entries mean is src/core/dockerfile.ts (jarInfo).

import { open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { jarInfo, type JarInfo } from '../core/dockerfile.js';

export async function isLayeredJar(jarPath: string): Promise<boolean> {
  return (await readJarInfo(jarPath)).layered;
}

export async function readJarInfo(jarPath: string): Promise<JarInfo> {
  const zip = await openZip(jarPath);
  try {
    const idx = zip.entries.get('BOOT-INF/layers.idx');
    const mf = zip.entries.get('META-INF/MANIFEST.MF');
    const layersIdx = idx ? (await zip.read(idx)).toString('utf8') : undefined;
    const manifest = mf ? (await zip.read(mf)).toString('utf8') : '';
    return jarInfo({ layersIdx, manifest });
  } finally {
    await zip.close();
  }
}

interface ZipEntry {
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

async function openZip(path: string) {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    // End of central directory: 22 bytes + a comment of up to 64 KiB, at the end of the file.
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error(`${path} is not a zip file (no end of central directory)`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff || count === 0xffff) {
      // Zip64: the locator sits just before the EOCD record.
      const loc = eocd - 20;
      if (loc >= 0 && tail.readUInt32LE(loc) === 0x07064b50) {
        const rec = Buffer.alloc(56);
        await fh.read(rec, 0, 56, Number(tail.readBigUInt64LE(loc + 8)));
        count = Number(rec.readBigUInt64LE(32));
        cdSize = Number(rec.readBigUInt64LE(40));
        cdOffset = Number(rec.readBigUInt64LE(48));
      }
    }
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count && p + 46 <= cd.length; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) break;
      const method = cd.readUInt16LE(p + 10);
      const compressedSize = cd.readUInt32LE(p + 20);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      entries.set(name, { method, compressedSize, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return {
      entries,
      async read(e: ZipEntry): Promise<Buffer> {
        const local = Buffer.alloc(30);
        await fh.read(local, 0, 30, e.localHeaderOffset);
        const dataStart = e.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
        const data = Buffer.alloc(e.compressedSize);
        await fh.read(data, 0, e.compressedSize, dataStart);
        if (e.method === 0) return data;
        if (e.method === 8) return inflateRawSync(data);
        throw new Error(`unsupported zip compression method ${e.method}`);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
