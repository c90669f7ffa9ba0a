import test from 'ava';
import type { KubeObject } from '@iam4kube/shared';
import { CREDENTIALS, ROLE, harness, podRecord } from './harness.js';
import { callerPod } from '../../src/metadata/handlers.js';
import { CredentialsError, type Credentials } from '../../src/credentials/credentials.js';
import { KeyedWaiters } from '../../src/identity/keyed-waiters.js';
import { ipKey, resolveCaller, type Resolution } from '../../src/identity/resolver.js';
import { PodIndex } from '../../src/kube/pod-index.js';
import { ServiceAccountIndex } from '../../src/kube/service-account-index.js';

const LIST = '/latest/meta-data/iam/security-credentials/';
const DOC = '/latest/meta-data/iam/security-credentials/demo-role';

test('events: a served document reports the role found; listing it reports nothing yet', async (t) => {
  const { request, events } = harness({ byIp: { '10.0.0.5': ROLE } });
  await request({ url: LIST });
  t.deepEqual(events, []);
  await request({ url: DOC });
  t.is(events.length, 1);
  t.like(events[0], { pod: { namespace: 'demo', name: 'app', uid: 'uid-app' }, type: 'Normal', reason: 'RoleFound' });
  t.regex(events[0]!.message, /arn:aws:iam::123456789012:role\/team\/demo-role .*demo@app/);
});

test('events: no role, an invalid role and an ambiguous IP are warnings on the pods concerned; unknown callers none', async (t) => {
  const a = podRecord({ name: 'a', ip: '10.0.0.9' });
  const b = podRecord({ name: 'b', ip: '10.0.0.9', namespace: 'other' });
  const byIp: Record<string, Resolution> = {
    '10.0.0.6': { kind: 'no-role', pod: podRecord({ name: 'plain', ip: '10.0.0.6', serviceAccountName: 'plain' }) },
    '10.0.0.7': { kind: 'invalid-role', pod: podRecord({ name: 'bad', ip: '10.0.0.7' }), reason: 'iam.amazonaws.com/roleArn: "x" is not a full IAM role ARN' },
    '10.0.0.9': { kind: 'refused', reason: 'ambiguous-ip', pods: [a, b] },
  };
  const { request, events } = harness({ byIp });
  await request({ url: LIST, ip: '10.0.0.6' });
  await request({ url: DOC, ip: '10.0.0.7' });
  await request({ url: LIST, ip: '10.0.0.9' });
  await request({ url: LIST, ip: '10.0.0.99' });
  t.deepEqual(events.map((e) => [e.type, e.reason, `${e.pod.namespace}/${e.pod.name}`]), [
    ['Warning', 'NoRole', 'demo/plain'],
    ['Warning', 'InvalidRoleBinding', 'demo/bad'],
    ['Warning', 'AmbiguousPodIP', 'demo/a'],
    ['Warning', 'AmbiguousPodIP', 'other/b'],
  ]);
  t.regex(events[0]!.message, /ServiceAccount plain has no iam\.amazonaws\.com\/roleArn annotation/);
  t.regex(events[1]!.message, /is not a full IAM role ARN/);
  t.regex(events[2]!.message, /demo\/a, other\/b/);
});

test('a credentials failure is a 503 with no internal text, a warning and an event', async (t) => {
  for (const [permanent, reason] of [[true, 'AssumeRoleRefused'], [false, 'CredentialsUnavailable']] as const) {
    const { request, events, lines } = harness({
      byIp: { '10.0.0.5': ROLE },
      credentials: async () => { throw new CredentialsError('AccessDenied: not authorized to perform sts:AssumeRole', 'AccessDenied', permanent); },
    });
    const res = await request({ url: DOC });
    t.is(res.statusCode, 503);
    t.is(res.body, 'Service Unavailable');
    t.is(events.length, 1);
    t.like(events[0], { type: 'Warning', reason, pod: { name: 'app' } });
    t.regex(events[0]!.message, /AccessDenied/);
    t.true(lines.some((l) => l.includes('"level":"warn"') && l.includes('credentials unavailable')));
  }
});

/** The real resolver over the real indexes, fed like the reflectors feed them. */
function cluster() {
  const waiters = new KeyedWaiters();
  const pods = new PodIndex({ ipChanged: (ip) => waiters.notify(ipKey(ip)) });
  const serviceAccounts = new ServiceAccountIndex({ serviceAccountChanged: () => undefined });
  serviceAccounts.apply('ADDED', { metadata: { namespace: 'demo', name: 'app', uid: 's1', annotations: { 'iam.amazonaws.com/roleArn': 'arn:aws:iam::123456789012:role/demo-role' } } });
  const pod: KubeObject = {
    metadata: { namespace: 'demo', name: 'app', uid: 'p1', resourceVersion: '1' },
    spec: { serviceAccountName: 'app', nodeName: 'node-a' },
    status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] },
  };
  return { waiters, resolve: (ip: string, signal: AbortSignal) => resolveCaller({ pods, serviceAccounts, waiters }, ip, signal), addPod: () => pods.apply('ADDED', pod) };
}

test('a request from a pod not seen yet waits for the watch to deliver it; the wait is measured', async (t) => {
  const c = cluster();
  const { request, metric, clock } = harness({ resolve: c.resolve });
  const pending = request({ url: LIST });
  await clock.advance(1500);
  t.is(c.waiters.waiters, 1, 'the request is waiting');
  c.addPod();
  const res = await pending;
  t.is(res.statusCode, 200);
  t.is(res.body, 'demo-role');
  t.is(await metric('iam4kube_metadata_wait_duration_seconds', { kind: 'caller', outcome: 'answered', le: '+Inf' }), 1);
  t.is(await metric('iam4kube_metadata_wait_duration_seconds', { kind: 'caller', outcome: 'answered', le: '1' }), 0, 'it waited 1.5 s');
  // Known now: answered from memory, no wait.
  t.is((await request({ url: LIST })).statusCode, 200);
  t.is(await metric('iam4kube_metadata_wait_duration_seconds', { kind: 'caller', outcome: 'answered', le: '+Inf' }), 1);
});

test('a wait ends at the deadline with what is known (404), and nothing lingers', async (t) => {
  const c = cluster();
  const { request, metric, clock } = harness({ resolve: c.resolve, waitTimeoutMs: 15_000 });
  const pending = request({ url: LIST });
  await clock.advance(14_999);
  t.is(c.waiters.waiters, 1);
  await clock.advance(1);
  t.is((await pending).statusCode, 404);
  t.is(c.waiters.waiters, 0);
  t.is(clock.pendingTimers, 0);
  t.is(await metric('iam4kube_metadata_wait_duration_seconds', { kind: 'caller', outcome: 'deadline', le: '+Inf' }), 1);
});

test('credentials in flight: the request waits for them, within the deadline', async (t) => {
  let release: (c: Credentials) => void = () => undefined;
  const inflight = new Promise<Credentials>((resolve) => (release = resolve));
  const { request, metric, clock } = harness({ byIp: { '10.0.0.5': ROLE }, credentials: (_b, signal) => abortable(inflight, signal) });
  const first = request({ url: DOC });
  await clock.advance(200);
  release(CREDENTIALS);
  t.is((await first).statusCode, 200);
  t.is(await metric('iam4kube_metadata_wait_duration_seconds', { kind: 'credentials', outcome: 'answered', le: '+Inf' }), 1);

  const never = harness({ byIp: { '10.0.0.5': ROLE }, credentials: (_b, signal) => abortable(new Promise<Credentials>(() => undefined), signal), waitTimeoutMs: 1000 });
  const second = never.request({ url: DOC });
  await never.clock.advance(1000);
  const res = await second;
  t.is(res.statusCode, 503);
  t.is(await never.metric('iam4kube_metadata_wait_duration_seconds', { kind: 'credentials', outcome: 'deadline', le: '+Inf' }), 1);
});

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    p.then(resolve, reject);
  });
}

test('callerPod: the pod at the IP, or the common node of pods sharing it', (t) => {
  const a = podRecord({ name: 'a', ip: '10.0.0.9' });
  t.is(callerPod(ROLE), ROLE.kind === 'role' ? ROLE.pod : undefined);
  t.is(callerPod({ kind: 'refused', reason: 'ambiguous-ip', pods: [a, { ...a, name: 'b' }] }), a);
  t.is(callerPod({ kind: 'refused', reason: 'ambiguous-ip', pods: [a, { ...a, name: 'b', nodeName: 'node-z' }] }), undefined);
  t.is(callerPod({ kind: 'refused', reason: 'unknown-pod' }), undefined);
});
