import test from 'ava';
import { ManualClock, flushMicrotasks } from '@iam4kube/shared';
import { PodIndex } from '../../src/kube/pod-index.js';
import { ServiceAccountIndex, type ServiceAccountRecord } from '../../src/kube/service-account-index.js';
import type { ServiceAccountVersionProbe } from '../../src/kube/service-account-probe.js';
import { KeyedWaiters } from '../../src/identity/keyed-waiters.js';
import { SERVICE_ACCOUNT_PROGRESS_KEY, ipKey, resolveCaller, serviceAccountWaitKey, type Resolution } from '../../src/identity/resolver.js';
import { ServiceAccountCatchUp } from '../../src/identity/service-account-catch-up.js';
import { ROLE_ARN, podObject, serviceAccountObject, silentLogger } from './support.js';

/** The API server as the probe sees it: ServiceAccounts' current versions; counts GETs; can fail or hang. */
class FakeApiServer implements ServiceAccountVersionProbe {
  readonly versions = new Map<string, string>();
  gets = 0;
  failing = false;
  hanging = false;
  currentVersion(namespace: string, name: string, signal: AbortSignal): Promise<string | null> {
    this.gets++;
    if (this.failing) return Promise.reject(new Error('503 unavailable'));
    if (this.hanging) return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    return Promise.resolve(this.versions.get(`${namespace}/${name}`) ?? null);
  }
}

function engine(options: { catchUp?: boolean } = {}) {
  const clock = new ManualClock(0);
  const waiters = new KeyedWaiters();
  const api = new FakeApiServer();
  let watched = '0';
  const pods = new PodIndex({ ipChanged: (ip) => waiters.notify(ipKey(ip)) });
  const serviceAccounts = new ServiceAccountIndex({
    serviceAccountChanged(_key, record, previous) {
      const sa = (record ?? previous) as ServiceAccountRecord;
      waiters.notify(serviceAccountWaitKey(sa.namespace, sa.name));
    },
    progress(rv) {
      watched = rv;
      waiters.notify(SERVICE_ACCOUNT_PROGRESS_KEY);
    },
  });
  const catchUp = new ServiceAccountCatchUp({ probe: api, watchedVersion: () => watched, clock, logger: silentLogger, probeTimeoutMs: 5000 });
  const deps = { pods, serviceAccounts, waiters, ...(options.catchUp ? { catchUp } : {}) };
  /** Starts a request; `settled()` tells whether it has answered yet. */
  function request(ip: string) {
    const controller = new AbortController();
    let answer: Resolution | undefined;
    const promise = resolveCaller(deps, ip, controller.signal).then((r) => (answer = r));
    return { promise, abort: () => controller.abort(new Error('deadline')), settled: () => answer };
  }
  /** A ServiceAccount written on the API server (version `rv`) and, unless `lagging`, seen by the watch. */
  function writeServiceAccount(rv: string, roleArn?: string, lagging = false): void {
    api.versions.set('demo/app', rv);
    if (!lagging) deliverServiceAccount(rv, roleArn);
  }
  function deliverServiceAccount(rv: string, roleArn?: string): void {
    serviceAccounts.apply('MODIFIED', serviceAccountObject({ rv, ...(roleArn ? { roleArn } : {}) }));
    serviceAccounts.progress(rv);
  }
  return { clock, waiters, api, pods, serviceAccounts, request, writeServiceAccount, deliverServiceAccount };
}

test('a known pod with a bound ServiceAccount resolves at once to its role', async (t) => {
  const e = engine();
  e.writeServiceAccount('5', ROLE_ARN);
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.1' }));
  const r = await e.request('10.0.0.1').promise;
  t.like(r, { kind: 'role', pod: { uid: 'a' }, binding: { roleArn: ROLE_ARN, sessionName: 'demo@app' } });
});

test('a request for an unknown IP waits and is released by the pod event itself', async (t) => {
  const e = engine();
  e.writeServiceAccount('5', ROLE_ARN);
  const req = e.request('10.0.0.2');
  await flushMicrotasks();
  t.is(req.settled(), undefined);
  t.is(e.waiters.keys, 1);
  e.pods.apply('ADDED', podObject({ uid: 'late', ip: '10.0.0.2' }));
  t.like(await req.promise, { kind: 'role', pod: { uid: 'late' } });
  t.is(e.waiters.keys, 0);
});

test('a pod whose ServiceAccount is not seen yet waits for it', async (t) => {
  const e = engine();
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.3' }));
  const req = e.request('10.0.0.3');
  await flushMicrotasks();
  t.is(req.settled(), undefined);
  e.writeServiceAccount('7', ROLE_ARN);
  t.like(await req.promise, { kind: 'role' });
});

test('the deadline (or the client leaving) answers with what is known and leaves no waiter', async (t) => {
  const e = engine();
  const unknown = e.request('10.0.0.9');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.4' }));
  const noSa = e.request('10.0.0.4');
  await flushMicrotasks();
  unknown.abort();
  noSa.abort();
  t.deepEqual(await unknown.promise, { kind: 'refused', reason: 'unknown-pod' });
  t.like(await noSa.promise, { kind: 'refused', reason: 'unknown-service-account', pod: { uid: 'a' } });
  t.is(e.waiters.keys, 0);
});

test('ambiguous and hostNetwork callers are refused at once', async (t) => {
  const e = engine();
  e.writeServiceAccount('5', ROLE_ARN);
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.5' }));
  e.pods.apply('ADDED', podObject({ uid: 'b', ip: '10.0.0.5' }));
  e.pods.apply('ADDED', podObject({ uid: 'h', ip: '192.168.0.1', hostNetwork: true }));
  t.like(await e.request('10.0.0.5').promise, { kind: 'refused', reason: 'ambiguous-ip' });
  t.like(await e.request('192.168.0.1').promise, { kind: 'refused', reason: 'host-network', pod: { uid: 'h' } });
});

test('no annotation is "no role"; an invalid one is "invalid role" with its reason', async (t) => {
  const e = engine();
  e.writeServiceAccount('5');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.6' }));
  t.like(await e.request('10.0.0.6').promise, { kind: 'no-role', pod: { uid: 'a' } });
  e.writeServiceAccount('6', 'not-an-arn');
  const r = await e.request('10.0.0.6').promise;
  t.is(r.kind, 'invalid-role');
  t.regex((r as { reason: string }).reason, /roleArn/);
});

// Catching up: the ServiceAccount watch lags the pod watch.

test('catch-up: annotate, then create the pod; a lagging ServiceAccount watch makes the answer wait for it, not say "no role"', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('50'); // seen by the watch: no annotation yet
  e.writeServiceAccount('60', ROLE_ARN, true); // annotated on the API server; the watch has not delivered it
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.1', rv: '70' })); // pod created after the annotation
  const req = e.request('10.0.1.1');
  await flushMicrotasks();
  t.is(req.settled(), undefined, 'waits instead of answering "no role"');
  t.is(e.api.gets, 1);
  e.deliverServiceAccount('60', ROLE_ARN);
  t.like(await req.promise, { kind: 'role', binding: { roleArn: ROLE_ARN } });
});

test('catch-up without it: the same race is answered "no role" (what the catch-up prevents)', async (t) => {
  const e = engine();
  e.writeServiceAccount('50');
  e.writeServiceAccount('60', ROLE_ARN, true);
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.1', rv: '70' }));
  t.like(await e.request('10.0.1.1').promise, { kind: 'no-role' });
});

test('catch-up: a ServiceAccount watch that has reached the pod revision answers at once, without asking the API server', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('80');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.2', rv: '70' }));
  t.like(await e.request('10.0.1.2').promise, { kind: 'no-role' });
  t.is(e.api.gets, 0);
});

test('catch-up: when the API server has the cached version, "no role" is answered after one GET, remembered for the pod', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('50');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.3', rv: '70' }));
  const [r1, r2] = await Promise.all([e.request('10.0.1.3').promise, e.request('10.0.1.3').promise]);
  t.like(r1, { kind: 'no-role' });
  t.like(r2, { kind: 'no-role' });
  t.is(e.api.gets, 1, 'concurrent requests from one pod share the GET');
  t.like(await e.request('10.0.1.3').promise, { kind: 'no-role' });
  t.is(e.api.gets, 1, 'the confirmation is remembered');
  e.pods.apply('ADDED', podObject({ uid: 'b', ip: '10.0.1.4', rv: '90' }));
  t.like(await e.request('10.0.1.4').promise, { kind: 'no-role' });
  t.is(e.api.gets, 2, 'a newer pod needs a new confirmation');
});

test('catch-up: a bookmark past the pod revision also releases the wait', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('50');
  e.api.versions.set('demo/app', '60'); // changed on the server (say, a label), not yet seen
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.5', rv: '70' }));
  const req = e.request('10.0.1.5');
  await flushMicrotasks();
  t.is(req.settled(), undefined);
  e.serviceAccounts.progress('65');
  await flushMicrotasks();
  t.is(req.settled(), undefined, 'progress short of the pod revision keeps it waiting');
  e.serviceAccounts.progress('75');
  t.like(await req.promise, { kind: 'no-role' });
});

test('catch-up: a ServiceAccount missing from a current cache is refused at once instead of waiting for the deadline', async (t) => {
  const e = engine({ catchUp: true });
  e.serviceAccounts.progress('80');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.6', rv: '70', sa: 'gone' }));
  t.like(await e.request('10.0.1.6').promise, { kind: 'refused', reason: 'unknown-service-account' });
});

test('catch-up: a ServiceAccount deleted on the server but still cached waits for the DELETED event', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('50');
  e.api.versions.delete('demo/app');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.7', rv: '70' }));
  const req = e.request('10.0.1.7');
  await flushMicrotasks();
  t.is(req.settled(), undefined);
  e.serviceAccounts.apply('DELETED', serviceAccountObject({ rv: '71' }));
  e.serviceAccounts.progress('71');
  t.like(await req.promise, { kind: 'refused', reason: 'unknown-service-account' });
});

test('catch-up: when the API server cannot answer, the cache answers (logged), and a hung GET is given up on the clock', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('50');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.8', rv: '70' }));
  e.api.failing = true;
  t.like(await e.request('10.0.1.8').promise, { kind: 'no-role' });
  e.api.failing = false;
  e.api.hanging = true;
  e.pods.apply('MODIFIED', podObject({ uid: 'a', ip: '10.0.1.8', rv: '72' }));
  const req = e.request('10.0.1.8');
  await e.clock.advance(4999);
  t.is(req.settled(), undefined);
  await e.clock.advance(1);
  t.like(await req.promise, { kind: 'no-role' });
  t.is(e.clock.pendingTimers, 0);
});

test('catch-up: the client leaving during the GET answers with what is known and leaves nothing', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('50');
  e.api.hanging = true;
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.1.9', rv: '70' }));
  const req = e.request('10.0.1.9');
  await flushMicrotasks();
  req.abort();
  t.like(await req.promise, { kind: 'no-role' });
  t.is(e.waiters.keys, 0);
});

test('catch-up never delays a role: bound ServiceAccounts answer at once even when the watch lags', async (t) => {
  const e = engine({ catchUp: true });
  e.writeServiceAccount('50', ROLE_ARN);
  e.api.versions.set('demo/app', '60');
  e.pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.2.1', rv: '70' }));
  t.like(await e.request('10.0.2.1').promise, { kind: 'role' });
  t.is(e.api.gets, 0);
});
