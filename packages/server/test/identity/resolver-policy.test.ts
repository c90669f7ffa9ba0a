import test from 'ava';
import type { KubeObject } from '@iam4kube/shared';
import { PodIndex } from '../../src/kube/pod-index.js';
import { ServiceAccountIndex } from '../../src/kube/service-account-index.js';
import { NamespaceIndex } from '../../src/kube/namespace-index.js';
import { KeyedWaiters } from '../../src/identity/keyed-waiters.js';
import { ipKey, namespaceWaitKey, resolveCaller } from '../../src/identity/resolver.js';
import { createPodRoleBindings } from '../../src/identity/pod-role-binding.js';
import { podObject, serviceAccountObject } from './support.js';

// The resolver's rules for --namespace-restrictions and --pod-role-annotation: precedence, denial, waiting for an
// unknown Namespace. All decided in its synchronous step, so the metadata API's fast path inherits them.

const ROLE = 'arn:aws:iam::123456789012:role/';
const KEY = 'iam.amazonaws.com/role';

function world(o: { restrictions?: boolean; podAnnotation?: boolean } = {}) {
  const waiters = new KeyedWaiters();
  const pods = new PodIndex({ ipChanged: (ip) => waiters.notify(ipKey(ip)) }, { roleAnnotation: o.podAnnotation ? KEY : undefined });
  const serviceAccounts = new ServiceAccountIndex({ serviceAccountChanged: () => undefined });
  const namespaces = new NamespaceIndex({ baseRoleArn: ROLE, listener: { namespaceChanged: (name) => waiters.notify(namespaceWaitKey(name)) } });
  const deps = {
    pods,
    serviceAccounts,
    waiters,
    ...(o.restrictions ? { policy: namespaces } : {}),
    ...(o.podAnnotation ? { podRoles: createPodRoleBindings({ annotation: KEY, baseRoleArn: ROLE }) } : {}),
  };
  const resolve = (ip: string, signal = AbortSignal.timeout(5000)) => resolveCaller(deps, ip, signal);
  return { pods, serviceAccounts, namespaces, resolve };
}

/** A deadline whose timer keeps the process alive (AbortSignal.timeout's does not). */
function deadline(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('deadline')), ms);
  return controller.signal;
}

function annotatedPod(uid: string, ip: string, role: string | undefined, sa = 'app'): KubeObject {
  const pod = podObject({ uid, ip, sa });
  return { ...pod, metadata: { ...pod.metadata, ...(role !== undefined ? { annotations: { [KEY]: role } } : {}) } };
}

function ns(name: string, annotations: Record<string, string> = {}, rv = '1'): KubeObject {
  return { metadata: { name, uid: `ns-${name}`, resourceVersion: rv, annotations } };
}

test('the ServiceAccount annotation wins over the pod annotation', async (t) => {
  const w = world({ podAnnotation: true });
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: `${ROLE}from-sa` }));
  w.pods.apply('ADDED', annotatedPod('p1', '10.0.0.1', 'from-pod'));
  t.like(await w.resolve('10.0.0.1'), { kind: 'role', binding: { roleArn: `${ROLE}from-sa` } });
});

test('the pod annotation is used when the ServiceAccount has none: name + base ARN, the ServiceAccount session name', async (t) => {
  const w = world({ podAnnotation: true });
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1' }));
  w.pods.apply('ADDED', annotatedPod('p1', '10.0.0.1', 'from-pod'));
  t.like(await w.resolve('10.0.0.1'), { kind: 'role', binding: { roleArn: `${ROLE}from-pod`, roleName: 'from-pod', sessionName: 'demo@app', externalId: undefined } });
});

test('an invalid ServiceAccount annotation stays invalid: no fallback to the pod annotation', async (t) => {
  const w = world({ podAnnotation: true });
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: 'not-an-arn' }));
  w.pods.apply('ADDED', annotatedPod('p1', '10.0.0.1', 'from-pod'));
  t.like(await w.resolve('10.0.0.1'), { kind: 'invalid-role' });
});

test('the pod annotation is ignored while compatibility mode is off', async (t) => {
  const w = world();
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1' }));
  w.pods.apply('ADDED', annotatedPod('p1', '10.0.0.1', `${ROLE}from-pod`));
  t.like(await w.resolve('10.0.0.1'), { kind: 'no-role' });
});

test('restrictions: permitted role served, a forbidden one denied with the reason, both for ServiceAccount and pod bindings', async (t) => {
  const w = world({ restrictions: true, podAnnotation: true });
  w.namespaces.apply('ADDED', ns('demo', { 'iam.amazonaws.com/allowed-roles': '["ok-*"]' }));
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: `${ROLE}ok-sa` }));
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ name: 'bare', rv: '1' }));
  w.pods.apply('ADDED', annotatedPod('p1', '10.0.0.1', undefined));
  w.pods.apply('ADDED', annotatedPod('p2', '10.0.0.2', 'ok-pod', 'bare'));
  w.pods.apply('ADDED', annotatedPod('p3', '10.0.0.3', 'forbidden', 'bare'));
  t.like(await w.resolve('10.0.0.1'), { kind: 'role', binding: { roleArn: `${ROLE}ok-sa` } });
  t.like(await w.resolve('10.0.0.2'), { kind: 'role', binding: { roleArn: `${ROLE}ok-pod` } });
  const denied = await w.resolve('10.0.0.3');
  t.like(denied, { kind: 'denied', roleArn: `${ROLE}forbidden`, source: 'pod' });
  if (denied.kind === 'denied') t.regex(denied.reason, /not permitted in namespace demo: no entry of iam\.amazonaws\.com\/allowed-roles/);
  // The Namespace changes: decided again at once.
  w.namespaces.apply('MODIFIED', ns('demo', { 'iam.amazonaws.com/permitted': '.*forbidden' }, '2'));
  t.like(await w.resolve('10.0.0.3'), { kind: 'role' });
  t.like(await w.resolve('10.0.0.1'), { kind: 'denied', source: 'service-account' });
  w.namespaces.apply('DELETED', ns('demo', {}, '3'));
  t.like(await w.resolve('10.0.0.3', deadline(20)), { kind: 'denied' });
});

test('restrictions: a Namespace not seen yet is waited for, then decides', async (t) => {
  const w = world({ restrictions: true });
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: `${ROLE}app` }));
  w.pods.apply('ADDED', podObject({ uid: 'p1', ip: '10.0.0.1' }));
  const answer = w.resolve('10.0.0.1');
  let settled = false;
  void answer.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.false(settled);
  w.namespaces.apply('ADDED', ns('demo', { 'iam.amazonaws.com/permitted': '.*/app' }));
  t.like(await answer, { kind: 'role' });
});

test('restrictions: a Namespace never seen denies at the deadline', async (t) => {
  const w = world({ restrictions: true });
  w.serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: `${ROLE}app` }));
  w.pods.apply('ADDED', podObject({ uid: 'p1', ip: '10.0.0.1' }));
  const found = await w.resolve('10.0.0.1', deadline(20));
  t.like(found, { kind: 'denied' });
  if (found.kind === 'denied') t.regex(found.reason, /namespace demo is not known/);
});
