// Watching a project's sources for `ship dev`. On Linux, Node's `fs.watch(dir, {recursive: true})`
// puts an inotify watch on every FILE and stops seeing a file once an editor saves it atomically
// (write a temp file, rename it over the old one: vim, JetBrains' safe write, sed -i): the watch
// stays on the replaced inode. Watching DIRECTORIES instead sees every create, write, delete and
// rename of their entries by name, whatever the editor does, and skipping build output and tool
// directories keeps the number of watches small. Elsewhere (macOS, Windows) the native recursive
// watch is used.

import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface SourceWatchOptions {
  signal: AbortSignal;
  /** Called with the absolute path of every entry created, changed, deleted or renamed. */
  onChange: (file: string) => void;
  /** Directories (relative to the root, `/`-separated) not to descend into. */
  skipDir?: (rel: string) => boolean;
  /** Default: process.platform. */
  platform?: NodeJS.Platform;
}

export interface SourceWatcher {
  close(): void;
  /** How many directories are watched (1 with the native recursive watch). */
  readonly size: number;
}

export function watchSources(root: string, opts: SourceWatchOptions): SourceWatcher {
  const platform = opts.platform ?? process.platform;
  if (platform === 'darwin' || platform === 'win32') return nativeRecursive(root, opts);
  return perDirectory(root, opts);
}

function nativeRecursive(root: string, opts: SourceWatchOptions): SourceWatcher {
  const w = watch(root, { recursive: true, signal: opts.signal }, (_event, name) => {
    if (name) opts.onChange(join(root, name.toString()));
  });
  w.on('error', () => undefined); // closing through the signal reports an AbortError
  return { close: () => w.close(), size: 1 };
}

function perDirectory(root: string, opts: SourceWatchOptions): SourceWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const rel = (p: string) => relative(root, p).split(sep).join('/');

  const unwatch = (dir: string) => {
    for (const [d, w] of watchers) {
      if (d === dir || d.startsWith(dir + sep)) {
        w.close();
        watchers.delete(d);
      }
    }
  };

  /** `created`: the directory appeared while watching; files already in it (written before its watch existed) are reported. */
  const add = (dir: string, created = false) => {
    if (closed || watchers.has(dir)) return;
    if (dir !== root && opts.skipDir?.(rel(dir))) return;
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: true }, (event, name) => {
        if (closed || !name) return;
        // A removed directory reports its own removal (with its own name); its parent reports it too.
        if (!isDir(dir)) return;
        const entry = join(dir, name.toString());
        opts.onChange(entry);
        if (event === 'rename') {
          // Created, deleted or moved: watch a new directory (and what it holds), drop a gone one.
          if (isDir(entry)) add(entry, true);
          else unwatch(entry);
        }
      });
    } catch {
      return; // gone already, or unreadable: nothing to watch
    }
    w.on('error', () => unwatch(dir));
    watchers.set(dir, w);
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) add(join(dir, e.name), created);
      else if (created) opts.onChange(join(dir, e.name));
    }
  };

  const close = () => {
    closed = true;
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
  if (opts.signal.aborted) closed = true;
  else {
    opts.signal.addEventListener('abort', close, { once: true });
    add(root);
  }
  return {
    close() {
      opts.signal.removeEventListener('abort', close);
      close();
    },
    get size() {
      return watchers.size;
    },
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
