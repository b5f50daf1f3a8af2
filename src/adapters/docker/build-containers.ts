// The classic builder runs each RUN of a Dockerfile in an intermediate container ("Running in
// <id>") and removes it when the step ends (rm/forcerm), but a daemon stopped in the middle of a
// step leaves it behind, and nothing else would ever remove it. So ship writes down the containers
// its own builds start, one small file per build, and forgets them once they are gone. The next
// build removes those a finished build left (its process no longer runs, or it was this process's
// earlier build) when they are not running. A container ship did not see in its own build's
// output is never touched.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** What the record needs of the engine. */
export interface ContainerOps {
  /** undefined: no such container. Throws when the engine cannot tell. */
  inspect(id: string): Promise<{ running: boolean } | undefined>;
  /** Removes a stopped container (and its anonymous volumes). */
  remove(id: string): Promise<void>;
}

/** One build's record. */
export interface BuildRecord {
  /** A container the build started. */
  add(id: string): void;
  /** The build ended: forget the containers that are gone; the record stays while any is left (or the engine does not answer). */
  finish(): Promise<void>;
}

interface RecordFile {
  pid: number;
  started: number;
  containers: string[];
}

/** "Running in 3f2a9c1b7d0e" → the container ID; undefined for any other line. */
export function runningIn(line: string): string | undefined {
  return /^\s*-*>?\s*Running in ([0-9a-f]{12,64})\s*$/.exec(line)?.[1];
}

/** This process's builds that have not ended yet, whichever client started them (their containers may be running or about to). */
const active = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The records of one engine's builds in `dir` (one directory per engine). Without a directory
 * (no home) nothing is recorded and nothing is swept.
 */
export function buildContainerLog(dir: string | undefined, ops: ContainerOps, pid = process.pid) {

  const read = (file: string): RecordFile | undefined => {
    try {
      const r = JSON.parse(readFileSync(join(dir!, file), 'utf8')) as RecordFile;
      return typeof r.pid === 'number' && Array.isArray(r.containers) ? r : undefined;
    } catch {
      return undefined;
    }
  };
  const write = (file: string, r: RecordFile) => {
    try {
      if (r.containers.length === 0) rmSync(join(dir!, file), { force: true });
      else {
        mkdirSync(dir!, { recursive: true });
        writeFileSync(join(dir!, file), JSON.stringify(r));
      }
    } catch {
      // a directory ship cannot write only means leftovers are not removed later
    }
  };
  /** Removes what is gone from a record, and with `removeStopped` the stopped containers; returns those removed. */
  const settle = async (file: string, r: RecordFile, removeStopped: boolean): Promise<string[]> => {
    const left: string[] = [];
    const removed: string[] = [];
    for (const id of r.containers) {
      try {
        const c = await ops.inspect(id);
        if (!c) continue;
        if (c.running || !removeStopped) {
          left.push(id);
          continue;
        }
        await ops.remove(id);
        removed.push(id);
      } catch {
        left.push(id);
      }
    }
    write(file, { ...r, containers: left });
    return removed;
  };

  return {
    start(): BuildRecord {
      if (!dir) return { add: () => undefined, finish: async () => undefined };
      const file = `${pid}-${randomBytes(4).toString('hex')}.json`;
      const rec: RecordFile = { pid, started: Date.now(), containers: [] };
      active.add(file);
      return {
        add(id) {
          if (rec.containers.includes(id)) return;
          rec.containers.push(id);
          write(file, rec);
        },
        async finish() {
          active.delete(file);
          if (rec.containers.length > 0) await settle(file, rec, false);
        },
      };
    },
    /** Removes the stopped containers that ended builds left; returns their IDs. */
    async sweep(): Promise<string[]> {
      if (!dir) return [];
      let files: string[];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith('.json'));
      } catch {
        return [];
      }
      const removed: string[] = [];
      for (const file of files) {
        if (active.has(file)) continue;
        const r = read(file);
        if (!r) continue;
        // Another ship that still runs may be building right now: its containers are its own business.
        if (r.pid !== pid && alive(r.pid)) continue;
        removed.push(...(await settle(file, r, true)));
      }
      return removed;
    },
  };
}
