import {
  ApiException,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import test from 'ava';
import type { KubeApiEmulator } from '../../src/kube-api/index.js';
import { startKubeApiEmulator } from '../../src/kube-api/index.js';
import { openRawWatch, pod } from './helpers.js';

async function setup(t: { teardown(fn: () => Promise<void>): void }): Promise<[KubeApiEmulator, KubeConfig]> {
  const api = await startKubeApiEmulator({ bookmarkIntervalMs: 0 });
  t.teardown(() => api.close());
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
  return [api, kc];
}

/** Events from a client-node Watch, and how it ended. */
function collect(): { events: string[]; next(n: number): Promise<string[]>; push(type: string, obj: KubernetesObject): void; done: Promise<unknown>; finish(err: unknown): void } {
  const events: string[] = [];
  const waiters: { n: number; resolve: (e: string[]) => void }[] = [];
  let finish!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => (finish = resolve));
  return {
    events,
    next: (n) => new Promise((resolve) => (events.length >= n ? resolve(events.slice(0, n)) : waiters.push({ n, resolve }))),
    push(type, obj) {
      events.push(type === 'BOOKMARK' ? `BOOKMARK ${obj.metadata?.resourceVersion}` : `${type} ${obj.metadata?.name}`);
      for (const w of waiters.filter((w) => events.length >= w.n)) w.resolve(events.slice(0, w.n));
    },
    done,
    finish: (err) => finish(err),
  };
}

test('CoreV1Api: field and label selectors; create and patch with the right content types', async (t) => {
  const [api, kc] = await setup(t);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'demo' } } });
  await core.createNamespacedServiceAccount({ namespace: 'demo', body: { metadata: { name: 'app' } } });
  await core.createNamespacedPod({ namespace: 'demo', body: { ...pod('demo', 'a', { labels: { app: 'web' }, nodeName: 'n1' }), spec: { serviceAccountName: 'app', nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } } });
  await core.createNamespacedPod({ namespace: 'demo', body: pod('demo', 'b', { labels: { app: 'db' }, nodeName: 'n2' }) as V1Pod });

  const byNode = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=n1' });
  t.deepEqual(byNode.items.map((p) => p.metadata?.name), ['a']);
  const byLabel = await core.listNamespacedPod({ namespace: 'demo', labelSelector: 'app in (db)' });
  t.deepEqual(byLabel.items.map((p) => p.metadata?.name), ['b']);
  const bySa = await core.listNamespacedPod({ namespace: 'demo', fieldSelector: 'spec.serviceAccountName=app' });
  t.deepEqual(bySa.items.map((p) => p.metadata?.name), ['a']);

  // client-node 1.4 sends PATCH bodies as application/json-patch+json unless told otherwise.
  await core.patchNamespacedServiceAccount(
    { name: 'app', namespace: 'demo', body: { metadata: { annotations: { 'iam.amazonaws.com/roleArn': 'arn:aws:iam::123456789012:role/r' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await core.patchNamespacedServiceAccount({ name: 'app', namespace: 'demo', body: [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }] });
  const sa = await core.readNamespacedServiceAccount({ name: 'app', namespace: 'demo' });
  t.is(sa.metadata?.annotations?.['iam.amazonaws.com/roleArn'], 'arn:aws:iam::123456789012:role/r');
  t.deepEqual(sa.metadata?.labels, { a: 'b' });
  t.deepEqual(
    api.requests.filter((r) => r.method === 'PATCH').map((r) => r.contentType),
    ['application/merge-patch+json', 'application/json-patch+json'],
  );
  await core.patchNamespacedPodStatus(
    { name: 'a', namespace: 'demo', body: { status: { phase: 'Running', podIP: '10.0.0.7' } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  const running = await core.listPodForAllNamespaces({ fieldSelector: 'status.podIP=10.0.0.7,status.phase=Running' });
  t.deepEqual(running.items.map((p) => p.metadata?.name), ['a']);
});

test('DiscoveryV1Api: endpoint slices', async (t) => {
  const [, kc] = await setup(t);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  await discovery.createNamespacedEndpointSlice({
    namespace: 'default',
    body: { metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.5'] }], ports: [{ port: 80 }] },
  });
  const slices = await discovery.listEndpointSliceForAllNamespaces({ labelSelector: 'kubernetes.io/service-name=web' });
  t.deepEqual(slices.items.map((s) => s.endpoints[0]?.addresses), [['10.0.0.5']]);
});

test('Watch: ADDED/MODIFIED/DELETED/BOOKMARK in order from a resourceVersion', async (t) => {
  const [api, kc] = await setup(t);
  const rv = api.resourceVersion;
  api.create(pod('default', 'p'));
  const seen = collect();
  const ctl = await new Watch(kc).watch('/api/v1/pods', { allowWatchBookmarks: true, resourceVersion: rv }, seen.push, seen.finish);
  t.teardown(() => ctl.abort());
  await api.waitForWatches(1);
  api.patch('pods', 'default', 'p', { metadata: { labels: { x: 'y' } } });
  api.delete('pods', 'default', 'p');
  api.sendBookmarks();
  t.deepEqual(await seen.next(4), ['ADDED p', 'MODIFIED p', 'DELETED p', `BOOKMARK ${api.resourceVersion}`]);
});

test('Watch: 410 Expired after compact(); dropWatches() fires the done callback', async (t) => {
  const [api, kc] = await setup(t);
  const old = api.resourceVersion;
  api.create(pod('default', 'p'));
  api.faults.compact();
  const expired = collect();
  const errors: unknown[] = [];
  await new Watch(kc).watch('/api/v1/pods', { resourceVersion: old }, (type, obj) => (type === 'ERROR' ? errors.push(obj) : undefined), expired.finish);
  t.is(await expired.done, null, 'the stream ends after the error');
  t.like(errors[0], { kind: 'Status', code: 410, reason: 'Expired' });

  const dropped = collect();
  await new Watch(kc).watch('/api/v1/pods', {}, dropped.push, dropped.finish);
  await api.waitForWatches(1);
  api.faults.dropWatches();
  await dropped.done;
  t.is(api.openWatches, 0);
});

test('failNext(2, 500) fails exactly two requests', async (t) => {
  const [api, kc] = await setup(t);
  const core = kc.makeApiClient(CoreV1Api);
  api.faults.failNext(2, 500);
  for (let i = 0; i < 2; i++) {
    const err = await t.throwsAsync(core.listNamespace());
    t.is((err as ApiException<unknown>).code, 500);
  }
  t.true((await core.listNamespace()).items.length > 0);
});

test('PartialObjectMetadata list and watch with client-node auth', async (t) => {
  const [api, kc] = await setup(t);
  api.create(pod('default', 'p', { labels: { a: 'b' } }));
  const auth: { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(auth);
  const server = kc.getCurrentCluster()!.server;
  const res = await fetch(`${server}/api/v1/pods`, {
    headers: { ...auth.headers, Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' },
  });
  const list = (await res.json()) as { kind: string; items: { kind: string; metadata: { name: string; labels: object } }[] };
  t.is(list.kind, 'PartialObjectMetadataList');
  t.deepEqual(list.items.map((i) => [i.kind, i.metadata.name, i.metadata.labels]), [['PartialObjectMetadata', 'p', { a: 'b' }]]);
  const watch = await openRawWatch(`${server}/api/v1/pods?watch=1`, {
    ...auth.headers,
    Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1',
  });
  t.teardown(() => watch.close());
  t.like(await watch.next(), { type: 'ADDED', object: { kind: 'PartialObjectMetadata', metadata: { name: 'p' } } });
  t.is(api.requests.at(-1)?.query['watch'], '1');
});

test('informer: lists, watches, resumes after a clean end, reports an abrupt one', async (t) => {
  const [api, kc] = await setup(t);
  const core = kc.makeApiClient(CoreV1Api);
  api.create(pod('default', 'first'));
  const informer = makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
  const added: string[] = [];
  const wake: (() => void)[] = [];
  const notify = (): void => wake.splice(0).forEach((w) => w());
  informer.on('add', (p: V1Pod) => (added.push(p.metadata!.name!), notify()));
  const errors: unknown[] = [];
  informer.on('error', (err) => (errors.push(err), notify()));
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise<void>((r) => wake.push(r));
  };
  await informer.start();
  t.teardown(() => informer.stop());
  await until(() => added.includes('first'));
  await api.waitForWatches(1);
  api.create(pod('default', 'second'));
  await until(() => added.includes('second'));

  api.faults.dropWatches({ clean: true });
  await api.waitForWatches(1);
  api.create(pod('default', 'third'));
  await until(() => added.includes('third'));
  t.deepEqual(added, ['first', 'second', 'third']);
  t.is(api.requests.filter((r) => r.query['watch'] === 'true').at(-1)?.query['resourceVersion'], String(Number(api.resourceVersion) - 1));

  api.faults.dropWatches();
  await until(() => errors.length > 0);
  t.is(api.openWatches, 0, 'client-node informers stop on a cut connection: the caller must restart them');
});
