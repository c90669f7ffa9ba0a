import type { KubeConfig } from '@kubernetes/client-node';
import { kubeRequest, statusMessage } from './kube-request.js';

const PARTIAL_OBJECT_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** Asks the API server (not the cache) for a ServiceAccount's current version. */
export interface ServiceAccountVersionProbe {
  /**
   * The ServiceAccount's resourceVersion by a consistent read (a GET without resourceVersion is served from etcd with
   * a quorum read), or null when it does not exist. Rejects when the API server cannot answer.
   */
  currentVersion(namespace: string, name: string, signal: AbortSignal): Promise<string | null>;
}

export function createServiceAccountProbe(kc: KubeConfig): ServiceAccountVersionProbe {
  return {
    async currentVersion(namespace, name, signal) {
      const response = await kubeRequest(kc, {
        method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}`,
        // Metadata is all we compare (PartialObjectMetadata, as for a single object).
        headers: { Accept: PARTIAL_OBJECT_METADATA },
        signal,
      });
      if (response.status === 404) return null;
      if (response.status !== 200) throw new Error(`GET serviceaccount ${namespace}/${name}: ${statusMessage(response)}`);
      const version = (response.body as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata?.resourceVersion;
      if (typeof version !== 'string') throw new Error(`GET serviceaccount ${namespace}/${name}: no resourceVersion`);
      return version;
    },
  };
}
