import type { KubeConfig } from '@kubernetes/client-node';
import fetch from 'node-fetch';

import { KubeApiError } from '@iam4kube/shared';

import type { NodeClient, NodeLike } from './node-taint.js';

/**
 * The NodeClient adapter: plain GET and PATCH (application/json-patch+json) through the kubeconfig's auth and TLS
 * options, like the shared list-watcher (client-node's typed API needs a middleware to send a JSON patch).
 */
export function createKubeNodeClient(kc: KubeConfig): NodeClient {
  async function request(method: 'GET' | 'PATCH', name: string, signal: AbortSignal, body?: string): Promise<string> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster');
    const init = await kc.applyToFetchOptions({});
    const path = `/api/v1/nodes/${encodeURIComponent(name)}`;
    const response = await fetch(`${cluster.server}${path}`, {
      ...init,
      method,
      headers: {
        ...(init.headers as Record<string, string> | undefined),
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json-patch+json' }),
      },
      ...(body === undefined ? {} : { body }),
      signal: signal as never,
    } as never);
    const text = await response.text();
    if (response.status !== 200) throw new KubeApiError(response.status, `${method} ${path}: ${response.status} ${statusMessage(text)}`);
    return text;
  }

  return {
    async getNode(name, signal) {
      return JSON.parse(await request('GET', name, signal)) as NodeLike;
    },
    async patchNode(name, operations, signal) {
      await request('PATCH', name, signal, JSON.stringify(operations));
    },
  };
}

function statusMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
