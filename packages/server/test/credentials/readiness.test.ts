import test from 'ava';
import { ManualClock, flushMicrotasks } from '@iam4kube/shared';
import { CredentialStore } from '../../src/credentials/credential-store.js';
import { createReadinessGate, liveServiceAccounts, type Cache, type PodUse } from '../../src/credentials/readiness.js';
import { createTokenBucketLimiter } from '../../src/credentials/token-bucket-limiter.js';
import { FakeSts, MIN, captureLogger, session } from './fakes.js';

function setup(options: { rate?: number; burst?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sts = new FakeSts(clock);
  const { logger, lines } = captureLogger();
  const limiter = createTokenBucketLimiter({ rate: options.rate ?? 10, burst: options.burst ?? 20, clock });
  const store = new CredentialStore({
    assumer: sts, limiter, clock, logger,
    sessionDurationMs: 60 * MIN, refreshBeforeMs: 30 * MIN, safetyMarginMs: 5 * MIN, callTimeoutMs: 5000,
    retryInitialMs: 1000, retryMaxMs: 30_000, parkInitialMs: 5 * MIN, parkMaxMs: 30 * MIN, random: () => 0,
  });
  const caches: Cache[] = [{ name: 'pods', synced: true }, { name: 'serviceaccounts', synced: true }, { name: 'nodes', synced: true }];
  const pods: PodUse[] = [];
  let stopping = false;
  const gate = createReadinessGate({ caches: () => caches, entries: () => store.entries(), pods: () => pods, stopping: () => stopping, logger });
  return { clock, sts, store, caches, pods, gate, lines, stop: () => (stopping = true) };
}

const pod = (namespace: string, sa: string, extra: Partial<PodUse> = {}): PodUse => ({ namespace, serviceAccountName: sa, hostNetwork: false, phase: 'Running', ...extra });

test('500 ServiceAccounts created together at rate 10/s burst 20 are ready when the bucket allows: (500-20)/10 = 48 s', async (t) => {
  const { clock, sts, store, pods, gate } = setup();
  for (let i = 0; i < 500; i++) {
    pods.push(pod('ns', `sa-${i}`));
    store.retain(session('ns', `sa-${i}`, `role-${i}`));
  }
  t.is(sts.calls.length, 20, 'the burst goes at once');
  t.false(gate().ok);
  await clock.advance(47_900);
  const notYet = gate();
  t.false(notYet.ok);
  t.like(notYet.detail, { credentials: { live: 500, usable: 499, pending: 1, parked: 0 } });
  await clock.advance(100);
  t.true(gate().ok);
  t.is(sts.calls.length, 500);
  t.is(sts.calls[499]!.at - sts.calls[0]!.at, 48_000);
});

test('not ready while a cache syncs; the reason names it', (t) => {
  const { caches, gate } = setup();
  caches[2] = { name: 'nodes', synced: false };
  const result = gate();
  t.false(result.ok);
  t.like(result.detail, { reason: 'caches not synced: nodes', caches: { pods: 'synced', nodes: 'syncing' } });
});

test('a replica that cannot reach STS stays not ready, and says which roles block it', async (t) => {
  const { clock, sts, store, pods, gate } = setup();
  sts.mode = 'outage';
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
    pods.push(pod('ns', name));
    store.retain(session('ns', name, `role-${name}`));
  }
  await clock.advance(10 * MIN);
  const result = gate();
  t.false(result.ok);
  const detail = result.detail as { reason: string; credentials: { pending: number; blocking: Array<{ roleArn: string; serviceAccount: string; lastError?: string }> } };
  t.is(detail.reason, '7 live credentials entries have no credentials yet');
  t.is(detail.credentials.pending, 7);
  t.is(detail.credentials.blocking.length, 5, 'the first few');
  t.deepEqual(detail.credentials.blocking[0], { roleArn: 'arn:aws:iam::123456789012:role/role-a', serviceAccount: 'ns/a', lastError: 'ECONNREFUSED' });
  t.is(JSON.parse(JSON.stringify(detail)).credentials.blocking[0].serviceAccount, 'ns/a', 'JSON-safe');
  sts.mode = 'ok';
  await clock.advance(30_000);
  t.true(gate().ok);
});

test('a role STS always denies is parked and does not stop the replica becoming ready', async (t) => {
  const { sts, store, pods, gate } = setup();
  sts.denied.add('arn:aws:iam::123456789012:role/denied');
  pods.push(pod('ns', 'good'), pod('ns', 'bad'));
  store.retain(session('ns', 'good', 'good'));
  store.retain(session('ns', 'bad', 'denied'));
  await flushMicrotasks();
  const result = gate();
  t.true(result.ok);
  t.like(result.detail, { credentials: { live: 2, usable: 1, parked: 1, pending: 0 } });
});

test('only live entries count: a ServiceAccount no pod (or only hostNetwork/finished pods) uses does not block', async (t) => {
  const { sts, store, pods, gate } = setup();
  sts.mode = 'hang';
  pods.push(pod('ns', 'unused', { hostNetwork: true }), pod('ns', 'unused', { phase: 'Succeeded' }));
  store.retain(session('ns', 'unused'));
  t.true(gate().ok);
  t.deepEqual([...liveServiceAccounts([pod('a', 'x'), pod('a', 'y', { phase: 'Failed' }), pod('b', 'x', { phase: 'Pending' })])], ['a/x', 'b/x']);
});

test('once ready, ready until shutdown: an STS outage or a new cold entry does not flip it', async (t) => {
  const { clock, sts, store, pods, gate, stop, lines } = setup();
  pods.push(pod('ns', 'a'));
  store.retain(session('ns', 'a'));
  await flushMicrotasks();
  t.true(gate().ok);
  t.is(lines.filter((l) => String(l.msg).startsWith('ready:')).length, 1);
  sts.mode = 'outage';
  pods.push(pod('ns', 'b'));
  store.retain(session('ns', 'b'));
  await clock.advance(MIN);
  t.true(gate().ok);
  stop();
  t.deepEqual(gate(), { ok: false, detail: { reason: 'shutting down' } });
});
