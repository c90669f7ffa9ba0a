import fetch from 'node-fetch';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, type KubeObject, type ListResult, type WatchEvent } from './kube-object.js';
import type { ListWatcher } from './reflector.js';

export interface ResourceQuery {
  /** Collection path, e.g. `/api/v1/pods` or `/apis/discovery.k8s.io/v1/namespaces/x/endpointslices`. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  /** Page size of the initial list. */
  readonly pageSize?: number;
}

/**
 * The ListWatcher adapter over @kubernetes/client-node: its KubeConfig (auth, TLS) and Watch; lists are plain
 * paged GETs so that no generated model classes are built for objects we only project.
 */
export function createKubeListWatcher(kc: KubeConfig, query: ResourceQuery): ListWatcher {
  const selectors = {
    ...(query.fieldSelector ? { fieldSelector: query.fieldSelector } : {}),
    ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}),
  };
  const watcher = new Watch(kc);
  return {
    async list(signal) {
      const items: KubeObject[] = [];
      let resourceVersion = '';
      let cont: string | undefined;
      do {
        const params = new URLSearchParams({ ...selectors, limit: String(query.pageSize ?? 500) });
        if (cont) params.set('continue', cont);
        const page = (await getJson(kc, `${query.path}?${params}`, signal)) as {
          items?: KubeObject[];
          metadata?: { resourceVersion?: string; continue?: string };
        };
        if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? '';
        for (const item of page.items ?? []) items.push(item);
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return { items, resourceVersion } satisfies ListResult;
    },

    watch(resourceVersion, onEvent, signal) {
      return new Promise<void>((resolve, reject) => {
        let controller: AbortController | undefined;
        const onAbort = (): void => controller?.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const finish = (err: unknown): void => {
          signal.removeEventListener('abort', onAbort);
          if (err && !signal.aborted) {
            const status = (err as { statusCode?: number }).statusCode;
            reject(status ? new KubeApiError(status, `watch ${query.path}: HTTP ${status}`) : err);
          } else resolve();
        };
        watcher
          .watch(
            query.path,
            { ...selectors, allowWatchBookmarks: true, resourceVersion },
            (type, object) => onEvent({ type, object } as WatchEvent),
            finish,
          )
          .then(
            (c) => {
              controller = c;
              if (signal.aborted) c.abort();
            },
            finish,
          );
      });
    },
  };
}

async function getJson(kc: KubeConfig, pathAndQuery: string, signal: AbortSignal): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const init = await kc.applyToFetchOptions({});
  const response = await fetch(`${cluster.server}${pathAndQuery}`, {
    ...init,
    method: 'GET',
    signal: signal as never,
  } as never);
  const text = await response.text();
  if (response.status !== 200) {
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not a Status object
    }
    throw new KubeApiError(response.status, `GET ${pathAndQuery.split('?')[0]}: ${response.status} ${message}`);
  }
  return JSON.parse(text);
}
