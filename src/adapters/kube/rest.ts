// The few REST calls server-side apply needs (discovery, GET/PATCH/DELETE with the kubeconfig's
// auth), on client-node's KubernetesObjectApi opened up: raw JSON in and out, never through its
// model serializer (which drops unknown fields: apply.ts says why that matters).

import { HttpMethod, KubernetesObjectApi } from '@kubernetes/client-node';
import type { Kube } from './client.js';

export interface ApiResponse {
  status: number;
  /** Parsed JSON when the answer was JSON, else the text. */
  body: any;
}

export interface RequestOptions {
  query?: Record<string, string>;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
}

/** The few calls apply needs; the real one rides on client-node (see kubeRest). */
export interface KubeRest {
  /** Discovery: the resource name of a kind and whether it is namespaced; undefined when not served. */
  resource(apiVersion: string, kind: string): Promise<{ name: string; namespaced: boolean } | undefined>;
  request(method: 'GET' | 'PATCH' | 'DELETE', path: string, opts?: RequestOptions): Promise<ApiResponse>;
}

/** KubernetesObjectApi, opened up: its discovery cache, and raw requests with the kubeconfig's auth. */
class RawObjectApi extends KubernetesObjectApi {
  discover(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }

  async raw(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(opts.query ?? {})) ctx.setQueryParam(k, v);
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(opts.body);
    }
    if (opts.signal) ctx.setSignal(opts.signal as never);
    for (const auth of [this.configuration.authMethods.BearerToken, this.configuration.authMethods.default]) {
      if (auth?.applySecurityAuthentication) await auth.applySecurityAuthentication(ctx);
    }
    const response = await this.configuration.httpApi.send(ctx).toPromise();
    const text = await response.body.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.httpStatusCode, body };
  }
}

/** The real KubeRest for a kubeconfig. */
export function kubeRest(kube: Kube): KubeRest {
  const api = kube.kc.makeApiClient(RawObjectApi);
  const methods = { GET: HttpMethod.GET, PATCH: HttpMethod.PATCH, DELETE: HttpMethod.DELETE } as const;
  return {
    async resource(apiVersion, kind) {
      const r = await api.discover(apiVersion, kind);
      return r ? { name: r.name, namespaced: r.namespaced } : undefined;
    },
    request: (method, path, opts) => api.raw(methods[method], path, opts),
  };
}
