import test from 'ava';
import { parseDuration } from '../src/duration.js';

test('durations', (t) => {
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('15s'), 15_000);
  t.is(parseDuration('1h30m'), 5_400_000);
  t.is(parseDuration('1.5s'), 1500);
  t.is(parseDuration('0'), 0);
  for (const bad of ['', '10', 's', '1d', '5m junk', '-1s']) t.throws(() => parseDuration(bad), undefined, bad);
});
