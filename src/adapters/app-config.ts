// The Spring Boot config files that decide the app's port: application.properties/.yml/.yaml and
// the profile files application-<profile>.* from src/main/resources (what ends up on the jar's
// classpath). Read-only.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigFile } from '../core/app-port.js';

export const RESOURCES = 'src/main/resources';
const CONFIG_FILE = /^application(-[\w.-]+)?\.(properties|ya?ml)$/;

export function readAppConfig(projectDir: string): ConfigFile[] {
  let names: string[];
  try {
    names = readdirSync(join(projectDir, RESOURCES)).filter((n) => CONFIG_FILE.test(n)).sort();
  } catch {
    return [];
  }
  const out: ConfigFile[] = [];
  for (const n of names) {
    try {
      out.push({ path: `${RESOURCES}/${n}`, text: readFileSync(join(projectDir, RESOURCES, n), 'utf8') });
    } catch {
      /* unreadable: Spring would fail on it too, the build says so */
    }
  }
  return out;
}
