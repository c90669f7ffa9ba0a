import test from 'ava';
import { ManualClock, createMetricsRegistry, flushMicrotasks } from '@iam4kube/shared';
import { CredentialStore } from '../../src/credentials/credential-store.js';
import { createCredentialsMetrics } from '../../src/credentials/credentials-metrics.js';
import { createTokenBucketLimiter } from '../../src/credentials/token-bucket-limiter.js';
import { instrumentAssumer } from '../../src/credentials/sts-metrics.js';
import { FakeSts, MIN, captureLogger, neverAborts, session } from './fakes.js';

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sts = new FakeSts(clock);
  const registry = createMetricsRegistry({ processMetrics: false });
  const metrics = createCredentialsMetrics(registry);
  const limiter = createTokenBucketLimiter({ rate: 1, burst: 2, clock });
  const store = new CredentialStore({
    assumer: instrumentAssumer(sts, registry, () => clock.now()), limiter, clock, logger: captureLogger().logger, metrics,
    sessionDurationMs: 60 * MIN, refreshBeforeMs: 30 * MIN, safetyMarginMs: 5 * MIN, callTimeoutMs: 5000,
    retryInitialMs: 1000, retryMaxMs: 30_000, parkInitialMs: 5 * MIN, parkMaxMs: 30 * MIN, random: () => 0,
  });
  metrics.track({ summary: () => store.summary(), queued: () => limiter.queued(), now: () => clock.now() });
  const scrape = async (): Promise<Map<string, number>> => {
    const text = await registry.metrics();
    const values = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^(iam4kube_\S+) (\S+)$/.exec(line);
      if (m) values.set(m[1]!, Number(m[2]));
    }
    return values;
  };
  return { clock, sts, store, scrape };
}

test('entries by state, limiter queue depth, earliest expiry, waiters', async (t) => {
  const { clock, sts, store, scrape } = setup();
  const empty = await scrape();
  t.true(Number.isNaN(empty.get('iam4kube_credentials_earliest_expiry_seconds')), 'NaN when nothing is held');
  sts.denied.add(session('ns', 'bad', 'bad').roleArn);
  sts.mode = 'hold';
  store.retain(session('ns', 'a'));
  store.retain(session('ns', 'bad', 'bad'));
  store.retain(session('ns', 'c'));
  const waiting = store.get(session('ns', 'a'), neverAborts());
  await flushMicrotasks();
  let m = await scrape();
  t.is(m.get('iam4kube_sts_limiter_queue_depth'), 1, 'the third call waits for a token');
  t.is(m.get('iam4kube_credentials_entries{state="pending"}'), 3);
  t.is(m.get('iam4kube_credentials_waiters'), 1);
  sts.answerHeld();
  await waiting;
  await clock.advance(1000);
  sts.answerHeld();
  await flushMicrotasks();
  m = await scrape();
  t.is(m.get('iam4kube_credentials_entries{state="fresh"}'), 2);
  t.is(m.get('iam4kube_credentials_entries{state="parked"}'), 1);
  t.is(m.get('iam4kube_credentials_entries{state="pending"}'), 0);
  t.is(m.get('iam4kube_credentials_waiters'), 0);
  t.is(m.get('iam4kube_sts_limiter_queue_depth'), 0);
  t.is(m.get('iam4kube_credentials_earliest_expiry_seconds'), 3600 - 1, 'the first fetched, a second ago');
  t.is(m.get('iam4kube_credentials_parked_total{code="AccessDenied"}'), 1);
  t.is(m.get('iam4kube_sts_calls_total{outcome="success",code=""}'), 2);
  t.is(m.get('iam4kube_sts_calls_total{outcome="permanent",code="AccessDenied"}'), 1);
  t.is(m.get('iam4kube_sts_call_duration_seconds_count{outcome="success"}'), 2);
});

test('refreshes by outcome, and low-life serving during an outage', async (t) => {
  const { clock, sts, store, scrape } = setup();
  store.retain(session('ns', 'a'));
  await flushMicrotasks();
  await clock.advance(30 * MIN);
  sts.mode = 'outage';
  await clock.advance(55 * MIN - 1000); // the refresh due at 60 min fails on; 5 min and a second of life left
  await store.get(session('ns', 'a'), neverAborts());
  const m = await scrape();
  t.is(m.get('iam4kube_credentials_refreshes_total{outcome="success"}'), 1);
  t.true(m.get('iam4kube_credentials_refreshes_total{outcome="failure"}')! > 10);
  t.is(m.get('iam4kube_credentials_low_life_served_total'), 1);
  t.is(m.get('iam4kube_credentials_entries{state="refreshing"}'), 1);
  t.true(m.get('iam4kube_sts_calls_total{outcome="transient",code="ECONNREFUSED"}')! > 10);
});
