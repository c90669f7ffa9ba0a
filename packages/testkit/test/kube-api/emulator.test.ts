import test from 'ava';
import type { KubeObject } from '../../src/kube-api/index.js';
import { startKubeApiEmulator } from '../../src/kube-api/index.js';
import { FakeClock, pod } from './helpers.js';

const sa = (namespace: string, name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
const statusOf = (err: unknown): { code: number; reason: string } => (err as { status: { code: number; reason: string } }).status;

test('create sets server metadata and defaults; seeded namespaces get default service accounts', async (t) => {
  const clock = new FakeClock();
  const api = await startKubeApiEmulator({ clock });
  t.teardown(() => api.close());
  t.deepEqual(api.list('namespaces').map((n) => n.metadata.name), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  t.truthy(api.get('sa', 'kube-system', 'default'));
  const created = api.create(pod('default', 'web'));
  t.regex(created.metadata.uid!, /^[0-9a-f-]{36}$/);
  t.is(created.metadata.creationTimestamp, '2026-01-01T00:00:00Z');
  t.is(created.metadata.generation, 1);
  t.is(created.metadata.resourceVersion, api.resourceVersion);
  t.deepEqual(created['status'], { phase: 'Pending', qosClass: 'BestEffort' });
  t.is((created['spec'] as { serviceAccountName: string }).serviceAccountName, 'default');
});

test('errors carry the real Status reasons', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  api.create(sa('default', 'app'));
  t.is(statusOf(t.throws(() => api.create(sa('default', 'app')))).reason, 'AlreadyExists');
  t.is(statusOf(t.throws(() => api.create(sa('nowhere', 'app')))).code, 404);
  t.is(statusOf(t.throws(() => api.create(sa('default', 'Bad_Name')))).code, 422);
  const pending = api.create(pod('default', 'p'));
  const stale = { ...pending, metadata: { ...pending.metadata, resourceVersion: '1' } };
  t.is(statusOf(t.throws(() => api.update(stale))).reason, 'Conflict');
  const ghost = { ...pod('default', 'q'), spec: { serviceAccountName: 'ghost', containers: [] } };
  t.is(statusOf(t.throws(() => api.create(ghost))).reason, 'Forbidden', 'the ServiceAccount admission plugin');
});

test('generateName, no-op updates and generation', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  const created = api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-', namespace: 'default' }, data: { a: '1' } });
  t.regex(created.metadata.name!, /^cfg-[a-z0-9]{5}$/);
  const rv = api.resourceVersion;
  const same = api.update(created);
  t.is(same.metadata.resourceVersion, created.metadata.resourceVersion, 'an identical update writes nothing');
  t.is(api.resourceVersion, rv);
  const changed = api.update({ ...created, data: { a: '2' } });
  t.is(changed.metadata.generation, 2);
  const labelled = api.patch('configmaps', 'default', created.metadata.name!, { metadata: { labels: { x: 'y' } } });
  t.is(labelled.metadata.generation, 2, 'metadata changes do not bump the generation');
});

test('status is a subresource: ignored on create and on writes to the main resource', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  const created = api.create({ ...pod('default', 'p'), status: { phase: 'Running' } });
  t.is((created['status'] as { phase: string }).phase, 'Pending');
  const patched = api.patch('pods', 'default', 'p', { metadata: { labels: { a: 'b' } }, status: { phase: 'Failed' } });
  t.is((patched['status'] as { phase: string }).phase, 'Pending');
  const running = api.patchStatus('pods', 'default', 'p', { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] });
  t.deepEqual(running['status'], { phase: 'Running', qosClass: 'BestEffort', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] });
  const viaStatus = api.patch('pods', 'default', 'p', { metadata: { labels: { c: 'd' } }, status: { phase: 'Succeeded' } }, { subresource: 'status' });
  t.deepEqual(viaStatus.metadata.labels, { a: 'b' }, 'status writes leave metadata alone');
  const node = api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.1.0.1' }] } });
  t.truthy(node['status'], 'nodes keep the status given on create, like the real server');
});

test('graceful pod deletion: marked first, removed when the grace period ends or on finalizePod', async (t) => {
  const clock = new FakeClock();
  const api = await startKubeApiEmulator({ clock });
  t.teardown(() => api.close());
  const events: string[] = [];
  api.onChange((e) => events.push(`${e.type} ${e.object.metadata.name}`));
  api.create(pod('default', 'a', { nodeName: 'n1' }));
  api.create(pod('default', 'b', { nodeName: 'n1' }));
  api.create(pod('default', 'unscheduled'));

  const marked = api.delete('pods', 'default', 'a');
  t.is(marked.metadata.deletionGracePeriodSeconds, 30);
  t.is(marked.metadata.deletionTimestamp, '2026-01-01T00:00:30Z');
  clock.advance(29_000);
  t.truthy(api.get('pods', 'default', 'a'));
  clock.advance(1_000);
  t.is(api.get('pods', 'default', 'a'), undefined);

  api.delete('pods', 'default', 'b', { gracePeriodSeconds: 5 });
  t.true(api.finalizePod('default', 'b'));
  t.is(api.get('pods', 'default', 'b'), undefined);
  t.false(api.finalizePod('default', 'b'));

  api.delete('pods', 'default', 'unscheduled');
  t.is(api.get('pods', 'default', 'unscheduled'), undefined, 'an unscheduled pod goes at once');
  t.deepEqual(events.slice(3), ['MODIFIED a', 'DELETED a', 'MODIFIED b', 'DELETED b', 'DELETED unscheduled']);
});

test('finalizers hold deletion until removed; namespace deletion removes its contents', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  api.applyManifests(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: demo}
---
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: held, namespace: demo, finalizers: [example.com/hold]}
`);
  t.truthy(api.get('sa', 'demo', 'app'), 'namespaces are created first');
  const held = api.delete('cm', 'demo', 'held');
  t.truthy(held.metadata.deletionTimestamp);
  t.truthy(api.get('cm', 'demo', 'held'));
  api.patch('cm', 'demo', 'held', { metadata: { finalizers: null } });
  t.is(api.get('cm', 'demo', 'held'), undefined);

  api.delete('namespaces', '', 'demo');
  t.is(api.get('ns', '', 'demo'), undefined);
  t.deepEqual(api.list('sa', 'demo'), []);
});

test('services get cluster IPs and port defaults', async (t) => {
  const api = await startKubeApiEmulator();
  t.teardown(() => api.close());
  const svc = api.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
  const spec = svc['spec'] as { clusterIP: string; type: string; ports: unknown[] };
  t.regex(spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
  t.is(spec.type, 'ClusterIP');
  t.deepEqual(spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  const replaced = api.update({ ...svc, spec: { ports: [{ port: 81 }] } });
  t.is((replaced['spec'] as { clusterIP: string }).clusterIP, spec.clusterIP, 'the cluster IP survives a PUT without it');
});
