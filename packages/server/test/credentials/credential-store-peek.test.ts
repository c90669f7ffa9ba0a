import test from 'ava';
import { ManualClock, flushMicrotasks } from '@iam4kube/shared';
import { CredentialStore } from '../../src/credentials/credential-store.js';
import type { Limiter } from '../../src/credentials/credentials.js';
import { FakeSts, MIN, captureLogger, neverAborts, session } from './fakes.js';

const immediate: Limiter = { schedule: (task) => task(), queued: () => 0 };
const app = session('demo', 'app');

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sts = new FakeSts(clock);
  const { logger, lines } = captureLogger();
  const counts = { lowLife: 0 };
  const store = new CredentialStore({
    assumer: sts, limiter: immediate, clock, logger, sessionDurationMs: 60 * MIN, refreshBeforeMs: 30 * MIN, safetyMarginMs: 5 * MIN,
    callTimeoutMs: 5000, retryInitialMs: 1000, retryMaxMs: 30_000, parkInitialMs: 5 * MIN, parkMaxMs: 30 * MIN,
    metrics: { refreshed: () => undefined, parked: () => undefined, lowLifeServed: () => counts.lowLife++ }, random: () => 0,
  });
  return { clock, sts, store, lines, counts };
}

test('peek: nothing before the first credentials, then what get() answers at once, never starting a fetch', async (t) => {
  const { sts, store } = setup();
  t.is(store.peek(app), undefined, 'no entry');
  sts.mode = 'hold';
  store.retain(app);
  t.is(store.peek(app), undefined, 'first fetch in flight: a request would wait');
  sts.answerHeld();
  await flushMicrotasks();
  const peeked = store.peek(app);
  t.truthy(peeked);
  t.is(peeked, await store.get(app, neverAborts()), 'the very credentials get() serves');
  t.is(sts.calls.length, 1, 'peeking fetched nothing');
});

test('peek reports a low life as get() does, and gives nothing once get() would have to wait', async (t) => {
  const { clock, sts, store, lines, counts } = setup();
  store.retain(app);
  await flushMicrotasks();
  sts.mode = 'outage'; // the refresh keeps failing
  await clock.advance(40 * MIN); // 20 min left: below --refresh-before, still served
  await flushMicrotasks();
  t.truthy(store.peek(app));
  t.is(counts.lowLife, 1, 'counted like a get()');
  t.is(lines.filter((l) => String(l.msg).startsWith('serving credentials with less than the normal')).length, 1);
  await clock.advance(16 * MIN); // 4 min left: inside the safety margin
  await flushMicrotasks();
  t.is(store.peek(app), undefined);
  t.is(counts.lowLife, 1);
});
