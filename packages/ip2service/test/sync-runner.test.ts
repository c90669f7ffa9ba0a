import test from 'ava';
import { ManualClock, flushMicrotasks } from '@iam4kube/shared';

import type { SyncReason } from '../src/sync-runner.js';
import { SyncRunner } from '../src/sync-runner.js';

const T0 = Date.UTC(2026, 0, 1);

interface Harness {
  clock: ManualClock;
  runner: SyncRunner<number>;
  /** [ms since T0, reason] of every sync started. */
  runs: Array<[number, SyncReason]>;
  /** Outcomes for the next syncs: an Error fails one; when empty, syncs succeed. */
  outcomes: Array<Error | undefined>;
  failures: Array<{ consecutiveFailures: number; retryInMs: number }>;
  results: Array<[SyncReason, number]>;
}

function harness(options: { syncMs?: number } = {}): Harness {
  const clock = new ManualClock(T0);
  const h: Harness = { clock, runs: [], outcomes: [], failures: [], results: [], runner: undefined as unknown as SyncRunner<number> };
  h.runner = new SyncRunner({
    clock,
    minIntervalMs: 1_000,
    resyncPeriodMs: 60_000,
    backoff: { initialMs: 2_000, maxMs: 10_000 },
    sync: async (reason) => {
      h.runs.push([clock.now() - T0, reason]);
      const outcome = h.outcomes.shift();
      if (options.syncMs) await new Promise<void>((resolve) => clock.setTimeout(resolve, options.syncMs!));
      if (outcome) throw outcome;
      return h.runs.length;
    },
    onSuccess: ({ reason, result }) => h.results.push([reason, result]),
    onFailure: (_error, info) => h.failures.push({ consecutiveFailures: info.consecutiveFailures, retryInMs: info.retryInMs }),
  });
  return h;
}

test('start syncs at once; a burst of requests inside the minimum interval becomes one sync at its end', async (t) => {
  const h = harness();
  h.runner.start();
  await flushMicrotasks();
  t.deepEqual(h.runs, [[0, 'start']]);
  await h.clock.advance(100);
  for (let i = 0; i < 5; i++) h.runner.request();
  await h.clock.advance(800);
  t.is(h.runs.length, 1, 'nothing before the minimum interval is over');
  h.runner.request();
  await h.clock.advance(100);
  t.deepEqual(h.runs, [
    [0, 'start'],
    [1_000, 'request'],
  ]);
  await h.clock.advance(5_000);
  t.is(h.runs.length, 2, 'one sync for the whole burst');
  await h.runner.stop();
});

test('a request long after the last sync runs at once', async (t) => {
  const h = harness();
  h.runner.start();
  await h.clock.advance(30_000);
  h.runner.request();
  await h.clock.advance(0);
  t.deepEqual(h.runs, [
    [0, 'start'],
    [30_000, 'request'],
  ]);
  await h.runner.stop();
});

test('requests during a running sync are merged into one sync after it', async (t) => {
  const h = harness({ syncMs: 3_000 });
  h.runner.start();
  await h.clock.advance(500);
  h.runner.request();
  h.runner.request();
  await h.clock.advance(2_000);
  t.is(h.runs.length, 1, 'never two syncs at once');
  await h.clock.advance(500); // the first sync ends at 3000, past the minimum interval
  t.deepEqual(h.runs, [
    [0, 'start'],
    [3_000, 'request'],
  ]);
  await h.clock.advance(10_000);
  t.is(h.runs.length, 2);
  await h.runner.stop();
});

test('without requests a full resync runs every resync period', async (t) => {
  const h = harness();
  h.runner.start();
  await h.clock.advance(59_999);
  t.is(h.runs.length, 1);
  await h.clock.advance(1);
  await h.clock.advance(60_000);
  t.deepEqual(h.runs, [
    [0, 'start'],
    [60_000, 'resync'],
    [120_000, 'resync'],
  ]);
  await h.runner.stop();
});

test('a request resets the resync period', async (t) => {
  const h = harness();
  h.runner.start();
  await h.clock.advance(40_000);
  h.runner.request();
  await h.clock.advance(60_000);
  t.deepEqual(h.runs, [
    [0, 'start'],
    [40_000, 'request'],
    [100_000, 'resync'],
  ]);
  await h.runner.stop();
});

test('failures are retried with capped exponential backoff; requests do not cut the backoff short', async (t) => {
  const h = harness();
  const boom = new Error('iptables-restore: line 3 failed');
  h.outcomes.push(boom, boom, boom, boom);
  h.runner.start();
  await h.clock.advance(0);
  t.is(h.runner.consecutiveFailures, 1);
  t.is(h.runner.lastSuccessAt, undefined);
  await h.clock.advance(1_500);
  h.runner.request();
  await h.clock.advance(400);
  t.is(h.runs.length, 1, 'the request waits for the retry');
  await h.clock.advance(100); // 2000: first retry
  await h.clock.advance(4_000); // 6000: second retry
  await h.clock.advance(8_000); // 14000: third retry
  await h.clock.advance(10_000); // 24000: capped at 10s, succeeds
  t.deepEqual(h.runs, [
    [0, 'start'],
    [2_000, 'retry'],
    [6_000, 'retry'],
    [14_000, 'retry'],
    [24_000, 'retry'],
  ]);
  t.deepEqual(
    h.failures.map((f) => f.retryInMs),
    [2_000, 4_000, 8_000, 10_000],
  );
  t.is(h.runner.consecutiveFailures, 0);
  t.is(h.runner.lastSuccessAt, T0 + 24_000);
  t.deepEqual(h.results, [['retry', 5]], 'onSuccess gets what the sync returned');
  await h.clock.advance(60_000);
  t.deepEqual(h.runs.at(-1), [84_000, 'resync'], 'back to the normal schedule after a success');
  await h.runner.stop();
});

test('after a success the backoff starts over', async (t) => {
  const h = harness();
  const boom = new Error('boom');
  h.outcomes.push(boom, boom, undefined, boom);
  h.runner.start();
  await h.clock.advance(2_000 + 4_000); // fail at 0 and 2000, succeed at 6000
  h.runner.request();
  await h.clock.advance(1_000); // fails at 7000
  await h.clock.advance(2_000);
  t.deepEqual(h.runs, [
    [0, 'start'],
    [2_000, 'retry'],
    [6_000, 'retry'],
    [7_000, 'request'],
    [9_000, 'retry'],
  ]);
  t.deepEqual(
    h.failures.map((f) => [f.consecutiveFailures, f.retryInMs]),
    [
      [1, 2_000],
      [2, 4_000],
      [1, 2_000],
    ],
  );
  await h.runner.stop();
});

test('stop waits for the running sync and nothing runs afterwards', async (t) => {
  const h = harness({ syncMs: 1_000 });
  h.runner.start();
  let stopped = false;
  const stopping = h.runner.stop().then(() => {
    stopped = true;
  });
  await flushMicrotasks();
  t.false(stopped, 'still syncing');
  await h.clock.advance(1_000);
  await stopping;
  t.true(stopped);
  h.runner.request();
  await h.clock.advance(120_000);
  t.is(h.runs.length, 1);
  t.is(h.clock.pendingTimers, 0);
});

test('requests before start are covered by the first sync', async (t) => {
  const h = harness();
  h.runner.request();
  await h.clock.advance(5_000);
  t.deepEqual(h.runs, []);
  h.runner.start();
  await h.clock.advance(999);
  t.deepEqual(h.runs, [[5_000, 'start']]);
  await h.runner.stop();
});
