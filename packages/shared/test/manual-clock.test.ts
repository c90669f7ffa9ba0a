import test from 'ava';
import { ManualClock } from '../src/manual-clock.js';
import { sleep } from '../src/clock.js';

test('timers fire in order as time advances, and cancelled ones never fire', async (t) => {
  const clock = new ManualClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b'), 200);
  clock.setTimeout(() => fired.push('a'), 100);
  const c = clock.setTimeout(() => fired.push('never'), 150);
  c.cancel();
  await clock.advance(150);
  t.deepEqual(fired, ['a']);
  t.is(clock.now(), 150);
  await clock.advance(50);
  t.deepEqual(fired, ['a', 'b']);
  t.is(clock.pendingTimers, 0);
});

test('sleep follows the clock and aborts', async (t) => {
  const clock = new ManualClock(0);
  let done = false;
  const p = sleep(clock, 1000).then(() => (done = true));
  await clock.advance(999);
  t.false(done);
  await clock.advance(1);
  await p;
  t.true(done);
  const c = new AbortController();
  const aborted = sleep(clock, 1000, c.signal);
  c.abort(new Error('stop'));
  await t.throwsAsync(aborted, { message: 'stop' });
});
