import test from 'ava';
import { startKubeApiEmulator } from '../../src/kube-api/index.js';
import { FakeClock, openRawWatch, pod, readEvents, summary } from './helpers.js';

test('no resourceVersion: synthetic ADDED for current objects, then live events', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  api.create(pod('default', 'a'));
  const watch = await openRawWatch(`${api.url}/api/v1/namespaces/default/pods?watch=true`);
  t.teardown(() => watch.close());
  t.is(watch.status, 200);
  t.deepEqual(summary(await readEvents(watch, 1)), ['ADDED a']);
  api.create(pod('default', 'b'));
  api.create(pod('kube-system', 'elsewhere'));
  api.patch('pods', 'default', 'a', { metadata: { labels: { x: 'y' } } });
  api.delete('pods', 'default', 'b');
  const events = await readEvents(watch, 3);
  t.deepEqual(summary(events), ['ADDED b', 'MODIFIED a', 'DELETED b']);
  t.true(Number(events[2]!.object.metadata.resourceVersion) > Number(events[1]!.object.metadata.resourceVersion));
});

test('from a resourceVersion: every later event in order; too old: ERROR 410 then the stream ends', async (t) => {
  const api = await startKubeApiEmulator({ historyWindow: 3 });
  t.teardown(() => api.close());
  const start = api.resourceVersion;
  for (const name of ['a', 'b', 'c']) api.create(pod('default', name));
  const replay = await openRawWatch(`${api.url}/api/v1/pods?watch=1&resourceVersion=${start}`);
  t.teardown(() => replay.close());
  t.deepEqual(summary(await readEvents(replay, 3)), ['ADDED a', 'ADDED b', 'ADDED c']);

  api.create(pod('default', 'd'));
  const expired = await openRawWatch(`${api.url}/api/v1/pods?watch=1&resourceVersion=${start}`);
  t.is(expired.status, 200);
  const [error] = await readEvents(expired, 1);
  t.is(error!.type, 'ERROR');
  t.like(error!.object, { kind: 'Status', code: 410, reason: 'Expired' });
  t.regex(String(error!.object['message']), new RegExp(`^too old resource version: ${start} \\(\\d+\\)$`));
  t.is(await expired.closed, 'end');

  const current = api.resourceVersion;
  api.faults.compact();
  const afterCompact = await openRawWatch(`${api.url}/api/v1/pods?watch=1&resourceVersion=${Number(current) - 1}`);
  t.is((await readEvents(afterCompact, 1))[0]!.type, 'ERROR');
  const atCurrent = await openRawWatch(`${api.url}/api/v1/pods?watch=1&resourceVersion=${current}`);
  t.teardown(() => atCurrent.close());
  api.create(pod('default', 'e'));
  t.deepEqual(summary(await readEvents(atCurrent, 1)), ['ADDED e']);
});

test('selectors: objects entering and leaving the selection are ADDED and DELETED', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  api.create(pod('default', 'p', { nodeName: 'n1' }));
  const watch = await openRawWatch(`${api.url}/api/v1/pods?watch=1&labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1`);
  t.teardown(() => watch.close());
  await api.waitForWatches(1);
  api.patch('pods', 'default', 'p', { metadata: { labels: { app: 'web' } } });
  api.patch('pods', 'default', 'p', { metadata: { annotations: { a: '1' } } });
  api.patch('pods', 'default', 'p', { metadata: { labels: { app: 'db' } } });
  api.create(pod('default', 'q', { labels: { app: 'web' }, nodeName: 'n1' }));
  t.deepEqual(summary(await readEvents(watch, 4)), ['ADDED p', 'MODIFIED p', 'DELETED p', 'ADDED q']);
});

test('bookmarks: on demand, on the interval, and marking the end of initial events', async (t) => {
  const clock = new FakeClock();
  const api = await startKubeApiEmulator({ clock, bookmarkIntervalMs: 60_000 });
  t.teardown(() => api.close());
  api.create(pod('default', 'a'));
  const plain = await openRawWatch(`${api.url}/api/v1/pods?watch=1&resourceVersion=${api.resourceVersion}`);
  const list = await openRawWatch(
    `${api.url}/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=`,
  );
  t.teardown(() => (plain.close(), list.close()));
  const [added, end] = await readEvents(list, 2);
  t.is(added!.type, 'ADDED');
  t.like(end, { type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: api.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  api.sendBookmarks();
  t.like((await readEvents(list, 1))[0], { type: 'BOOKMARK', object: { metadata: { resourceVersion: api.resourceVersion } } });
  clock.advance(60_000);
  t.is((await readEvents(list, 1))[0]!.type, 'BOOKMARK');
  api.create(pod('default', 'b'));
  t.deepEqual(summary(await readEvents(plain, 1)), ['ADDED b'], 'watches without allowWatchBookmarks get none');
});

test('timeoutSeconds ends the stream cleanly; dropWatches cuts it; openWatches counts', async (t) => {
  const clock = new FakeClock();
  const api = await startKubeApiEmulator({ clock });
  t.teardown(() => api.close());
  const timed = await openRawWatch(`${api.url}/api/v1/pods?watch=1&timeoutSeconds=30`);
  const dropped = await openRawWatch(`${api.url}/api/v1/pods?watch=1`);
  await api.waitForWatches(2);
  t.is(api.openWatches, 2);
  clock.advance(30_000);
  t.is(await timed.closed, 'end');
  t.is(api.openWatches, 1);
  api.faults.dropWatches();
  t.is(await dropped.closed, 'aborted');
  t.is(api.openWatches, 0);
});

test('watch as Table rows and as PartialObjectMetadata', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  api.create(pod('default', 'a'));
  const table = await openRawWatch(`${api.url}/api/v1/namespaces/default/pods?watch=1`, {
    accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
  });
  const partial = await openRawWatch(`${api.url}/api/v1/namespaces/default/pods?watch=1`, {
    accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
  });
  t.teardown(() => (table.close(), partial.close()));
  const [row] = await readEvents(table, 1);
  t.is(row!.object.kind, 'Table');
  t.is((row!.object['rows'] as { cells: unknown[] }[])[0]!.cells[0], 'a');
  const [meta] = await readEvents(partial, 1);
  t.deepEqual(Object.keys(meta!.object), ['kind', 'apiVersion', 'metadata']);
  t.is(meta!.object.kind, 'PartialObjectMetadata');
});
