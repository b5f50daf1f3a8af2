// The user's home directory, or undefined where the OS cannot say (no passwd entry, no $HOME).

import { homedir } from 'node:os';

export function homeDirectory(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}
