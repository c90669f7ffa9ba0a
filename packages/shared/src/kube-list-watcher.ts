import fetch from 'node-fetch';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, type WatchEvent } from './kube-object.js';
import { listAll } from './list-all.js';
import type { ListWatcher } from './reflector.js';

export interface ResourceQuery {
  /** Collection path, e.g. `/api/v1/pods` or `/apis/discovery.k8s.io/v1/namespaces/x/endpointslices`. */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  /** Page size of the initial list. */
  readonly pageSize?: number;
  /**
   * Ask for PartialObjectMetadata: objects arrive with their metadata only (labels, annotations, uid,
   * resourceVersion), far less to transfer and parse when nothing else is read. A server that cannot do it sends
   * whole objects (the Accept header falls back to plain JSON), which projections read the same way.
   */
  readonly metadataOnly?: boolean;
  /** Server-side timeout of each watch request (default: 5 to 10 minutes, random). */
  readonly watchTimeoutSeconds?: number;
}

/** What client-go's metadata client asks for: a list, and watch events, of PartialObjectMetadata. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * The ListWatcher adapter over @kubernetes/client-node: its KubeConfig (auth, TLS) and Watch; lists are plain
 * paged GETs so that no generated model classes are built for objects we only project.
 */
export function createKubeListWatcher(kc: KubeConfig, query: ResourceQuery): ListWatcher {
  const selectors = selectorsOf(query);
  const watcher = new Watch(query.metadataOnly ? withHeaders(kc, { Accept: METADATA_WATCH_ACCEPT }) : kc);
  return {
    list: (signal) => listAll((cont) => listPage(kc, query, cont, signal)),

    watch(resourceVersion, onEvent, signal, onOpen) {
      if (signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let controller: AbortController | undefined;
        let finished = false;
        const onAbort = (): void => controller?.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        const finish = (err: unknown): void => {
          finished = true;
          signal.removeEventListener('abort', onAbort);
          if (err && !signal.aborted) {
            const status = (err as { statusCode?: number }).statusCode;
            reject(status ? new KubeApiError(status, `watch ${query.path}: HTTP ${status}`) : err);
          } else resolve();
        };
        watcher
          .watch(
            query.path,
            // Like client-go, ask the server to end each stream after 5-10 minutes (random, so replicas do not
            // reconnect in step); the reflector resumes at once. Dead peers are found by TCP keep-alive (Watch sets it).
            { ...selectors, allowWatchBookmarks: true, resourceVersion, timeoutSeconds: query.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300) },
            (type, object) => onEvent({ type, object } as WatchEvent),
            finish,
          )
          .then(
            (c) => {
              // Watch hands the controller back once the response has come: 200 (stream open) or an error (finished).
              controller = c;
              if (signal.aborted) c.abort();
              else if (!finished) onOpen?.();
            },
            finish,
          );
      });
    },
  };
}

/**
 * The KubeConfig as client-node's Watch sees it, with extra request headers: Watch builds its request from
 * applyToFetchOptions({}) and offers no other way to set one. Everything else (cluster, auth, TLS) is the original's.
 */
function withHeaders(kc: KubeConfig, headers: Readonly<Record<string, string>>): KubeConfig {
  const view = Object.create(kc) as KubeConfig;
  view.applyToFetchOptions = (opts) => kc.applyToFetchOptions({ ...opts, headers: { ...opts.headers, ...headers } });
  return view;
}

/** One page of a list as the API server sent it (JSON text); `cont` is the previous page's continue token. */
export async function listPage(kc: KubeConfig, query: ResourceQuery, cont: string | undefined, signal: AbortSignal): Promise<string> {
  const params = new URLSearchParams({ ...selectorsOf(query), limit: String(query.pageSize ?? 500) });
  if (cont) params.set('continue', cont);
  return getText(kc, `${query.path}?${params}`, query.metadataOnly ? { Accept: METADATA_LIST_ACCEPT } : {}, signal);
}

function selectorsOf(query: ResourceQuery): Record<string, string> {
  return {
    ...(query.fieldSelector ? { fieldSelector: query.fieldSelector } : {}),
    ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}),
  };
}

async function getText(kc: KubeConfig, pathAndQuery: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const init = await kc.applyToFetchOptions({ headers });
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
  return text;
}
