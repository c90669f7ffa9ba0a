import test from 'ava';
import { BOTOCORE_SAFE_LIFE_MS, backoffDelayMs, refreshDelayMs, resolveSessionTiming } from '../../src/credentials/session-timing.js';

const MIN = 60_000;

test('defaults (1h sessions, refresh with 30m left) need no warning', (t) => {
  t.deepEqual(resolveSessionTiming({ sessionDurationMs: 60 * MIN, refreshBeforeMs: 30 * MIN }), { sessionDurationMs: 60 * MIN, refreshBeforeMs: 30 * MIN, warnings: [] });
  t.deepEqual(resolveSessionTiming({ sessionDurationMs: 12 * 60 * MIN, refreshBeforeMs: 30 * MIN }).warnings, []);
});

test('a session too short for the botocore-safe refresh point starts, with warnings', (t) => {
  const timing = resolveSessionTiming({ sessionDurationMs: 15 * MIN, refreshBeforeMs: 30 * MIN });
  t.is(timing.refreshBeforeMs, 7.5 * MIN, 'at most half the session');
  t.is(timing.warnings.length, 2);
  t.regex(timing.warnings[0]!, /more than half of --session-duration 15m/);
  t.regex(timing.warnings[1]!, /botocore .* --session-duration of at least 52m/);
});

test('45-minute sessions: refresh at half-life, warned about botocore', (t) => {
  const timing = resolveSessionTiming({ sessionDurationMs: 45 * MIN, refreshBeforeMs: 30 * MIN });
  t.is(timing.refreshBeforeMs, 22.5 * MIN);
  t.true(timing.refreshBeforeMs < BOTOCORE_SAFE_LIFE_MS);
  t.true(timing.warnings.some((w) => w.includes('botocore')));
});

test('52-minute sessions are the shortest that keep 26 minutes of life', (t) => {
  t.deepEqual(resolveSessionTiming({ sessionDurationMs: 52 * MIN, refreshBeforeMs: 30 * MIN }).warnings.filter((w) => w.includes('botocore')), []);
});

test('--refresh-before inside the safety margin is raised', (t) => {
  const timing = resolveSessionTiming({ sessionDurationMs: 60 * MIN, refreshBeforeMs: MIN });
  t.is(timing.refreshBeforeMs, 6 * MIN);
  t.regex(timing.warnings[0]!, /raised to 6m/);
});

test('refresh delay: at refresh-before, up to 20% of the interval early', (t) => {
  t.is(refreshDelayMs(60 * MIN, 30 * MIN, 0), 30 * MIN);
  t.is(refreshDelayMs(60 * MIN, 30 * MIN, 0.5), 27 * MIN);
  t.is(refreshDelayMs(60 * MIN, 30 * MIN, 0.999999), 24 * MIN);
  // STS granted less than asked (a role capped lower): refresh at half-life at the latest.
  t.is(refreshDelayMs(20 * MIN, 30 * MIN, 0), 10 * MIN);
});

test('backoff doubles with equal jitter up to its cap', (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, 1000, 30_000, 0)), [500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
  t.deepEqual([0, 5, 50].map((n) => backoffDelayMs(n, 1000, 30_000, 1)), [1000, 30_000, 30_000]);
});
