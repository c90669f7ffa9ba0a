import test from 'ava';
import { ManualClock, flushMicrotasks, type KubeObject } from '@iam4kube/shared';
import { PodIndex } from '../../src/kube/pod-index.js';
import { ServiceAccountIndex } from '../../src/kube/service-account-index.js';
import type { PodReader } from '../../src/kube/pod-reader.js';
import { KeyedWaiters } from '../../src/identity/keyed-waiters.js';
import { PodCacheGuard } from '../../src/identity/pod-cache-guard.js';
import { POD_CACHE_LIVE_KEY, ipKey, resolveCaller, roleNow, type Resolution } from '../../src/identity/resolver.js';
import { ROLE_ARN, podObject, serviceAccountObject, silentLogger } from './support.js';

/** The API server as consistent reads see it: its revision and its pods; can be unreachable or hang. */
class FakeApiServer implements PodReader {
  revision = '100';
  pods: KubeObject[] = [];
  reads = 0;
  down = false;
  hanging = false;
  async currentRevision(signal: AbortSignal): Promise<string> {
    await this.#reach(signal);
    return this.revision;
  }
  async podsWithIp(ip: string, signal: AbortSignal): Promise<KubeObject[]> {
    await this.#reach(signal);
    return this.pods.filter((p) => (p as { status?: { podIP?: string } }).status?.podIP === ip);
  }
  async pod(namespace: string, name: string, signal: AbortSignal): Promise<KubeObject | null> {
    await this.#reach(signal);
    return this.pods.find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name) ?? null;
  }
  #reach(signal: AbortSignal): Promise<void> {
    this.reads++;
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    if (this.hanging) return new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    return Promise.resolve();
  }
}

function setup() {
  const clock = new ManualClock(0);
  const api = new FakeApiServer();
  const waiters = new KeyedWaiters();
  const guard = new PodCacheGuard({ reader: api, clock, logger: silentLogger, onLive: () => waiters.notify(POD_CACHE_LIVE_KEY), readTimeoutMs: 5000 });
  const pods = new PodIndex({ ipChanged: (ip) => waiters.notify(ipKey(ip)), progress: (rv) => guard.progress(rv), connected: (open) => guard.connected(open) });
  const serviceAccounts = new ServiceAccountIndex({ serviceAccountChanged: () => {} });
  serviceAccounts.apply('ADDED', serviceAccountObject({ rv: '1', roleArn: ROLE_ARN }));
  serviceAccounts.apply('ADDED', serviceAccountObject({ name: 'other', rv: '2', roleArn: 'arn:aws:iam::123456789012:role/other' }));
  function request(ip: string) {
    const controller = new AbortController();
    let answer: Resolution | undefined;
    const promise = resolveCaller({ pods, serviceAccounts, waiters, podGuard: guard }, ip, controller.signal).then((r) => (answer = r));
    return { promise, abort: () => controller.abort(new Error('deadline')), settled: () => answer };
  }
  return { clock, api, waiters, guard, pods, serviceAccounts, request };
}

test('live once the watch is open and has reached the revision read after it opened; not live when it ends', async (t) => {
  const { api, guard, pods } = setup();
  t.false(guard.live);
  api.revision = '120';
  pods.progress('110');
  pods.connected(true);
  await flushMicrotasks();
  t.false(guard.live, 'open, but behind the revision read at opening');
  pods.progress('119');
  t.false(guard.live);
  pods.progress('120');
  t.true(guard.live);
  pods.connected(false);
  t.false(guard.live);
});

test('a watch already past the revision read is live at once', async (t) => {
  const { api, guard, pods } = setup();
  api.revision = '90';
  pods.progress('95');
  pods.connected(true);
  await flushMicrotasks();
  t.true(guard.live);
});

test('a revision read that fails is retried on the next progress; opaque revisions are never live', async (t) => {
  const { api, guard, pods } = setup();
  api.down = true;
  pods.connected(true);
  await flushMicrotasks();
  api.down = false;
  api.revision = '50';
  pods.progress('60');
  await flushMicrotasks();
  t.true(guard.live);
  pods.connected(false);
  api.revision = 'opaque';
  pods.connected(true);
  pods.progress('70');
  await flushMicrotasks();
  t.false(guard.live);
});

test('live: a role is served from the cache without any read', async (t) => {
  const { api, pods, request } = setup();
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.1' }));
  pods.progress('100');
  pods.connected(true);
  await flushMicrotasks();
  const before = api.reads;
  t.like(await request('10.0.0.1').promise, { kind: 'role', pod: { uid: 'a' } });
  t.is(api.reads, before);
});

test('not live, the IP given to a new pod the cache has not seen: the old pod never gets its requests', async (t) => {
  const { api, pods, request } = setup();
  pods.apply('ADDED', podObject({ uid: 'old', ip: '10.0.0.2' }));
  // The watch is down: the old pod was deleted and a new one (another ServiceAccount) got its IP.
  api.pods = [podObject({ uid: 'new', ip: '10.0.0.2', sa: 'other' })];
  const req = request('10.0.0.2');
  await flushMicrotasks();
  t.is(req.settled(), undefined, 'waits instead of answering with the old pod');
  pods.apply('DELETED', podObject({ uid: 'old', ip: '10.0.0.2' }));
  await flushMicrotasks();
  t.is(req.settled(), undefined, 'the cache has no pod at the IP yet');
  pods.apply('ADDED', podObject({ uid: 'new', ip: '10.0.0.2', sa: 'other' }));
  t.like(await req.promise, { kind: 'role', pod: { uid: 'new' }, binding: { roleArn: 'arn:aws:iam::123456789012:role/other' } });
});

test('not live, the cached pod confirmed by the API server: served after one read (shared by concurrent requests)', async (t) => {
  const { api, pods, request } = setup();
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.3' }));
  api.pods = [podObject({ uid: 'a', ip: '10.0.0.3' })];
  const [r1, r2] = await Promise.all([request('10.0.0.3').promise, request('10.0.0.3').promise]);
  t.like(r1, { kind: 'role', pod: { uid: 'a' } });
  t.like(r2, { kind: 'role', pod: { uid: 'a' } });
  t.is(api.reads, 1);
});

test('not live and the API server unreachable: the request waits for the watch, and at the deadline is refused', async (t) => {
  const { api, pods, request, waiters } = setup();
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.4' }));
  api.down = true;
  const refused = request('10.0.0.4');
  await flushMicrotasks();
  t.is(refused.settled(), undefined);
  refused.abort();
  t.deepEqual(await refused.promise, { kind: 'refused', reason: 'unknown-pod' });
  t.is(waiters.keys, 0);

  const released = request('10.0.0.4');
  await flushMicrotasks();
  api.down = false;
  pods.progress('100');
  pods.connected(true); // the watch is back and caught up: the cache answers
  t.like(await released.promise, { kind: 'role', pod: { uid: 'a' } });
});

test('a hung read is given up on the clock, and the request keeps waiting for the watch', async (t) => {
  const { api, clock, pods, request } = setup();
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.5' }));
  api.hanging = true;
  const req = request('10.0.0.5');
  await clock.advance(5000);
  t.is(req.settled(), undefined);
  api.hanging = false;
  pods.progress('100');
  pods.connected(true);
  t.like(await req.promise, { kind: 'role' });
  t.is(clock.pendingTimers, 0);
});

test('a secondary (IPv6) IP is confirmed on the pod itself', async (t) => {
  const { api, pods, request } = setup();
  const dual = (uid: string): KubeObject => ({ ...podObject({ uid, ip: '10.0.0.6' }), status: { phase: 'Running', podIP: '10.0.0.6', podIPs: [{ ip: '10.0.0.6' }, { ip: 'fd00::6' }] } });
  pods.apply('ADDED', dual('a'));
  api.pods = [dual('a')];
  t.like(await request('fd00::6').promise, { kind: 'role', pod: { uid: 'a' } });
  api.pods = [];
  const req = request('fd00::6');
  await flushMicrotasks();
  t.is(req.settled(), undefined, 'the pod is gone on the server: no answer from the cache');
  req.abort();
  t.like(await req.promise, { kind: 'refused', reason: 'unknown-pod' });
});

test('not live but the stream open: a record confirmed once is served from memory (fast path too) until it changes or the stream ends', async (t) => {
  const { api, pods, guard, serviceAccounts, waiters, request } = setup();
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.7' }));
  api.pods = [podObject({ uid: 'a', ip: '10.0.0.7' })];
  api.revision = '500'; // the cluster moved on (another resource): no pod event will bring the watch there
  pods.progress('100');
  pods.connected(true);
  await flushMicrotasks();
  t.false(guard.live);
  const deps = { pods, serviceAccounts, waiters, podGuard: guard };
  t.is(roleNow(deps, '10.0.0.7'), undefined, 'not confirmed yet: the fast path leaves it to the slow one');
  t.like(await request('10.0.0.7').promise, { kind: 'role', pod: { uid: 'a' } });
  const afterFirst = api.reads;
  for (let i = 0; i < 3; i++) t.like(await request('10.0.0.7').promise, { kind: 'role', pod: { uid: 'a' } });
  t.is(api.reads, afterFirst, 'no more reads for the confirmed record');
  t.like(roleNow(deps, '10.0.0.7'), { kind: 'role', pod: { uid: 'a' } }, 'and the fast path serves it');

  // The pod changes (a new record): confirmed again.
  pods.apply('MODIFIED', podObject({ uid: 'a', ip: '10.0.0.7', rv: '501' }));
  await request('10.0.0.7').promise;
  t.is(api.reads, afterFirst + 1);

  // The stream ends and reopens: forgotten.
  pods.connected(false);
  pods.connected(true);
  await flushMicrotasks();
  const beforeReopen = api.reads;
  await request('10.0.0.7').promise;
  t.true(api.reads > beforeReopen, 'read again after the stream reopened');
});

test('a confirmation read sent while the stream is down is not remembered', async (t) => {
  const { api, pods, guard, serviceAccounts, waiters, request } = setup();
  pods.apply('ADDED', podObject({ uid: 'a', ip: '10.0.0.8' }));
  api.pods = [podObject({ uid: 'a', ip: '10.0.0.8' })];
  t.like(await request('10.0.0.8').promise, { kind: 'role', pod: { uid: 'a' } });
  t.is(roleNow({ pods, serviceAccounts, waiters, podGuard: guard }, '10.0.0.8'), undefined);
  const reads = api.reads;
  await request('10.0.0.8').promise;
  t.is(api.reads, reads + 1, 'each request still confirms');
});
