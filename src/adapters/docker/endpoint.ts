// Where the Docker engine is: DOCKER_HOST (unix:// or tcp://), DOCKER_TLS_VERIFY and DOCKER_CERT_PATH —
// what `minikube docker-env` prints — taken from the env handed in, never from process.env.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { ShipError, errorMessage } from '../../errors.js';

export interface DockerEndpoint {
  /** Human form for messages: unix:///var/run/docker.sock, tcp://host:2376. */
  address: string;
  socketPath?: string;
  protocol?: 'http' | 'https';
  host?: string;
  port?: number;
  /** TLS material directory (DOCKER_CERT_PATH or ~/.docker) when TLS is on. */
  certPath?: string;
  tlsVerify?: boolean;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** Pure: reads DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH from the env handed in. */
export function dockerEndpoint(env: NodeJS.ProcessEnv): DockerEndpoint {
  const raw = (env.DOCKER_HOST ?? '').trim();
  if (raw === '') return { address: `unix://${DEFAULT_SOCKET}`, socketPath: DEFAULT_SOCKET };
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length) || DEFAULT_SOCKET;
    return { address: `unix://${socketPath}`, socketPath };
  }
  if (raw.startsWith('/')) return { address: `unix://${raw}`, socketPath: raw };
  const m = /^(tcp|http|https):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(raw);
  if (!m) {
    throw new ShipError('docker', `DOCKER_HOST=${raw} is not an address ship can use.`, {
      hint: 'Use unix:///path/to/docker.sock or tcp://HOST:PORT (ssh:// and Docker CLI contexts are not supported); unset DOCKER_HOST for the local engine.',
    });
  }
  const tlsVerify = truthy(env.DOCKER_TLS_VERIFY);
  const tls = tlsVerify || truthy(env.DOCKER_TLS) || m[1] === 'https';
  const port = m[3] ? Number(m[3]) : tls ? 2376 : 2375;
  const host = m[2]!;
  const certPath = tls ? env.DOCKER_CERT_PATH || (env.HOME ? join(env.HOME, '.docker') : undefined) : undefined;
  return {
    address: `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`,
    protocol: tls ? 'https' : 'http',
    host,
    port,
    ...(certPath ? { certPath } : {}),
    ...(tls ? { tlsVerify } : {}),
  };
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}


/** dockerode's connection options for an endpoint; reads the TLS files when TLS is on. */
export function modemOptions(ep: DockerEndpoint): Docker.DockerOptions {
  if (ep.socketPath) return { socketPath: ep.socketPath };
  const opts: Docker.DockerOptions = { protocol: ep.protocol, host: ep.host, port: ep.port };
  if (ep.protocol === 'https' && ep.certPath) {
    const read = (f: string) => {
      try {
        return readFileSync(join(ep.certPath!, f));
      } catch (e) {
        throw new ShipError('docker', `Cannot read the Docker TLS file ${join(ep.certPath!, f)}: ${errorMessage(e)}`, {
          hint: 'Point DOCKER_CERT_PATH at the folder with ca.pem, cert.pem and key.pem (eval $(minikube docker-env) sets it).',
        });
      }
    };
    opts.cert = read('cert.pem');
    opts.key = read('key.pem');
    if (ep.tlsVerify) opts.ca = read('ca.pem');
  }
  return opts;
}

