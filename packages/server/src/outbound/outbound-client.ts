import { listAll, type KubeObject, type WatchEvent } from '@iam4kube/shared';
import type { Credentials } from '../credentials/credentials.js';
import type { Outbound } from './outbound.js';
import type { Port } from './port.js';
import { errorFromWire, type FromOutbound, type OutboundCall, type ToOutbound } from './wire.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onOpen?: (() => void) | undefined;
  onEvent?: ((event: WatchEvent) => void) | undefined;
}

export interface OutboundClient extends Outbound {
  /** Ends every call in flight, and every later one, with `err` (the outbound thread is gone). */
  fail(err: Error): void;
}

/**
 * The Outbound interface over a message port to the outbound thread (outbound-service.ts): each call is posted with
 * an id and settles when its answer comes back; an aborted signal is forwarded as a cancel, and the call then ends
 * as the adapter there ends it (a watch resolves, a request rejects), exactly as it would on this thread.
 */
export function createOutboundClient(port: Port): OutboundClient {
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;
  port.on('message', (raw) => {
    const message = raw as FromOutbound;
    const p = pending.get(message.id);
    if (!p) return;
    switch (message.kind) {
      case 'open':
        p.onOpen?.();
        return;
      case 'event':
        p.onEvent?.(message.event);
        return;
      case 'result':
        pending.delete(message.id);
        p.resolve(message.value);
        return;
      case 'error':
        pending.delete(message.id);
        p.reject(errorFromWire(message.error));
        return;
    }
  });
  const send = <T>(call: OutboundCall, signal?: AbortSignal, stream?: Pick<Pending, 'onOpen' | 'onEvent'>): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => port.postMessage({ kind: 'cancel', id } satisfies ToOutbound);
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      pending.set(id, {
        resolve: (value) => {
          settle();
          resolve(value as T);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
        ...stream,
      });
      port.postMessage({ kind: 'call', id, call } satisfies ToOutbound);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  };
  const listPageRemote = (query: Parameters<Outbound['listPage']>[0], cont: string | undefined, signal: AbortSignal): Promise<string> =>
    send<string>({ op: 'listPage', query, cont }, signal);
  return {
    listPage: listPageRemote,
    listWatcher: (query) => ({
      list: (signal) => listAll((cont) => listPageRemote(query, cont, signal)),
      watch: (resourceVersion, onEvent, signal, onOpen) => (signal.aborted ? Promise.resolve() : send<void>({ op: 'watch', query, resourceVersion }, signal, { onEvent, onOpen })),
    }),
    pods: {
      currentRevision: (signal) => send<string>({ op: 'podRevision' }, signal),
      podsWithIp: (ip, signal) => send<KubeObject[]>({ op: 'podsWithIp', ip }, signal),
      pod: (namespace, name, signal) => send<KubeObject | null>({ op: 'pod', namespace, name }, signal),
    },
    serviceAccounts: {
      currentVersion: (namespace, name, signal) => send<string | null>({ op: 'serviceAccountVersion', namespace, name }, signal),
    },
    events: {
      create: (event) => send<void>({ op: 'createEvent', event }),
      update: (namespace, name, update) => send<boolean>({ op: 'updateEvent', namespace, name, update }),
    },
    sts: {
      assumeRole: (request, signal) => send<Credentials>({ op: 'assumeRole', request }, signal),
    },
    fail(err) {
      failure ??= err;
      const all = [...pending.values()];
      pending.clear();
      for (const p of all) p.reject(failure);
    },
  };
}
