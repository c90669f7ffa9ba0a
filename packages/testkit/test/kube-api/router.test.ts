import test from 'ava';
import type { KubeApiEmulator } from '../../src/kube-api/index.js';
import { startKubeApiEmulator } from '../../src/kube-api/index.js';
import { FakeClock, pod } from './helpers.js';

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { items?: { metadata: { name: string } }[]; metadata?: Record<string, unknown> };
}

async function call(api: KubeApiEmulator, path: string, init: RequestInit & { accept?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json', ...(init.headers as Record<string, string>) };
  const res = await fetch(`${api.url}${path}`, { ...init, headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

const json = (body: unknown, contentType = 'application/json'): RequestInit => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': contentType },
});

test('discovery: legacy and aggregated forms', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  t.is((await call(api, '/version')).body['minor'], '32');
  t.deepEqual((await call(api, '/api')).body['versions'], ['v1']);
  const core = await call(api, '/api/v1');
  const resources = core.body['resources'] as { name: string; shortNames?: string[] }[];
  t.deepEqual(resources.find((r) => r.name === 'serviceaccounts')?.shortNames, ['sa']);
  t.truthy(resources.find((r) => r.name === 'pods/status'));
  const groups = (await call(api, '/apis')).body['groups'] as { name: string }[];
  t.deepEqual(groups.map((g) => g.name).sort(), ['discovery.k8s.io', 'events.k8s.io']);
  const aggregated = await call(api, '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
  t.is(aggregated.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  t.is(aggregated.body['kind'], 'APIGroupDiscoveryList');
  t.is((await call(api, '/apis/nope.example.com/v1')).status, 404);
});

test('error responses are Status objects with the real codes', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  const missing = await call(api, '/api/v1/namespaces/default/pods/nope');
  t.is(missing.status, 404);
  t.like(missing.body, { kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found', details: { name: 'nope', kind: 'pods' } });
  const badField = await call(api, '/api/v1/pods?fieldSelector=spec.color%3Dred');
  t.is(badField.status, 400);
  t.regex(String(badField.body['message']), /field label not supported: spec\.color$/);
  t.is((await call(api, '/api/v1/namespaces/default/pods?labelSelector=a%20in%20(')).status, 400);
  t.is((await call(api, '/api/v1/namespaces', { method: 'PUT' })).status, 405);
  t.is((await call(api, '/api/v1/pods', json(pod('default', 'x')))).status, 405);
  const invalid = await call(api, '/api/v1/namespaces/default/configmaps', json({ metadata: { name: 'UPPER' } }));
  t.like(invalid.body, { code: 422, reason: 'Invalid', details: { kind: 'ConfigMap', causes: [{ field: 'metadata.name' }] } });
  t.is((await call(api, '/nowhere')).status, 404);
  t.is((await call(api, '/api/v1/namespaces/default/pods', { accept: 'application/vnd.kubernetes.protobuf' })).status, 406);
});

test('list: selectors, tables, metadata-only, pagination and exact resourceVersion', async (t) => {
  const clock = new FakeClock();
  const api = await startKubeApiEmulator({ clock });
  t.teardown(() => api.close());
  api.create(pod('default', 'a', { labels: { app: 'web' }, nodeName: 'n1' }));
  api.create(pod('default', 'b', { labels: { app: 'db' }, nodeName: 'n2' }));
  const before = api.resourceVersion;
  api.create(pod('kube-system', 'c', { labels: { app: 'web' } }));
  clock.advance(125_000);

  const names = (r: Reply): string[] => (r.body.items ?? []).map((i) => i.metadata.name);
  t.deepEqual(names(await call(api, '/api/v1/pods?labelSelector=app%3Dweb')), ['a', 'c']);
  t.deepEqual(names(await call(api, '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2')), ['b']);
  t.deepEqual(names(await call(api, '/api/v1/namespaces/default/pods?fieldSelector=status.phase!%3DRunning,metadata.name!%3Da')), ['b']);

  const list = await call(api, '/api/v1/namespaces/default/pods');
  t.like(list.body, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: api.resourceVersion } });
  t.false('kind' in (list.body.items![0] as object), 'list items carry no kind, as from the real server');

  const table = await call(api, '/api/v1/namespaces/default/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
  t.is(table.body['kind'], 'Table');
  t.deepEqual((table.body['columnDefinitions'] as { name: string }[]).slice(0, 5).map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
  t.deepEqual((table.body['rows'] as { cells: unknown[] }[])[0]!.cells.slice(0, 5), ['a', '0/1', 'Pending', '0', '2m5s']);

  const partial = await call(api, '/api/v1/pods', { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
  t.is(partial.body['kind'], 'PartialObjectMetadataList');
  t.deepEqual(Object.keys(partial.body.items![0]!), ['kind', 'apiVersion', 'metadata']);

  const first = await call(api, '/api/v1/pods?limit=2');
  t.deepEqual(names(first), ['a', 'b'], 'sorted by namespace/name');
  t.is(first.body.metadata!['remainingItemCount'], 1);
  api.create(pod('kube-system', 'd'));
  const second = await call(api, `/api/v1/pods?limit=2&continue=${String(first.body.metadata!['continue'])}`);
  t.deepEqual(names(second), ['c'], 'continued lists are consistent with the first page');

  const exact = await call(api, `/api/v1/pods?resourceVersion=${before}&resourceVersionMatch=Exact`);
  t.deepEqual(names(exact), ['a', 'b']);
  t.is(exact.body.metadata!['resourceVersion'], before);
  api.faults.compact();
  t.is((await call(api, `/api/v1/pods?resourceVersion=${before}&resourceVersionMatch=Exact`)).status, 410);
  t.is((await call(api, '/api/v1/pods?resourceVersion=999999')).status, 504);
});

test('patch content types over HTTP and optimistic concurrency', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: 'default' } });
  const path = '/api/v1/namespaces/default/serviceaccounts/app';
  const patch = (type: string, body: unknown): Promise<Reply> =>
    call(api, path, { method: 'PATCH', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': type } });
  await patch('application/merge-patch+json', { metadata: { annotations: { a: '1' } } });
  await patch('application/strategic-merge-patch+json', { metadata: { annotations: { b: '2' } } });
  await patch('application/json-patch+json', [{ op: 'add', path: '/metadata/labels', value: { c: '3' } }]);
  const applied = await patch('application/apply-patch+yaml', 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  labels: {d: "4"}\n');
  t.deepEqual(applied.body.metadata!['annotations'], { a: '1', b: '2' });
  t.deepEqual(applied.body.metadata!['labels'], { c: '3', d: '4' });
  t.is((await patch('application/json-patch+json', [{ op: 'test', path: '/metadata/name', value: 'x' }])).status, 422);
  t.is((await patch('text/plain', 'x')).status, 415);
  t.is((await patch('application/merge-patch+json', { metadata: { resourceVersion: '1', labels: { e: '5' } } })).status, 409);
  const created = await call(api, '/api/v1/namespaces/default/serviceaccounts/ssa', {
    method: 'PATCH',
    body: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ssa\n',
    headers: { 'content-type': 'application/apply-patch+yaml' },
  });
  t.is(created.status, 201, 'server-side apply creates');
  const deleted = await call(api, '/api/v1/namespaces/default/serviceaccounts/ssa', { method: 'DELETE' });
  t.like(deleted.body, { kind: 'Status', status: 'Success', details: { name: 'ssa', kind: 'serviceaccounts' } });
});

test('auth token, failNext with Retry-After, latency on the clock, request log', async (t) => {
  const clock = new FakeClock();
  const api = await startKubeApiEmulator({ token: 's3cret', clock });
  t.teardown(() => api.close());
  t.is((await call(api, '/api/v1/namespaces')).status, 401);
  const auth = { headers: { authorization: 'Bearer s3cret' } };
  t.is((await call(api, '/api/v1/namespaces', auth)).status, 200);
  api.faults.failNext(1, 429, { retryAfterSeconds: 3, path: '/api/v1/namespaces' });
  api.faults.failNext(1, 500);
  const limited = await call(api, '/api/v1/namespaces', auth);
  t.is(limited.status, 429);
  t.is(limited.headers.get('retry-after'), '3');
  t.like(limited.body, { reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
  t.like((await call(api, '/version', auth)).body, { code: 500, reason: 'InternalError' });
  t.is((await call(api, '/version', auth)).status, 200);

  api.faults.setLatency(5_000);
  let settled = false;
  const arrived = api.waitForRequest((r) => r.path === '/version');
  const slow = call(api, '/version', auth).then((r) => ((settled = true), r));
  await arrived;
  t.false(settled);
  clock.advance(5_000);
  t.is((await slow).status, 200);
  t.deepEqual(api.requests[0], { method: 'GET', path: '/api/v1/namespaces', query: {}, accept: 'application/json', contentType: undefined });
});
