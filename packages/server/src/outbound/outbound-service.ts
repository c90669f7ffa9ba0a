import type { Outbound } from './outbound.js';
import type { Port } from './port.js';
import { errorToWire, type FromOutbound, type OutboundCall, type ToOutbound } from './wire.js';

/**
 * The outbound thread's side: runs each call that arrives on `port` with the real adapters and posts back how it
 * ended (a watch's opening and events first, in order). A cancel aborts the call's signal, as the caller's would have.
 */
export function serveOutbound(port: Port, outbound: Outbound): void {
  const running = new Map<number, AbortController>();
  const post = (message: FromOutbound): void => port.postMessage(message);
  port.on('message', (raw) => {
    const message = raw as ToOutbound;
    if (message.kind === 'cancel') {
      running.get(message.id)?.abort();
      return;
    }
    const { id, call } = message;
    const controller = new AbortController();
    running.set(id, controller);
    // Errors come back as data: nothing is left floating here.
    void run(outbound, call, controller.signal, id, post).then(
      (value) => post({ kind: 'result', id, value }),
      (err: unknown) => post({ kind: 'error', id, error: errorToWire(err) }),
    ).finally(() => running.delete(id));
  });
}

async function run(o: Outbound, call: OutboundCall, signal: AbortSignal, id: number, post: (message: FromOutbound) => void): Promise<unknown> {
  switch (call.op) {
    case 'listPage':
      return o.listPage(call.query, call.cont, signal);
    case 'watch':
      return o.listWatcher(call.query).watch(call.resourceVersion, (event) => post({ kind: 'event', id, event }), signal, () => post({ kind: 'open', id }));
    case 'podRevision':
      return o.pods.currentRevision(signal);
    case 'podsWithIp':
      return o.pods.podsWithIp(call.ip, signal);
    case 'pod':
      return o.pods.pod(call.namespace, call.name, signal);
    case 'serviceAccountVersion':
      return o.serviceAccounts.currentVersion(call.namespace, call.name, signal);
    case 'createEvent':
      return o.events.create(call.event);
    case 'updateEvent':
      return o.events.update(call.namespace, call.name, call.update);
    case 'assumeRole':
      return o.sts.assumeRole(call.request, signal);
  }
}
