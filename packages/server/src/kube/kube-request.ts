import fetch from 'node-fetch';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PATCH';
  /** Path and query, e.g. `/api/v1/namespaces/demo/events`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface KubeResponse {
  readonly status: number;
  /** The parsed body; undefined when it is not JSON. */
  readonly body: unknown;
}

/**
 * One request to the API server with the KubeConfig's cluster, credentials and TLS settings (what client-node's own
 * Watch does), for the few calls the generated clients would only make heavier: event writes and metadata reads.
 */
export async function kubeRequest(kc: KubeConfig, request: KubeRequest): Promise<KubeResponse> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['Content-Type'] = request.contentType ?? 'application/json';
  const init = await kc.applyToFetchOptions({ headers });
  const response = await fetch(`${cluster.server}${request.path}`, {
    ...init,
    method: request.method,
    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  } as never);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

/** The message of a Status body, or the HTTP status. */
export function statusMessage(response: KubeResponse): string {
  const message = (response.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? `${response.status} ${message}` : `HTTP ${response.status}`;
}
