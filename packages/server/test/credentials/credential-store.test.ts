import test from 'ava';
import { ManualClock, flushMicrotasks } from '@iam4kube/shared';
import { CredentialStore, type CredentialStoreOptions, type StoreMetrics } from '../../src/credentials/credential-store.js';
import { CredentialsError, type Limiter } from '../../src/credentials/credentials.js';
import { createTokenBucketLimiter } from '../../src/credentials/token-bucket-limiter.js';
import { FakeSts, MIN, captureLogger, isCredentialsError, neverAborts, seededRandom, session } from './fakes.js';

const immediate: Limiter = { schedule: (task) => task(), queued: () => 0 };
const app = session('demo', 'app');

function setup(options: Partial<CredentialStoreOptions> = {}) {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock(Date.UTC(2026, 0, 1));
  const sts = new FakeSts(clock);
  const { logger, lines } = captureLogger();
  const counts = { refreshSuccess: 0, refreshFailure: 0, parked: [] as string[], lowLife: 0 };
  const metrics: StoreMetrics = {
    refreshed: (o) => (o === 'success' ? counts.refreshSuccess++ : counts.refreshFailure++),
    parked: (code) => counts.parked.push(code),
    lowLifeServed: () => counts.lowLife++,
  };
  const parkedReports: string[] = [];
  const store = new CredentialStore({
    assumer: sts,
    limiter: immediate,
    clock,
    logger,
    sessionDurationMs: 60 * MIN,
    refreshBeforeMs: 30 * MIN,
    safetyMarginMs: 5 * MIN,
    callTimeoutMs: 5000,
    retryInitialMs: 1000,
    retryMaxMs: 30_000,
    parkInitialMs: 5 * MIN,
    parkMaxMs: 30 * MIN,
    metrics,
    onParked: (request, error) => parkedReports.push(`${request.serviceAccount}:${error.code}`),
    random: () => 0,
    ...options,
  });
  return { clock, sts, store, lines, counts, parkedReports, signal: neverAborts() };
}

/** A request that records how it ended, so a test can check it is still waiting. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

test('retain prefetches before any request, and requests are served from memory', async (t) => {
  const { sts, store, signal } = setup();
  sts.mode = 'hold';
  store.retain(app);
  t.is(sts.calls.length, 1, 'fetched on retain');
  t.like(sts.calls[0], { roleArn: 'arn:aws:iam::123456789012:role/demo-role', sessionName: 'demo@app', durationSeconds: 3600, externalId: undefined });
  t.deepEqual(store.summary().states, { fresh: 0, refreshing: 0, pending: 1, parked: 0 });
  sts.answerHeld();
  await flushMicrotasks();
  t.is(store.summary().states.fresh, 1);
  const first = await store.get(app, signal);
  const again = await store.get({ roleArn: app.roleArn, externalId: undefined, sessionName: 'demo@app' }, signal);
  t.is(first, again);
  t.is(sts.calls.length, 1, 'no STS call on the request path');
});

test('a stampede of 1,000 requests for a cold entry makes exactly one AssumeRole', async (t) => {
  const { sts, store, signal } = setup();
  sts.mode = 'hold';
  store.retain(app);
  const requests = Array.from({ length: 1000 }, () => store.get(app, signal));
  await flushMicrotasks();
  t.is(store.summary().waiters, 1000);
  sts.answerHeld();
  const answers = await Promise.all(requests);
  t.is(sts.calls.length, 1);
  t.true(answers.every((a) => a === answers[0]));
  t.is(store.summary().waiters, 0);
});

test('refreshes when 30 minutes are left (no jitter), not before, and counts it', async (t) => {
  const { clock, sts, store, counts } = setup();
  store.retain(app);
  await flushMicrotasks();
  await clock.advance(30 * MIN - 1);
  t.is(sts.calls.length, 1);
  await clock.advance(1);
  t.is(sts.calls.length, 2);
  t.is(counts.refreshSuccess, 1);
  await clock.advance(30 * MIN);
  t.is(sts.calls.length, 3, 'one call per entry per refresh period');
});

test('refreshes of entries created together are spread by jitter', async (t) => {
  const { clock, sts, store } = setup({ random: seededRandom(7) });
  for (let i = 0; i < 200; i++) store.retain(session('ns', `sa-${i}`));
  await flushMicrotasks();
  await clock.advance(31 * MIN);
  const refreshes = sts.calls.slice(200).map((c) => c.at - Date.UTC(2026, 0, 1));
  t.is(refreshes.length, 200, 'every entry refreshed once');
  // Jitter is up to 20% of the 30-minute interval: refreshes fall between 24 and 30 minutes after the fetch.
  t.true(refreshes.every((at) => at >= 24 * MIN && at <= 30 * MIN));
  const perMinute = new Map<number, number>();
  for (const at of refreshes) perMinute.set(Math.floor(at / MIN), (perMinute.get(Math.floor(at / MIN)) ?? 0) + 1);
  t.is(perMinute.size, 6, 'spread over six minutes');
  t.true(Math.max(...perMinute.values()) <= 50, `no spike: ${JSON.stringify([...perMinute])}`);
});

test('STS down for a whole refresh period: zero failed requests while the credentials are valid', async (t) => {
  const { clock, sts, store, counts, lines, signal } = setup();
  store.retain(app);
  await flushMicrotasks();
  const issued = await store.get(app, signal);
  sts.mode = 'outage';
  let failures = 0;
  let served = 0;
  // A request every 10 s from the fetch until just before the last 5 minutes: the refresh period and 25 minutes more.
  for (let at = 10_000; at < 55 * MIN; at += 10_000) {
    await clock.advance(10_000);
    try {
      t.is(await store.get(app, signal), issued);
      served++;
    } catch {
      failures++;
    }
  }
  t.is(failures, 0);
  t.is(served, 329);
  t.true(counts.lowLife > 0, 'credentials with less than 30 minutes left were served, and counted');
  t.is(lines.filter((l) => String(l.msg).startsWith('serving credentials with less than the normal')).length, 1, 'logged once');
  t.true(counts.refreshFailure > 0);
  // Backoff doubles from 1 s to the 30 s cap (halved by jitter 0): a few calls, then one per 15 s for 25 minutes.
  t.true(sts.calls.length <= 2 + 5 + (25 * MIN) / 15_000, `${sts.calls.length} calls`);
});

test('credentials within the safety margin are never served: the request waits for the refresh', async (t) => {
  const { clock, sts, store, signal } = setup();
  store.retain(app);
  await flushMicrotasks();
  const old = await store.get(app, signal);
  sts.mode = 'outage';
  await clock.advance(55 * MIN + 1); // 5 min minus 1 ms left
  const request = track(store.get(app, signal));
  await flushMicrotasks();
  t.false(request.settled, 'waits rather than serving credentials about to expire');
  sts.mode = 'ok';
  await clock.advance(30_000); // the next retry is due within the 30 s cap
  t.true(request.settled);
  t.not(request.value, old);
  t.true(request.value!.expiration > clock.now() + 55 * MIN);
});

test('a waiting request gives up when its signal aborts, and leaves nothing behind', async (t) => {
  const { sts, store } = setup();
  sts.mode = 'hang';
  store.retain(app);
  const controller = new AbortController();
  const request = store.get(app, controller.signal);
  await flushMicrotasks();
  t.is(store.summary().waiters, 1);
  controller.abort(new Error('deadline'));
  await t.throwsAsync(request, { message: 'deadline' });
  t.is(store.summary().waiters, 0);
});

test('an STS call that hangs is cut at the call timeout and retried', async (t) => {
  const { clock, sts, store } = setup();
  sts.mode = 'hang';
  store.retain(app);
  await clock.advance(4999);
  t.is(sts.calls.length, 1);
  sts.mode = 'ok';
  await clock.advance(1); // timeout: transient, retried after 0.5-1 s
  await clock.advance(1000);
  t.is(sts.calls.length, 2);
  t.is(store.summary().states.fresh, 1);
});

test('a role STS always denies is parked: answered at once, reported, retried rarely', async (t) => {
  const { clock, sts, store, counts, parkedReports, lines, signal } = setup();
  sts.denied.add(app.roleArn);
  store.retain(app);
  await flushMicrotasks();
  t.is(store.summary().states.parked, 1);
  const error = await t.throwsAsync(store.get(app, signal));
  t.true(isCredentialsError(error, 'AccessDenied'));
  t.true((error as CredentialsError).permanent);
  t.deepEqual(counts.parked, ['AccessDenied']);
  t.deepEqual(parkedReports, ['app:AccessDenied']);
  t.truthy(lines.find((l) => l.msg === 'role parked: STS refused it' && l.code === 'AccessDenied'));
  // Retries back off from 2.5 min (5 min with jitter 0 halves it) to 15 min: a handful in two hours.
  await clock.advance(120 * MIN);
  t.true(sts.calls.length <= 10, `${sts.calls.length} calls in 2 h`);
  t.true(sts.calls.length >= 3, 'but retried');
  sts.denied.delete(app.roleArn);
  await clock.advance(30 * MIN);
  t.is(store.summary().states.fresh, 1, 'recovers once STS allows it');
});

test('a waiter is answered as soon as its entry is parked', async (t) => {
  const { sts, store, signal } = setup();
  sts.mode = 'hold';
  sts.denied.add(app.roleArn);
  store.retain(app);
  const request = store.get(app, signal);
  sts.answerHeld();
  const error = await t.throwsAsync(request);
  t.true(isCredentialsError(error, 'AccessDenied'));
});

test('a parked role keeps serving its last credentials while they are usable', async (t) => {
  const { clock, sts, store, signal } = setup();
  store.retain(app);
  await flushMicrotasks();
  const issued = await store.get(app, signal);
  sts.denied.add(app.roleArn);
  await clock.advance(30 * MIN); // refresh refused
  t.is(store.summary().states.parked, 1);
  t.is(await store.get(app, signal), issued);
  await clock.advance(25 * MIN);
  await t.throwsAsync(store.get(app, signal), { message: /not authorized/ });
});

test('throttling: capped exponential backoff with jitter, no storm', async (t) => {
  const clock = new ManualClock(0);
  const limiter = createTokenBucketLimiter({ rate: 10, burst: 20, clock });
  const { sts, store } = setup({ clock, limiter, random: seededRandom(3) });
  sts.mode = 'throttle';
  for (let i = 0; i < 100; i++) store.retain(session('ns', `sa-${i}`));
  await clock.advance(10 * MIN);
  // Per entry: retries after ~1, 2, 4, 8, 16 s, then every 15-30 s: at most ~45 calls in 10 minutes, 4,500 in all.
  const perEntry = sts.calls.length / 100;
  t.true(perEntry < 45, `${perEntry} calls per entry`);
  // Never more than the bucket allows in any second.
  const perSecond = new Map<number, number>();
  for (const c of sts.calls) perSecond.set(Math.floor(c.at / 1000), (perSecond.get(Math.floor(c.at / 1000)) ?? 0) + 1);
  t.true(Math.max(...perSecond.values()) <= 30, 'burst + rate at most');
  sts.mode = 'ok';
  await clock.advance(60_000);
  t.is(store.summary().states.fresh, 100, 'all recover when the throttling stops');
});

test('release of the last reference drops the entry, its timers, and answers its waiters', async (t) => {
  const { clock, sts, store, signal } = setup();
  sts.mode = 'hang';
  store.retain(app);
  store.retain(app);
  const waiting = store.get(app, signal);
  store.release(app);
  t.is(store.summary().waiters, 1, 'still referenced');
  store.release(app);
  const error = await t.throwsAsync(waiting);
  t.true(isCredentialsError(error, 'Released'));
  await clock.advance(120 * MIN);
  t.is(sts.calls.length, 1, 'nothing more for a dropped entry');
  const missing = await t.throwsAsync(store.get(app, signal));
  t.true(isCredentialsError(missing, 'NotRetained'));
});

test('an entry dropped while its call waits in the limiter makes no STS call', async (t) => {
  const clock = new ManualClock(0);
  const limiter = createTokenBucketLimiter({ rate: 1, burst: 1, clock });
  const { sts, store } = setup({ clock, limiter });
  store.retain(session('ns', 'a'));
  store.retain(session('ns', 'b'));
  t.is(limiter.queued(), 1);
  store.release(session('ns', 'b'));
  await clock.advance(5000);
  t.deepEqual(sts.calls.map((c) => c.sessionName), ['ns@a']);
});

test('a role that refuses the configured duration is asked for one hour instead', async (t) => {
  const { sts, store, signal, lines } = setup({ sessionDurationMs: 2 * 60 * MIN, refreshBeforeMs: 30 * MIN });
  sts.maxDuration.set(app.roleArn, 3600);
  store.retain(app);
  await flushMicrotasks();
  t.deepEqual(sts.calls.map((c) => c.durationSeconds), [7200, 3600]);
  t.is(store.summary().states.fresh, 1);
  t.truthy(await store.get(app, signal));
  t.truthy(lines.find((l) => l.msg === 'STS refused the session duration for this role: asking for 1h'));
});

test('tags and SourceIdentity of the session reach the Assumer', async (t) => {
  const { sts, store } = setup();
  const tags = [{ key: 'kubernetes-namespace', value: 'demo' }];
  store.retain(session('demo', 'app', 'demo-role', { tags, sourceIdentity: 'demo@app', externalId: 'ext-1' }));
  t.like(sts.calls[0], { tags, sourceIdentity: 'demo@app', externalId: 'ext-1' });
});

test('stop answers every waiter and cancels every timer', async (t) => {
  const { clock, sts, store, signal } = setup();
  sts.mode = 'hang';
  store.retain(app);
  const waiting = store.get(app, signal);
  store.stop();
  t.true(isCredentialsError(await t.throwsAsync(waiting), 'ShuttingDown'));
  t.is(clock.pendingTimers, 0);
});
