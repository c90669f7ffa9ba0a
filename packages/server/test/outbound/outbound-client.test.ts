import test from 'ava';
import { MessageChannel } from 'node:worker_threads';
import { KubeApiError, type KubeObject, type ListWatcher, type ResourceQuery, type WatchEvent } from '@iam4kube/shared';
import { CredentialsError, type AssumeRoleRequest } from '../../src/credentials/credentials.js';
import type { CoreEvent } from '../../src/kube/event-recorder.js';
import { createOutboundClient } from '../../src/outbound/outbound-client.js';
import { serveOutbound } from '../../src/outbound/outbound-service.js';
import type { Outbound } from '../../src/outbound/outbound.js';

const POD = { metadata: { name: 'p', namespace: 'n', uid: 'u', resourceVersion: '7' }, status: { podIP: '10.0.0.1' } } as unknown as KubeObject;
const REQUEST: AssumeRoleRequest = { roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 'n@sa', externalId: undefined, durationSeconds: 3600, tags: [], sourceIdentity: undefined };

/** The client and the service over a real MessageChannel (what a worker's port is), with fakes behind the service. */
function connect(fakes: Partial<Outbound> & { watch?: ListWatcher['watch'] }) {
  const { port1, port2 } = new MessageChannel();
  const seen = { queries: [] as ResourceQuery[], signals: [] as AbortSignal[] };
  const unexpected = (): never => {
    throw new Error('not faked');
  };
  serveOutbound(port2, {
    listWatcher: (query) => {
      seen.queries.push(query);
      return { list: unexpected, watch: fakes.watch ?? unexpected };
    },
    listPage: async (query, cont, signal) => {
      seen.queries.push(query);
      return (fakes.listPage ?? unexpected)(query, cont, signal);
    },
    pods: fakes.pods ?? { currentRevision: unexpected, podsWithIp: unexpected, pod: unexpected },
    serviceAccounts: fakes.serviceAccounts ?? { currentVersion: unexpected },
    events: fakes.events ?? { create: unexpected, update: unexpected },
    sts: fakes.sts ?? { assumeRole: unexpected },
  });
  const client = createOutboundClient(port1);
  const close = (): void => {
    port1.close();
    port2.close();
  };
  return { client, seen, close };
}

test("a list crosses page by page as the API server's JSON text, and is assembled here: items of every page, the first page's resourceVersion", async (t) => {
  const pod2 = { ...POD, metadata: { ...POD.metadata, name: 'p2', uid: 'u2' } };
  const pages: Record<string, string> = {
    first: JSON.stringify({ metadata: { resourceVersion: '42', continue: 'c1' }, items: [POD] }),
    c1: JSON.stringify({ metadata: { resourceVersion: '43' }, items: [pod2] }),
  };
  const conts: Array<string | undefined> = [];
  const c = connect({ listPage: async (_q, cont) => (conts.push(cont), pages[cont ?? 'first']!) });
  t.teardown(c.close);
  const query = { path: '/api/v1/pods', fieldSelector: 'status.phase!=Failed', metadataOnly: false };
  t.deepEqual(await c.client.listWatcher(query).list(new AbortController().signal), { items: [POD, pod2], resourceVersion: '42' });
  t.deepEqual(conts, [undefined, 'c1']);
  t.deepEqual(c.seen.queries, [query, query]);
});

test('a list page that fails (an expired continue token: 410) fails the list with the KubeApiError', async (t) => {
  const c = connect({ listPage: async () => Promise.reject(new KubeApiError(410, 'GET /api/v1/pods: 410 continue token expired')) });
  t.teardown(c.close);
  const err = await t.throwsAsync(c.client.listWatcher({ path: '/api/v1/pods' }).list(new AbortController().signal));
  t.true(err instanceof KubeApiError);
  t.is((err as KubeApiError).status, 410);
});

test('a watch opens before its events, delivers them in order and ends when the stream ends', async (t) => {
  const c = connect({
    watch: async (rv, onEvent, _signal, onOpen) => {
      onOpen?.();
      for (let i = 0; i < 100; i++) onEvent({ type: 'MODIFIED', object: { ...POD, metadata: { ...POD.metadata, resourceVersion: `${Number(rv) + i}` } } } as WatchEvent);
    },
  });
  t.teardown(c.close);
  const seen: string[] = [];
  await c.client.listWatcher({ path: '/api/v1/pods' }).watch('100', (e) => seen.push(e.object.metadata!.resourceVersion!), new AbortController().signal, () => seen.push('open'));
  t.is(seen.length, 101);
  t.is(seen[0], 'open');
  t.deepEqual(seen.slice(1), Array.from({ length: 100 }, (_, i) => `${100 + i}`));
});

test('a 410 from the watch comes back a KubeApiError with its status, so the reflector relists', async (t) => {
  const c = connect({ watch: async () => Promise.reject(new KubeApiError(410, 'watch /api/v1/pods: HTTP 410')) });
  t.teardown(c.close);
  const err = await t.throwsAsync(c.client.listWatcher({ path: '/api/v1/pods' }).watch('1', () => undefined, new AbortController().signal));
  t.true(err instanceof KubeApiError);
  t.is((err as KubeApiError).status, 410);
  t.is(err?.message, 'watch /api/v1/pods: HTTP 410');
});

test("aborting a watch aborts the adapter's signal there, and the watch ends as the adapter ends it", async (t) => {
  let serviceSignal: AbortSignal | undefined;
  const c = connect({
    watch: (_rv, onEvent, signal, onOpen) =>
      new Promise<void>((resolve) => {
        serviceSignal = signal;
        onOpen?.();
        onEvent({ type: 'ADDED', object: POD } as WatchEvent);
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
  });
  t.teardown(c.close);
  const controller = new AbortController();
  const events: WatchEvent[] = [];
  const opened = new Promise<void>((resolve) => void c.client.listWatcher({ path: '/api/v1/pods' }).watch('1', (e) => events.push(e), controller.signal, resolve).then(() => (ended = true)));
  let ended = false;
  await opened;
  t.false(serviceSignal!.aborted);
  controller.abort();
  while (!ended) await new Promise((resolve) => setTimeout(resolve, 5));
  t.true(serviceSignal!.aborted);
  t.is(events.length, 1);
});

test('an already aborted watch does not start', async (t) => {
  const c = connect({});
  t.teardown(c.close);
  const controller = new AbortController();
  controller.abort();
  await c.client.listWatcher({ path: '/api/v1/pods' }).watch('1', () => t.fail(), controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.deepEqual(c.seen.queries, [], 'nothing crossed');
});

test('STS errors keep their class, code and permanence (the store parks permanent ones)', async (t) => {
  const c = connect({
    sts: {
      assumeRole: async (request) => {
        if (request.roleArn.endsWith('/denied')) throw new CredentialsError('not authorized to perform sts:AssumeRole', 'AccessDenied', true);
        throw new CredentialsError('Rate exceeded', 'Throttling', false);
      },
    },
  });
  t.teardown(c.close);
  const denied = await t.throwsAsync(c.client.sts.assumeRole({ ...REQUEST, roleArn: 'arn:aws:iam::123456789012:role/denied' }));
  t.true(denied instanceof CredentialsError);
  t.like(denied, { code: 'AccessDenied', permanent: true, message: 'not authorized to perform sts:AssumeRole' });
  const throttled = await t.throwsAsync(c.client.sts.assumeRole(REQUEST));
  t.like(throttled, { name: 'CredentialsError', code: 'Throttling', permanent: false });
});

test('credentials and the request cross intact', async (t) => {
  const requests: AssumeRoleRequest[] = [];
  const credentials = { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 't', expiration: 1_800_000_000_000, issuedAt: 1_799_996_400_000 };
  const c = connect({ sts: { assumeRole: async (r) => (requests.push(r), credentials) } });
  t.teardown(c.close);
  const request = { ...REQUEST, externalId: 'x', tags: [{ key: 'k', value: 'v' }], sourceIdentity: 'n@sa' };
  t.deepEqual(await c.client.sts.assumeRole(request, new AbortController().signal), credentials);
  t.deepEqual(requests, [request]);
});

test('aborting an STS call aborts it on the wire there', async (t) => {
  let aborted: Promise<void> | undefined;
  const c = connect({
    sts: {
      assumeRole: (_r, signal) =>
        new Promise((_resolve, reject) => {
          aborted = new Promise((resolve) => signal!.addEventListener('abort', () => (resolve(), reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))), { once: true }));
        }),
    },
  });
  t.teardown(c.close);
  const controller = new AbortController();
  const call = c.client.sts.assumeRole(REQUEST, controller.signal);
  while (!aborted) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  await aborted;
  t.like(await t.throwsAsync(call), { name: 'AbortError', message: 'Request aborted' });
});

test('plain errors keep name, message and a system code', async (t) => {
  const c = connect({
    pods: {
      currentRevision: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' })),
      podsWithIp: async (ip) => (ip === '10.0.0.1' ? [POD] : []),
      pod: async () => null,
    },
  });
  t.teardown(c.close);
  const signal = new AbortController().signal;
  t.like(await t.throwsAsync(c.client.pods.currentRevision(signal)), { name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6443' });
  t.deepEqual(await c.client.pods.podsWithIp('10.0.0.1', signal), [POD]);
  t.deepEqual(await c.client.pods.podsWithIp('10.0.0.2', signal), []);
  t.is(await c.client.pods.pod('n', 'p', signal), null);
});

test('ServiceAccount probe and Event writes', async (t) => {
  const created: CoreEvent[] = [];
  const c = connect({
    serviceAccounts: { currentVersion: async (ns, name) => (name === 'gone' ? null : `${ns}/${name}@9`) },
    events: { create: async (e) => void created.push(e), update: async (_ns, name) => name !== 'expired' },
  });
  t.teardown(c.close);
  const signal = new AbortController().signal;
  t.is(await c.client.serviceAccounts.currentVersion('n', 'sa', signal), 'n/sa@9');
  t.is(await c.client.serviceAccounts.currentVersion('n', 'gone', signal), null);
  const event = { metadata: { name: 'p.1', namespace: 'n' }, reason: 'RoleFound' } as unknown as CoreEvent;
  await c.client.events.create(event);
  t.deepEqual(created, [event]);
  t.true(await c.client.events.update('n', 'p.1', { count: 2, lastTimestamp: '2026-11-23T00:00:00Z', message: 'm' }));
  t.false(await c.client.events.update('n', 'expired', { count: 2, lastTimestamp: '2026-11-23T00:00:00Z', message: 'm' }));
});

test('when the thread is gone, calls in flight and later calls fail with the reason', async (t) => {
  const c = connect({ sts: { assumeRole: () => new Promise(() => undefined) } });
  t.teardown(c.close);
  const inFlight = c.client.sts.assumeRole(REQUEST);
  await new Promise((resolve) => setTimeout(resolve, 20));
  c.client.fail(new Error('the outbound thread exited (code 1)'));
  t.is((await t.throwsAsync(inFlight))?.message, 'the outbound thread exited (code 1)');
  t.is((await t.throwsAsync(c.client.pods.currentRevision(new AbortController().signal)))?.message, 'the outbound thread exited (code 1)');
});
