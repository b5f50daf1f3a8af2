// Finding a project's manifests on disk: the explicit --manifest files and directories, else the
// project's k8s/, kubernetes/ and deploy/ directories and the root YAML files that hold Kubernetes
// objects. Reading is here; what the text means is src/core/manifest/.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ShipError } from '../errors.js';
import { looksLikeKubernetes } from '../core/manifest/parse.js';
import type { ManifestSource } from '../core/manifest/types.js';
import { checkManifestFileSize, checkManifestTotal, manifestReadError } from '../core/manifest/limits.js';

const YAML_FILE = /\.ya?ml$/i;
const MANIFEST_DIRS = ['k8s', 'kubernetes', 'deploy'];
/** Root YAML files that are never Kubernetes manifests, whatever they contain. */
const NOT_MANIFESTS = [/^application(-[\w.-]+)?\.ya?ml$/i, /^bootstrap(-[\w.-]+)?\.ya?ml$/i, /^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/i, /^ship\.ya?ml$/i, /^\./];

async function yamlFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && YAML_FILE.test(e.name) && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name))
    .sort();
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function readSource(file: string): Promise<ManifestSource> {
  try {
    checkManifestFileSize(file, (await stat(file)).size); // before reading it
    return { file, text: await readFile(file, 'utf8') };
  } catch (e) {
    throw manifestReadError(file, e);
  }
}

/**
 * The manifests to apply: the explicit --manifest files/dirs when given, else the project's
 * k8s/, kubernetes/ and deploy/ directories and the root YAML files that hold Kubernetes objects.
 * An empty result means the caller generates a Pod.
 */
export async function findManifests(projectDir: string, explicit: string[]): Promise<ManifestSource[]> {
  if (explicit.length > 0) {
    const out: ManifestSource[] = [];
    for (const path of explicit) {
      let info;
      try {
        info = await stat(path);
      } catch {
        throw new ShipError('manifest', `The manifest ${path} does not exist.`, {
          hint: 'Check the path given to --manifest (a YAML file or a directory of them).',
        });
      }
      if (info.isDirectory()) {
        const files = await yamlFilesIn(path);
        if (files.length === 0) {
          throw new ShipError('manifest', `The directory ${path} holds no .yaml or .yml file.`, {
            hint: 'Point --manifest at a YAML file, or at a directory that contains some.',
          });
        }
        for (const f of files) out.push(await readSource(f));
      } else {
        out.push(await readSource(path));
      }
    }
    return checkManifestTotal(out);
  }

  const out: ManifestSource[] = [];
  for (const name of MANIFEST_DIRS) {
    const dir = join(projectDir, name);
    if (!(await isDirectory(dir))) continue;
    for (const f of await yamlFilesIn(dir)) {
      const src = await readSource(f);
      if (looksLikeKubernetes(src.text)) out.push(src);
    }
  }
  for (const f of await yamlFilesIn(projectDir)) {
    const base = f.slice(projectDir.length).replace(/^[/\\]+/, '');
    if (NOT_MANIFESTS.some((re) => re.test(base))) continue;
    const src = await readSource(f);
    if (looksLikeKubernetes(src.text)) out.push(src);
  }
  return checkManifestTotal(out);
}
