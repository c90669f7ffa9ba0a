import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '@iam4kube/shared';
import { kubeRequest, statusMessage } from './kube-request.js';
import { POD_FIELD_SELECTOR } from './pod-record.js';

/** Consistent reads of pods from the API server (a list or GET without resourceVersion is a quorum read). */
export interface PodReader {
  /** The API server's current revision (the resourceVersion of a one-item list). */
  currentRevision(signal: AbortSignal): Promise<string>;
  /** The pods, not in a terminal phase, whose primary IP (`status.podIP`) is `ip`. */
  podsWithIp(ip: string, signal: AbortSignal): Promise<KubeObject[]>;
  /** One pod, or null when it does not exist. */
  pod(namespace: string, name: string, signal: AbortSignal): Promise<KubeObject | null>;
}

export function createPodReader(kc: KubeConfig): PodReader {
  const list = async (query: URLSearchParams, signal: AbortSignal): Promise<{ items: KubeObject[]; resourceVersion: string }> => {
    const response = await kubeRequest(kc, { method: 'GET', path: `/api/v1/pods?${query}`, signal });
    if (response.status !== 200) throw new Error(`list pods: ${statusMessage(response)}`);
    const body = response.body as { items?: KubeObject[]; metadata?: { resourceVersion?: string } };
    return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
  };
  return {
    async currentRevision(signal) {
      const { resourceVersion } = await list(new URLSearchParams({ limit: '1', fieldSelector: POD_FIELD_SELECTOR }), signal);
      if (!resourceVersion) throw new Error('list pods: no resourceVersion');
      return resourceVersion;
    },
    async podsWithIp(ip, signal) {
      return (await list(new URLSearchParams({ fieldSelector: `status.podIP=${ip},${POD_FIELD_SELECTOR}` }), signal)).items;
    },
    async pod(namespace, name, signal) {
      const response = await kubeRequest(kc, { method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`, signal });
      if (response.status === 404) return null;
      if (response.status !== 200) throw new Error(`GET pod ${namespace}/${name}: ${statusMessage(response)}`);
      return response.body as KubeObject;
    },
  };
}
