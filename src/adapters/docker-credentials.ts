// The credentials Docker would use for a registry: read the user's Docker config file and, when it
// names one, run its credential helper (`docker-credential-<helper> get`) through the ProcessRunner.
// The lookup in the parsed file is src/core/registry.ts.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ShipError, errorMessage } from '../errors.js';
import { lookupCredentials, serverAddress, type DockerConfigFile, type RegistryAuth } from '../core/registry.js';
import type { ProcessRunner } from './process.js';

/** The path of the user's Docker config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME || homedir(), '.docker', 'config.json');
}

export interface CredentialIO {
  env: NodeJS.ProcessEnv;
  runner: ProcessRunner;
  /** Working directory for the helper process. */
  cwd: string;
  signal?: AbortSignal;
}

/** Run `docker-credential-<helper> get` with the server on stdin; undefined when it has nothing for the host. */
export async function credentialsFromHelper(helper: string, host: string, io: CredentialIO): Promise<RegistryAuth | undefined> {
  const bin = `docker-credential-${helper}`;
  const serveraddress = serverAddress(host);
  const res = await io.runner.run(bin, ['get'], { cwd: io.cwd, env: io.env, signal: io.signal, input: serveraddress, keepLines: 20 });
  if (res.startError) {
    throw new ShipError('registry', `The Docker config names the credential helper "${helper}", but ${bin} is not installed.`, {
      hint: `Install ${bin}, or remove "${helper}" from credsStore/credHelpers in ${dockerConfigPath(io.env)} and run: docker login ${host}`,
      cause: res.startError,
    });
  }
  const output = res.tail.join('\n');
  if (res.exitCode !== 0) {
    if (/credentials not found/i.test(output)) return undefined;
    throw new ShipError('registry', `The credential helper ${bin} failed for ${host} (exit ${res.exitCode}).`, {
      hint: `Check it by hand: echo ${serveraddress} | ${bin} get`,
      details: res.tail.slice(-10),
    });
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(res.stdout) as typeof parsed;
  } catch (e) {
    throw new ShipError('registry', `The credential helper ${bin} printed something that is not JSON for ${host}.`, {
      hint: `Check it by hand: echo ${serveraddress} | ${bin} get`,
      details: res.tail.slice(-10),
      cause: e,
    });
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (!secret) return undefined;
  // A helper stores an identity token under the user name "<token>".
  if (username === '<token>') return { serveraddress, identitytoken: secret };
  return { serveraddress, username, password: secret };
}

/**
 * The credentials Docker would use for `host` from the user's Docker config. Undefined when there is
 * no config file or it has nothing for the host (the push is then anonymous).
 */
export async function dockerCredentials(host: string, io: CredentialIO): Promise<RegistryAuth | undefined> {
  const file = dockerConfigPath(io.env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ShipError('registry', `The Docker config ${file} cannot be read: ${errorMessage(e)}`, { hint: 'Check its permissions.', cause: e });
  }
  let config: DockerConfigFile;
  try {
    config = JSON.parse(text) as DockerConfigFile;
  } catch (e) {
    throw new ShipError('registry', `The Docker config ${file} is not valid JSON: ${errorMessage(e)}`, {
      hint: `Fix or remove it, then run: docker login ${host}`,
      cause: e,
    });
  }
  if (config === null || typeof config !== 'object') return undefined;
  const found = lookupCredentials(config, host, file);
  switch (found.kind) {
    case 'none':
      return undefined;
    case 'auth':
      return found.auth;
    case 'helper':
      return (await credentialsFromHelper(found.helper, host, io)) ?? found.fallback;
  }
}
