import test from 'ava';
import { ManualClock } from '@iam4kube/shared';
import { createTokenBucketLimiter } from '../../src/credentials/token-bucket-limiter.js';
import type { CallPriority } from '../../src/credentials/credentials.js';

function setup(rate = 10, burst = 20) {
  const clock = new ManualClock(0);
  const limiter = createTokenBucketLimiter({ rate, burst, clock });
  const started: Array<{ name: string; at: number }> = [];
  const submit = (name: string, priority: CallPriority = 'first'): Promise<string> =>
    limiter.schedule(async () => {
      started.push({ name, at: clock.now() });
      return name;
    }, priority);
  return { clock, limiter, started, submit };
}

test('a full bucket lets `burst` tasks run at once, then one per 1/rate seconds', async (t) => {
  const { clock, limiter, started, submit } = setup(10, 20);
  const all = Array.from({ length: 40 }, (_, i) => submit(`t${i}`));
  t.is(started.length, 20);
  t.is(limiter.queued(), 20);
  await clock.advance(99);
  t.is(started.length, 20);
  await clock.advance(1);
  t.is(started.length, 21);
  await clock.advance(1900);
  t.is(started.length, 40);
  t.deepEqual(started.slice(20).map((s) => s.at), Array.from({ length: 20 }, (_, i) => (i + 1) * 100));
  t.deepEqual(await Promise.all(all), Array.from({ length: 40 }, (_, i) => `t${i}`));
});

test('the bucket refills up to burst while idle, no further', async (t) => {
  const { clock, started, submit } = setup(10, 20);
  for (let i = 0; i < 20; i++) void submit(`a${i}`);
  await clock.advance(60_000);
  for (let i = 0; i < 25; i++) void submit(`b${i}`);
  t.is(started.length, 40, 'refilled to 20, not to 600');
  await clock.advance(500);
  t.is(started.length, 45);
});

test('more urgent calls go first; arrival order within a priority', async (t) => {
  const { clock, started, submit } = setup(1, 1);
  void submit('first-0');
  void submit('parked-1', 'parked');
  void submit('refresh-1', 'refresh');
  void submit('first-1', 'first');
  void submit('refresh-2', 'refresh');
  await clock.advance(10_000);
  t.deepEqual(started.map((s) => s.name), ['first-0', 'first-1', 'refresh-1', 'refresh-2', 'parked-1']);
});

test('stop rejects the calls still waiting', async (t) => {
  const { limiter, submit } = setup(1, 1);
  await submit('runs');
  const waiting = submit('waits');
  limiter.stop();
  await t.throwsAsync(waiting, { message: 'limiter stopped' });
  await t.throwsAsync(submit('late'), { message: 'limiter stopped' });
});

test('a task that throws rejects its own call only', async (t) => {
  const { limiter, submit } = setup();
  await t.throwsAsync(limiter.schedule(() => { throw new Error('boom'); }, 'first'), { message: 'boom' });
  t.is(await submit('next'), 'next');
});
