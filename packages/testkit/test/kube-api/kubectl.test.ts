import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { startKubeApiEmulator } from '../../src/kube-api/index.js';
import type { KubeApiEmulator } from '../../src/kube-api/index.js';
import type { Kubectl } from './kubectl-helpers.js';
import { kubectlFor } from './kubectl-helpers.js';

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: demo
---
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: demo
  labels: {app: demo}
spec:
  serviceAccountName: app
  nodeName: node-1
  containers:
  - name: app
    image: busybox:1.36
    ports: [{containerPort: 8080}]
`;

async function setup(t: { teardown(fn: () => Promise<void>): void }, seed = true): Promise<[KubeApiEmulator, Kubectl]> {
  const api = await startKubeApiEmulator();
  const kubectl = await kubectlFor(api);
  t.teardown(async () => {
    await kubectl.cleanup();
    await api.close();
  });
  if (seed) api.applyManifests(MANIFEST);
  return [api, kubectl];
}

test('kubectl apply -f (create, then configure) and get', async (t) => {
  const [api, kubectl] = await setup(t, false);
  const file = join(kubectl.dir, 'manifest.yaml');
  await writeFile(file, MANIFEST);

  const created = await kubectl('apply', '-f', file);
  t.is(created.code, 0, created.stderr);
  t.deepEqual(created.stdout.trim().split('\n'), ['namespace/demo created', 'serviceaccount/app created', 'pod/app created']);
  t.regex(api.get('pods', 'demo', 'app')!.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']!, /"busybox:1.36"/);

  await writeFile(file, MANIFEST.replace('labels: {app: demo}', 'labels: {app: demo, tier: web}'));
  const configured = await kubectl('apply', '-f', file);
  t.is(configured.code, 0, configured.stderr);
  t.deepEqual(configured.stdout.trim().split('\n'), ['namespace/demo unchanged', 'serviceaccount/app unchanged', 'pod/app configured']);
  t.deepEqual(api.get('pods', 'demo', 'app')!.metadata.labels, { app: 'demo', tier: 'web' });

  const get = await kubectl('get', 'sa,pods', '-n', 'demo');
  t.is(get.code, 0, get.stderr);
  t.regex(get.stdout, /^NAME\s+SECRETS\s+AGE\nserviceaccount\/app\s+0\s+\d+s\nserviceaccount\/default\s+0\s+\d+s\n/);
  t.regex(get.stdout, /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\/app\s+0\/1\s+Pending\s+0\s+\d+s/);

  const all = await kubectl('get', 'pods', '-A', '-o', 'json');
  const list = JSON.parse(all.stdout) as { kind: string; items: { kind: string; metadata: { name: string; namespace: string } }[] };
  t.is(list.kind, 'List');
  t.deepEqual(list.items.map((i) => `${i.kind} ${i.metadata.namespace}/${i.metadata.name}`), ['Pod demo/app']);
});

test('kubectl annotate, label and patch --subresource=status', async (t) => {
  const [api, kubectl] = await setup(t);
  const role = 'iam.amazonaws.com/roleArn';
  const annotations = (): Record<string, string> | undefined => api.get('sa', 'demo', 'app')!.metadata.annotations;

  t.is((await kubectl('annotate', 'serviceaccount', '-n', 'demo', 'app', `${role}=arn:aws:iam::123456789012:role/demo-role`)).stdout, 'serviceaccount/app annotated\n');
  t.is(annotations()?.[role], 'arn:aws:iam::123456789012:role/demo-role');
  const refused = await kubectl('annotate', 'sa', '-n', 'demo', 'app', `${role}=arn:aws:iam::123456789012:role/other`);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /--overwrite is false but found the following declared annotation\(s\)/);
  t.is((await kubectl('annotate', 'sa', '-n', 'demo', 'app', '--overwrite', `${role}=arn:aws:iam::123456789012:role/other`)).code, 0);
  t.is(annotations()?.[role], 'arn:aws:iam::123456789012:role/other');
  t.is((await kubectl('annotate', 'sa', '-n', 'demo', 'app', `${role}-`)).code, 0);
  t.is(annotations()?.[role], undefined);

  t.is((await kubectl('label', 'pod', '-n', 'demo', 'app', 'team=payments')).stdout, 'pod/app labeled\n');
  t.is(api.get('pods', 'demo', 'app')!.metadata.labels!['team'], 'payments');

  const status = '{"status":{"phase":"Running","podIP":"10.0.0.5","podIPs":[{"ip":"10.0.0.5"}]}}';
  const patched = await kubectl('patch', 'pod', 'app', '-n', 'demo', '--subresource=status', '--type=merge', '-p', status);
  t.is(patched.stdout, 'pod/app patched\n', patched.stderr);
  t.like(api.get('pods', 'demo', 'app'), { status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] } });
  const wide = await kubectl('get', 'pods', '-n', 'demo', '-o', 'wide');
  t.regex(wide.stdout, /app\s+0\/1\s+Running\s+0\s+\d+s\s+10\.0\.0\.5\s+node-1/);
});

test('kubectl delete (forced and graceful), create namespace, get --raw, NotFound', async (t) => {
  const [api, kubectl] = await setup(t);
  api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'demo' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x' }] } });

  const forced = await kubectl('delete', 'pod', 'app', '-n', 'demo', '--grace-period=0', '--force');
  t.is(forced.code, 0, forced.stderr);
  t.is(forced.stdout, 'pod "app" force deleted\n');
  t.is(api.get('pods', 'demo', 'app'), undefined);

  const graceful = await kubectl('delete', 'pod', 'other', '-n', 'demo', '--wait=false');
  t.is(graceful.stdout, 'pod "other" deleted\n', graceful.stderr);
  t.truthy(api.get('pods', 'demo', 'other')?.metadata.deletionTimestamp);
  t.regex((await kubectl('get', 'pods', '-n', 'demo')).stdout, /other\s+0\/1\s+Terminating/);
  t.true(api.finalizePod('demo', 'other'));

  t.is((await kubectl('create', 'namespace', 'team-a')).stdout, 'namespace/team-a created\n');
  t.like(api.get('ns', '', 'team-a'), { status: { phase: 'Active' } });

  const raw = JSON.parse((await kubectl('get', '--raw', '/api/v1')).stdout) as { kind: string; groupVersion: string };
  t.like(raw, { kind: 'APIResourceList', groupVersion: 'v1' });

  const missing = await kubectl('get', 'pod', 'missing', '-n', 'demo');
  t.is(missing.code, 1);
  t.is(missing.stderr.trim(), 'Error from server (NotFound): pods "missing" not found');
});

test('kubectl get pods -w --output-watch-events sees changes', async (t) => {
  const [api, kubectl] = await setup(t);
  const watch = kubectl.spawn('get', 'pods', '-n', 'demo', '-w', '--output-watch-events');
  t.regex(await watch.nextLine(/^ADDED\s+app/), /^ADDED\s+app\s+0\/1\s+Pending/);
  await api.waitForWatches(1);
  api.patchStatus('pods', 'demo', 'app', { phase: 'Running' });
  t.regex(await watch.nextLine(/^MODIFIED/), /^MODIFIED\s+app\s+0\/1\s+Running/);
  api.delete('pods', 'demo', 'app', { gracePeriodSeconds: 0 });
  t.regex(await watch.nextLine(/^DELETED/), /^DELETED\s+app/);
  watch.kill();
});
