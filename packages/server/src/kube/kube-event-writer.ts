import type { KubeConfig } from '@kubernetes/client-node';
import type { CoreEvent, EventUpdate, EventWriter } from './event-recorder.js';
import { kubeRequest, statusMessage } from './kube-request.js';

/** The EventWriter over the core/v1 events API (needs `create` and `patch` on events in the pods' namespaces). */
export function createKubeEventWriter(kc: KubeConfig): EventWriter {
  const collection = (namespace: string): string => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return {
    async create(event: CoreEvent) {
      const response = await kubeRequest(kc, { method: 'POST', path: collection(event.metadata.namespace), body: event });
      if (response.status !== 201 && response.status !== 200) throw new Error(`create event: ${statusMessage(response)}`);
    },
    async update(namespace: string, name: string, update: EventUpdate) {
      const response = await kubeRequest(kc, {
        method: 'PATCH',
        path: `${collection(namespace)}/${encodeURIComponent(name)}`,
        body: update,
        contentType: 'application/merge-patch+json',
      });
      if (response.status === 404) return false;
      if (response.status !== 200) throw new Error(`update event: ${statusMessage(response)}`);
      return true;
    },
  };
}
