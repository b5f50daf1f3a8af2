// The real FileView over a project directory (read-only: ship never writes into a user's project,
// except `ship init`, which says so).

import { accessSync, constants, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileView } from '../core/project.js';

export function fileView(dir: string): FileView {
  const at = (rel?: string) => (rel ? join(dir, rel) : dir);
  return {
    isDirectory(rel) {
      try {
        return statSync(at(rel)).isDirectory();
      } catch {
        return false;
      }
    },
    exists(rel) {
      try {
        statSync(at(rel));
        return true;
      } catch {
        return false;
      }
    },
    isExecutable(rel) {
      try {
        accessSync(at(rel), constants.X_OK);
        return statSync(at(rel)).isFile();
      } catch {
        return false;
      }
    },
    read(rel) {
      try {
        return readFileSync(at(rel), 'utf8');
      } catch {
        return undefined;
      }
    },
    list(rel) {
      try {
        return readdirSync(at(rel)).sort();
      } catch {
        return [];
      }
    },
  };
}
